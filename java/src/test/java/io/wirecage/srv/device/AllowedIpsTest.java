package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.Ipv4Prefix;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AllowedIpsTest {
    private static int ip(String s) {
        return Ipv4Prefix.parseAddress(s);
    }

    @Test
    void longestPrefixWins() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(Ipv4Prefix.parseNetwork("10.0.0.0/8"), "wide");
        t.insert(Ipv4Prefix.parseNetwork("10.200.100.0/24"), "subnet");
        t.insert(Ipv4Prefix.parseNetwork("10.200.100.2/32"), "host");
        assertThat(t.lookup(ip("10.200.100.2"))).isEqualTo("host");
        assertThat(t.lookup(ip("10.200.100.3"))).isEqualTo("subnet");
        assertThat(t.lookup(ip("10.1.2.3"))).isEqualTo("wide");
        assertThat(t.lookup(ip("11.0.0.1"))).isNull();
    }

    @Test
    void defaultRouteMatchesEverything() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(Ipv4Prefix.parseNetwork("0.0.0.0/0"), "default");
        t.insert(Ipv4Prefix.parseNetwork("192.168.0.0/16"), "lan");
        assertThat(t.lookup(ip("8.8.8.8"))).isEqualTo("default");
        assertThat(t.lookup(ip("192.168.1.1"))).isEqualTo("lan");
        assertThat(t.lookup(ip("255.255.255.255"))).isEqualTo("default");
    }

    @Test
    void highBitAddressesAreNotConfusedWithSignedInts() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(Ipv4Prefix.parseNetwork("128.0.0.0/1"), "upper");
        t.insert(Ipv4Prefix.parseNetwork("0.0.0.0/1"), "lower");
        assertThat(t.lookup(ip("200.1.1.1"))).isEqualTo("upper");
        assertThat(t.lookup(ip("127.255.255.255"))).isEqualTo("lower");
    }

    @Test
    void replacingAPrefixChangesItsOwner() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(Ipv4Prefix.parseNetwork("10.0.0.1/32"), "a");
        t.insert(Ipv4Prefix.parseNetwork("10.0.0.1/32"), "b");
        assertThat(t.lookup(ip("10.0.0.1"))).isEqualTo("b");
    }

    @Test
    void agreesWithALinearScanOnRandomTables() {
        Random rnd = new Random(42);
        for (int round = 0; round < 20; round++) {
            AllowedIps<Integer> t = new AllowedIps<>();
            Ipv4Prefix[] prefixes = new Ipv4Prefix[200];
            for (int i = 0; i < prefixes.length; i++) {
                int len = rnd.nextInt(33);
                int addr = rnd.nextInt() & (len == 0 ? 0 : -1 << (32 - len));
                prefixes[i] = new Ipv4Prefix(addr, len);
                t.insert(prefixes[i], i);
            }
            for (int q = 0; q < 2000; q++) {
                int probe = rnd.nextBoolean() ? rnd.nextInt() : prefixes[rnd.nextInt(prefixes.length)].address() ^ rnd.nextInt(256);
                Integer expected = null;
                int bestLen = -1;
                for (int i = 0; i < prefixes.length; i++) {
                    // later inserts of the same prefix replace earlier ones, hence >=
                    if (prefixes[i].contains(probe) && prefixes[i].length() >= bestLen) {
                        bestLen = prefixes[i].length();
                        expected = i;
                    }
                }
                assertThat(t.lookup(probe)).as("lookup of %s", Ipv4Prefix.format(probe)).isEqualTo(expected);
            }
        }
    }
}
