package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every data message the server sends is 32 bytes of overhead plus plaintext padded to a multiple of
 * 16 (up to the MTU), so the sizes of the packets inside do not show on the wire (issue 9, defect 6;
 * boringtun itself does not pad). Pings of odd sizes make replies of odd sizes; tcpdump on the server's
 * link to the client reads the length of every data message (type 4) the server sends.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class PaddedDataMessagesTest {
    static final int MTU = 1420;
    static final Pattern UDP_LENGTH = Pattern.compile("UDP, length (\\d+)");

    static Topology topo;

    @BeforeAll
    static void setUp() {
        Require.e2e("tcpdump");
        topo = Topology.create("Padding", 1);
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    @Test
    void everyDataMessageIsPaddedToSixteenBytesUpToTheMtu() {
        WgKeys.KeyPair serverKey = WgKeys.generate();
        WgKeys.KeyPair clientKey = WgKeys.generate();
        ServerProcess server = ServerProcess.config(topo, serverKey)
                .peer(clientKey.publicKey(), topo.client(1).tunnelAddr() + "/32").start("server");
        server.awaitReady();
        WgQuickClient client = WgQuickClient.fullTunnel(topo, topo.client(1), clientKey, serverKey.publicKey());
        client.up();
        Tcpdump capture = Tcpdump.start(topo.server(), topo.client(1).serverVeth(),
                "udp and src port " + Topology.LISTEN_PORT + " and udp[8] = 4", topo.workDir().resolve("tcpdump-data.log"));
        // echo replies of 28 + N bytes come back through NAT and the tunnel, one datagram each
        for (int size : new int[] {1, 3, 7, 20, 33, 100, 555, 1000, 1365, 1381, 1392}) {
            Cmd.Result ping = topo.client(1).ns().cmd("ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "-s", "" + size,
                    "-M", "dont", Topology.INTERNET_ADDR).timeout(Duration.ofSeconds(15)).run();
            assertThat(ping.stdout()).as("ping -s %d:\n%s", size, ping.describe()).contains("2 received");
        }
        List<String> lines = capture.stop();
        List<Integer> lengths = new ArrayList<>();
        for (String line : lines) {
            Matcher m = UDP_LENGTH.matcher(line);
            if (m.find()) {
                lengths.add(Integer.parseInt(m.group(1)));
            }
        }
        System.out.println("[it] data message lengths sent by the server: " + lengths);
        assertThat(lengths).as("data messages captured").hasSizeGreaterThanOrEqualTo(22);
        assertThat(lengths).allSatisfy(n -> assertThat((n - 32) % 16 == 0 || n - 32 == MTU)
                .as("data message of %d bytes: 32 + a multiple of 16, or 32 + the MTU", n).isTrue());
        client.down();
        assertThat(server.terminate()).isZero();
    }
}
