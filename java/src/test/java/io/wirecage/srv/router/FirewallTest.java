package io.wirecage.srv.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wirecage.srv.config.Ipv4Prefix;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FirewallTest {
    /** An in-memory iptables: -A/-I/-D edit per-table rule lists, -S lists them like the real one. */
    static final class FakeIptables implements CommandRunner {
        final Map<String, List<String>> tables = new HashMap<>();
        final List<List<String>> calls = new ArrayList<>();
        boolean missing;

        @Override
        public Result run(List<String> argv) throws IOException {
            calls.add(argv);
            if (missing) {
                throw new IOException("No such file or directory");
            }
            if (argv.contains("--version")) {
                return new Result(0, "iptables v1.8.9 (nf_tables)");
            }
            String table = argv.get(argv.indexOf("-t") + 1);
            List<String> rules = tables.computeIfAbsent(table, t -> new ArrayList<>());
            int at = argv.indexOf("-t") + 2;
            String op = argv.get(at);
            switch (op) {
                case "-S" -> {
                    // real iptables -S quotes comments that contain ':'
                    return new Result(0, String.join("\n", rules).replaceAll("--comment (\\S+)", "--comment \"$1\"") + "\n");
                }
                case "-A" -> rules.add("-A " + String.join(" ", argv.subList(at + 1, argv.size())));
                case "-I" -> {
                    List<String> rest = new ArrayList<>(argv.subList(at + 1, argv.size()));
                    rest.remove(1); // the position
                    rules.add(0, "-A " + String.join(" ", rest));
                }
                case "-D" -> {
                    String rule = "-A " + String.join(" ", argv.subList(at + 1, argv.size()));
                    if (!rules.remove(rule)) {
                        return new Result(1, "iptables: Bad rule (does a matching rule exist in that chain?).");
                    }
                }
                default -> throw new IllegalStateException(op);
            }
            return new Result(0, "");
        }

        long count(String needle) {
            return tables.values().stream().flatMap(List::stream).filter(r -> r.contains(needle)).count();
        }
    }

    private final FakeIptables ipt = new FakeIptables();
    private final Firewall fw = new Firewall(ipt, "iptables", "wg-srv", Ipv4Prefix.parseNetwork("10.200.100.0/24"), "eth0");

    @Test
    void installAddsTaggedRulesOnce() throws IOException {
        fw.install();
        assertThat(ipt.count("--comment wirecagesrv:wg-srv")).isEqualTo(4);
        assertThat(ipt.tables.get("nat")).containsExactly(
                "-A POSTROUTING -s 10.200.100.0/24 -o eth0 -j MASQUERADE -m comment --comment wirecagesrv:wg-srv");
        // a second install (a restart after a crash) first removes the leftovers: still one copy each
        fw.install();
        assertThat(ipt.count("--comment wirecagesrv:wg-srv")).isEqualTo(4);
    }

    @Test
    void ip6tablesGetsTheSameRulesForTheIpv6SubnetWithTheSameTag() throws IOException {
        FakeIptables ip6 = new FakeIptables();
        Firewall fw6 = new Firewall(ip6, "ip6tables", "wg-srv", "fdc8:7a3e:51f0::/64", "eth0");
        fw6.install();
        fw6.install(); // a restart after a crash: still one copy of each
        assertThat(ip6.count("--comment wirecagesrv:wg-srv")).isEqualTo(4);
        assertThat(ip6.tables.get("nat")).containsExactly(
                "-A POSTROUTING -s fdc8:7a3e:51f0::/64 -o eth0 -j MASQUERADE -m comment --comment wirecagesrv:wg-srv");
        assertThat(ip6.count("TCPMSS --clamp-mss-to-pmtu")).isEqualTo(1);
        assertThat(ip6.calls).allSatisfy(argv -> assertThat(argv.get(0)).isEqualTo("ip6tables"));
        assertThat(fw6.removeAll()).isEqualTo(4);
        assertThat(ip6.count("wirecagesrv")).isZero();
    }

    @Test
    void removeAllTouchesOnlyThisInstanceAndIsIdempotent() throws IOException {
        ipt.tables.computeIfAbsent("nat", t -> new ArrayList<>()).add("-A POSTROUTING -o eth0 -j MASQUERADE");
        Firewall other = new Firewall(ipt, "iptables", "wg-srv2", Ipv4Prefix.parseNetwork("10.9.0.0/24"), "eth0");
        other.install();
        fw.install();
        assertThat(fw.removeAll()).isEqualTo(4);
        assertThat(fw.removeAll()).isZero();
        assertThat(ipt.count("wirecagesrv:wg-srv2")).isEqualTo(4); // the other instance keeps its rules
        assertThat(ipt.tables.get("nat")).contains("-A POSTROUTING -o eth0 -j MASQUERADE");
    }

    @Test
    void forwardRulesGoFirstSoADropPolicyOrRuleCannotShadowThem() throws IOException {
        ipt.tables.computeIfAbsent("filter", t -> new ArrayList<>()).add("-A FORWARD -j DROP");
        fw.install();
        List<String> forward = ipt.tables.get("filter");
        assertThat(forward.get(forward.size() - 1)).isEqualTo("-A FORWARD -j DROP");
    }

    @Test
    void portForwardsAreReconciledAndTaggedAndGoAwayWithRemoveAll() throws IOException {
        fw.install();
        int peer = Ipv4Prefix.parseAddress("10.200.100.5");
        Firewall.Forward tcp = new Firewall.Forward("tcp", 8080, peer, 80);
        Firewall.Forward udp = new Firewall.Forward("udp", 5000, peer, 5001);
        assertThat(fw.applyForwards(List.of(tcp, udp))).isEqualTo("+tcp/8080 -> 10.200.100.5:80, +udp/5000 -> 10.200.100.5:5001");
        assertThat(ipt.tables.get("nat")).contains("-A PREROUTING ! -i wg-srv -m addrtype --dst-type LOCAL -p tcp --dport 8080 "
                + "-j DNAT --to-destination 10.200.100.5:80 -m comment --comment wirecagesrv:wg-srv");
        // accepted into the tunnel only as DNATed connections, and before a DROP rule
        assertThat(ipt.tables.get("filter").get(0)).isEqualTo("-A FORWARD -o wg-srv -d 10.200.100.5/32 -p udp --dport 5001 "
                + "-m conntrack --ctstate DNAT -j ACCEPT -m comment --comment wirecagesrv:wg-srv");
        assertThat(ipt.count("DNAT --to-destination")).isEqualTo(2);
        // the same set again changes nothing; a changed target is replaced; a missing one removed
        assertThat(fw.applyForwards(List.of(tcp, udp))).isEmpty();
        Firewall.Forward moved = new Firewall.Forward("tcp", 8080, peer, 8081);
        assertThat(fw.applyForwards(List.of(moved))).isEqualTo("-tcp/8080 -> 10.200.100.5:80, -udp/5000 -> 10.200.100.5:5001, "
                + "+tcp/8080 -> 10.200.100.5:8081");
        assertThat(ipt.count("DNAT --to-destination")).isEqualTo(1);
        assertThat(ipt.count("--ctstate DNAT")).isEqualTo(1);
        assertThat(fw.removeAll()).isEqualTo(6);
        assertThat(ipt.count("wirecagesrv:wg-srv")).isZero();
        // after removeAll (a stop) the forward is gone from memory too: a new apply adds it again
        assertThat(fw.applyForwards(List.of(moved))).startsWith("+tcp/8080");
    }

    @Test
    void missingIptablesIsOneClearLine() {
        ipt.missing = true;
        assertThatThrownBy(fw::checkAvailable).hasMessageStartingWith("iptables not found");
    }

    @Test
    void defaultRouteAndCapabilityParsing() {
        List<String> route = List.of(
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
                "eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0",
                "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0");
        assertThat(DefaultRoute.fromRouteTable(route)).contains("eth0");
        assertThat(DefaultRoute.fromRouteTable(route.subList(0, 1))).isEmpty();
        assertThat(Privileges.hasCapability("Name:\tx\nCapEff:\t000001ffffffffff\n", 12)).isTrue();
        assertThat(Privileges.hasCapability("Name:\tx\nCapEff:\t0000000000000000\n", 12)).isFalse();
    }
}
