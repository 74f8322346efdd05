package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.conn.UdpBind;
import io.wirecage.srv.nativebridge.Batch;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.UdpIo;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * The socket filter on a real socket on loopback: what the kernel drops (and counts) before the receive
 * thread would see it, as peer indexes and blocked sources change.
 */
class KernelScreenTest {
    private static final long LOOPBACK = 0x7F00_0001L;

    /** A message of {@code len} bytes of type {@code type}, receiver index (little-endian) at 4. */
    private static byte[] message(int type, int len, int receiverIndex) {
        byte[] m = new byte[len];
        java.util.Arrays.fill(m, (byte) 0x5a);
        m[0] = (byte) type;
        m[1] = m[2] = m[3] = 0;
        if (type == Messages.DATA || type == Messages.COOKIE_REPLY) {
            for (int i = 0; i < 4; i++) {
                m[4 + i] = (byte) (receiverIndex >>> (8 * i));
            }
        }
        return m;
    }

    private static final byte[] INITIATION = message(Messages.INITIATION, Messages.INITIATION_SIZE, 0);
    private static final byte[] DATA_TO_PEER_1 = message(Messages.DATA, 100, 1 << 8 | 3);
    private static final byte[] DATA_TO_PEER_5 = message(Messages.DATA, 100, 5 << 8);

    @Test
    void theKernelDropsWhatNoPeerCouldSendAndBlockedSourcesHandshakesForAWhile() throws Exception {
        try (UdpBind udp = UdpBind.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                DatagramSocket sender = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                Batch rx = new Batch(64 * UdpIo.REGION, 64)) {
            KernelScreen screen = new KernelScreen(udp.fd());
            Probe probe = new Probe(udp, sender, rx, screen);
            // no peers yet: nothing with a receiver index passes, an initiation does
            assertThat(probe.arrives(DATA_TO_PEER_1)).as("data to peer 1 before it exists").isFalse();
            assertThat(probe.arrives(INITIATION)).as("initiation").isTrue();
            assertThat(probe.arrives(new byte[] {1, 0, 0})).as("three bytes").isFalse();
            assertThat(probe.arrives(message(Messages.INITIATION, 100, 0))).as("short initiation").isFalse();
            assertThat(probe.arrives(message(9, 100, 0))).as("unknown type").isFalse();

            screen.indexLimit(2); // peer 1 exists
            assertThat(probe.arrives(DATA_TO_PEER_1)).as("data to peer 1").isTrue();
            assertThat(probe.arrives(DATA_TO_PEER_5)).as("data to index 5").isFalse();

            long now = System.nanoTime();
            screen.block(SourceAddress.IPV4, 0, LOOPBACK, now);
            assertThat(screen.blockedCount()).isEqualTo(1);
            assertThat(probe.arrives(INITIATION)).as("initiation from a blocked source").isFalse();
            assertThat(probe.arrives(message(Messages.COOKIE_REPLY, Messages.COOKIE_REPLY_SIZE, 1 << 8)))
                    .as("cookie reply from a blocked source").isFalse();
            assertThat(probe.arrives(DATA_TO_PEER_1)).as("data from a blocked source").isTrue();

            screen.maintain(now + KernelScreen.BLOCK_MILLIS * 500_000); // half the time: still blocked
            assertThat(probe.arrives(INITIATION)).as("initiation half a block later").isFalse();
            screen.maintain(now + KernelScreen.BLOCK_MILLIS * 1_000_000 + 1);
            assertThat(screen.blockedCount()).isZero();
            assertThat(probe.arrives(INITIATION)).as("initiation after the block expired").isTrue();
            assertThat(probe.kernelDropsSeen).as("every drop above is in the socket's drop counter").isEqualTo(8);
        }
    }

    @Test
    void atMostSixtyFourSourcesPerFamilyAreBlockedAndAnIpv6SourceIsItsSlash64() throws Exception {
        try (UdpBind udp = UdpBind.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            KernelScreen screen = new KernelScreen(udp.fd());
            long now = System.nanoTime();
            for (int i = 0; i < 100; i++) { // 100 addresses in one /64: one entry
                screen.block(SourceAddress.IPV6, 0xFD00_0000_0000_0000L, i, now);
            }
            assertThat(screen.blockedCount()).isEqualTo(1);
            for (int i = 0; i < 100; i++) {
                screen.block(SourceAddress.IPV4, 0, 0x0A00_0000L + i, now);
                screen.block(SourceAddress.IPV6, 0xFD00_0000_0000_0000L + i, 1, now);
            }
            assertThat(screen.blockedCount()).isEqualTo(128);
        }
    }

    /** Sends one datagram and says whether it reached the socket, checking the kernel's drop count agrees. */
    private static final class Probe {
        final UdpBind udp;
        final DatagramSocket sender;
        final Batch rx;
        final KernelScreen screen;
        int kernelDropsSeen;

        Probe(UdpBind udp, DatagramSocket sender, Batch rx, KernelScreen screen) {
            this.udp = udp;
            this.sender = sender;
            this.rx = rx;
            this.screen = screen;
        }

        boolean arrives(byte[] m) throws Exception {
            long before = screen.kernelDrops();
            sender.send(new DatagramPacket(m, m.length, udp.localAddress()));
            long n = UdpIo.receive(udp.fd(), rx, 64, 300);
            long dropped = screen.kernelDrops() - before;
            assertThat(n + dropped).as("datagrams received + dropped by the kernel").isEqualTo(1);
            kernelDropsSeen += (int) dropped;
            return n == 1 && rx.len(0) == m.length;
        }
    }
}
