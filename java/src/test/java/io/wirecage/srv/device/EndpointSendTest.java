package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.conn.UdpBind;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.Test;

/**
 * Packets sent to a peer's endpoint (boringtun's queue drained after a handshake, timer messages, ICMPv6
 * answers) go out from the endpoint's raw fields: no InetAddress, no byte[] of its bytes per datagram.
 */
class EndpointSendTest {
    private static final int SENDS = 10_000;

    @Test
    void sendingToAPeersEndpointAllocatesNothingPerDatagram() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (DatagramChannel sink = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
                Identity id = Identity.create(Keys.generatePrivateKey(), 100);
                Device device = new Device(id, UdpBind.bind(new InetSocketAddress(loopback, 0)), null)) {
            Peer.Endpoint to = Peer.Endpoint.of((InetSocketAddress) sink.getLocalAddress());
            ByteBuffer buf = ByteBuffer.allocateDirect(64);
            for (int i = 0; i < SENDS; i++) { // warm-up, so that no first-call work is measured
                device.send(buf, 32, to);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            int sent = 0;
            for (int i = 0; i < SENDS; i++) {
                sent += device.send(buf, 32, to) ? 1 : 0;
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;

            assertThat(sent).isEqualTo(SENDS);
            // one InetAddress or one byte[] copy of an address per send would be >= 16 bytes each
            assertThat(allocated).as("bytes allocated by %d sends", SENDS).isLessThan(SENDS);
            assertThat(device.counters().droppedSendFailed.get()).isZero();
        }
    }
}
