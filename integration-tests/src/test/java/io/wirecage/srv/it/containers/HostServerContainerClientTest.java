package io.wirecage.srv.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 6. Scenarios 1-5 and 7 already run the server image as a privileged container (the
 * "CI in privileged containers" use); this one runs the host-built server instead: the jar from
 * java/target on the host, serving a wg-quick client container, with the same check as scenario 1.
 *
 * <p>The server listens on the lab "lan" bridge's host address (a port of its own, 51899) and NATs
 * out of the lab "wan" bridge, where the target is; it uses its own TUN name and VPN subnet
 * (10.213.77.0/24), so nothing else on the host is touched, and its SIGTERM clean-up removes its
 * TUN and rules. Docker has set the host's FORWARD policy to DROP, so this also checks that the
 * server's own FORWARD rules carry the traffic.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLabOnFailure.class)
class HostServerContainerClientTest {

    static final int PORT = 51899;
    static final String SUBNET = "10.213.77.0/24";

    static Lab lab;
    static HostServer server;
    static Target target;
    static WgClient client;

    @BeforeAll
    static void setUp() {
        lab = Lab.open("scenario 6 (host server, container client)", 6,
                ContainerEnv.require(ContainerEnv.CLIENT_IMAGE), "wan", "lan");
        target = Target.start(lab, 10);
        Keys.Pair serverKey = Keys.generate();
        Keys.Pair clientKey = Keys.generate();
        String tun = "wct6-" + (ContainerEnv.PID % 100000);
        lab.onFailureDump(() -> server == null ? "" : "[ct] ---- host server log ----\n" + ServerContainer.tail(server.logs(), 60));
        server = HostServer.start("scenario6-host-server", serverKey, tun, List.of(
                "--listen", lab.net("lan").gateway() + ":" + PORT, "--subnet", SUBNET,
                "--peer", clientKey.publicKey(), "--peer-ip", "10.213.77.2/32",
                "--outbound-interface", lab.net("wan").bridge()));
        lab.closeFirst(server);
        client = WgClient.start(lab, "client", ContainerEnv.CLIENT_IMAGE, "lan", 10, clientKey, "10.213.77.2");
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
        if (server != null) {
            assertThat(server.exitCode()).as("host server exit code after SIGTERM").isZero();
            assertThat(server.logs()).as("host server log").contains("stopped");
            // Its clean-up on the host: no TUN, no rule with its tag left.
            Result link = HostServer.run("ip", "link", "show", server.tun);
            assertThat(link.ok()).as("the host server's TUN %s after the stop", server.tun).isFalse();
            Result rules = HostServer.run("sh", "-c", "iptables-save; iptables-save -t nat");
            assertThat(rules.out()).as("host iptables rules tagged for %s after the stop", server.tun)
                    .doesNotContain("wirecagesrv:" + server.tun);
        }
    }

    @Test
    void hostServerServesAContainerClient() {
        Checks.targetUnreachableDirectly(client, target);
        client.up(server.publicKey(), lab.net("lan").gateway() + ":" + PORT, "0.0.0.0/0", 0);
        // The target sees the host's address on the wan bridge (the server's MASQUERADE).
        Checks.pingGetDownload(client, target, server, lab.net("wan").gateway());
    }
}
