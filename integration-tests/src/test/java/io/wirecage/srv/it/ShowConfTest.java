package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * `showconf` prints the running server as a wg config: every enabled peer with its allowed IPs,
 * preshared key, keepalive and the endpoint it was last seen at, no disabled peer. The real tools
 * accept it: {@code wg-quick strip} (after turning the commented Address into a real one) and then
 * {@code wg setconf} on a wireguard-go interface in a namespace of its own, whose {@code wg show dump}
 * must then say the same as the server.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class ShowConfTest {

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair keyA;
    static WgKeys.KeyPair keyB;
    static String psk;
    static String keyD;
    static String keyE;
    static TomlConfig config;
    static ServerProcess server;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("ShowConf", 2);
        target = HttpTarget.start(topo);
        serverKey = WgKeys.generate();
        keyA = WgKeys.generate();
        keyB = WgKeys.generate();
        psk = Cmd.of("wg", "genpsk").check().stdout().strip();
        keyD = TomlConfig.randomKey();
        keyE = TomlConfig.randomKey();
        config = TomlConfig.create(topo, serverKey, "wirecagesrv.toml")
                .peer(TomlConfig.Peer.of("A", keyA.publicKey(), topo.client(1).tunnelAddr() + "/32")
                        .withPresharedKey(psk).withKeepalive(25))
                .peer(TomlConfig.Peer.of("B", keyB.publicKey(), topo.client(2).tunnelAddr() + "/32", "10.200.100.64/28"))
                .peer(TomlConfig.Peer.of("D", keyD, "10.200.100.10/32").disabled())
                .peer(TomlConfig.Peer.of("E", keyE, "10.200.100.20/31", "10.200.100.40/32"));
        config.write();
        server = config.start("server");
        server.awaitReady();
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    /** One [Interface] or [Peer] section of a wg config: keys lower-cased, values as written. */
    record Section(String kind, Map<String, String> values) {
        String get(String key) {
            return values.get(key.toLowerCase(Locale.ROOT));
        }

        Set<String> allowedIps() {
            return new TreeSet<>(Arrays.stream(get("AllowedIPs").split(",")).map(String::strip).toList());
        }
    }

    /** Parses a wg config the way wg reads it: comments dropped, KEY = VALUE inside sections. */
    static List<Section> parse(String text) {
        List<Section> sections = new ArrayList<>();
        Section cur = null;
        for (String raw : text.split("\n")) {
            String line = raw.contains("#") ? raw.substring(0, raw.indexOf('#')).strip() : raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("[")) {
                cur = new Section(line, new LinkedHashMap<>());
                sections.add(cur);
                continue;
            }
            int eq = line.indexOf('=');
            assertThat(eq).as("KEY = VALUE line: %s", raw).isPositive();
            assertThat(cur).as("line outside any section: %s", raw).isNotNull();
            String key = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            assertThat(cur.values()).as("key %s twice in one section", key).doesNotContainKey(key);
            cur.values().put(key, line.substring(eq + 1).strip());
        }
        return sections;
    }

    static Map<String, Section> peersByKey(List<Section> sections) {
        Map<String, Section> m = new LinkedHashMap<>();
        for (Section s : sections.subList(1, sections.size())) {
            assertThat(s.kind()).isEqualTo("[Peer]");
            m.put(s.get("PublicKey"), s);
        }
        return m;
    }

    /**
     * wg-quick strip, then wg setconf on a wireguard-go interface (never brought up, in a namespace
     * without routes: it sends nothing), then that interface's dump: peer key to its dump fields
     * (psk, endpoint, allowed ips, handshake, rx, tx, keepalive); the interface line under "".
     */
    static Map<String, String[]> loadIntoWg(String showconf, Netns scratch, String ifname) {
        String withAddress = showconf.replaceFirst("(?m)^# Address = ", "Address = ");
        assertThat(withAddress).as("showconf's commented Address line").isNotEqualTo(showconf);
        Path conf = topo.writeSecret(ifname + ".conf", withAddress);
        Cmd.Result strip = Cmd.of("wg-quick", "strip", conf.toString()).check();
        assertThat(strip.stdout()).as("wg-quick strip output").doesNotContainPattern("(?m)^Address")
                .contains("PrivateKey = " + serverKey.privateKey());
        Path stripped = topo.writeSecret(ifname + ".stripped", strip.stdout());
        Cmd.Result set = scratch.tryExec("wg", "setconf", ifname, stripped.toString());
        assertThat(set.ok()).as("wg setconf accepts the stripped showconf output:\n%s\n--- file ---\n%s",
                set.describe(), strip.stdout()).isTrue();
        List<String> dump = scratch.exec("wg", "show", ifname, "dump").stdoutLines();
        Map<String, String[]> out = new LinkedHashMap<>();
        out.put("", dump.get(0).split("\t"));
        for (String l : dump.subList(1, dump.size())) {
            String[] f = l.split("\t");
            out.put(f[0], Arrays.copyOfRange(f, 1, f.length));
        }
        return out;
    }

    @Test
    void showconfListsEveryEnabledPeerAndTheWgToolsAcceptIt() {
        // A (with preshared key) and B connect, so the server knows their endpoints.
        String confA = "[Interface]\nPrivateKey = " + keyA.privateKey() + "\nAddress = " + topo.client(1).tunnelAddr() + "/32\n"
                + "\n[Peer]\nPublicKey = " + serverKey.publicKey() + "\nPresharedKey = " + psk + "\nEndpoint = "
                + topo.client(1).endpoint() + "\nAllowedIPs = 0.0.0.0/0\n";
        WgQuickClient clientA = WgQuickClient.fromConfig(topo, topo.client(1), confA);
        WgQuickClient clientB = WgQuickClient.fullTunnel(topo, topo.client(2), keyB, serverKey.publicKey());
        for (WgQuickClient c : List.of(clientA, clientB)) {
            c.up();
            Cmd.Result get = c.get(target.url());
            assertThat(get.ok()).as("%s GET:\n%s", c, get.describe()).isTrue();
        }
        ServerStatus st = server.status();
        String endpointA = st.peerField(keyA.publicKey(), "endpoint");
        String endpointB = st.peerField(keyB.publicKey(), "endpoint");
        assertThat(endpointA).startsWith(topo.client(1).clientSideAddr() + ":");
        assertThat(endpointB).startsWith(topo.client(2).clientSideAddr() + ":");

        String text = config.showconf();
        System.out.println("[it] showconf:\n" + text.replace(serverKey.privateKey(), "(server private key)"));
        List<Section> sections = parse(text);
        assertThat(sections).as("sections").isNotEmpty();
        Section iface = sections.get(0);
        assertThat(iface.kind()).isEqualTo("[Interface]");
        assertThat(iface.get("PrivateKey")).isEqualTo(serverKey.privateKey());
        assertThat(iface.get("ListenPort")).isEqualTo("" + Topology.LISTEN_PORT);
        assertThat(text).contains("# Address = 10.200.100.1/24");
        Map<String, Section> peers = peersByKey(sections);
        assertThat(peers.keySet()).as("peers in showconf: every enabled one, not the disabled D")
                .containsExactlyInAnyOrder(keyA.publicKey(), keyB.publicKey(), keyE);
        Section a = peers.get(keyA.publicKey());
        assertThat(a.allowedIps()).containsExactly(topo.client(1).tunnelAddr() + "/32");
        assertThat(a.get("PresharedKey")).isEqualTo(psk);
        assertThat(a.get("PersistentKeepalive")).isEqualTo("25");
        assertThat(a.get("Endpoint")).isEqualTo(endpointA);
        Section b = peers.get(keyB.publicKey());
        assertThat(b.allowedIps()).containsExactlyInAnyOrder(topo.client(2).tunnelAddr() + "/32", "10.200.100.64/28");
        assertThat(b.get("PresharedKey")).isNull();
        assertThat(b.get("PersistentKeepalive")).isNull();
        assertThat(b.get("Endpoint")).isEqualTo(endpointB);
        Section e = peers.get(keyE);
        assertThat(e.allowedIps()).containsExactlyInAnyOrder("10.200.100.20/31", "10.200.100.40/32");
        assertThat(e.get("Endpoint")).as("E never connected").isNull();

        // The real wg parser, on an interface of its own.
        Netns scratch = topo.track(Netns.create(Netns.PREFIX + ProcessHandle.current().pid() + "-"
                + topo.prefix().substring(5) + "-scr"));
        String ifname = topo.name("sc");
        scratch.cmd("wireguard-go", ifname).timeout(Duration.ofSeconds(15)).check();
        Map<String, String[]> wg = loadIntoWg(text, scratch, ifname);
        System.out.println("[it] wg show " + ifname + " dump after setconf: " + wg.size() + " lines");
        assertThat(wg.get("")[1]).as("public key wg derives from showconf's PrivateKey").isEqualTo(serverKey.publicKey());
        assertThat(wg.get("")[2]).as("listen port").isEqualTo("" + Topology.LISTEN_PORT);
        assertThat(wg.keySet()).containsExactlyInAnyOrder("", keyA.publicKey(), keyB.publicKey(), keyE);
        String[] wa = wg.get(keyA.publicKey());
        assertThat(wa[0]).as("A's psk in wg").isEqualTo(psk);
        assertThat(wa[1]).as("A's endpoint in wg").isEqualTo(endpointA);
        assertThat(wa[2]).as("A's allowed ips in wg").isEqualTo(topo.client(1).tunnelAddr() + "/32");
        assertThat(wa[6]).as("A's keepalive in wg").isEqualTo("25");
        String[] wb = wg.get(keyB.publicKey());
        assertThat(wb[0]).isEqualTo("(none)");
        assertThat(new TreeSet<>(List.of(wb[2].split(","))))
                .containsExactlyInAnyOrder(topo.client(2).tunnelAddr() + "/32", "10.200.100.64/28");
        assertThat(wb[6]).isEqualTo("off");
        String[] we = wg.get(keyE);
        assertThat(we[1]).isEqualTo("(none)");
        assertThat(new TreeSet<>(List.of(we[2].split(",")))).containsExactlyInAnyOrder("10.200.100.20/31", "10.200.100.40/32");

        // Live changes show: B disabled, a peer with its own key added (no printed config), D enabled.
        String keyF = TomlConfig.randomKey();
        config.peerCommand("disable", "B").check();
        config.peerCommand("add", "F", "--public-key", keyF, "--ip", "10.200.100.30").check();
        config.peerCommand("enable", "D").check();
        String text2 = config.showconf();
        Map<String, Section> peers2 = peersByKey(parse(text2));
        assertThat(peers2.keySet()).as("peers in showconf after the changes")
                .containsExactlyInAnyOrder(keyA.publicKey(), keyE, keyF, keyD);
        assertThat(peers2.get(keyF).allowedIps()).containsExactly("10.200.100.30/32");
        assertThat(peers2.get(keyD).allowedIps()).containsExactly("10.200.100.10/32");
        assertThat(peers2.get(keyA.publicKey()).get("Endpoint")).as("A's endpoint survives the reloads").isEqualTo(endpointA);
        Map<String, String[]> wg2 = loadIntoWg(text2, scratch, ifname);
        assertThat(wg2.keySet()).containsExactlyInAnyOrder("", keyA.publicKey(), keyE, keyF, keyD);
        assertThat(wg2.get(keyF)[2]).isEqualTo("10.200.100.30/32");

        clientA.down();
        clientB.down();
    }
}
