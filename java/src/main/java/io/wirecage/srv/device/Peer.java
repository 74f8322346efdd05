package io.wirecage.srv.device;

import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.Tunnel;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A peer at run time: its settings, its boringtun tunnel, where it was last heard from, and counters.
 * The tunnel is called from the UDP, TUN and timer threads; the bridge locks per tunnel, not globally.
 */
public final class Peer {
    /** Replaced in place when only the allowed IPs change, so the session and counters stay. */
    private volatile PeerSettings settings;
    private final int index;
    private final Tunnel tunnel;
    /** Last authenticated source address (roaming): written by the UDP thread, read by the others. */
    private volatile Endpoint endpoint;

    /**
     * An endpoint in both forms: the InetSocketAddress for logs and NIO, and the (family, port, hi, lo)
     * form of {@link io.wirecage.srv.nativebridge.SourceAddress} the batched path compares and sends
     * to without allocating. Replaced (never mutated) when the peer roams.
     */
    record Endpoint(InetSocketAddress address, int family, int port, long hi, long lo) {
        static Endpoint of(InetSocketAddress a) {
            java.net.InetAddress ip = a.getAddress();
            return new Endpoint(a, SourceAddress.family(ip), a.getPort(), SourceAddress.hi(ip), SourceAddress.lo(ip));
        }

        boolean is(int family, int port, long hi, long lo) {
            return this.lo == lo && this.port == port && this.hi == hi && this.family == family;
        }
    }
    /**
     * Set when boringtun queued outgoing packets because no session existed yet; the UDP thread then
     * drains the queue after the next authenticated packet (the client's first data message confirms
     * the new session, and that decapsulate returns DONE, not WRITE_TO_NETWORK).
     */
    volatile boolean mayHaveQueued;

    final AtomicLong rxPackets = new AtomicLong();
    final AtomicLong txPackets = new AtomicLong();
    final AtomicLong droppedSourceNotAllowed = new AtomicLong();
    final AtomicLong droppedNoEndpoint = new AtomicLong();
    final AtomicLong handshakes = new AtomicLong();

    public Peer(PeerSettings settings, int index, Tunnel tunnel) {
        this.settings = settings;
        this.index = index;
        this.tunnel = tunnel;
    }

    public PeerSettings settings() {
        return settings;
    }

    void updateSettings(PeerSettings s) {
        settings = s;
    }

    /** The 24-bit index boringtun puts in the upper bits of every receiver index addressed to us. */
    public int index() {
        return index;
    }

    public Tunnel tunnel() {
        return tunnel;
    }

    public InetSocketAddress endpoint() {
        Endpoint e = endpoint;
        return e == null ? null : e.address();
    }

    Endpoint endpointRecord() {
        return endpoint;
    }

    /** Roaming: follow the peer to whatever address its latest authenticated packet came from. */
    void updateEndpoint(InetSocketAddress from) {
        Endpoint current = endpoint;
        if (current == null || (current.address() != from && !from.equals(current.address()))) {
            endpoint = Endpoint.of(from);
        }
    }

    /** The same for the batched path: allocates only when the address really changed. */
    void updateEndpoint(int family, int port, long hi, long lo) {
        Endpoint current = endpoint;
        if (current == null || !current.is(family, port, hi, lo)) {
            endpoint = new Endpoint(socketAddress(family, port, hi, lo), family, port, hi, lo);
        }
    }

    static InetSocketAddress socketAddress(int family, int port, long hi, long lo) {
        byte[] b;
        if (family == SourceAddress.IPV4) {
            b = new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        } else {
            b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
        }
        try {
            return new InetSocketAddress(java.net.InetAddress.getByAddress(b), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e); // cannot happen for 4 or 16 bytes
        }
    }

    public long rxPackets() {
        return rxPackets.get();
    }

    public long txPackets() {
        return txPackets.get();
    }

    public long droppedSourceNotAllowed() {
        return droppedSourceNotAllowed.get();
    }

    public long droppedNoEndpoint() {
        return droppedNoEndpoint.get();
    }

    public long handshakes() {
        return handshakes.get();
    }

    public String label() {
        return settings.label();
    }
}
