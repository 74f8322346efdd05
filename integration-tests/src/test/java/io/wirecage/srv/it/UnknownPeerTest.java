package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client whose key the server does not know gets no answer at all (not even an error), and the
 * server counts its attempts; a known client next to it works at the same time.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class UnknownPeerTest {

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair knownKey;
    static WgKeys.KeyPair unknownKey;
    static ServerProcess server;

    @BeforeAll
    static void setUp() {
        Require.e2e("tcpdump", "python3");
        topo = Topology.create("UnknownPeer", 2);
        target = HttpTarget.start(topo);
        serverKey = WgKeys.generate();
        knownKey = WgKeys.generate();
        unknownKey = WgKeys.generate();
        server = ServerProcess.config(topo, serverKey)
                .peer(knownKey.publicKey(), topo.client(1).tunnelAddr() + "/32")
                .start("server");
        server.awaitReady();
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    @Test
    void unknownKeyGetsNoReplyAndIsCounted() {
        Topology.Client slot = topo.client(2);
        long before = server.status().counter("dropped_unknown_peer");

        Tcpdump fromServer = Tcpdump.start(topo.server(), slot.serverVeth(),
                "udp and src port " + Topology.LISTEN_PORT, topo.workDir().resolve("tcpdump-to-unknown.log"));
        Tcpdump toServer = Tcpdump.start(topo.server(), slot.serverVeth(),
                "udp and dst port " + Topology.LISTEN_PORT, topo.workDir().resolve("tcpdump-from-unknown.log"));
        WgQuickClient unknown = WgQuickClient.fullTunnel(topo, slot, unknownKey, serverKey.publicKey());
        unknown.up();
        Cmd.Result ping = unknown.ping(INTERNET_ADDR, 3, null);
        Cmd.Result get = unknown.get(target.url()); // keeps the client retrying its handshake a while longer
        List<String> replies = fromServer.stop();
        List<String> attempts = toServer.stop();

        long after = server.status().counter("dropped_unknown_peer");
        System.out.printf("[it] unknown peer: %d packets to the server, %d from it; "
                        + "counter.dropped_unknown_peer +%d; client:%n%s%n",
                attempts.size(), replies.size(), after - before, unknown.show().strip());

        assertThat(attempts).as("handshake initiations sent by the unknown client (else the test proves nothing)")
                .isNotEmpty();
        assertThat(ping.ok()).as("ping by the unknown client must fail:\n%s", ping.describe()).isFalse();
        assertThat(get.ok()).as("GET by the unknown client must fail").isFalse();
        assertThat(replies).as("UDP packets from port %d to the unknown client", Topology.LISTEN_PORT).isEmpty();
        assertThat(unknown.latestHandshakeEpochSeconds()).as("unknown client's latest handshake").isZero();
        assertThat(unknown.rxBytes()).as("bytes the unknown client received").isZero();
        assertThat(after - before).as("counter.dropped_unknown_peer increase").isGreaterThanOrEqualTo(1);
        assertThat(server.status().peers()).as("peers in the status").doesNotContainKey(unknownKey.publicKey());
        assertThat(server.findLine(ServerProcess.HANDSHAKE, unknownKey.shortKey())).as("handshake log line for the unknown key")
                .isNull();

        // The known client, next to it, works.
        try (WgQuickClient known = WgQuickClient.fullTunnel(topo, topo.client(1), knownKey, serverKey.publicKey())) {
            known.up();
            Cmd.Result ok = known.get(target.url());
            assertThat(ok.ok()).as("GET by the known client:\n%s", ok.describe()).isTrue();
            assertThat(ok.stdout()).isEqualTo(target.content());
        }
    }
}
