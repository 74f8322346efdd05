package io.wirecage.srv.ipc;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.device.Peer;
import io.wirecage.srv.nativebridge.Keys;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The UAPI's get and set over a real device and peer table (real boringtun identity, no sockets): the
 * get format wg parses, and set semantics as wireguard-go has them, all-or-nothing.
 */
class UapiTest {
    private static final HexFormat HEX = HexFormat.of();
    private final byte[] privateKey = Keys.generatePrivateKey();
    private final DeviceHost host = new DeviceHost(privateKey);
    private final Device device = host.device;
    private final Uapi uapi = new Uapi(host);

    private final Base64Key a = key(1);
    private final Base64Key b = key(2);

    private static Base64Key key(int i) {
        byte[] seed = new byte[32];
        seed[1] = (byte) i;
        seed[7] = 9;
        return Base64Key.of(Keys.publicKey(seed));
    }

    private static String hex(Base64Key k) {
        return HEX.formatHex(k.bytes());
    }

    private String set(String... lines) {
        List<String[]> pairs = new ArrayList<>();
        for (String l : lines) {
            int eq = l.indexOf('=');
            pairs.add(new String[] {l.substring(0, eq), l.substring(eq + 1)});
        }
        return uapi.set(pairs);
    }

    private List<String> allowed(Base64Key k) {
        Peer p = device.peers().byKey(k);
        return p == null ? null : p.settings().allowedIps().stream().map(Ipv4Prefix::toString).toList();
    }

    @Test
    void getWritesWhatWgParses() {
        device.updatePeers(List.of(new PeerSettings("alice", a, List.of(Ipv4Prefix.parseNetwork("10.0.0.2/32"),
                Ipv4Prefix.parseNetwork("10.0.1.0/24")), null, 25)));
        device.setEndpoint(a, new InetSocketAddress("2001:db8::1", 4000));
        String get = uapi.get();
        assertThat(get).startsWith("private_key=" + HEX.formatHex(privateKey) + "\nlisten_port=51820\nfwmark=0\n")
                .contains("public_key=" + hex(a) + "\npreshared_key=" + "0".repeat(64) + "\nprotocol_version=1\n")
                .contains("endpoint=[2001:db8::1]:4000\n") // brackets and the short form, as wg prints it
                .contains("last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n")
                .contains("persistent_keepalive_interval=25\nallowed_ip=10.0.0.2/32\nallowed_ip=10.0.1.0/24\n")
                .endsWith("errno=0\n\n");
    }

    @Test
    void setAddsUpdatesMovesAndRemovesLikeWireguardGo() {
        assertThat(set("public_key=" + hex(a), "allowed_ip=10.0.0.2/32", "endpoint=192.0.2.1:51000",
                "public_key=" + hex(b), "persistent_keepalive_interval=10", "allowed_ip=10.0.0.3/32")).isEqualTo("errno=0\n\n");
        assertThat(allowed(a)).containsExactly("10.0.0.2/32");
        assertThat(device.peers().byKey(a).endpoint()).isEqualTo(new InetSocketAddress("192.0.2.1", 51000));
        assertThat(device.peers().byKey(b).settings().persistentKeepalive()).isEqualTo(10);
        Peer aBefore = device.peers().byKey(a);

        // an allowed IP given to b leaves a; -CIDR removes one; host bits are masked as the kernel does
        assertThat(set("public_key=" + hex(b), "allowed_ip=10.0.0.2/32", "allowed_ip=-10.0.0.3/32", "allowed_ip=10.0.5.7/24"))
                .isEqualTo("errno=0\n\n");
        assertThat(allowed(a)).isEmpty();
        assertThat(allowed(b)).containsExactly("10.0.0.2/32", "10.0.5.0/24");
        assertThat(device.peers().byKey(a)).as("a peer whose tunnel settings did not change is the same object").isSameAs(aBefore);

        // update_only does not create; replace_allowed_ips replaces; remove removes
        assertThat(set("public_key=" + hex(key(3)), "update_only=true", "allowed_ip=10.0.9.0/24")).isEqualTo("errno=0\n\n");
        assertThat(device.peers().byKey(key(3))).isNull();
        assertThat(set("public_key=" + hex(a), "update_only=true", "replace_allowed_ips=true", "allowed_ip=10.0.7.0/24"))
                .isEqualTo("errno=0\n\n");
        assertThat(allowed(a)).containsExactly("10.0.7.0/24");
        assertThat(set("public_key=" + hex(b), "remove=true", "allowed_ip=10.0.7.0/24")).isEqualTo("errno=0\n\n");
        assertThat(device.peers().byKey(b)).isNull();
        assertThat(allowed(a)).as("lines after remove=true change nothing").containsExactly("10.0.7.0/24");

        // replace_peers with the same peer keeps it (and its session), drops the rest
        set("public_key=" + hex(b), "allowed_ip=10.0.0.9/32");
        Peer aNow = device.peers().byKey(a);
        assertThat(set("replace_peers=true", "public_key=" + hex(a), "allowed_ip=10.0.7.0/24")).isEqualTo("errno=0\n\n");
        assertThat(device.peers().all()).hasSize(1);
        assertThat(device.peers().byKey(a)).isSameAs(aNow);
    }

