package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Peers change while the server runs and carries traffic: `peer add` (generated keys, the printed
 * client config used as is by a third wg-quick client), `peer remove`, `peer disable` and
 * `peer enable`, each applied through the control socket. Unchanged peers keep their session
 * (no new handshake) and their running transfers.
 *
 * <p>The tests run in order on one server and build on each other: A and B start configured,
 * test 1 adds C, test 2 removes B, test 3 disables and re-enables A.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LivePeerChangesTest {

    /** A's long transfer: 80,000 lines of 27 bytes (2.16 MB), 400 lines every 50 ms: at least 10 s. */
    static final int SLOW_LINES = 80_000;
    static final int SLOW_LINES_PER_TICK = 400;
    static final Duration SLOW_TICK = Duration.ofMillis(50);

    static Topology topo;
    static HttpTarget target;
    static SlowHttpSource slow;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair keyA;
    static WgKeys.KeyPair keyB;
    static TomlConfig config;
    static ServerProcess server;
    static WgQuickClient clientA;
    static WgQuickClient clientB;
    static WgQuickClient clientC;

    @BeforeAll
    static void setUp() {
        Require.e2e("tcpdump", "python3");
        topo = Topology.create("LivePeerChanges", 3);
        target = HttpTarget.start(topo);
        slow = SlowHttpSource.start(topo, 8080, SLOW_LINES, SLOW_LINES_PER_TICK, SLOW_TICK);
        serverKey = WgKeys.generate();
        keyA = WgKeys.generate();
        keyB = WgKeys.generate();
        config = TomlConfig.create(topo, serverKey, "wirecagesrv.toml")
                // Only written into generated client configs; the test removes the DNS line before
                // wg-quick up, so no resolvconf runs on the host.
                .dns(INTERNET_ADDR)
                .endpoint(topo.client(3).endpoint()) // C, the peer added later, uses the printed config as is
                .peer(TomlConfig.Peer.of("A", keyA.publicKey(), topo.client(1).tunnelAddr() + "/32"))
                .peer(TomlConfig.Peer.of("B", keyB.publicKey(), topo.client(2).tunnelAddr() + "/32"));
        config.write();
        long t0 = System.nanoTime();
        server = config.start("server");
        server.awaitReady();
        System.out.printf("[it] MEASURED start-up with 2 peers from a config file: %d ms from launch to \"%s\"%n",
                (System.nanoTime() - t0) / 1_000_000, ServerProcess.READY);

        clientA = WgQuickClient.fullTunnel(topo, topo.client(1), keyA, serverKey.publicKey());
        clientB = WgQuickClient.fullTunnel(topo, topo.client(2), keyB, serverKey.publicKey());
        clientA.up();
        clientB.up();
        for (WgQuickClient c : List.of(clientA, clientB)) {
            Cmd.Result get = c.get(target.url());
            assertThat(get.ok()).as("%s first GET:\n%s", c, get.describe()).isTrue();
            assertThat(get.stdout()).isEqualTo(target.content());
        }
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    @Test
    @Order(1)
    void peerAddedDuringATransferWorksAndTheTransferKeepsItsSession() throws Exception {
        String big = slow.body();
        ServerStatus before = server.status();
        long handshakesA = before.peerLong(keyA.publicKey(), "handshakes");
        long clientHandshakeA = clientA.latestHandshakeEpochSeconds();
        assertThat(handshakesA).as("A's handshakes before the change").isPositive();
        int reloads = server.findLines(TomlConfig.RELOADED).size();
        int handshakeLinesA = server.findLines(ServerProcess.HANDSHAKE, "peer A from").size();

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            long t0 = System.nanoTime();
            Future<Cmd.Result> transfer = pool.submit(() -> clientA.ns()
                    .cmd("curl", "--noproxy", "*", "-sS", "--fail", "--connect-timeout", "5", "--max-time", "50", slow.url())
                    .timeout(Duration.ofSeconds(60)).run());
            // Short GETs of A every 100 ms for as long as the transfer runs (at most 250 or 50 s).
            Future<List<Cmd.Result>> gets = pool.submit(() -> {
                List<Cmd.Result> results = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
                while (results.size() < 250 && System.nanoTime() < deadline && !transfer.isDone()) {
                    results.add(clientA.get(target.url()));
                    Poll.sleep(Duration.ofMillis(100));
                }
                return results;
            });

            Poll.sleep(Duration.ofSeconds(1));
            assertThat(transfer.isDone()).as("A's slow transfer must still run when the peer is added").isFalse();

            Cmd.Result add = config.peerCommand("add", "C");
            assertThat(add.ok()).as("peer add C:\n%s", add.describe()).isTrue();
            assertThat(add.stderr()).contains("applied to the running server");
            TomlConfig.Reload reload = TomlConfig.Reload.parse(
                    server.awaitNewLogLine(reloads, Duration.ofSeconds(10), TomlConfig.RELOADED));
            boolean duringTransfer = !transfer.isDone();
            long reloadAtMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("[it] server: " + reload.line().strip());
            assertThat(reload.counts()).isEqualTo("3 peer(s): 1 added, 0 removed, 0 changed, 2 unchanged");
            assertThat(duringTransfer).as("the reload happened while A's transfer ran").isTrue();

            // The printed client config: what a user pastes into wg-quick.
            String printed = add.stdout();
            System.out.println("[it] peer add printed:\n" + printed.replaceAll("(?m)^(PrivateKey = ).*$", "$1(hidden)"));
            assertThat(WgQuickClient.field(printed, "PrivateKey")).matches("[A-Za-z0-9+/]{43}=");
            assertThat(WgQuickClient.field(printed, "Address")).isEqualTo(topo.client(3).tunnelAddr() + "/32");
            assertThat(WgQuickClient.field(printed, "DNS")).isEqualTo(INTERNET_ADDR);
            assertThat(WgQuickClient.field(printed, "PublicKey")).isEqualTo(serverKey.publicKey());
            assertThat(WgQuickClient.field(printed, "Endpoint")).isEqualTo(topo.client(3).endpoint());
            assertThat(WgQuickClient.field(printed, "AllowedIPs")).isEqualTo("0.0.0.0/0");
            assertThat(WgQuickClient.field(printed, "PersistentKeepalive")).isEqualTo("25");
            String pubC = WgKeys.publicKeyOf(WgQuickClient.field(printed, "PrivateKey"));
            assertThat(config.read()).as("config file after peer add").contains("name = \"C\"").contains(pubC);

            // C comes up from that config (minus DNS: resolvconf would change the host) and works.
            String conf = printed.lines().filter(l -> !l.startsWith("DNS")).collect(Collectors.joining("\n", "", "\n"));
            clientC = WgQuickClient.fromConfig(topo, topo.client(3), conf);
            clientC.up();
            Cmd.Result getC = clientC.get(target.url());
            long cDoneMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(getC.ok()).as("C's GET:\n%s", getC.describe()).isTrue();
            assertThat(getC.stdout()).isEqualTo(target.content());
            assertThat(clientC.latestHandshakeEpochSeconds()).as("C's handshake").isPositive();
            server.awaitLogLine(Duration.ofSeconds(5), ServerProcess.HANDSHAKE, "peer C from");

            Cmd.Result big1 = transfer.get(70, TimeUnit.SECONDS);
            long transferMs = (System.nanoTime() - t0) / 1_000_000;
            List<Cmd.Result> results = gets.get(60, TimeUnit.SECONDS);
            System.out.printf("[it] A's transfer of %d bytes took %d ms (exit %d; the source sends it in %d ms); peer added at %d ms (reload line seen), "
                            + "C's first GET done at %d ms; %d short GETs of A meanwhile%n",
                    big1.stdout().length(), transferMs, big1.exitCode(), slow.nominalDuration().toMillis(), reloadAtMs, cDoneMs, results.size());
            assertThat(big1.ok()).as("A's long transfer:\n%s", big1.describe()).isTrue();
            assertThat(big1.stdout().length()).as("size of A's transfer").isEqualTo(big.length());
            assertThat(big1.stdout().equals(big)).as("content of A's transfer is intact").isTrue();
            assertThat(results).as("A's short GETs during the change").hasSizeGreaterThanOrEqualTo(10);
            for (Cmd.Result r : results) {
                assertThat(r.ok()).as("a GET of A during the change failed:\n%s", r.describe()).isTrue();
                assertThat(r.stdout()).isEqualTo(target.content());
            }
        } finally {
            pool.shutdownNow();
        }

        ServerStatus after = server.status();
        assertThat(after.device().get("peers")).isEqualTo("3");
        assertThat(after.peerLong(keyA.publicKey(), "handshakes")).as("A's handshakes: same session")
                .isEqualTo(handshakesA);
        assertThat(server.findLines(ServerProcess.HANDSHAKE, "peer A from")).as("handshake lines of A").hasSize(handshakeLinesA);
        assertThat(clientA.latestHandshakeEpochSeconds()).as("A's latest handshake as the client sees it")
                .isEqualTo(clientHandshakeA);
        assertThat(after.peerLong(clientC.key().publicKey(), "handshakes")).as("C's handshakes").isPositive();
        assertThat(after.peerField(clientC.key().publicKey(), "allowed_ips")).isEqualTo(topo.client(3).tunnelAddr() + "/32");
        assertThat(after.peerLong(clientC.key().publicKey(), "rx_packets")).as("C's rx_packets").isPositive();
    }

    @Test
    @Order(2)
    void removedPeerIsCutOffWhileTheOthersKeepWorking() {
        assertThat(clientC).as("test 1 added C").isNotNull();
        Cmd.Result pre = clientB.get(target.url());
        assertThat(pre.ok()).as("B's GET before the removal:\n%s", pre.describe()).isTrue();
        int reloads = server.findLines(TomlConfig.RELOADED).size();
        int handshakeLinesB = server.findLines(ServerProcess.HANDSHAKE, "peer B from").size();

        Cmd.Result remove = config.peerCommand("remove", "B");
        assertThat(remove.ok()).as("peer remove B:\n%s", remove.describe()).isTrue();
        assertThat(remove.stderr()).contains("applied to the running server");
        TomlConfig.Reload reload = TomlConfig.Reload.parse(
                server.awaitNewLogLine(reloads, Duration.ofSeconds(10), TomlConfig.RELOADED));
        System.out.println("[it] server: " + reload.line().strip());
        assertThat(reload.counts()).isEqualTo("2 peer(s): 0 added, 1 removed, 0 changed, 2 unchanged");
        assertThat(config.read()).as("config file after peer remove").doesNotContain(keyB.publicKey()).doesNotContain("\"B\"");

        ServerStatus st = server.status();
        assertThat(st.peers()).as("peers in the status").doesNotContainKey(keyB.publicKey())
                .containsKeys(keyA.publicKey(), clientC.key().publicKey());
        long unknownIndex = st.counter("dropped_unknown_index");
        long unknownPeer = st.counter("dropped_unknown_peer");

        Topology.Client slot = topo.client(2);
        try (Tcpdump fromServer = Tcpdump.start(topo.server(), slot.serverVeth(), "udp and src port " + Topology.LISTEN_PORT,
                topo.workDir().resolve("tcpdump-to-removed.log"));
             Tcpdump toServer = Tcpdump.start(topo.server(), slot.serverVeth(), "udp and dst port " + Topology.LISTEN_PORT,
                topo.workDir().resolve("tcpdump-from-removed.log"))) {
            // B's session still exists on the client: its packets now name an index nobody owns.
            Cmd.Result stale = clientB.get(target.url());
            assertThat(stale.ok()).as("B's GET after the removal must fail:\n%s", stale.describe()).isFalse();
            assertThat(stale.took()).as("time until B's GET failed").isLessThan(Duration.ofSeconds(20));
            // A fresh interface handshakes at once: the initiations get no answer.
            clientB.down();
            clientB.up();
            Cmd.Result ping = clientB.ping(INTERNET_ADDR, 3, null);
            assertThat(ping.ok()).as("B's ping after the removal must fail:\n%s", ping.describe()).isFalse();
            boolean counted = Poll.until(Duration.ofSeconds(10), Duration.ofMillis(200),
                    () -> server.status().counter("dropped_unknown_peer") > unknownPeer);
            List<String> replies = fromServer.stop();
            List<String> attempts = toServer.stop();
            ServerStatus after = server.status();
            System.out.printf("[it] removed peer B: stale GET failed after %d ms; %d packets to the server, %d from it; "
                            + "counter.dropped_unknown_index +%d, counter.dropped_unknown_peer +%d%n",
                    stale.took().toMillis(), attempts.size(), replies.size(),
                    after.counter("dropped_unknown_index") - unknownIndex, after.counter("dropped_unknown_peer") - unknownPeer);
            assertThat(attempts).as("B's packets to the server (else the test proves nothing)").isNotEmpty();
            assertThat(replies).as("UDP from port %d to the removed peer B", Topology.LISTEN_PORT).isEmpty();
            assertThat(counted).as("B's handshake initiations counted as dropped_unknown_peer").isTrue();
            assertThat(after.counter("dropped_unknown_index")).as("B's stale-session packets counted as dropped_unknown_index")
                    .isGreaterThan(unknownIndex);
            assertThat(clientB.latestHandshakeEpochSeconds()).as("B's handshake after the restart").isZero();
            assertThat(clientB.rxBytes()).as("bytes B received after the restart").isZero();
            assertThat(server.findLines(ServerProcess.HANDSHAKE, "peer B from")).hasSize(handshakeLinesB);
        }
        clientB.down();

        for (WgQuickClient c : List.of(clientA, clientC)) {
            Cmd.Result get = c.get(target.url());
            assertThat(get.ok()).as("%s GET after B's removal:\n%s", c, get.describe()).isTrue();
            assertThat(get.stdout()).isEqualTo(target.content());
        }
    }

    @Test
    @Order(3)
    void disabledPeerIsCutOffAndComesBackWhenEnabled() {
        assertThat(clientC).as("test 1 added C").isNotNull();
        String pubA = keyA.publicKey();
        int reloads = server.findLines(TomlConfig.RELOADED).size();

        Cmd.Result disable = config.peerCommand("disable", "A");
        assertThat(disable.ok()).as("peer disable A:\n%s", disable.describe()).isTrue();
        TomlConfig.Reload r1 = TomlConfig.Reload.parse(server.awaitNewLogLine(reloads, Duration.ofSeconds(10), TomlConfig.RELOADED));
        System.out.println("[it] server: " + r1.line().strip());
        assertThat(r1.counts()).isEqualTo("1 peer(s): 0 added, 1 removed, 0 changed, 1 unchanged");
        String list = config.peerCommand("list").check().stdout();
        System.out.println("[it] peer list:\n" + list.strip());
        assertThat(list.lines().filter(l -> l.startsWith("A ")).findFirst().orElse(""))
                .as("A in `peer list`").contains(" no ").contains(pubA);
        assertThat(server.status().peers()).as("peers in the status").doesNotContainKey(pubA);

        Cmd.Result cut = clientA.get(target.url());
        assertThat(cut.ok()).as("A's GET while disabled must fail:\n%s", cut.describe()).isFalse();
        Cmd.Result getC = clientC.get(target.url());
        assertThat(getC.ok()).as("C's GET while A is disabled:\n%s", getC.describe()).isTrue();

        int handshakeLinesA = server.findLines(ServerProcess.HANDSHAKE, "peer A from").size();
        Cmd.Result enable = config.peerCommand("enable", "A");
        assertThat(enable.ok()).as("peer enable A:\n%s", enable.describe()).isTrue();
        TomlConfig.Reload r2 = TomlConfig.Reload.parse(server.awaitNewLogLine(reloads + 1, Duration.ofSeconds(10), TomlConfig.RELOADED));
        System.out.println("[it] server: " + r2.line().strip());
        assertThat(r2.counts()).isEqualTo("2 peer(s): 1 added, 0 removed, 0 changed, 1 unchanged");
        assertThat(server.status().peers()).containsKey(pubA);

        // A's client still holds the old session; WireGuard's timers (no reply for 15 s) or the pings
        // make it handshake again. One ping at a time, at most 45 s.
        long t0 = System.nanoTime();
        int[] pings = {0};
        boolean back = Poll.until(Duration.ofSeconds(45), Duration.ofMillis(200), () -> {
            pings[0]++;
            return clientA.ping(INTERNET_ADDR, 1, null).ok();
        });
        long backMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("[it] MEASURED re-enabled peer A back after %d ms (%d pings)%n", backMs, pings[0]);
        assertThat(back).as("A reconnects within 45 s after `peer enable`; client:\n%s", clientA.show()).isTrue();
        Cmd.Result get = clientA.get(target.url());
        assertThat(get.ok()).as("A's GET after enable:\n%s", get.describe()).isTrue();
        assertThat(get.stdout()).isEqualTo(target.content());
        server.awaitNewLogLine(handshakeLinesA, Duration.ofSeconds(5), ServerProcess.HANDSHAKE, "peer A from");
        ServerStatus st = server.status();
        assertThat(st.peerLong(pubA, "handshakes")).as("A's handshakes with its new tunnel").isPositive();
        assertThat(st.peerLong(pubA, "rx_packets")).isPositive();
        Cmd.Result getC2 = clientC.get(target.url());
        assertThat(getC2.ok()).as("C's GET after A came back:\n%s", getC2.describe()).isTrue();
    }
}
