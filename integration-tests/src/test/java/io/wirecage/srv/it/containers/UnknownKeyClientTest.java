package io.wirecage.srv.it.containers;

import io.wirecage.srv.it.ServerStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 5: a client whose key the server does not know gets no reply at all. Counted at both
 * ends: iptables rules in the server container count UDP from that client to port 51820 (its
 * handshake initiations arrive) and UDP from port 51820 back to it (must stay 0); the server's
 * {@code counter.dropped_unknown_peer} rises; the client's {@code wg show} has no handshake and 0
 * bytes received; the server's status and log never name its key. A known client on the same
 * server works at the same time. The server runs as the image's privileged container.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLabOnFailure.class)
class UnknownKeyClientTest {

    static Lab lab;
    static ServerContainer server;
    static Target target;
    static WgClient known;
    static WgClient unknown;

    @BeforeAll
    static void setUp() {
        lab = Lab.open("scenario 5 (unknown key)", 5,
                ContainerEnv.require(ContainerEnv.SERVER_IMAGE, ContainerEnv.CLIENT_IMAGE), "wan", "lan");
        target = Target.start(lab, 1);
        Keys.Pair serverKey = Keys.generate();
        Keys.Pair knownKey = Keys.generate();
        server = ServerContainer.startWithFlags(lab, serverKey, Map.of(knownKey.publicKey(), "10.200.100.2"), "lan");
        known = WgClient.start(lab, "known", ContainerEnv.CLIENT_IMAGE, "lan", 10, knownKey, "10.200.100.2");
        // Claims an address the server serves, with a key it has never seen.
        unknown = WgClient.start(lab, "unknown", ContainerEnv.CLIENT_IMAGE, "lan", 11, Keys.generate(), "10.200.100.3");
        known.up(server.publicKey(), server.endpoint("lan"), "0.0.0.0/0", 0);
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void unknownKeyGetsNoReplyAndIsCounted() {
        String u = unknown.node.ip("lan");
        server.node.exec(10, "iptables", "-I", "INPUT", "-p", "udp", "-s", u, "--dport", "" + ServerContainer.PORT).check();
        server.node.exec(10, "iptables", "-I", "OUTPUT", "-p", "udp", "-d", u, "--sport", "" + ServerContainer.PORT).check();
        long before = server.status().counter("dropped_unknown_peer");

        unknown.up(server.publicKey(), server.endpoint("lan"), "0.0.0.0/0", 0);
        // About 10 s of trying: wireguard-go retries its handshake every 5 s.
        Result ping = unknown.ping(target.ip, 3, 56);
        Result get = unknown.get(target.url("index.html?from=unknown"), 8);
        Result knownGet = known.get(target.url("index.html?from=known"), 10);

        long toServer = udpCount(server.node.exec(10, "iptables", "-L", "INPUT", "-v", "-n", "-x").check().out(), u);
        long fromServer = udpCount(server.node.exec(10, "iptables", "-L", "OUTPUT", "-v", "-n", "-x").check().out(), u);
        ServerStatus st = server.status();
        long after = st.counter("dropped_unknown_peer");
        System.out.printf("[ct] unknown client (%s): %d UDP packets to the server, %d from it; counter.dropped_unknown_peer +%d; "
                        + "client's wg show:%n%s%n", unknown.implementation(), toServer, fromServer, after - before, unknown.show().strip());

        assertThat(toServer).as("packets the unknown client sent to the server (else the test proves nothing)").isGreaterThanOrEqualTo(1);
        assertThat(fromServer).as("UDP packets from port %d to the unknown client", ServerContainer.PORT).isZero();
        assertThat(ping.ok()).as("ping by the unknown client must fail:\n%s", ping.describe()).isFalse();
        assertThat(get.ok()).as("GET by the unknown client must fail:\n%s", get.describe()).isFalse();
        assertThat(target.requestSources("from=unknown")).as("requests of the unknown client at the target").isEmpty();
        assertThat(unknown.latestHandshake()).as("unknown client's latest handshake").isZero();
        assertThat(unknown.rxBytes()).as("bytes the unknown client received").isZero();
        assertThat(after - before).as("counter.dropped_unknown_peer increase").isGreaterThanOrEqualTo(1);
        assertThat(st.peers()).as("peers in the status").doesNotContainKey(unknown.key.publicKey());
        assertThat(server.logs()).as("server log").doesNotContain(unknown.key.shortKey());
        assertThat(knownGet.ok()).as("the known client's GET at the same time:\n%s", knownGet.describe()).isTrue();
    }

    /** Packet count of the iptables rule (-L -v -n -x output) that names ADDRESS. */
    static long udpCount(String listing, String address) {
        for (String line : listing.split("\n")) {
            java.util.List<String> f = java.util.List.of(line.trim().split("\\s+"));
            if (f.contains("udp") && f.contains(address)) {
                return Long.parseLong(f.get(0));
            }
        }
        throw new AssertionError("no counting rule for " + address + " in:\n" + listing);
    }
}
