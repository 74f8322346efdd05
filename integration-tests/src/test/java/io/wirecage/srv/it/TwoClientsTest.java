package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static io.wirecage.srv.it.Topology.SERVER_UPLINK_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two clients with their own keys and addresses use the server at the same time. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class TwoClientsTest {

    static final int GETS_PER_CLIENT = 10;

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;
    static List<WgKeys.KeyPair> clientKeys = new ArrayList<>();
    static ServerProcess server;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("TwoClients", 2);
        target = HttpTarget.start(topo);
        serverKey = WgKeys.generate();
        ServerProcess.Config cfg = ServerProcess.config(topo, serverKey);
        for (Topology.Client c : topo.clients()) {
            WgKeys.KeyPair k = WgKeys.generate();
            clientKeys.add(k);
            cfg.peer(k.publicKey(), c.tunnelAddr() + "/32");
        }
        server = cfg.start("server");
        server.awaitReady();
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    /** What one client did: its GET results and its ping. */
    record Outcome(List<Cmd.Result> gets, Cmd.Result ping, long millis) {}

    @Test
    void twoClientsWorkConcurrently() throws Exception {
        List<WgQuickClient> clients = new ArrayList<>();
        for (Topology.Client slot : topo.clients()) {
            clients.add(WgQuickClient.fullTunnel(topo, slot, clientKeys.get(slot.index() - 1), serverKey.publicKey()));
        }
        for (WgQuickClient c : clients) {
            c.up();
        }
        int requestsBefore = target.requestCount();

        // Both clients start together (first packets, hence both handshakes, at once), then each runs
        // GETs and a ping while the other does the same.
        CyclicBarrier start = new CyclicBarrier(clients.size());
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        List<Future<Outcome>> futures = new ArrayList<>();
        try {
            for (WgQuickClient c : clients) {
                futures.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    long t0 = System.nanoTime();
                    List<Cmd.Result> gets = new ArrayList<>();
                    for (int i = 0; i < GETS_PER_CLIENT; i++) {
                        gets.add(c.get(target.url()));
                    }
                    Cmd.Result ping = c.ping(INTERNET_ADDR, 3, null);
                    return new Outcome(gets, ping, (System.nanoTime() - t0) / 1_000_000);
                }));
            }
            for (int i = 0; i < clients.size(); i++) {
                WgQuickClient c = clients.get(i);
                Outcome o = futures.get(i).get(90, TimeUnit.SECONDS);
                System.out.printf("[it] %s: %d GETs + 3 pings in %d ms (%s)%n", c, GETS_PER_CLIENT, o.millis(),
                        c.implementation());
                for (Cmd.Result get : o.gets()) {
                    assertThat(get.ok()).as("%s GET:\n%s", c, get.describe()).isTrue();
                    assertThat(get.stdout()).as("%s GET body", c).isEqualTo(target.content());
                }
                assertThat(o.ping().ok()).as("%s ping:\n%s", c, o.ping().describe()).isTrue();
                assertThat(o.ping().stdout()).contains("3 packets transmitted, 3 received");
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(target.requestSourcesSince(requestsBefore)).as("sources seen by the target")
                .hasSize(GETS_PER_CLIENT * clients.size())
                .containsOnly(SERVER_UPLINK_ADDR);

        ServerStatus st = server.status();
        System.out.println("[it] status:\n" + st.raw().strip());
        for (int i = 0; i < clients.size(); i++) {
            WgQuickClient c = clients.get(i);
            String pub = c.key().publicKey();
            server.awaitLogLine(Duration.ofSeconds(5), ServerProcess.HANDSHAKE, c.key().shortKey());
            assertThat(c.latestHandshakeEpochSeconds()).as("%s handshake", c).isPositive();
            assertThat(st.peerField(pub, "endpoint")).startsWith(topo.client(i + 1).clientSideAddr() + ":");
            assertThat(st.peerLong(pub, "tx_bytes")).as("%s tx_bytes", c)
                    .isGreaterThan((long) GETS_PER_CLIENT * target.content().length());
            assertThat(st.peerLong(pub, "rx_bytes")).as("%s rx_bytes", c).isPositive();
        }
    }
}
