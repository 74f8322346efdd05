package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An attacker who knows only the server's public key cannot take over a peer's endpoint. It computes
 * valid mac1 values (they need nothing but that key), pushes the shared handshake limiter to its
 * threshold with bogus initiations, then sends forged handshake responses addressed to the peer's
 * tunnel index, so that the peer's own tunnel answers one of them with a cookie reply. A cookie reply
 * is not a handshake: the peer's endpoint must stay where it is (issue 9, defect 1).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class ForgedHandshakeTest {
    /** Bogus initiations with valid mac1 and forged responses to the peer's tunnel, in bursts of 100. */
    static final String ATTACKER = """
            import base64, hashlib, os, socket, sys, time
            server_pub = base64.b64decode(sys.argv[1]); host, port = sys.argv[2], int(sys.argv[3])
            peer_index, rounds = int(sys.argv[4]), int(sys.argv[5])
            mac1_key = hashlib.blake2s(b"mac1----" + server_pub).digest()
            def with_mac1(body):  # body: the message up to mac1; mac2 stays zero (no cookie)
                return body + hashlib.blake2s(body, digest_size=16, key=mac1_key).digest() + bytes(16)
            def initiation():
                return with_mac1(b"\\x01\\x00\\x00\\x00" + os.urandom(4 + 32 + 48 + 28))
            def response(receiver):
                return with_mac1(b"\\x02\\x00\\x00\\x00" + os.urandom(4) + receiver.to_bytes(4, "little") + os.urandom(32 + 16))
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            sent = 0
            # The limiter counts every message with a valid mac1 (the classifier's check and the tunnel's
            # each count one) and is reset once a second. A burst of groups "m initiations, 1 response"
            # from a fresh count puts some response's second check exactly at the threshold, for any
            # threshold that is congruent to it; bursts with m = 1, 2, 3, each twice, cover them all.
            for r in range(rounds):
                for m in (1, 2, 3):
                    for _ in range(120):
                        for _ in range(m):
                            s.sendto(initiation(), (host, port)); sent += 1
                        s.sendto(response((peer_index << 8) | (sent & 0xff)), (host, port)); sent += 1
                    time.sleep(1.05)
            print("sent", sent, flush=True)
            """;

    static Topology topo;
    static HttpTarget target;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("ForgedHandshake", 2);
        target = HttpTarget.start(topo);
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    @Test
    void cookieRepliesToForgedResponsesDoNotMoveThePeersEndpoint() throws Exception {
        WgKeys.KeyPair serverKey = WgKeys.generate();
        WgKeys.KeyPair peerKey = WgKeys.generate();
        ServerProcess server = ServerProcess.config(topo, serverKey)
                .peer(peerKey.publicKey(), topo.client(1).tunnelAddr() + "/32").start("server");
        server.awaitReady();
        // the peer connects and then stays quiet (no keepalive): nothing moves its endpoint back
        WgQuickClient peer = WgQuickClient.fullTunnel(topo, topo.client(1), peerKey, serverKey.publicKey());
        peer.up();
        assertThat(peer.get(target.url()).ok()).isTrue();
        String endpoint = server.status().endpoint(peerKey.publicKey());
        assertThat(endpoint).startsWith(topo.client(1).clientSideAddr() + ":");
        long cookiesBefore = server.status().counter("cookie_replies_sent");

        Path script = topo.workDir().resolve("forge.py");
        Files.writeString(script, ATTACKER);
        Topology.Client attacker = topo.client(2);
        Cmd.Result attack = attacker.ns().cmd(Require.python(), script.toString(), serverKey.publicKey(),
                attacker.serverSideAddr(), "" + Topology.LISTEN_PORT, "1", "4").timeout(Duration.ofSeconds(60)).run();
        assertThat(attack.ok()).as(attack.describe()).isTrue();

        ServerStatus after = server.status();
        System.out.println("[it] status after the attack:\n" + after.raw());
        System.out.println("[it] after the forged handshakes: endpoint " + after.endpoint(peerKey.publicKey())
                + ", cookie replies " + (after.counter("cookie_replies_sent") - cookiesBefore));
        // the attack did reach the limiter (cookies were sent), and the endpoint did not move
        assertThat(after.counter("cookie_replies_sent")).isGreaterThan(cookiesBefore);
        assertThat(after.endpoint(peerKey.publicKey())).as("the peer's endpoint after the attack").isEqualTo(endpoint);
        assertThat(server.findLines("handshake completed", attacker.clientSideAddr())).isEmpty();
        // and the peer still works
        assertThat(peer.get(target.url()).ok()).isTrue();
        peer.down();
        assertThat(server.terminate()).isZero();
    }
}
