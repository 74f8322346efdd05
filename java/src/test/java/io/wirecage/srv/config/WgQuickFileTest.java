package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

public class WgQuickFileTest {
    public static final String WG0 = """
            [Interface]
            Address = 10.9.0.1/24, fd00::1/64
            ListenPort = 51000
            PrivateKey = YEocP0e2o1WT5GlvBvQzVF7h/CV4IfNtX5h9uOnIaUg=
            PostUp = iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
            DNS = 1.1.1.1

            # Name = laptop
            [Peer]
            PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
            AllowedIPs = 10.9.0.2/32
            AllowedIPs = fd00::2/128

            [peer]
            publickey = TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
            allowedips = 10.9.0.3/32 # the phone
            PersistentKeepalive = 25
            """;

    @Test
    void parsesSectionsCaseInsensitivelyWithRepeatedKeysAndNames() {
        List<WgQuickFile.Section> s = WgQuickFile.parse(Path.of("wg0.conf"), WG0);
        assertThat(s).extracting(WgQuickFile.Section::kind).containsExactly("Interface", "Peer", "Peer");
        assertThat(s.get(0).all("Address")).containsExactly("10.9.0.1/24", "fd00::1/64");
        assertThat(s.get(1).comment()).isEqualTo("laptop");
        assertThat(s.get(1).all("AllowedIPs")).containsExactly("10.9.0.2/32", "fd00::2/128");
        assertThat(s.get(2).first("AllowedIPs")).isEqualTo("10.9.0.3/32");
        assertThat(s.get(2).first("persistentkeepalive")).isEqualTo("25");
    }

    @Test
    void rejectsJunkWithALine() {
        assertThatThrownBy(() -> WgQuickFile.parse(Path.of("wg0.conf"), "[Interface]\nnonsense\n"))
                .hasMessage("wg0.conf:2: expected KEY = VALUE");
        assertThatThrownBy(() -> WgQuickFile.parse(Path.of("wg0.conf"), "[Tunnel]\n"))
                .hasMessageContaining("wg0.conf:1: unknown section [Tunnel]");
    }

    @Test
    void clientConfigHasWhatWgQuickNeeds() {
        String c = WgQuickFile.clientConfig("PRIV", Ipv4Prefix.parseNetwork("10.9.0.2/32"), List.of("1.1.1.1"), 1420,
                "PUB", null, "vpn.example.com:51820", "0.0.0.0/0", 25);
        assertThat(c).isEqualTo("""
                [Interface]
                PrivateKey = PRIV
                Address = 10.9.0.2/32
                DNS = 1.1.1.1

                [Peer]
                PublicKey = PUB
                Endpoint = vpn.example.com:51820
                AllowedIPs = 0.0.0.0/0
                PersistentKeepalive = 25
                """);
    }
}
