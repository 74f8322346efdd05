package io.wirecage.srv.nativebridge;

/**
 * The kernel-side screen of the UDP socket (mirrors sockfilter.rs): a classic BPF socket filter that
 * drops datagrams which cannot be a WireGuard message for this server (unknown type, wrong size, a
 * receiver index outside the peer indexes handed out) and the handshake messages of blocked source
 * addresses, before they are queued, copied or wake the receive thread.
 */
public final class SocketFilter {
    /** Blocked addresses per family at most. */
    public static final int MAX_BLOCKED = 64;

    static {
        NativeLibrary.ensureAvailable();
    }

    private SocketFilter() {
    }

    /**
     * Attaches (or atomically replaces) the filter. {@code indexLimit}: peer indexes in use are
     * 1..indexLimit-1. {@code blocked4}: IPv4 addresses (big-endian ints); {@code blocked6}: IPv6 /64
     * prefixes, two big-endian ints each. Returns 0 or -errno.
     */
    public static long attach(int fd, int indexLimit, int[] blocked4, int[] blocked6) {
        return attach0(fd, indexLimit, blocked4, blocked6);
    }

    /** Datagrams the kernel dropped for the socket (this filter, or a full receive buffer), or -errno. */
    public static long kernelDrops(int fd) {
        return kernelDrops0(fd);
    }

    private static native long attach0(int fd, int indexLimit, int[] blocked4, int[] blocked6);

    private static native long kernelDrops0(int fd);
}
