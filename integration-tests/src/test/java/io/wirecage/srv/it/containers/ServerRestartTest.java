package io.wirecage.srv.it.containers;

import io.wirecage.srv.it.ServerStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 4: the server container is restarted ({@code docker restart}: SIGTERM, then the same
 * container with the same key, TOML config file and addresses). The two clients keep their tunnels
 * (nobody touches them) and must recover by WireGuard's own timers: a client whose data gets no
 * answer for 15 s (KEEPALIVE_TIMEOUT 10 s + REKEY_TIMEOUT 5 s) starts a new handshake. (Their
 * persistent keepalives do not start that timer in wireguard-go; the GETs do.) Each client retries a
 * GET (2 s max each) from the moment the server logs "listening on" again, for at most
 * {@value #RECOVERY_BOUND_SECONDS} s. The server runs as the image's privileged container, configured
 * by a file this time.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLabOnFailure.class)
class ServerRestartTest {

    static final int RECOVERY_BOUND_SECONDS = 30;

    static Lab lab;
    static ServerContainer server;
    static Target target;
    static final List<WgClient> clients = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        lab = Lab.open("scenario 4 (server restart)", 4,
                ContainerEnv.require(ContainerEnv.SERVER_IMAGE, ContainerEnv.CLIENT_IMAGE), "wan", "lan");
        target = Target.start(lab, 1);
        Keys.Pair serverKey = Keys.generate();
        Map<String, String[]> peers = new LinkedHashMap<>();
        List<Keys.Pair> keys = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Keys.Pair k = Keys.generate();
            keys.add(k);
            peers.put("client" + i, new String[] {k.publicKey(), "10.200.100." + (i + 1)});
        }
        server = ServerContainer.startWithConfig(lab, serverKey, peers, 0, "lan");
        for (int i = 1; i <= 2; i++) {
            WgClient c = WgClient.start(lab, "client" + i, ContainerEnv.CLIENT_IMAGE, "lan", 10 + i, keys.get(i - 1), "10.200.100." + (i + 1));
            c.up(server.publicKey(), server.endpoint("lan"), "0.0.0.0/0", 10);
            clients.add(c);
        }
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void clientsRecoverByThemselvesAfterARestart() throws Exception {
        for (WgClient c : clients) {
            Result get = c.get(target.url("index.html?before-restart=" + c.node.name), 10);
            assertThat(get.ok()).as("%s's GET before the restart:\n%s", c.node.name, get.describe()).isTrue();
        }
        String lanIp = server.node.ip("lan");
        long restartMs = server.restart();
        long t0 = System.nanoTime();
        String lanIf = server.node.interfaceOf(lanIp); // same static address after the restart
        System.out.printf("[ct] server restarted in %d ms (lan %s on %s): %s%n", restartMs, lanIp, lanIf,
                server.listeningLine().replaceAll(".*INFO\\s+\\S+ - ", ""));

        List<CompletableFuture<Double>> recoveries = new ArrayList<>();
        for (WgClient c : clients) {
            recoveries.add(Lab.async(() -> {
                long deadline = t0 + RECOVERY_BOUND_SECONDS * 1_000_000_000L;
                for (int attempt = 1; attempt <= 40 && System.nanoTime() < deadline; attempt++) {
                    if (c.get(target.url("index.html?after-restart=" + c.node.name + "&try=" + attempt), 2).ok()) {
                        return (System.nanoTime() - t0) / 1e9;
                    }
                }
                return -1.0;
            }));
        }
        for (int i = 0; i < clients.size(); i++) {
            WgClient c = clients.get(i);
            double seconds = recoveries.get(i).get(RECOVERY_BOUND_SECONDS + 20, TimeUnit.SECONDS);
            System.out.printf("[ct] %s (%s): GET works again %.1f s after the server was back (bound %d s); %s%n",
                    c.node.name, c.implementation(), seconds, RECOVERY_BOUND_SECONDS,
                    seconds < 0 ? "NOT RECOVERED" : "recovered by itself");
            assertThat(seconds).as("%s must recover within %d s of the restart", c.node.name, RECOVERY_BOUND_SECONDS)
                    .isBetween(0.0, RECOVERY_BOUND_SECONDS + 3.0); // the last 2 s try may start just before the bound
            assertThat(target.requestSources("after-restart=" + c.node.name)).as("%s's GETs the target saw after the restart",
                    c.node.name).isNotEmpty();
        }
        ServerStatus st = server.status();
        for (WgClient c : clients) {
            assertThat(st.peerLong(c.key.publicKey(), "handshakes")).as("%s's handshakes with the restarted server", c.node.name)
                    .isGreaterThanOrEqualTo(1);
        }
        System.out.println("[ct] after the restart: server counters " + ThreeClientsSpoofedSourceTest.counters(st)
                + "; server log since the restart:\n" + ServerContainer.tail(server.logs().substring(server.logs().lastIndexOf("stopping")), 20));
    }
}
