package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR6;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a server with IPv6 inside the tunnel leaves behind: after SIGTERM no ip6tables rule and IPv6
 * forwarding as it was; after SIGKILL its rules, which the next start (with IPv6 on or off) removes
 * before adding its own exactly once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class Ipv6LifecycleTest {
    static final String FORWARDING6 = "net.ipv6.conf.all.forwarding";

    static Topology topo;
    static HttpTarget target6;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair clientKey;
    static String tag;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3", "ip6tables", "ip6tables-save");
        topo = Topology.create("Ipv6Lifecycle", 1);
        target6 = topo.track(HttpTarget.start(topo.internet(), INTERNET_ADDR6, 80, topo.workDir().resolve("v6")));
        serverKey = WgKeys.generate();
        clientKey = WgKeys.generate();
        tag = ServerProcess.ruleTag(topo.tunName());
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    @BeforeEach
    void cleanSlate() {
        // start from forwarding off, so that turning it on and restoring it are both visible
        topo.server().sysctl(FORWARDING6, "0");
        topo.server().sysctl("net.ipv4.ip_forward", "0");
        assertThat(Firewall.taggedRules(topo.server(), tag)).as("rules before the test").isEmpty();
    }

    @AfterEach
    void removeLeftovers() {
        for (String rule : Firewall.taggedRules(topo.server(), tag)) {
            String[] parts = rule.split(" ", 3); // "<tool> <table>: -A ..."
            String table = parts[1].replace(":", "");
            String spec = parts[2].replaceFirst("^-A ", "-D ");
            String tool = parts[0].replace("-save", "");
            topo.server().cmd(List.of("sh", "-c", tool + " -t " + table + " " + spec)).run();
        }
    }

    private ServerProcess start(String logName, boolean ipv6) {
        List<String> args = new ArrayList<>(ServerProcess.config(topo, serverKey)
                .peer(clientKey.publicKey(), topo.client(1).tunnelAddr() + "/32" + (ipv6 ? ",fdc8:7a3e:51f0::2/128" : ""))
                .args());
        args.set(args.indexOf("0.0.0.0:" + Topology.LISTEN_PORT), "[::]:" + Topology.LISTEN_PORT);
        if (ipv6) {
            args.addAll(List.of("--subnet6", "fdc8:7a3e:51f0::/64"));
        }
        ServerProcess s = topo.track(ServerProcess.start(topo.server(), args, topo.tunName(), topo.workDir().resolve(logName + ".log")));
        s.awaitReady();
        return s;
    }

    private static List<String> ip6Rules() {
        return Firewall.taggedRules(topo.server(), tag).stream().filter(r -> r.startsWith("ip6tables")).toList();
    }

    private void clientGetsIpv6Host(String when) {
        try (WgQuickClient client = new WgQuickClient(topo, topo.client(1), clientKey,
                topo.client(1).tunnelAddr() + "/32, fdc8:7a3e:51f0::2/128", serverKey.publicKey(), topo.client(1).endpoint6(),
                "0.0.0.0/0, ::/0")) {
            client.up();
            Cmd.Result get = client.get(target6.url());
            assertThat(get.ok()).as("GET of the IPv6 host through the tunnel %s:\n%s", when, get.describe()).isTrue();
            assertThat(get.stdout()).isEqualTo(target6.content());
        }
    }

    @Test
    void sigtermLeavesNoIp6tablesRuleAndRestoresIpv6Forwarding() {
        try (ServerProcess server = start("server-sigterm", true)) {
            List<String> rules = ip6Rules();
            System.out.println("[it] ip6tables rules while running:\n  " + String.join("\n  ", rules));
            assertThat(rules).as("NAT66, FORWARD accepts and the MSS clamp").hasSize(4)
                    .anySatisfy(r -> assertThat(r).contains("MASQUERADE").contains("fdc8:7a3e:51f0::/64"))
                    .anySatisfy(r -> assertThat(r).contains("TCPMSS"));
            assertThat(topo.server().sysctl(FORWARDING6)).as("IPv6 forwarding while running").isEqualTo("1");
            assertThat(topo.server().exec("ip", "-6", "addr", "show", "dev", topo.tunName()).stdout())
                    .as("the server's IPv6 address on the TUN").contains("fdc8:7a3e:51f0::1/64");
            clientGetsIpv6Host("while running");
            assertThat(server.terminate()).as("exit code after SIGTERM; log:\n%s", server.log()).isZero();
        }
        assertThat(Firewall.taggedRules(topo.server(), tag)).as("tagged rules after SIGTERM").isEmpty();
        assertThat(Firewall.taggedNftLines(topo.server(), tag)).as("tagged nft lines after SIGTERM").isEmpty();
        assertThat(topo.server().sysctl(FORWARDING6)).as("IPv6 forwarding after SIGTERM (was 0)").isEqualTo("0");
    }

    @Test
    void afterSigkillTheNextStartLeavesNoDuplicate() {
        List<String> firstRules;
        try (ServerProcess first = start("server-before-sigkill", true)) {
            firstRules = ip6Rules();
            assertThat(firstRules).as("ip6tables rules while running").hasSize(4);
            first.kill();
        }
        assertThat(ip6Rules()).as("a killed server cannot clean up: its rules must still be there, or this test proves nothing")
                .containsExactlyInAnyOrderElementsOf(firstRules);
        assertThat(topo.server().sysctl(FORWARDING6)).as("IPv6 forwarding after SIGKILL").isEqualTo("1");

        try (ServerProcess second = start("server-after-sigkill", true)) {
            List<String> rules = ip6Rules();
            Map<String, Integer> copies = new HashMap<>();
            rules.forEach(r -> copies.merge(r, 1, Integer::sum));
            System.out.println("[it] ip6tables rules after restart:\n  " + String.join("\n  ", rules));
            assertThat(copies).as("copies of each tagged rule after the restart")
                    .allSatisfy((r, n) -> assertThat(n).as(r).isEqualTo(1));
            assertThat(rules).containsExactlyInAnyOrderElementsOf(firstRules);
            clientGetsIpv6Host("after the restart");
            assertThat(second.terminate()).isZero();
        }
        assertThat(Firewall.taggedRules(topo.server(), tag)).as("tagged rules after the final SIGTERM").isEmpty();
        assertThat(topo.server().sysctl(FORWARDING6)).as("IPv6 forwarding after the final SIGTERM (0 before the killed run)")
                .isEqualTo("0");
    }

    @Test
    void aStartWithIpv6OffRemovesWhatAKilledIpv6RunLeft() {
        try (ServerProcess first = start("server-ipv6-killed", true)) {
            assertThat(ip6Rules()).hasSize(4);
            first.kill();
        }
        assertThat(ip6Rules()).as("leftovers of the killed run").hasSize(4);
        try (ServerProcess second = start("server-ipv6-off", false)) {
            assertThat(ip6Rules()).as("ip6tables rules of a server with IPv6 inside off").isEmpty();
            assertThat(topo.server().sysctl(FORWARDING6)).as("IPv6 forwarding restored at the start").isEqualTo("0");
            assertThat(Firewall.taggedRules(topo.server(), tag)).as("its IPv4 rules").isNotEmpty();
            assertThat(second.terminate()).isZero();
        }
        assertThat(Firewall.taggedRules(topo.server(), tag)).isEmpty();
    }
}
