package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigEditorTest {
    @TempDir
    Path dir;

    private Path config() throws Exception {
        return ConfigFileTest.writeGood(dir);
    }

    private static Base64Key key(int i) {
        byte[] k = new byte[32];
        k[0] = (byte) i;
        k[1] = (byte) (i >> 8);
        k[2] = 7;
        return Base64Key.of(k);
    }

    private static PeerEntry peer(String name, int i, String ip) {
        return new PeerEntry(name, key(i), null, List.of(Ipv4Prefix.parseNetwork(ip)), 0, true, 0);
    }

    @Test
    void appendKeepsCommentsAndWritesOwnerOnly() throws Exception {
        Path f = config();
        ConfigEditor.appendPeer(ConfigFile.load(f), peer("tablet", 1, "10.8.0.4/32"));
        String text = Files.readString(f);
        assertThat(text).startsWith("# comment\n").contains("name = \"tablet\"");
        assertThat(ConfigFile.load(f).peers()).extracting(PeerEntry::name).containsExactly("laptop", "phone", "tablet");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> !n.endsWith(".tmp"));
        }
    }

    @Test
    void aChangeTheServerWouldRefuseIsNotWritten() throws Exception {
        Path f = config();
        String before = Files.readString(f);
        assertThatThrownBy(() -> ConfigEditor.appendPeer(ConfigFile.load(f), peer("dup", 2, "10.8.0.2/32")))
                .hasMessageContaining("overlaps the peer at line 10");
        assertThat(Files.readString(f)).isEqualTo(before);
    }

    @Test
    void replaceAndRemoveEditOnlyThatPeer() throws Exception {
        Path f = config();
        ConfigFile c = ConfigFile.load(f);
        ConfigEditor.replacePeer(c, "laptop", c.peer("laptop").withEnabled(false));
        c = ConfigFile.load(f);
        assertThat(c.peer("laptop").enabled()).isFalse();
        assertThat(c.peer("laptop").persistentKeepalive()).isEqualTo(25);
        assertThat(c.peer("phone").enabled()).isFalse();
        ConfigEditor.replacePeer(c, "phone", null);
        c = ConfigFile.load(f);
        assertThat(c.peers()).extracting(PeerEntry::name).containsExactly("laptop");
        assertThat(Files.readString(f)).startsWith("# comment\n[server]").doesNotContain("\n\n\n");
        assertThat(c.server().endpoint()).isEqualTo("vpn.example.com:51821");
        ConfigFile last = c;
        assertThatThrownBy(() -> ConfigEditor.replacePeer(last, "nobody", null)).hasMessageContaining("no peer named 'nobody'");
    }

    @Test
    void concurrentAddsNeverShareAnAddress() throws Exception {
        Path f = config();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int n = i;
            futures.add(pool.submit(() -> ConfigEditor.locked(f, c -> {
                Ipv4Prefix ip = AddressPool.nextFree(c.subnet(), c.subnet().network() + 1,
                        c.peers().stream().flatMap(p -> p.allowedIps().stream()).toList());
                ConfigEditor.appendPeer(c, peer("p" + n, 100 + n, ip.toString()));
                return null;
            })));
        }
        for (Future<?> fu : futures) {
            fu.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        ConfigFile c = ConfigFile.load(f);
        assertThat(c.peers()).hasSize(42);
        Set<Ipv4Prefix> ips = new HashSet<>();
        c.peers().forEach(p -> ips.addAll(p.allowedIps()));
        assertThat(ips).hasSize(42);
    }

    @Test
    void quotesTomlStrings() {
        assertThat(ConfigEditor.quote("a\"b\\c\n")).isEqualTo("\"a\\\"b\\\\c\\n\"");
    }

    @Test
    void removingAPeerRemovesItsForwardsInTheSameWriteAndKeepsOthers() throws Exception {
        Path f = config();
        ConfigFile c = ConfigFile.load(f);
        Base64Key laptop = c.peer("laptop").publicKey();
        Base64Key phone = c.peer("phone").publicKey();
        ConfigEditor.appendForward(c, new PortForward("tcp", 8080, 80, laptop, 0));
        ConfigEditor.appendForward(ConfigFile.load(f), new PortForward("udp", 9000, 9001, phone, 0));
        ConfigEditor.appendForward(ConfigFile.load(f), new PortForward("udp", 9002, 53, laptop, 0));
        assertThat(ConfigFile.load(f).forwards()).hasSize(3);

        ConfigEditor.replacePeer(ConfigFile.load(f), "laptop", null);
        ConfigFile after = ConfigFile.load(f);
        assertThat(after.peer("laptop")).isNull();
        assertThat(after.forwards()).extracting(PortForward::publicPort).containsExactly(9000);
        assertThat(Files.readString(f)).startsWith("# comment\n[server]").doesNotContain("\n\n\n");

        ConfigEditor.removeForward(after, after.forward("udp", 9000));
        assertThat(ConfigFile.load(f).forwards()).isEmpty();
        assertThat(ConfigFile.load(f).peer("phone")).isNotNull();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    }
}
