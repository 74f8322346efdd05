package io.wirecage.srv.nativebridge;

import static io.wirecage.srv.nativebridge.TestPackets.CLIENT_UDP_ADDR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BoundaryTest {
    private static final int SRC = 0x0A08_0002;
    private static final int DST = 0x0101_0101;

    @Test
    void closedTunnelThrowsIllegalState() {
        TestPackets.Pair p = new TestPackets.Pair().handshake();
        ByteBuffer buf = ByteBuffer.allocateDirect(2048);
        ByteBuffer plain = ByteBuffer.allocateDirect(2048);
        TestPackets.ipv4(plain, SRC, DST, 100, 1);
        p.client.close();
        p.client.close(); // harmless
        assertThatThrownBy(() -> p.client.encapsulate(plain, 0, 100, buf))
                .isInstanceOf(IllegalStateException.class).hasMessage("tunnel is closed");
        assertThatThrownBy(() -> p.client.decapsulate(0, 0, 0, plain, 0, 100, buf))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.client.drain(buf)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.client.updateTimers(buf)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.client.formatHandshakeInitiation(buf, true))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.client.stats(new long[5])).isInstanceOf(IllegalStateException.class);
        // The other tunnel is unaffected.
        assertThat(p.server.updateTimers(buf)).isEqualTo(TunnelResult.DONE);
        p.close();

        assertThatThrownBy(() -> Tunnel.encapsulate0(0, plain, 0, 100, buf))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("handle is 0");
        assertThatThrownBy(() -> Identity.classify0(0, plain, 0, 100, buf))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Identity.screen0(0, plain, 0, 100, 0, 0, 0, buf))
                .isInstanceOf(IllegalStateException.class);
        Identity id = Identity.create(Keys.generatePrivateKey(), 10);
        id.close();
        assertThatThrownBy(() -> id.classify(plain, 0, 100, buf)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> id.screen(plain, 0, 100, 0, 0, 0, buf)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void tooSmallDstIsIllegalArgument() {
        try (TestPackets.Pair p = new TestPackets.Pair().handshake()) {
            ByteBuffer plain = ByteBuffer.allocateDirect(2048);
            TestPackets.ipv4(plain, SRC, DST, 1000, 1);
            ByteBuffer small = ByteBuffer.allocateDirect(147);
            ByteBuffer almost = ByteBuffer.allocateDirect(1031);
            assertThatThrownBy(() -> p.client.encapsulate(plain, 0, 1000, almost))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1032");
            assertThatThrownBy(() -> p.client.encapsulate(plain, 0, 28, small))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.decapsulate(0, 0, 0, plain, 0, 100, small))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.decapsulate(0, 0, 0, plain, 0, 1032, almost))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.drain(small)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.updateTimers(small)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.formatHandshakeInitiation(small, false))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.serverId.classify(plain, 0, 100, ByteBuffer.allocateDirect(63)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.stats(new long[4])).isInstanceOf(IllegalArgumentException.class);
            // Nothing reached boringtun: the tunnel still works.
            assertThat(TunnelResult.code(p.client.encapsulate(plain, 0, 1000, ByteBuffer.allocateDirect(1032))))
                    .isEqualTo(TunnelResult.WRITE_TO_NETWORK);
        }
    }

    @Test
    void badRangesAndHeapOrNullBuffersAreIllegalArgument() {
        try (TestPackets.Pair p = new TestPackets.Pair().handshake()) {
            ByteBuffer src = ByteBuffer.allocateDirect(256);
            ByteBuffer dst = ByteBuffer.allocateDirect(2048);
            TestPackets.ipv4(src, SRC, DST, 100, 1);
            assertThatThrownBy(() -> p.client.encapsulate(src, 0, -1, dst))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
            assertThatThrownBy(() -> p.client.encapsulate(src, -1, 10, dst))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.encapsulate(src, 200, 57, dst))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity 256");
            assertThatThrownBy(() -> p.client.decapsulate(0, 0, 0, src, Integer.MAX_VALUE, Integer.MAX_VALUE, dst))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.encapsulate(ByteBuffer.allocate(256), 0, 100, dst))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a direct");
            assertThatThrownBy(() -> p.client.encapsulate(src, 0, 100, ByteBuffer.allocate(2048)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dst");
            assertThatThrownBy(() -> p.client.drain(ByteBuffer.allocate(2048)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> p.client.encapsulate(null, 0, 100, dst))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
            assertThatThrownBy(() -> p.serverId.classify(src, 0, 100, null))
                    .isInstanceOf(IllegalArgumentException.class);
            // src and dst may not overlap (the same buffer for both).
            assertThatThrownBy(() -> p.client.encapsulate(dst, 0, 100, dst))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
            assertThatThrownBy(() -> p.client.decapsulate(0, 0, 5, src, 0, 100, dst))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("family");
            assertThatThrownBy(() -> Tunnel.create(p.serverId, new byte[32], null, 0, Tunnel.MAX_INDEX + 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Tunnel.create(p.serverId, new byte[32], new byte[5], 0, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("preshared");
            assertThatThrownBy(() -> Tunnel.create(p.serverId, new byte[32], null, 70_000, 1))
                    .isInstanceOf(IllegalArgumentException.class);
            // A slice of a direct buffer is still direct; offsets are relative to the buffer passed.
            ByteBuffer slice = dst.slice(100, 1000);
            TestPackets.ipv4(src, SRC, DST, 100, 2);
            assertThat(TunnelResult.code(p.client.encapsulate(src, 0, 100, slice)))
                    .isEqualTo(TunnelResult.WRITE_TO_NETWORK);
        }
    }

    @Test
    void garbageDatagramsAreNegativeCodesNotCrashes() {
        try (TestPackets.Pair p = new TestPackets.Pair().handshake()) {
            SplittableRandom random = new SplittableRandom(42);
            ByteBuffer src = ByteBuffer.allocateDirect(2048);
            ByteBuffer dst = ByteBuffer.allocateDirect(2048);
            int[] lengths = {0, 1, 3, 4, 15, 16, 31, 32, 33, 63, 64, 65, 91, 92, 93, 147, 148, 149, 200, 1500, 2048};
            for (int round = 0; round < 200; round++) {
                for (int len : lengths) {
                    for (int i = 0; i < len; i++) {
                        src.put(i, (byte) random.nextInt(256));
                    }
                    if (round % 2 == 0 && len >= 4) {
                        // Valid message types with garbage bodies reach deeper code paths.
                        src.putInt(0, Integer.reverseBytes(1 + round / 2 % 4));
                    }
                    long r = p.serverId.screen(src, 0, len, 0, CLIENT_UDP_ADDR, SourceAddress.IPV4, dst);
                    int type = len >= 4 ? src.getInt(0) : 0;
                    boolean checkedByScreen = type != Integer.reverseBytes(3) && type != Integer.reverseBytes(4);
                    // initiations and responses need a valid mac1; well-formed cookie replies and data pass
                    // on to their tunnel, which authenticates them
                    if (checkedByScreen) {
                        assertThat(TunnelResult.code(r)).as("screen of garbage").isNegative();
                    } else {
                        assertThat(TunnelResult.code(r)).as("screen of a cookie reply or data").isLessThanOrEqualTo(0);
                    }
                    r = p.serverId.classify(src, 0, len, dst);
                    int code = TunnelResult.code(r);
                    assertThat(code < 0 || code == TunnelResult.BY_INDEX).as("classify %d", code).isTrue();
                    r = p.server.decapsulate(0, CLIENT_UDP_ADDR, SourceAddress.IPV4, src, 0, len, dst);
                    assertThat(r).as("decapsulate of %d garbage bytes: %s", len, TunnelResult.toString(r))
                            .isNegative();
                    r = p.client.decapsulate(0, 0, SourceAddress.NONE, src, 0, len, dst);
                    assertThat(r).isNegative();
                }
            }
            // The session survived all of it.
            TestPackets.ipv4(src, SRC, DST, 100, 3);
            long r = p.client.encapsulate(src, 0, 100, dst);
            r = p.server.decapsulate(0, 0, 0, dst, 0, TunnelResult.length(r), src);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_TUNNEL_V4);
        }
    }

    @Test
    void twoThreadsEncapsulateAndDecapsulateOnOneTunnel() throws Exception {
        final int count = 5000;
        try (TestPackets.Pair p = new TestPackets.Pair().handshake()) {
            // Pre-encrypt server->client traffic, then let one thread decapsulate it on the client
            // tunnel while another encapsulates new traffic on the same tunnel.
            ByteBuffer[] incoming = new ByteBuffer[count];
            int[] incomingLen = new int[count];
            ByteBuffer plain = ByteBuffer.allocateDirect(2048);
            for (int i = 0; i < count; i++) {
                TestPackets.ipv4(plain, DST, SRC, 60 + i % 700, i);
                incoming[i] = ByteBuffer.allocateDirect(2048);
                long r = p.server.encapsulate(plain, 0, 60 + i % 700, incoming[i]);
                incomingLen[i] = TunnelResult.length(r);
            }
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Integer> decap = pool.submit(() -> {
                    ByteBuffer out = ByteBuffer.allocateDirect(2048);
                    ByteBuffer expected = ByteBuffer.allocateDirect(2048);
                    int ok = 0;
                    for (int i = 0; i < count; i++) {
                        long r = p.client.decapsulate(0, 0, 0, incoming[i], 0, incomingLen[i], out);
                        TestPackets.ipv4(expected, DST, SRC, 60 + i % 700, i);
                        if (TunnelResult.code(r) == TunnelResult.WRITE_TO_TUNNEL_V4
                                && TestPackets.sameBytes(expected, out, 60 + i % 700)) {
                            ok++;
                        }
                    }
                    return ok;
                });
                Future<Integer> encap = pool.submit(() -> {
                    ByteBuffer in = ByteBuffer.allocateDirect(2048);
                    ByteBuffer out = ByteBuffer.allocateDirect(2048);
                    ByteBuffer back = ByteBuffer.allocateDirect(2048);
                    int ok = 0;
                    for (int i = 0; i < count; i++) {
                        TestPackets.ipv4(in, SRC, DST, 60 + i % 900, i);
                        long r = p.client.encapsulate(in, 0, 60 + i % 900, out);
                        if (TunnelResult.code(r) == TunnelResult.WRITE_TO_NETWORK) {
                            // Only this thread touches the server tunnel.
                            r = p.server.decapsulate(0, 0, 0, out, 0, TunnelResult.length(r), back);
                            if (TunnelResult.code(r) == TunnelResult.WRITE_TO_TUNNEL_V4
                                    && TestPackets.sameBytes(in, back, 60 + i % 900)) {
                                ok++;
                            }
                        }
                    }
                    return ok;
                });
                assertThat(decap.get(60, TimeUnit.SECONDS)).isEqualTo(count);
                assertThat(encap.get(60, TimeUnit.SECONDS)).isEqualTo(count);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void nativePanicBecomesAJavaException() {
        assertThatThrownBy(() -> NativeLibrary.panicForTest0("on purpose"))
                .isInstanceOf(NativePanicException.class).hasMessageContaining("on purpose");
        // The JVM and the library are still fine.
        assertThat(Keys.generatePrivateKey()).hasSize(32);
    }

    @Test
    void libraryReportsAvailable() {
        assertThat(NativeLibrary.isAvailable()).isTrue();
        assertThat(NativeLibrary.unavailabilityCause()).isNull();
        NativeLibrary.ensureAvailable();
    }

    @Test
    void resultNamesAreStable() {
        assertThat(TunnelResult.name(TunnelResult.ERR_INVALID_MAC)).isEqualTo("InvalidMac");
        assertThat(TunnelResult.name(TunnelResult.ERR_UNKNOWN_PEER)).isEqualTo("UnknownPeer");
        assertThat(TunnelResult.name(TunnelResult.ERR_OTHER)).isEqualTo("Other");
        assertThat(TunnelResult.name(TunnelResult.WRITE_TO_TUNNEL_V4)).isEqualTo("WriteToTunnelV4");
        long r = ((long) TunnelResult.ERR_DUPLICATE_COUNTER) << 32;
        assertThat(TunnelResult.code(r)).isEqualTo(-12);
        assertThat(TunnelResult.length(r)).isZero();
        assertThat(TunnelResult.length(((long) TunnelResult.BY_INDEX << 32) | 0xFF_FFFFL)).isEqualTo(0xFF_FFFF);
    }
}
