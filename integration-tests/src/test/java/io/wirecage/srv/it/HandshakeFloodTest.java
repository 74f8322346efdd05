package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A flood of handshake initiations with a valid mac1 (all an attacker who knows the server's public
 * key can make) from many source addresses does not keep a legit client out: while it runs, a new
 * client completes its handshake (with a cookie round trip at most) and its traffic passes, and the
 * server's defences are seen at work in its counters (per-source budget, cookie replies).
 * Bounded: {@value #RATE} packets per second for at most {@value #FLOOD_SECONDS} s, inside the
 * test's own namespaces.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class HandshakeFloodTest {
    static final int SOURCES = 50;
    static final int RATE = 10_000;
    static final int FLOOD_SECONDS = 40;

    /** argv: server public key, server address, port, rate, seconds, source addresses... */
    static final String ATTACKER = """
            import base64, hashlib, os, socket, sys, time
            server_pub = base64.b64decode(sys.argv[1]); host, port = sys.argv[2], int(sys.argv[3])
            rate, seconds, sources = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6:]
            mac1_key = hashlib.blake2s(b"mac1----" + server_pub).digest()
            def initiation():  # type 1, random sender/ephemeral/static/timestamp, valid mac1, no mac2
                body = b"\\x01\\x00\\x00\\x00" + os.urandom(4 + 32 + 48 + 28)
                return body + hashlib.blake2s(body, digest_size=16, key=mac1_key).digest() + bytes(16)
            pool = [initiation() for _ in range(4096)]
            socks = []
            for a in sources:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind((a, 0)); s.setblocking(False); socks.append(s)
            start = time.monotonic(); sent = 0; burst = 100
            while True:
                elapsed = time.monotonic() - start
                if elapsed >= seconds:
                    break
                if sent > rate * elapsed:
                    time.sleep(0.002); continue
                s = socks[(sent // burst) % len(socks)]
                for i in range(burst):
                    try:
                        s.sendto(pool[(sent + i) % len(pool)], (host, port))
                    except BlockingIOError:
                        pass
                sent += burst
            print("sent", sent, "in", round(time.monotonic() - start, 1), "s", flush=True)
            """;

    static Topology topo;
    static HttpTarget target;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("HandshakeFlood", 2);
        target = HttpTarget.start(topo);
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    @Test
    void aNewClientConnectsAndItsTrafficPassesDuringAValidMac1InitiationFlood() throws Exception {
        WgKeys.KeyPair serverKey = WgKeys.generate();
        WgKeys.KeyPair peerKey = WgKeys.generate();
        ServerProcess server = ServerProcess.config(topo, serverKey)
                .peer(peerKey.publicKey(), topo.client(1).tunnelAddr() + "/32").start("server");
        server.awaitReady();

        // The attacker's namespace gets SOURCES addresses in its link's /24 (the server routes replies there).
        Topology.Client attacker = topo.client(2);
        List<String> argv = new ArrayList<>(List.of(Require.python(), "-c", ATTACKER, serverKey.publicKey(),
                attacker.serverSideAddr(), "" + Topology.LISTEN_PORT, "" + RATE, "" + FLOOD_SECONDS));
        for (int i = 0; i < SOURCES; i++) {
            String a = "198.19." + attacker.index() + "." + (10 + i);
            attacker.ns().addAddress(attacker.clientVeth(), a + "/24");
            argv.add(a);
        }
        Path floodLog = topo.workDir().resolve("flood.log");
        try (Background flood = new Background(attacker.ns().wrap(argv), floodLog)) {
            Thread.sleep(3000); // the flood is in full swing before the client starts
            assertThat(flood.isAlive()).as("the attacker runs:\n%s", flood.log()).isTrue();
            ServerStatus during = server.status();

            WgQuickClient peer = WgQuickClient.fullTunnel(topo, topo.client(1), peerKey, serverKey.publicKey());
            long start = System.nanoTime();
            peer.up();
            Cmd.Result first = null;
            for (int i = 0; i < 6 && (first == null || !first.ok()); i++) { // bounded: 6 tries of at most 15 s
                first = peer.get(target.url());
            }
            double connectSeconds = (System.nanoTime() - start) / 1e9;
            assertThat(first.ok()).as("the first GET through the tunnel during the flood:\n%s", first.describe()).isTrue();
            assertThat(first.stdout()).isEqualTo(target.content());
            int ok = 0;
            for (int i = 0; i < 5; i++) {
                if (peer.get(target.url()).ok()) {
                    ok++;
                }
            }
            ServerStatus after = server.status();
            assertThat(flood.isAlive()).as("the flood still ran while the client connected:\n%s", flood.log()).isTrue();
            System.out.printf("[it] during a flood of %d initiations/s from %d addresses: connected and first GET in %.1f s, "
                            + "%d of 5 more GETs ok; counters: over budget %d, cookie replies %d, handshakes %d, "
                            + "queue full %d, unknown peer/other: %s%n",
                    RATE, SOURCES, connectSeconds, ok, after.counter("dropped_handshake_over_budget"),
                    after.counter("cookie_replies_sent"), after.counter("handshakes_completed"),
                    after.counter("dropped_handshake_queue_full"), after.raw().lines()
                            .filter(l -> l.contains("dropped_unknown_peer") || l.contains("dropped_wrong")).toList());
            assertThat(ok).as("GETs through the tunnel while the flood goes on").isEqualTo(5);
            // one cookie round trip (the client retries after REKEY_TIMEOUT, 5 s) plus set-up time
            assertThat(connectSeconds).as("seconds until the new client's first GET succeeded").isLessThan(20);
            // the defences did the work: the flood was rate limited per source and answered with cookies
            assertThat(during.counter("dropped_handshake_over_budget")).as("over-budget drops 3 s into the flood")
                    .isPositive();
            assertThat(after.counter("cookie_replies_sent")).isPositive();
            assertThat(after.counter("handshakes_completed")).isGreaterThanOrEqualTo(1);
            assertThat(server.findLines("handshake completed", "198.19." + attacker.index() + ".")).isEmpty();
            peer.down();
        }
        assertThat(server.terminate()).isZero();
    }
}
