package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static io.wirecage.srv.it.Topology.SERVER_UPLINK_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One real WireGuard client reaches the "internet" namespace through wirecagesrv: handshake,
 * ping and an HTTP GET. The internet namespace has no route to the VPN subnet, so every answer
 * proves tunnel + NAT; the target also sees the server's uplink address as the source.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class TunnelTrafficTest {

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair clientKey;
    static ServerProcess server;

    @BeforeAll
    static void setUp() {
        Require.e2e("tcpdump", "python3");
        topo = Topology.create("TunnelTraffic", 1);
        target = HttpTarget.start(topo);
        serverKey = WgKeys.generate();
        clientKey = WgKeys.generate();
        server = ServerProcess.config(topo, serverKey)
                .peer(clientKey.publicKey(), topo.client(1).tunnelAddr() + "/32")
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
    void handshakePingAndHttpGetReachTheInternetOnlyThroughTunnelAndNat() {
        // Without the tunnel nobody can route between the client and the internet.
        Cmd.Result noRoute = topo.internet().tryExec("ip", "route", "get", "10.200.100.2");
        assertThat(noRoute.ok()).as("internet namespace must have no route to the VPN subnet:\n%s", noRoute.describe())
                .isFalse();
        assertThat(topo.client(1).ns().tryExec("ip", "route", "get", INTERNET_ADDR).ok())
                .as("client namespace must have no route to the internet before the tunnel is up").isFalse();

        WgQuickClient client = WgQuickClient.fullTunnel(topo, topo.client(1), clientKey, serverKey.publicKey());
        int requestsBefore = target.requestCount();

        long t0 = System.nanoTime();
        Duration upTook = client.up();
        Cmd.Result get = client.get(target.url());
        long totalMs = (System.nanoTime() - t0) / 1_000_000;

        assertThat(get.ok()).as("first HTTP GET through the tunnel:\n%s", get.describe()).isTrue();
        assertThat(get.stdout()).as("body of the first GET").isEqualTo(target.content());
        System.out.printf("[it] MEASURED first handshake + first HTTP GET (%d bytes): %d ms from `wg-quick up` "
                        + "(wg-quick up %d ms, handshake + GET %d ms); client implementation: %s%n",
                get.stdout().length(), totalMs, upTook.toMillis(), totalMs - upTook.toMillis(), client.implementation());

        // The client's route to the internet is the tunnel.
        String route = client.ns().exec("ip", "route", "get", INTERNET_ADDR).stdout();
        assertThat(route).as("client route to %s", INTERNET_ADDR).contains("dev " + client.interfaceName());

        // Handshake seen on both sides.
        assertThat(client.latestHandshakeEpochSeconds()).as("client's latest handshake\n%s", client.show()).isPositive();
        String hs = server.awaitLogLine(Duration.ofSeconds(5), ServerProcess.HANDSHAKE, clientKey.shortKey());
        System.out.println("[it] server log: " + hs);

        // Ping: 3 echo requests reach the target, NATed to the server's uplink address, 3 replies come back.
        Tcpdump icmp = Tcpdump.start(topo.internet(), topo.name("in"), "icmp and icmp[icmptype] = icmp-echo",
                topo.workDir().resolve("tcpdump-ping.log"));
        Cmd.Result ping = client.ping(INTERNET_ADDR, 3, null);
        List<String> echoes = icmp.stop();
        assertThat(ping.ok()).as("ping through the tunnel:\n%s", ping.describe()).isTrue();
        assertThat(ping.stdout()).contains("3 packets transmitted, 3 received");
        assertThat(echoes).as("echo requests seen in the internet namespace").hasSize(3)
                .allSatisfy(l -> assertThat(l).contains(SERVER_UPLINK_ADDR + " > " + INTERNET_ADDR));

        // The HTTP target saw the request from the server's NAT address, never from a VPN address.
        assertThat(target.requestSourcesSince(requestsBefore)).as("sources of the GETs at the target")
                .containsExactly(SERVER_UPLINK_ADDR);

        // The server's own view of the peer.
        ServerStatus st = server.status();
        System.out.println("[it] status:\n" + st.raw().strip());
        String pub = clientKey.publicKey();
        assertThat(st.device().get("interface")).isEqualTo(topo.tunName());
        assertThat(st.device().get("public_key")).isEqualTo(serverKey.publicKey());
        assertThat(st.device().get("listen_port")).isEqualTo("" + Topology.LISTEN_PORT);
        assertThat(st.peerField(pub, "endpoint")).startsWith(topo.client(1).clientSideAddr() + ":");
        assertThat(st.peerField(pub, "allowed_ips")).isEqualTo(topo.client(1).tunnelAddr() + "/32");
        assertThat(st.peerLong(pub, "latest_handshake_ms_ago")).isBetween(0L, 60_000L);
        assertThat(st.peerLong(pub, "rx_bytes")).as("rx_bytes").isPositive();
        assertThat(st.peerLong(pub, "tx_bytes")).as("tx_bytes").isGreaterThan(get.stdout().length());
        assertThat(st.peerLong(pub, "rx_packets")).as("rx_packets").isPositive();
        assertThat(st.peerLong(pub, "tx_packets")).as("tx_packets").isPositive();
        assertThat(st.peerLong(pub, "dropped_source_not_allowed")).isZero();
    }
}
