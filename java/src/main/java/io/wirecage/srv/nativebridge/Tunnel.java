package io.wirecage.srv.nativebridge;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * One WireGuard peer: a boringtun {@code Tunn} (mirrors tunnel.rs). Safe to call from two threads at
 * once (a per-tunnel native mutex serializes them). Every packet call takes direct buffers only,
 * allocates nothing, ignores buffer positions and limits, and returns a {@link TunnelResult} long
 * whose packet, if any, is at dst[0, length). Argument errors throw IllegalArgumentException;
 * protocol errors are negative codes.
 *
 * <p>Buffer sizes: every dst needs at least {@value #MIN_DST_CAPACITY} bytes; encapsulate needs
 * {@code len + }{@value #DATA_OVERHEAD}; decapsulate needs {@code len}; drain needs the largest
 * {@code len + }{@value #DATA_OVERHEAD} ever passed to encapsulate (it may re-encrypt a queued packet),
 * so use equally sized buffers everywhere.
 *
 * <p>{@link #close()} drops the keys at once; later calls throw IllegalStateException("tunnel is
 * closed"). The native cell itself is freed by a Cleaner when this object is unreachable.
 */
public final class Tunnel implements AutoCloseable {
    /** A handshake initiation, boringtun's largest control message. */
    public static final int MIN_DST_CAPACITY = 148;
    /** Data message header (16) + AEAD tag (16). */
    public static final int DATA_OVERHEAD = 32;
    /** Bytes of zero padding encapsulate may add (to a multiple of 16, see {@link #setPadLimit}). */
    public static final int MAX_PADDING = 15;
    /** Tunnel indices are 24 bits. */
    public static final int MAX_INDEX = 0xFF_FFFF;

    /** Indices into the array {@link #stats(long[])} fills. */
    public static final int STAT_MILLIS_SINCE_HANDSHAKE = 0;
    public static final int STAT_TX_BYTES = 1;
    public static final int STAT_RX_BYTES = 2;
    public static final int STAT_LOSS_PPM = 3;
    public static final int STAT_RTT_MILLIS = 4;
    public static final int STATS_LENGTH = 5;

    static {
        NativeLibrary.ensureAvailable();
    }

    private final long handle;
    private final int index;

    private Tunnel(long handle, int index) {
        this.handle = handle;
        this.index = index;
        NativeLibrary.CLEANER.register(this, new Free(handle));
    }

    /**
     * @param identity the server identity whose key and rate limiter this tunnel uses
     * @param peerPublicKey the peer's 32-byte static public key
     * @param presharedKeyOrNull 32 bytes or null
     * @param persistentKeepaliveSeconds 0 = off, else 1..65535
     * @param index 24-bit tunnel index, unique per identity; incoming responses, cookies and data carry
     *     {@code index << 8 | session counter} as their receiver index
     */
    public static Tunnel create(Identity identity, byte[] peerPublicKey, byte[] presharedKeyOrNull,
            int persistentKeepaliveSeconds, int index) {
        try {
            long h = create0(identity.handleForTunnel(), peerPublicKey, presharedKeyOrNull,
                    persistentKeepaliveSeconds, index);
            return new Tunnel(h, index);
        } finally {
            Reference.reachabilityFence(identity);
        }
    }

    public int index() {
        return index;
    }

    /**
     * Encrypts the IP packet src[off, off+len). WRITE_TO_NETWORK: send dst[0, length). Without a
     * session the packet is queued and the result is a handshake initiation (WRITE_TO_NETWORK, 148
     * bytes) or DONE when one is already in flight.
     */
    public long encapsulate(ByteBuffer src, int off, int len, ByteBuffer dst) {
        try {
            return encapsulate0(handle, src, off, len, dst);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Pads every packet this tunnel encrypts to a multiple of 16 bytes, but not beyond {@code mtu}, as the
     * protocol asks (boringtun sends exact sizes, which leak what is inside). 0 turns padding off. dst
     * then needs up to {@link #MAX_PADDING} more bytes.
     */
    public void setPadLimit(int mtu) {
        try {
            setPadLimit0(handle, mtu);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Handles one UDP datagram src[off, off+len) from the source address (srcHi, srcLo, srcFamily), see
     * {@link SourceAddress}. After any non-negative result call {@link #drain} until it returns DONE.
     */
    public long decapsulate(long srcHi, long srcLo, int srcFamily, ByteBuffer src, int off, int len,
            ByteBuffer dst) {
        try {
            return decapsulate0(handle, srcHi, srcLo, srcFamily, src, off, len, dst);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Batch form of {@link #encapsulate(ByteBuffer, int, int, ByteBuffer)}: the packet at src's arena
     * [off, off+len), the result at dst's arena from dstOff (which needs max(len + 32, 148) bytes of room).
     * src and dst must be different batches.
     */
    public long encapsulate(Batch src, int off, int len, Batch dst, int dstOff) {
        try {
            return encapsulateBatch0(handle, src.handle(), off, len, dst.handle(), dstOff);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Batch form of {@link #decapsulate(long, long, int, ByteBuffer, int, int, ByteBuffer)}; room as above. */
    public long decapsulate(long srcHi, long srcLo, int srcFamily, Batch src, int off, int len, Batch dst, int dstOff) {
        try {
            return decapsulateBatch0(handle, srcHi, srcLo, srcFamily, src.handle(), off, len, dst.handle(), dstOff);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Next queued packet, encrypted (WRITE_TO_NETWORK), or DONE when none can be sent yet. */
    public long drain(ByteBuffer dst) {
        try {
            return drain0(handle, dst);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Call every 100-250 ms: boringtun's clock only advances here. WRITE_TO_NETWORK = a keepalive or
     * handshake (re)initiation to send; ERR_CONNECTION_EXPIRED = no session for a long time (not fatal:
     * a new handshake from the peer revives the tunnel).
     */
    public long updateTimers(ByteBuffer dst) {
        try {
            return updateTimers0(handle, dst);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A handshake initiation (WRITE_TO_NETWORK) or DONE if one is in progress and not forced. */
    public long formatHandshakeInitiation(ByteBuffer dst, boolean forceResend) {
        try {
            return formatHandshakeInitiation0(handle, dst, forceResend);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Fills out[0..4]: ms since the last handshake or -1, tx bytes, rx bytes (IP bytes), estimated
     * loss in parts per million, rtt of the last handshake we initiated in ms or -1.
     */
    public void stats(long[] out) {
        try {
            stats0(handle, out);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Drops the session keys now; idempotent. */
    @Override
    public void close() {
        try {
            close0(handle);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private record Free(long handle) implements Runnable {
        @Override
        public void run() {
            free0(handle);
        }
    }

    static native long create0(long identityHandle, byte[] peerPublicKey, byte[] presharedKeyOrNull,
            int persistentKeepaliveSeconds, int index);

    static native long encapsulate0(long h, ByteBuffer src, int off, int len, ByteBuffer dst);

    static native void setPadLimit0(long h, int mtu);

    static native long decapsulate0(long h, long srcHi, long srcLo, int srcFamily, ByteBuffer src, int off, int len,
            ByteBuffer dst);

    static native long encapsulateBatch0(long h, long srcBatch, int off, int len, long dstBatch, int dstOff);

    static native long decapsulateBatch0(long h, long srcHi, long srcLo, int srcFamily, long srcBatch, int off, int len,
            long dstBatch, int dstOff);

    static native long drain0(long h, ByteBuffer dst);

    static native long updateTimers0(long h, ByteBuffer dst);

    static native long formatHandshakeInitiation0(long h, ByteBuffer dst, boolean forceResend);

    static native void stats0(long h, long[] out);

    static native void close0(long h);

    static native void free0(long h);
}