    @Test
    void anInvalidLineChangesNothing() {
        set("public_key=" + hex(a), "allowed_ip=10.0.0.2/32");
        List<String[]> before = snapshot();
        for (String[] req : List.of(
                new String[] {"public_key=" + hex(a), "remove=true", "public_key=" + hex(b), "allowed_ip=10.0.0.300/32"},
                new String[] {"public_key=" + hex(b), "allowed_ip=10.0.0.0/33"},
                new String[] {"public_key=" + hex(b), "allowed_ip=fd00:::1/128"},
                new String[] {"public_key=" + hex(b), "allowed_ip=fd00::1/129"},
                new String[] {"public_key=" + hex(b), "endpoint=vpn.example.com:1"},
                new String[] {"public_key=" + hex(b), "endpoint=1.2.3.4"},
                new String[] {"public_key=" + hex(b), "persistent_keepalive_interval=70000"},
                new String[] {"public_key=" + hex(b), "remove=yes"},
                new String[] {"public_key=" + hex(b), "protocol_version=2"},
                new String[] {"public_key=abcd"},
                new String[] {"listen_port=1"},
                new String[] {"fwmark=7"},
                new String[] {"private_key=" + hex(b)},
                new String[] {"bogus=1"},
                new String[] {"public_key=" + hex(b), "bogus=1"})) {
            assertThat(set(req)).as(String.join(" ", req)).matches("errno=-\\d+\n\n").isNotEqualTo("errno=0\n\n");
            assertThat(snapshot()).usingRecursiveComparison().isEqualTo(before);
        }
        // the right private key and port are accepted (wg setconf sends them)
        assertThat(set("private_key=" + HEX.formatHex(privateKey), "listen_port=51820", "fwmark=0")).isEqualTo("errno=0\n\n");
    }

    private List<String[]> snapshot() {
        List<String[]> out = new ArrayList<>();
        for (Peer p : device.peers().all()) {
            out.add(new String[] {p.settings().publicKey().base64(), String.valueOf(p.settings().allowedIps())});
        }
        return out;
    }

    @Test
    void requestsAreReadWithinTheLimits() throws Exception {
        ControlSocket.LineReader in = reader("get=1\n\nset=1\npublic_key=00\n\n");
        ControlSocket.Request r = ControlSocket.readRequest(in);
        assertThat(r.op()).isEqualTo("get");
        assertThat(r.pairs()).isEmpty();
        r = ControlSocket.readRequest(in);
        assertThat(r.op()).isEqualTo("set");
        assertThat(r.pairs()).hasSize(1);
        assertThat(ControlSocket.readRequest(in)).isNull();
        assertThatProtocolError("x".repeat(ControlSocket.MAX_LINE + 1) + "\n\n");
        assertThatProtocolError("get=1\n");
        assertThatProtocolError("no operation\n\n");
        assertThatProtocolError("set=1\nno equals sign\n\n");
    }

    private static ControlSocket.LineReader reader(String s) {
        return new ControlSocket.LineReader(Channels.newChannel(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8))));
    }

    private static void assertThatProtocolError(String s) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ControlSocket.readRequest(reader(s)))
                .isInstanceOf(ControlSocket.ProtocolException.class);
    }
}
