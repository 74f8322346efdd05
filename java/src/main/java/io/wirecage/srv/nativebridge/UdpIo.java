package io.wirecage.srv.nativebridge;

import java.nio.ByteBuffer;

/**
 * Batched UDP syscalls on a socket Java created and owns (mirrors udpio.rs): recvmmsg with UDP_GRO,
 * sendmmsg with UDP_SEGMENT. The fd is borrowed for each call; the caller must not close it while a
 * call may run. Results pack two counts: {@link #count} and {@link #failed}.
 */
public final class UdpIo {
    /** Arena bytes per received message (one GRO message is at most 64 KB). */
    public static final int REGION = 65536;
    /** Messages per syscall. */
    public static final int MAX_MESSAGES = 64;
    /** send result flag: the route refused GSO (EIO); the datagrams went out one by one instead. */
    public static final long GSO_FAILED = 1L << 62;

    static {
        NativeLibrary.ensureAvailable();
    }

    private UdpIo() {
    }

    /**
     * Creates a UDP socket bound to the address (family, hi, lo) in {@link SourceAddress} form and
     * port (0 = any), both socket buffers forced to {@code bufferBytes} (as root; capped at
     * rmem_max/wmem_max otherwise). An IPv6 socket is dual-stack. Returns the fd or -errno.
     */
    public static long open(int family, int port, long hi, long lo, int bufferBytes) {
        return open0(family, port, hi, lo, bufferBytes);
    }

    /** The port the socket is bound to, or -errno. */
    public static long localPort(int fd) {
        return localPort0(fd);
    }

    /** Closes the fd; only after every call that uses it has returned. */
    public static void close(int fd) {
        close0(fd);
    }

    /** strerror(errno) plus the number, for one-line error messages. */
    public static String describe(int errno) {
        return errorText0(errno) + " (errno " + errno + ")";
    }

    /**
     * Receives up to {@code maxMessages} messages into {@code batch} (message i at entry i, arena
     * offset i * REGION; aux = GRO segment size, 0 for one datagram, -1 when truncated), waiting up to
     * {@code timeoutMillis} when none is queued. Returns the message count (0 on timeout) or -errno.
     */
    public static long receive(int fd, Batch batch, int maxMessages, int timeoutMillis) {
        return recv0(fd, batch.handle(), maxMessages, timeoutMillis);
    }

    /** Sends entries [0, count); equal-sized runs to one address become GSO sends when {@code gso}. */
    public static long send(int fd, Batch batch, int count, boolean v6Socket, boolean gso) {
        return send0(fd, batch.handle(), count, v6Socket, gso);
    }

    /** One datagram from a direct buffer; 0 or -errno. */
    public static long sendTo(int fd, ByteBuffer src, int off, int len, int family, int port, long hi, long lo,
            boolean v6Socket) {
        return sendTo0(fd, src, off, len, family, port, hi, lo, v6Socket);
    }

    /** setsockopt(UDP_GRO, 1): 0 or -errno (e.g. -ENOPROTOOPT before Linux 5.0). */
    public static int enableGro(int fd) {
        return enableGro0(fd);
    }

    /** 0 when the kernel supports UDP_SEGMENT (Linux 4.18+), else -errno. */
    public static int probeGso(int fd) {
        return probeGso0(fd);
    }

    public static int count(long result) {
        return (int) result;
    }

    public static int failed(long result) {
        return (int) ((result >>> 32) & 0x3fffffff);
    }

    static native long open0(int family, int port, long hi, long lo, int bufferBytes);

    static native long localPort0(int fd);

    static native void close0(int fd);

    static native String errorText0(int errno);

    static native long recv0(int fd, long batch, int maxMessages, int timeoutMillis);

    static native long send0(int fd, long batch, int count, boolean v6Socket, boolean gso);

    static native long sendTo0(int fd, ByteBuffer src, int off, int len, int family, int port, long hi, long lo,
            boolean v6Socket);

    static native int enableGro0(int fd);

    static native int probeGso0(int fd);
}
