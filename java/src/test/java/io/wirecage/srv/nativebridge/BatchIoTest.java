package io.wirecage.srv.nativebridge;

import static io.wirecage.srv.nativebridge.TestPackets.CLIENT_UDP_ADDR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wirecage.srv.conn.UdpBind;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batched path's native pieces from Java: batches, batch tunnel calls, recvmmsg/sendmmsg on loopback. */
class BatchIoTest {
    private static final int CLIENT_VPN_IP = 0x0A08_0002;
    private static final int INTERNET_IP = 0x0101_0101;

    @Test
    void entriesRoundTripInTheDocumentedLayout() {
        try (Batch b = new Batch(4096, 4)) {
            b.set(3, 4000, 96, SourceAddress.IPV6, 51820, 0x2001_0db8_0000_0000L, -1L);
            assertThat(b.off(3)).isEqualTo(4000);
            assertThat(b.len(3)).isEqualTo(96);
            assertThat(b.family(3)).isEqualTo(6);
            assertThat(b.port(3)).isEqualTo(51820);
            assertThat(b.hi(3)).isEqualTo(0x2001_0db8_0000_0000L);
            assertThat(b.lo(3)).isEqualTo(-1L);
            assertThat(b.entries().capacity()).isEqualTo(4 * Batch.ENTRY_SIZE);
            assertThat(Batch.align(1)).isEqualTo(16);
            assertThat(Batch.align(32)).isEqualTo(32);
        }
        assertThatThrownBy(() -> new Batch(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tunnelsEncryptAndDecryptBetweenBatches() {
        try (TestPackets.Pair p = new TestPackets.Pair().handshake();
                Batch plain = new Batch(1 << 16, 16);
                Batch wire = new Batch(1 << 16, 16);
                Batch back = new Batch(1 << 16, 16)) {
            ByteBuffer tmp = ByteBuffer.allocateDirect(TestPackets.BUFFER);
            int pos = 0;
            for (int i = 0; i < 10; i++) {
                int size = 40 + i * 131;
                TestPackets.ipv4(tmp, CLIENT_VPN_IP, INTERNET_IP, size, i);
                plain.data().put(pos, tmp, 0, size);
                long r = p.client.encapsulate(plain, pos, size, wire, 0);
                assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_NETWORK);
                int n = TunnelResult.length(r);
                r = p.server.decapsulate(0, CLIENT_UDP_ADDR, SourceAddress.IPV4, wire, 0, n, back, 160);
                assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_TUNNEL_V4);
                assertThat(TunnelResult.length(r)).isEqualTo(size);
                assertThat(back.data().slice(160, size)).isEqualTo(plain.data().slice(pos, size));
                pos = Batch.align(pos + size);
            }
            assertThatThrownBy(() -> p.client.encapsulate(plain, 0, 100, plain, 4096))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same");
            assertThatThrownBy(() -> p.client.encapsulate(plain, 65500, 100, wire, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.encapsulate(plain, 0, 100, wire, 65500))
                    .isInstanceOf(IllegalArgumentException.class); // no room for the result
        }
    }

    @Test
    void sendmmsgWithGsoAndRecvmmsgWithGroOnLoopback() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (UdpBind rx = UdpBind.bind(any); UdpBind tx = UdpBind.bind(any);
                Batch out = new Batch(1 << 20, 256); Batch in = new Batch(64 * UdpIo.REGION, 64)) {
            int port = rx.localAddress().getPort();
            assertThat(port).isPositive();
            int[] sizes = new int[120];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = i == 59 ? 300 : 1452; // a short one ends a GSO run
            }
            int pos = 0;
            for (int i = 0; i < sizes.length; i++) {
                for (int k = 0; k < sizes[i]; k++) {
                    out.data().put(pos + k, (byte) i);
                }
                out.set(i, pos, sizes[i], SourceAddress.IPV4, port, 0, SourceAddress.ipv4(0x7F00_0001));
                pos = Batch.align(pos + sizes[i]);
            }
            long r = UdpIo.send(tx.fd(), out, sizes.length, tx.isV6(), tx.gso());
            assertThat(UdpIo.count(r)).isEqualTo(sizes.length);
            assertThat(UdpIo.failed(r)).isZero();
            List<int[]> got = new ArrayList<>();
            for (int round = 0; round < 50 && got.size() < sizes.length; round++) {
                long n = UdpIo.receive(rx.fd(), in, 64, 100);
                assertThat(n).isNotNegative();
                for (int m = 0; m < n; m++) {
                    assertThat(in.family(m)).isEqualTo(4);
                    assertThat(in.lo(m)).isEqualTo(0x7F00_0001L);
                    assertThat(in.port(m)).isEqualTo(tx.localAddress().getPort());
                    int seg = in.aux(m) > 0 ? in.aux(m) : in.len(m);
                    for (int o = in.off(m), end = o + in.len(m); o < end; o += seg) {
                        got.add(new int[] {Math.min(seg, end - o), in.data().get(o)});
                    }
                }
            }
            assertThat(got).hasSize(sizes.length);
            for (int i = 0; i < sizes.length; i++) {
                assertThat(got.get(i)).as("datagram %d", i).containsExactly(sizes[i], i);
            }
            assertThat(UdpIo.receive(rx.fd(), in, 64, 10)).isZero(); // nothing left: timeout
            assertThatThrownBy(() -> UdpIo.send(tx.fd(), out, 257, false, true))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void theSocketIsClosedOnceAndSendsAfterCloseFail() throws Exception {
        UdpBind u = UdpBind.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        assertThat(u.isOpen()).isTrue();
        u.close();
        u.close();
        assertThat(u.isOpen()).isFalse();
        ByteBuffer b = ByteBuffer.allocateDirect(16);
        assertThatThrownBy(() -> u.send(b, SourceAddress.IPV4, 9, 0, SourceAddress.lo(InetAddress.getLoopbackAddress())))
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void aBusyPortIsReportedByNumber() throws Exception {
        try (UdpBind a = UdpBind.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertThatThrownBy(() -> UdpBind.bind(a.localAddress()))
                    .hasMessageContaining("UDP port " + a.localAddress().getPort()).hasMessageContaining("in use")
                    .hasMessageContaining("Address already in use (errno 98)"); // strerror from the bridge
        }
    }

    @Test
    void aWildcardIpv6ListenAddressGivesADualStackSocket() throws Exception {
        try (UdpBind u = UdpBind.bind(new InetSocketAddress(InetAddress.getByName("::"), 0))) {
            assertThat(u.isV6()).isTrue();
            assertThat(u.localAddress().getPort()).isPositive();
        }
        try (UdpBind u = UdpBind.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertThat(u.isV6()).isFalse();
        }
    }
}
