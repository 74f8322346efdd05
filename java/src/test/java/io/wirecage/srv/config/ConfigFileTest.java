package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigFileTest {
    static final String K1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    static final String K2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
    static final Path FILE = Path.of("/etc/wirecagesrv/server.toml");

    static final String GOOD = """
            # comment
            [server]
            private_key_file = "server.key"
            listen_addr = "0.0.0.0:51821"
            subnet = "10.8.0.0/24"
            mtu = 1380
            dns = ["1.1.1.1", "9.9.9.9"]
            endpoint = "vpn.example.com:51821"

            [[peer]]
            name = "laptop"
            public_key = "%s"
            allowed_ips = ["10.8.0.2/32"]
            persistent_keepalive = 25

            [[peer]]
            name = "phone"
            public_key = "%s"
            allowed_ips = ["10.8.0.3/32"]
            enabled = false
            """.formatted(K1, K2);

    /** Writes {@link #GOOD} as dir/wirecagesrv.toml: the config file the editing tests start from. */
    static Path writeGood(Path dir) throws java.io.IOException {
        Path f = dir.resolve("wirecagesrv.toml");
        java.nio.file.Files.writeString(f, GOOD);
        return f;
    }

    private static ConfigFile parse(String text) {
        return ConfigFile.parse(FILE, text);
    }

    @Test
    void parsesEveryKey() {
        ConfigFile c = parse(GOOD);
        assertThat(c.privateKeyFile()).isEqualTo(Path.of("/etc/wirecagesrv/server.key"));
        assertThat(c.server().listenAddr()).isEqualTo("0.0.0.0:51821");
        assertThat(c.subnet().toString()).isEqualTo("10.8.0.0/24");
        assertThat(c.server().mtu()).isEqualTo(1380);
        assertThat(c.server().dns()).containsExactly("1.1.1.1", "9.9.9.9");
        assertThat(c.server().endpoint()).isEqualTo("vpn.example.com:51821");
        assertThat(c.peers()).hasSize(2);
        assertThat(c.peers().get(0).line()).isEqualTo(10);
        assertThat(c.peers().get(1).line()).isEqualTo(16);
        assertThat(c.peers().get(0).persistentKeepalive()).isEqualTo(25);
        assertThat(c.peers().get(1).enabled()).isFalse();
        assertThat(c.enabledPeers()).hasSize(1);
    }

    @Test
    void errorsNameFileLineAndKey() {
        assertThatThrownBy(() -> parse(GOOD.replace("mtu = 1380", "mtu = 1380\nlisten = 1")))
                .hasMessage("/etc/wirecagesrv/server.toml:7: [server] unknown key 'listen' (allowed: dns, endpoint, ipv6, listen_addr, mtu, outbound_interface, private_key_file, subnet, subnet6, tun_name)");
        assertThatThrownBy(() -> parse(GOOD.replace(K2, "bm90IGEga2V5")))
                .hasMessage("/etc/wirecagesrv/server.toml:18: [[peer]] public_key: is not a 32-byte key (decodes to 9 bytes)");
        assertThatThrownBy(() -> parse(GOOD.replace(K2, K1)))
                .hasMessage("/etc/wirecagesrv/server.toml:16: [[peer]] public_key: the same key as the peer at line 10");
        assertThatThrownBy(() -> parse(GOOD.replace("\"phone\"", "\"laptop\"")))
                .hasMessageContaining(":16: [[peer]] name: 'laptop' is also the name of the peer at line 10");
        assertThatThrownBy(() -> parse(GOOD.replace("10.8.0.3/32", "10.8.0.2/32")))
                .hasMessageContaining(":16: [[peer]] allowed_ips: 10.8.0.2/32 overlaps the peer at line 10 (laptop)");
        assertThatThrownBy(() -> parse(GOOD.replace("10.8.0.3/32", "10.9.0.3/32")))
                .hasMessageContaining(":16: [[peer]] allowed_ips: 10.9.0.3/32 is outside the subnet 10.8.0.0/24");
        assertThatThrownBy(() -> parse(GOOD.replace("10.8.0.3/32", "10.8.0.1/32")))
                .hasMessageContaining("includes the server's address 10.8.0.1");
        assertThatThrownBy(() -> parse(GOOD.replace("mtu = 1380", "mtu = \"big\"")))
                .hasMessageContaining(":6: [server] mtu must be an integer");
        assertThatThrownBy(() -> parse(GOOD.replace("enabled = false", "enabled = \"no\"")))
                .hasMessageContaining(":20: [[peer]] enabled must be true or false");
        assertThatThrownBy(() -> parse("[server]\nmtu = 1\n\n[[peer]\nname = \"x\"\n"))
                .hasMessageStartingWith("/etc/wirecagesrv/server.toml:4: TOML syntax");
        assertThatThrownBy(() -> parse("[server\n"))
                .hasMessageStartingWith("/etc/wirecagesrv/server.toml:1: TOML syntax");
        assertThatThrownBy(() -> parse("[[peer]]\npublic_key = \"" + K1 + "\"\n"))
                .hasMessageContaining("missing [server] table");
        assertThatThrownBy(() -> parse(GOOD.replace("allowed_ips = [\"10.8.0.3/32\"]\n", "")))
                .hasMessageContaining(":16: [[peer]] allowed_ips is missing");
        assertThatThrownBy(() -> parse("bogus = 1\n[server]\n")).hasMessageContaining(":1: unknown key 'bogus'");
    }

    @Test
    void validatesManyPeersQuickly() {
        StringBuilder sb = new StringBuilder("[server]\nprivate_key_file = \"k\"\nsubnet = \"10.0.0.0/16\"\n");
        for (int i = 0; i < 10_000; i++) {
            byte[] key = new byte[32];
            key[0] = (byte) i;
            key[1] = (byte) (i >> 8);
            sb.append("[[peer]]\npublic_key = \"").append(java.util.Base64.getEncoder().encodeToString(key))
                    .append("\"\nallowed_ips = [\"").append(Ipv4Prefix.format(Ipv4Prefix.parseAddress("10.0.0.2") + i)).append("/32\"]\n");
        }
        assertThat(parse(sb.toString()).peers()).hasSize(10_000);
    }

    @Test
    void addressPoolSkipsServerTakenAndBroadcast() {
        Ipv4Prefix net = Ipv4Prefix.parseNetwork("10.0.0.0/30");
        int server = net.network() + 1;
        Ipv4Prefix first = AddressPool.nextFree(net, server, java.util.List.of());
        assertThat(first.toString()).isEqualTo("10.0.0.2/32");
        assertThatThrownBy(() -> AddressPool.nextFree(net, server, java.util.List.of(first)))
                .hasMessageContaining("no free address");
        Ipv4Prefix big = Ipv4Prefix.parseNetwork("10.0.0.0/24");
        assertThat(AddressPool.nextFree(big, big.network() + 1, java.util.List.of(Ipv4Prefix.parseNetwork("10.0.0.0/29"))).toString())
                .isEqualTo("10.0.0.8/32");
    }

    @Test
    void theDocumentedExampleFileIsValid() throws Exception {
        ConfigFile c = ConfigFile.load(Path.of("../examples/wirecagesrv.toml"));
        assertThat(c.peers()).hasSize(2);
        assertThat(c.enabledPeers()).hasSize(1);
        assertThat(c.peer("phone").presharedKey()).isNotNull();
        assertThat(c.api().listen()).isEqualTo("0.0.0.0:8443");
        assertThat(c.api().authTokenFile()).isNull(); // the API stays off until a token is set
        assertThat(c.enabledForwards()).extracting(PortForward::publicPort).containsExactly(8080);
    }

    @Test
    void apiTableAndForwardsParseAndNameTheirLines() {
        String text = GOOD + """

                [api]
                listen = "127.0.0.1:8443"
                auth_token_file = "api.token"
                endpoint = "vpn.example.com:51821"
                new_peers_per_minute = 5

                [[forward]]
                protocol = "tcp"
                public_port = 8080
                target_port = 80
                public_key = "%s"
                """.formatted(K1);
        ConfigFile c = ConfigFile.parse(Path.of("w.toml"), text);
        assertThat(c.api().listen()).isEqualTo("127.0.0.1:8443");
        assertThat(c.api().newPeersPerMinute()).isEqualTo(5);
        assertThat(c.forwards()).hasSize(1);
        PortForward f = c.forwards().get(0);
        assertThat(f.publicPort()).isEqualTo(8080);
        assertThat(f.line()).isEqualTo(text.split("\n").length - 4);
        assertThat(c.forward("tcp", 8080)).isEqualTo(f);
        assertThat(c.enabledForwards()).containsExactly(f);

        // a forward to a disabled peer is kept in the file but not installed
        String toPhone = text + """

                [[forward]]
                protocol = "udp"
                public_port = 9000
                target_port = 9000
                public_key = "%s"
                """.formatted(K2);
        assertThat(ConfigFile.parse(Path.of("w.toml"), toPhone).enabledForwards()).containsExactly(f);

        String twice = text + "\n[[forward]]\nprotocol = \"tcp\"\npublic_port = 8080\ntarget_port = 81\npublic_key = \"" + K2 + "\"\n";
        int line = twice.split("\n").length - 4;
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), twice))
                .hasMessage("w.toml:" + line + ": [[forward]] public_port: tcp port 8080 is also forwarded at line " + f.line());
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), text.replace("\"tcp\"", "\"sctp\"")))
                .hasMessageContaining("[[forward]] protocol must be \"tcp\" or \"udp\"");
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), text.replace("public_port = 8080", "public_port = 70000")))
                .hasMessageContaining("[[forward]] public_port must be a port 1..65535");
        String stranger = Base64Key.of(new byte[32]).base64();
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), text.replace("target_port = 80\npublic_key = \"" + K1, "target_port = 80\npublic_key = \"" + stranger)))
                .hasMessageContaining("[[forward]] public_key: no [[peer]] has the key");
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), text.replace("auth_token_file = \"api.token\"",
                "auth_token_file = \"api.token\"\nauth_token = \"0123456789abcdefgh\"")))
                .hasMessageContaining("[api] set auth_token or auth_token_file, not both");
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), text.replace("listen = \"127.0.0.1:8443\"", "listen = \"8443\"")))
                .hasMessageContaining("[api] listen: '8443' must be ADDRESS:PORT");
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), text.replace("endpoint = \"vpn.example.com:51821\"\nnew",
                "tls_cert = \"c.pem\"\nnew")))
                .hasMessageContaining("[api] tls_cert and tls_key go together");
        assertThatThrownBy(() -> ConfigFile.parse(Path.of("w.toml"), text.replace("new_peers_per_minute = 5", "tokn = 1")))
                .hasMessageContaining("[api] unknown key 'tokn'");
    }
}
