package io.wirecage.srv.nativebridge;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * The server's identity (mirrors identity.rs): its static key pair and the handshake rate limiter
 * shared by all of its tunnels. Thread-safe: {@link #screen} and {@link #classify} may run on several
 * threads at once.
 *
 * <p>The native memory is freed by a Cleaner once the object is unreachable; {@link #close()} only
 * stops further use (freeing while another thread is inside classify would be unsafe). Tunnels
 * created from an identity keep working after it is closed: they hold their own copy of the key.
 */
public final class Identity implements AutoCloseable {
    /** classify's out buffer must hold a 64-byte cookie reply. */
    public static final int MIN_CLASSIFY_OUT = 64;

    static {
        NativeLibrary.ensureAvailable();
    }

    private final long handle;
    private final byte[] publicKey;
    private volatile boolean closed;

    private Identity(long handle, byte[] publicKey) {
        this.handle = handle;
        this.publicKey = publicKey;
        NativeLibrary.CLEANER.register(this, new Free(handle));
    }

    /**
     * @param privateKey 32-byte private key
     * @param handshakesPerSecondLimit handshake messages per second (across all peers) before the
     *     server demands cookies (WireGuard's DoS mitigation); call {@link #resetRateLimiter()} once a second
     */
    public static Identity create(byte[] privateKey, int handshakesPerSecondLimit) {
        byte[] publicKey = Keys.publicKey(privateKey);
        return new Identity(create0(privateKey, handshakesPerSecondLimit), publicKey);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /**
     * Says where the datagram {@code src[off, off+len)}, which passed {@link #screen}, goes (no MAC check
     * here): {@link TunnelResult#HANDSHAKE_INIT} (initiator's key in out[0, 32), its TAI64N time in
     * out[32, 44)), {@link TunnelResult#BY_INDEX} (length = 24-bit tunnel index), or a negative error
     * code ({@link TunnelResult#ERR_UNKNOWN_PEER}: an initiation that does not decrypt with our key).
     *
     * @param out direct buffer of at least {@value #MIN_CLASSIFY_OUT} bytes, written from index 0
     */
    public long classify(ByteBuffer src, int off, int len, ByteBuffer out) {
        checkOpen();
        try {
            return classify0(handle, src, off, len, out);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The cheap first look at a handshake message (no X25519): boringtun's limiter checks mac1, counts the
     * message and, while the count is over the limit, checks mac2. {@link TunnelResult#DONE}: hand it to
     * {@link #classify}; {@link TunnelResult#WRITE_TO_NETWORK}: send the cookie reply in out[0, length)
     * back and drop the message; negative: drop it ({@link TunnelResult#ERR_INVALID_MAC} for a wrong mac1).
     *
     * @param out direct buffer of at least {@value #MIN_CLASSIFY_OUT} bytes, written from index 0
     */
    public long screen(ByteBuffer src, int off, int len, long srcHi, long srcLo, int srcFamily, ByteBuffer out) {
        checkOpen();
        try {
            return screen0(handle, src, off, len, srcHi, srcLo, srcFamily, out);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Tells the bridge which peers are configured (their 32-byte public keys, concatenated): the X25519
     * of our static key with each new peer's static key is computed now (about 40 us each), so reading
     * that peer's initiations later costs one X25519 instead of two. Keys no longer listed are forgotten.
     * Any thread; calls must not overlap (the device makes them from one thread, in order).
     *
     * @return the number of peers now known
     */
    public int setPeers(byte[] concatenatedKeys) {
        checkOpen();
        try {
            return setPeers0(handle, concatenatedKeys);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Call about once a second: the shared limiter is not reset by the tunnels' timers. */
    public void resetRateLimiter() {
        checkOpen();
        try {
            resetRateLimiter0(handle);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** For Tunnel.create, which must fence this object itself. */
    long handleForTunnel() {
        checkOpen();
        return handle;
    }

    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("identity is closed");
        }
    }

    private record Free(long handle) implements Runnable {
        @Override
        public void run() {
            free0(handle);
        }
    }

    static native long create0(byte[] privateKey, int handshakesPerSecondLimit);

    static native long classify0(long h, ByteBuffer src, int off, int len, ByteBuffer out);

    static native long screen0(long h, ByteBuffer src, int off, int len, long srcHi, long srcLo, int srcFamily,
            ByteBuffer out);

    static native int setPeers0(long h, byte[] concatenatedKeys);

    static native void resetRateLimiter0(long h);

    static native void free0(long h);
}
