package io.wirecage.srv.nativebridge;

import static io.wirecage.srv.nativebridge.TestPackets.CLIENT_INDEX;
import static io.wirecage.srv.nativebridge.TestPackets.CLIENT_UDP_ADDR;
import static io.wirecage.srv.nativebridge.TestPackets.SERVER_INDEX;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TunnelProtocolTest {
    private static final int CLIENT_VPN_IP = 0x0A08_0002; // 10.8.0.2
    private static final int INTERNET_IP = 0x0101_0101; // 1.1.1.1

    @Test
    void handshakeThenThousandPacketsEachWay() {
        try (TestPackets.Pair p = new TestPackets.Pair().handshake()) {
            ByteBuffer plain = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer wire = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer route = ByteBuffer.allocateDirect(64);
            ByteBuffer back = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            long upBytes = 0;
            long downBytes = 0;
            for (int i = 0; i < 1000; i++) {
                // Client -> server, routed the way the server does it: classify, then decapsulate.
                int size = 28 + (i * 37) % 1392;
                TestPackets.ipv4(plain, CLIENT_VPN_IP, INTERNET_IP, size, i);
                long r = p.client.encapsulate(plain, 0, size, wire);
                assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_NETWORK);
                int n = TunnelResult.length(r);
                assertThat(n).isEqualTo(size + Tunnel.DATA_OVERHEAD);
                r = p.serverId.classify(wire, 0, n, route);
                assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.BY_INDEX);
                assertThat(TunnelResult.length(r)).isEqualTo(SERVER_INDEX);
                r = p.server.decapsulate(0, CLIENT_UDP_ADDR, SourceAddress.IPV4, wire, 0, n, back);
                assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_TUNNEL_V4);
                assertThat(TunnelResult.length(r)).isEqualTo(size);
                assertThat(TestPackets.sameBytes(plain, back, size)).as("packet %d up", i).isTrue();
                assertThat(back.getInt(12)).isEqualTo(CLIENT_VPN_IP);
                upBytes += size;

                // Server -> client.
                size = 28 + (i * 53) % 1392;
                TestPackets.ipv4(plain, INTERNET_IP, CLIENT_VPN_IP, size, ~i);
                r = p.server.encapsulate(plain, 0, size, wire);
                assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_NETWORK);
                n = TunnelResult.length(r);
                r = p.clientId.classify(wire, 0, n, route);
                assertThat(TunnelResult.length(r)).isEqualTo(CLIENT_INDEX);
                r = p.client.decapsulate(0, 0, SourceAddress.NONE, wire, 0, n, back);
                assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_TUNNEL_V4);
                assertThat(TunnelResult.length(r)).isEqualTo(size);
                assertThat(TestPackets.sameBytes(plain, back, size)).as("packet %d down", i).isTrue();
                downBytes += size;
            }

            long[] stats = new long[Tunnel.STATS_LENGTH];
            p.client.stats(stats);
            assertThat(stats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE]).isBetween(0L, 60_000L);
            assertThat(stats[Tunnel.STAT_TX_BYTES]).isEqualTo(upBytes);
            assertThat(stats[Tunnel.STAT_RX_BYTES]).isEqualTo(downBytes);
            assertThat(stats[Tunnel.STAT_LOSS_PPM]).isZero();
            assertThat(stats[Tunnel.STAT_RTT_MILLIS]).isGreaterThanOrEqualTo(0);
            p.server.stats(stats);
            assertThat(stats[Tunnel.STAT_TX_BYTES]).isEqualTo(downBytes);
            assertThat(stats[Tunnel.STAT_RX_BYTES]).isEqualTo(upBytes);
            assertThat(stats[Tunnel.STAT_RTT_MILLIS]).isEqualTo(-1); // the responder measures none

            // Nothing is due right after a handshake.
            assertThat(p.client.updateTimers(wire)).isEqualTo(TunnelResult.DONE);
            assertThat(p.server.updateTimers(wire)).isEqualTo(TunnelResult.DONE);
        }
    }

    @Test
    void packetsBeforeTheHandshakeAreQueuedAndDrained() {
        try (Identity serverId = Identity.create(Keys.generatePrivateKey(), 100);
                Identity clientId = Identity.create(Keys.generatePrivateKey(), 100)) {
            Tunnel client = Tunnel.create(clientId, serverId.publicKey(), null, 25, 3);
            Tunnel server = Tunnel.create(serverId, clientId.publicKey(), null, 0, 4);
            ByteBuffer plain = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer wire = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer reply = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer back = ByteBuffer.allocateDirect(TestPackets.BUFFER);

            TestPackets.ipv4(plain, CLIENT_VPN_IP, INTERNET_IP, 500, 7);
            long r = client.encapsulate(plain, 0, 500, wire);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToNetwork(148)");
            r = server.decapsulate(0, 0, SourceAddress.NONE, wire, 0, 148, reply);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToNetwork(92)");
            r = client.decapsulate(0, 0, SourceAddress.NONE, reply, 0, 92, wire);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToNetwork(32)");
            r = server.decapsulate(0, 0, SourceAddress.NONE, wire, 0, 32, back);
            assertThat(r).isEqualTo(TunnelResult.DONE);
            // After WRITE_TO_NETWORK the caller drains until DONE: out comes the queued packet.
            r = client.drain(wire);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_NETWORK);
            int n = TunnelResult.length(r);
            assertThat(client.drain(reply)).isEqualTo(TunnelResult.DONE);
            r = server.decapsulate(0, 0, SourceAddress.NONE, wire, 0, n, back);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_TUNNEL_V4);
            assertThat(TestPackets.sameBytes(plain, back, 500)).isTrue();
            client.close();
            server.close();
        }
    }

    @Test
    void responderQueuesUntilTheFirstDataMessageThenDrainsAfterDone() {
        try (Identity serverId = Identity.create(Keys.generatePrivateKey(), 100);
                Identity clientId = Identity.create(Keys.generatePrivateKey(), 100)) {
            Tunnel client = Tunnel.create(clientId, serverId.publicKey(), null, 0, 3);
            Tunnel server = Tunnel.create(serverId, clientId.publicKey(), null, 0, 4);
            ByteBuffer init = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer resp = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer keepalive = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer plain = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            ByteBuffer wire = ByteBuffer.allocateDirect(TestPackets.BUFFER);

            client.formatHandshakeInitiation(init, false);
            server.decapsulate(0, 0, SourceAddress.NONE, init, 0, 148, resp);
            // The responder's new session is not current until the initiator's first data message:
            // boringtun queues this packet and, having forgotten its responder handshake, even
            // starts a handshake of its own (harmless to send).
            TestPackets.ipv4(plain, INTERNET_IP, CLIENT_VPN_IP, 300, 9);
            long r = server.encapsulate(plain, 0, 300, wire);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToNetwork(148)");
            r = client.decapsulate(0, 0, SourceAddress.NONE, resp, 0, 92, keepalive);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToNetwork(32)");
            // The keepalive yields DONE, not WRITE_TO_NETWORK, yet the queue is now sendable.
            assertThat(server.decapsulate(0, 0, SourceAddress.NONE, keepalive, 0, 32, wire))
                    .isEqualTo(TunnelResult.DONE);
            r = server.drain(wire);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_NETWORK);
            r = client.decapsulate(0, 0, SourceAddress.NONE, wire, 0, TunnelResult.length(r), init);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToTunnelV4(300)");
            assertThat(TestPackets.sameBytes(plain, init, 300)).isTrue();
            client.close();
            server.close();
        }
    }
}
