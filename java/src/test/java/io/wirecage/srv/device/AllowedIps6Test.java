package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.Ipv6Prefix;
import org.junit.jupiter.api.Test;

class AllowedIps6Test {
    private static long[] ip(String s) {
        Ipv6Prefix p = Ipv6Prefix.parseHost(s);
        return new long[] {p.hi(), p.lo()};
    }

    private static String lookup(AllowedIps6<String> t, String s) {
        long[] a = ip(s);
        return t.lookup(a[0], a[1]);
    }

    @Test
    void longestPrefixWinsInBothHalvesOfTheAddress() {
        AllowedIps6<String> t = new AllowedIps6<>();
        assertThat(lookup(t, "fdc8::2")).isNull();
        t.insert(Ipv6Prefix.parseNetwork("fdc8::/16"), "wide");
        t.insert(Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::/64"), "subnet");
        t.insert(Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::2/128"), "peer2");
        t.insert(Ipv6Prefix.parseNetwork("fdc8:7a3e:51f0::100/120"), "range");
        assertThat(lookup(t, "fdc8:7a3e:51f0::2")).isEqualTo("peer2");
        assertThat(lookup(t, "fdc8:7a3e:51f0::3")).isEqualTo("subnet");
        assertThat(lookup(t, "fdc8:7a3e:51f0::1ab")).isEqualTo("range");
        assertThat(lookup(t, "fdc8:1::1")).isEqualTo("wide");
        assertThat(lookup(t, "fdc9::1")).isNull();
        assertThat(lookup(t, "::")).isNull();
        t.insert(Ipv6Prefix.parseNetwork("::/0"), "default");
        assertThat(lookup(t, "2001:db8::1")).isEqualTo("default");
        assertThat(lookup(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).isEqualTo("default");
    }
}
