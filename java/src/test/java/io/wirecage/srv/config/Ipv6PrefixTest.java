package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Ipv6PrefixTest {
    @Test
    void parsesAndFormatsInShortForm() {
        Ipv6Prefix p = Ipv6Prefix.parseNetwork("FDC8:7A3E:51F0:0:0:0:0:0/64");
        assertThat(p.toString()).isEqualTo("fdc8:7a3e:51f0::/64");
        assertThat(p.hi()).isEqualTo(0xfdc87a3e51f00000L);
        assertThat(p.lo()).isZero();
        assertThat(Ipv6Prefix.parseHost("2001:db8::1").toString()).isEqualTo("2001:db8::1/128");
        assertThat(Ipv6Prefix.parseNetwork("::/0").toString()).isEqualTo("::/0");
        assertThat(Ipv6Prefix.parseHost("fdc8:7a3e:51f0::2/64").address()).isEqualTo("fdc8:7a3e:51f0::2");
    }

    @Test
    void containsAcrossTheHalves() {
        Ipv6Prefix net = Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::/64");
        Ipv6Prefix inside = Ipv6Prefix.parseHost("fdc8:7a3e:51f0::ffff:1");
        Ipv6Prefix outside = Ipv6Prefix.parseHost("fdc8:7a3e:51f1::1");
        assertThat(net.contains(inside)).isTrue();
        assertThat(net.contains(outside)).isFalse();
        Ipv6Prefix small = Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::100/120");
        assertThat(small.contains(Ipv6Prefix.parseHost("fdc8:7a3e:51f0::1ff"))).isTrue();
        assertThat(small.contains(Ipv6Prefix.parseHost("fdc8:7a3e:51f0::200"))).isFalse();
        Ipv6Prefix wide = Ipv6Prefix.parseNetwork("fdc8::/16");
        assertThat(wide.contains(net)).isTrue();
        assertThat(net.contains(wide)).isFalse();
        assertThat(wide.overlaps(net)).isTrue();
        assertThat(net.overlaps(Ipv6Prefix.parseNetwork("fdc8:7a3e:51f1::/64"))).isFalse();
    }

    @Test
    void rejectsMalformedInputWithoutLookingNamesUp() {
        assertThatThrownBy(() -> Ipv6Prefix.parseNetwork("fdc8::1/64")).hasMessageContaining("host bits")
                .hasMessageContaining("fdc8::/64");
        assertThatThrownBy(() -> Ipv6Prefix.parseNetwork("fdc8::/129")).hasMessageContaining("0..128");
        assertThatThrownBy(() -> Ipv6Prefix.parseNetwork("fdc8::/x")).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> Ipv6Prefix.parseHost("fdc8:::1")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> Ipv6Prefix.parseHost("1:2:3:4:5:6:7:8:9")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> Ipv6Prefix.parseHost("example.com")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> Ipv6Prefix.parseHost("fe80::1%eth0")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> Ipv6Prefix.parseHost("::ffff:10.0.0.1")).hasMessageContaining("IPv4-mapped");
    }

    @Test
    void findsOverlapsBetweenOwners() {
        List<Map.Entry<Ipv6Prefix, String>> owned = new ArrayList<>();
        owned.add(Map.entry(Ipv6Prefix.parseNetwork("fdc8::2/128"), "a"));
        owned.add(Map.entry(Ipv6Prefix.parseNetwork("fdc8::3/128"), "b"));
        owned.add(Map.entry(Ipv6Prefix.parseNetwork("fdc8::100/120"), "c"));
        assertThat(Ipv6Prefix.firstOverlap(owned)).isNull();
        owned.add(Map.entry(Ipv6Prefix.parseNetwork("fdc8::1ff/128"), "d"));
        assertThat(Ipv6Prefix.firstOverlap(owned)).isEqualTo(Map.entry("c", "d"));
    }

    @Test
    void subnet6MustLeaveRoomAndFitHostNumbers() {
        assertThat(ServerSettings.parseSubnet6(ServerSettings.DEFAULT_SUBNET6).length()).isEqualTo(64);
        assertThatThrownBy(() -> ServerSettings.parseSubnet6("fdc8::/48")).hasMessageContaining("/64 to /120");
        assertThatThrownBy(() -> ServerSettings.parseSubnet6("fdc8::/124")).hasMessageContaining("/64 to /120");
        Ipv6Prefix net = ServerSettings.parseSubnet6("fdc8:7a3e:51f0::/64");
        assertThat(ServerSettings.serverAddress6(net).address()).isEqualTo("fdc8:7a3e:51f0::1");
        assertThat(ServerSettings.ipv6Problem(net, Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::1/128"))).contains("server's own");
        assertThat(ServerSettings.ipv6Problem(net, Ipv6Prefix.parseNetwork("fdc9::2/128"))).contains("outside");
        assertThat(ServerSettings.ipv6Problem(null, Ipv6Prefix.parseNetwork("fdc9::2/128"))).contains("IPv6 inside the tunnel is off");
        assertThat(ServerSettings.ipv6Problem(net, Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::2/128"))).isNull();
    }

    @Test
    void addressPoolHandsOutTheNextFreeIpv6Address() {
        Ipv6Prefix net = Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::/64");
        assertThat(AddressPool.nextFree6(net, List.of()).toString()).isEqualTo("fdc8:7a3e:51f0::2/128");
        List<Ipv6Prefix> taken = List.of(Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::2/128"),
                Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::4/127"), Ipv6Prefix.parseNetwork("fdc9::3/128"));
        assertThat(AddressPool.nextFree6(net, taken).toString()).isEqualTo("fdc8:7a3e:51f0::3/128");
        List<Ipv6Prefix> more = new ArrayList<>(taken);
        more.add(Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::3/128"));
        assertThat(AddressPool.nextFree6(net, more).toString()).isEqualTo("fdc8:7a3e:51f0::6/128");
        Ipv6Prefix tiny = Ipv6Prefix.parseNetwork("fdc8::100/126"); // ::100 (anycast), ::101 (server), ::102, ::103
        assertThat(AddressPool.nextFree6(tiny, List.of(Ipv6Prefix.parseNetwork("fdc8::102/128"))).toString())
                .isEqualTo("fdc8::103/128");
        assertThatThrownBy(() -> AddressPool.nextFree6(tiny, List.of(Ipv6Prefix.parseNetwork("fdc8::102/127"))))
                .hasMessageContaining("no free address");
    }

    @Test
    void configFileReadsSubnet6AndIpv6AllowedIps() {
        String text = """
                [server]
                private_key_file = "k"
                ipv6 = true

                [[peer]]
                public_key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
                allowed_ips = ["10.200.100.2/32", "fdc8:7a3e:51f0::2/128"]
                """;
        ConfigFile cfg = ConfigFile.parse(java.nio.file.Path.of("t.toml"), text);
        assertThat(cfg.subnet6()).hasToString(ServerSettings.DEFAULT_SUBNET6);
        assertThat(cfg.peers().get(0).allowedIps6()).hasToString("[fdc8:7a3e:51f0::2/128]");
        assertThat(ConfigEditor.render(cfg.peers().get(0))).contains("allowed_ips = [\"10.200.100.2/32\", \"fdc8:7a3e:51f0::2/128\"]");
        assertThatThrownBy(() -> ConfigFile.parse(java.nio.file.Path.of("t.toml"), text.replace("ipv6 = true", "")))
                .hasMessageContaining("IPv6 inside the tunnel is off");
        assertThatThrownBy(() -> ConfigFile.parse(java.nio.file.Path.of("t.toml"),
                text.replace("ipv6 = true", "subnet6 = \"fdc8:7a3e:51f1::/64\"")))
                .hasMessageContaining("outside the IPv6 subnet");
    }
}
