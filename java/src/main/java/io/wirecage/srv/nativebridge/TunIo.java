package io.wirecage.srv.nativebridge;

/**
 * TUN reads and writes on a device fd Java opened and configured with a virtio header (IFF_VNET_HDR;
 * mirrors tunio.rs): reads split TSO super-packets into MSS-sized packets and writes merge TCP
 * segments (see {@link Offload}). Results pack two counts: {@link #count} and {@link #dropped}.
 */
public final class TunIo {
    static {
        NativeLibrary.ensureAvailable();
    }

    private TunIo() {
    }

    /**
     * Reads queued packets into entries [0, n) of {@code batch}, waiting up to {@code timeoutMillis}
     * for the first. Returns n | malformed << 32, or -errno when the read failed.
     */
    public static long read(int fd, Batch batch, int timeoutMillis) {
        return read0(fd, batch.handle(), timeoutMillis);
    }

    /** Writes entries [0, count), merging TCP segments when {@code gro}. Returns written | failed << 32. */
    public static long write(int fd, Batch batch, int count, boolean gro) {
        return write0(fd, batch.handle(), count, gro);
    }

    public static int count(long result) {
        return (int) result;
    }

    public static int dropped(long result) {
        return (int) (result >>> 32);
    }

    static native long read0(int fd, long batch, int timeoutMillis);

    static native long write0(int fd, long batch, int count, boolean gro);
}
