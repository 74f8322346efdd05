package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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
 * What the server leaves behind: after SIGTERM nothing (rules, TUN, ip_forward restored, exit 0);
 * after SIGKILL its rules, which the next start removes before adding its own exactly once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class LifecycleTest {

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair clientKey;
    static String tag;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("Lifecycle", 1);
        target = HttpTarget.start(topo);
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
        // A fresh namespace inherits ip_forward=1 from the host: start from 0 so that setting and
        // restoring it are both visible.
        topo.server().sysctl("net.ipv4.ip_forward", "0");
        assertThat(Firewall.taggedRules(topo.server(), tag)).as("rules before the test").isEmpty();
        assertThat(topo.server().hasLink(topo.tunName())).as("TUN before the test").isFalse();
    }

    @AfterEach
    void removeLeftovers() {
        // Whatever a failed test left: flush our rules so the next test starts clean.
        for (String rule : Firewall.taggedRules(topo.server(), tag)) {
            String[] parts = rule.split(" ", 3); // "<tool> <table>: -A ..."
            String table = parts[1].replace(":", "");
            String spec = parts[2].replaceFirst("^-A ", "-D ");
            String tool = parts[0].replace("-save", "");
            topo.server().cmd(List.of("sh", "-c", tool + " -t " + table + " " + spec)).run();
        }
    }

    private ServerProcess start(String logName) {
        ServerProcess s = ServerProcess.config(topo, serverKey)
                .peer(clientKey.publicKey(), topo.client(1).tunnelAddr() + "/32")
                .start(logName);
        s.awaitReady();
        return s;
    }

    private void clientWorks(String when) {
        try (WgQuickClient client = new WgQuickClient(topo, topo.client(1), clientKey,
                topo.client(1).tunnelAddr() + "/32", serverKey.publicKey(), topo.client(1).endpoint(), "0.0.0.0/0")) {
            client.up();
            Cmd.Result get = client.get(target.url());
            assertThat(get.ok()).as("GET through the tunnel %s:\n%s", when, get.describe()).isTrue();
            assertThat(get.stdout()).isEqualTo(target.content());
            assertThat(client.latestHandshakeEpochSeconds()).as("handshake %s", when).isPositive();
        }
    }

    @Test
    void sigtermExitsZeroAndLeavesNothingBehind() {
        try (ServerProcess server = start("server-sigterm")) {
            List<String> rules = Firewall.taggedRules(topo.server(), tag);
            System.out.println("[it] rules while running:\n  " + String.join("\n  ", rules));
            assertThat(rules).as("tagged rules while running").isNotEmpty();
            assertThat(topo.server().hasLink(topo.tunName())).as("TUN while running").isTrue();
            assertThat(topo.server().sysctl("net.ipv4.ip_forward")).as("ip_forward while running").isEqualTo("1");
            clientWorks("while running");

            long t0 = System.nanoTime();
            int exit = server.terminate();
            System.out.printf("[it] SIGTERM -> exit %d after %d ms%n", exit, (System.nanoTime() - t0) / 1_000_000);
            assertThat(exit).as("exit code after SIGTERM; log:\n%s", server.log()).isZero();
        }
        assertThat(Firewall.taggedRules(topo.server(), tag)).as("tagged iptables rules after SIGTERM").isEmpty();
        assertThat(Firewall.taggedNftLines(topo.server(), tag)).as("tagged nft lines after SIGTERM").isEmpty();
        assertThat(topo.server().links()).as("links after SIGTERM").doesNotContain(topo.tunName());
        assertThat(topo.server().sysctl("net.ipv4.ip_forward")).as("ip_forward after SIGTERM (was 0)").isEqualTo("0");
    }

    @Test
    void afterSigkillTheNextStartCleansUpAndWorks() {
        List<String> firstRules;
        try (ServerProcess first = start("server-before-sigkill")) {
            firstRules = Firewall.taggedRules(topo.server(), tag);
            assertThat(firstRules).as("tagged rules while running").isNotEmpty();
            int exit = first.kill();
            System.out.println("[it] SIGKILL -> exit " + exit);
        }
        List<String> leftover = Firewall.taggedRules(topo.server(), tag);
        System.out.println("[it] rules left after SIGKILL:\n  " + String.join("\n  ", leftover));
        assertThat(leftover).as("a killed server cannot clean up: its rules must still be there, "
                + "or this test proves nothing").containsExactlyInAnyOrderElementsOf(firstRules);
        System.out.println("[it] after SIGKILL: TUN present=" + topo.server().hasLink(topo.tunName())
                + ", ip_forward=" + topo.server().sysctl("net.ipv4.ip_forward"));

        try (ServerProcess second = start("server-after-sigkill")) {
            List<String> rules = Firewall.taggedRules(topo.server(), tag);
            Map<String, Integer> copies = new HashMap<>();
            rules.forEach(r -> copies.merge(r, 1, Integer::sum));
            System.out.println("[it] rules after restart:\n  " + String.join("\n  ", rules));
            assertThat(copies).as("copies of each tagged rule after the restart").allSatisfy((r, n) -> assertThat(n)
                    .as(r).isEqualTo(1));
            assertThat(rules).as("the restart has the same rule set as the first run")
                    .containsExactlyInAnyOrderElementsOf(firstRules);
            assertThat(topo.server().hasLink(topo.tunName())).as("TUN after restart").isTrue();
            assertThat(topo.server().sysctl("net.ipv4.ip_forward")).as("ip_forward after restart").isEqualTo("1");
            clientWorks("after the restart");
            second.awaitLogLine(Duration.ofSeconds(5), ServerProcess.HANDSHAKE, clientKey.shortKey());
            assertThat(second.terminate()).as("exit code after SIGTERM of the restarted server").isZero();
        }
        assertThat(Firewall.taggedRules(topo.server(), tag)).as("tagged rules after the final SIGTERM").isEmpty();
        System.out.println("[it] after final SIGTERM: ip_forward=" + topo.server().sysctl("net.ipv4.ip_forward")
                + " (it was 0 before the killed run)");
    }
}
