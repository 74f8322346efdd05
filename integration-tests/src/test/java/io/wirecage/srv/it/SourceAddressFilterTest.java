package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static io.wirecage.srv.it.Topology.SERVER_UPLINK_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cryptokey routing on the way in: a packet that decrypts fine but whose inner source is not the
 * sender's allowed IP is dropped, counted, and never reaches the internet; the sender's own
 * address keeps working.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class SourceAddressFilterTest {

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair clientKey;
    static WgKeys.KeyPair otherPeerKey;
    static ServerProcess server;
    static WgQuickClient client;

    @BeforeAll
    static void setUp() {
        Require.e2e("tcpdump", "python3");
        topo = Topology.create("SourceFilter", 1);
        target = HttpTarget.start(topo);
        serverKey = WgKeys.generate();
        clientKey = WgKeys.generate();
        otherPeerKey = WgKeys.generate();
        server = ServerProcess.config(topo, serverKey)
                .peer(clientKey.publicKey(), "10.200.100.2/32")
                .peer(otherPeerKey.publicKey(), "10.200.100.3/32") // configured, never connects
                .start("server");
        server.awaitReady();
        client = WgQuickClient.fullTunnel(topo, topo.client(1), clientKey, serverKey.publicKey());
        client.up();
        Cmd.Result get = client.get(target.url());
        assertThat(get.ok()).as("legitimate GET before the spoofing starts:\n%s", get.describe()).isTrue();
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    /**
     * @param spoofed an inner source address the client may not use: an unassigned address of the
     *                VPN subnet, and the address of another configured peer
     */
    @ParameterizedTest(name = "inner source {0} is dropped")
    @ValueSource(strings = {"10.200.100.99", "10.200.100.3"})
    void packetWithSourceOutsideTheSendersAllowedIpsIsDropped(String spoofed) {
        String pub = clientKey.publicKey();
        client.ns().exec("ip", "addr", "add", spoofed + "/32", "dev", client.interfaceName());
        try {
            ServerStatus before = server.status();
            long deviceBefore = before.counter("dropped_source_not_allowed");
            long peerBefore = before.peerLong(pub, "dropped_source_not_allowed");

            Tcpdump atTarget = Tcpdump.start(topo.internet(), topo.name("in"), "icmp",
                    topo.workDir().resolve("tcpdump-target-" + spoofed + ".log"));
            Tcpdump atServer = Tcpdump.start(topo.server(), topo.client(1).serverVeth(),
                    "udp and dst port " + Topology.LISTEN_PORT + " and src host " + topo.client(1).clientSideAddr(),
                    topo.workDir().resolve("tcpdump-server-" + spoofed + ".log"));
            Cmd.Result spoof = client.ping(INTERNET_ADDR, 3, spoofed);
            List<String> targetSaw = atTarget.stop();
            List<String> serverGot = atServer.stop();

            assertThat(serverGot).as("encrypted packets from the client reached the server (else the test proves nothing)")
                    .hasSizeGreaterThanOrEqualTo(3);
            assertThat(spoof.ok()).as("ping with inner source %s must fail:\n%s", spoofed, spoof.describe()).isFalse();
            assertThat(spoof.stdout()).contains("3 packets transmitted, 0 received");
            assertThat(targetSaw).as("ICMP seen in the internet namespace while pinging from %s", spoofed).isEmpty();

            ServerStatus after = server.status();
            long deviceDelta = after.counter("dropped_source_not_allowed") - deviceBefore;
            long peerDelta = after.peerLong(pub, "dropped_source_not_allowed") - peerBefore;
            System.out.printf("[it] spoofed source %s: %d encrypted packets reached the server, target saw %d, "
                    + "counter.dropped_source_not_allowed +%d, peer dropped_source_not_allowed +%d%n",
                    spoofed, serverGot.size(), targetSaw.size(), deviceDelta, peerDelta);
            assertThat(deviceDelta).as("counter.dropped_source_not_allowed increase").isGreaterThanOrEqualTo(3);
            assertThat(peerDelta).as("peer dropped_source_not_allowed increase").isGreaterThanOrEqualTo(3);
            if (spoofed.equals("10.200.100.3")) {
                assertThat(after.peerLong(otherPeerKey.publicKey(), "rx_packets"))
                        .as("packets credited to the peer whose address was spoofed").isZero();
            }
        } finally {
            client.ns().exec("ip", "addr", "del", spoofed + "/32", "dev", client.interfaceName());
        }

        // The legitimate address keeps working, and its packets do reach the target.
        Tcpdump atTarget = Tcpdump.start(topo.internet(), topo.name("in"), "icmp and icmp[icmptype] = icmp-echo",
                topo.workDir().resolve("tcpdump-target-legit.log"));
        Cmd.Result ping = client.ping(INTERNET_ADDR, 3, client.address().split("/")[0]);
        List<String> echoes = atTarget.stop();
        assertThat(ping.ok()).as("ping from the legitimate address:\n%s", ping.describe()).isTrue();
        assertThat(echoes).hasSize(3).allSatisfy(l -> assertThat(l).contains(SERVER_UPLINK_ADDR + " > " + INTERNET_ADDR));
        Cmd.Result get = client.get(target.url());
        assertThat(get.ok()).as("GET from the legitimate address:\n%s", get.describe()).isTrue();
        assertThat(get.stdout()).isEqualTo(target.content());
    }
}
