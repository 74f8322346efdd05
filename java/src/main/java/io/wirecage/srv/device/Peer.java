package io.wirecage.srv.device;

import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.Tunnel;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A peer at run time: its settings, its boringtun tunnel, where it was last heard from, and counters.
 * The tunnel is called from the UDP, TUN and timer threads; the bridge locks per tunnel, not globally.
 *
 * <p>The tunnel exists only while the peer is active: it is created on the peer's first handshake (or
 * the first packet the server has for it) and dropped when boringtun reports the connection expired.
 * A boringtun {@code Tunn} holds about 11 KB even with no session, so 10,000 configured but idle peers
 * would otherwise cost over 100 MB.
 */
public final class Peer {
    /** Replaced in place when only the allowed IPs change, so the session and counters stay. */
    private volatile PeerSettings settings;
    private final int index;
    private final TunnelFactory factory;
    /** Null while the peer is idle; see {@link #activeTunnel()}. */
    private volatile Tunnel tunnel;
    private boolean removed;
    // Totals of tunnels already dropped, so status counts survive idle periods.
    private volatile long retiredTxBytes;
    private volatile long retiredRxBytes;
    /** Wall-clock time of the latest completed handshake, or 0. */
    volatile long lastHandshakeMillis;

    /** Creates a peer's boringtun tunnel when it becomes active. */
    @FunctionalInterface
    public interface TunnelFactory {
        Tunnel create(PeerSettings settings, int index);
    }
    /** Last authenticated source address (roaming): written by the UDP thread, read by the others. */
    private volatile Endpoint endpoint;
    /** The TAI64N time of the newest accepted handshake initiation; 0 = none yet. */
    private long initSeconds;
    private int initNanos;

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
    /** ICMPv6 "prohibited" answers this peer may still get now, and when the budget was last topped up (receive thread only). */
    double icmp6Budget = Ipv6Guard.BURST;
    long icmp6RefilledNanos;
    /** When each kind of connection event was last logged (nanoTime), for {@link Events}' rate limit. */
    final long[] lastEvent = new long[Events.KINDS];
    /** A session was seen live and its end is not logged yet (timers thread only). */
    boolean sessionLive;

    public Peer(PeerSettings settings, int index, TunnelFactory factory) {
        this.settings = settings;
        this.index = index;
        this.factory = factory;
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

    /** The tunnel if the peer is active, else null: data messages for an idle peer are stale. */
    public Tunnel tunnel() {
        return tunnel;
    }

    /**
     * The tunnel, created on demand: for a handshake from the peer, or a packet for it.
     * Throws IllegalStateException once the peer was removed (callers count the packet as dropped).
     */
    public Tunnel activeTunnel() {
        Tunnel t = tunnel;
        if (t != null) {
            return t;
        }
        synchronized (this) {
            if (removed) {
                throw new IllegalStateException("peer was removed");
            }
            if (tunnel == null) {
                tunnel = factory.create(settings, index);
            }
            return tunnel;
        }
    }

    /**
     * Drops an expired tunnel and returns it; the caller closes it a little later, after calls other
     * threads may have in flight on it have finished.
     */
    synchronized Tunnel retireTunnel(long[] stats) {
        Tunnel t = tunnel;
        if (t != null) {
            t.stats(stats);
            retiredTxBytes += stats[Tunnel.STAT_TX_BYTES];
            retiredRxBytes += stats[Tunnel.STAT_RX_BYTES];
            tunnel = null;
        }
        return t;
    }

    /**
     * A native panic left this tunnel unusable: close it (its keys are zeroized) and let the next
     * handshake create a fresh one. Its byte counts are kept for the peer's totals.
     */
    synchronized void discardPoisonedTunnel() {
        Tunnel t = tunnel;
        if (t == null) {
            return;
        }
        tunnel = null;
        try {
            long[] stats = new long[Tunnel.STATS_LENGTH];
            t.stats(stats);
            retiredTxBytes += stats[Tunnel.STAT_TX_BYTES];
            retiredRxBytes += stats[Tunnel.STAT_RX_BYTES];
        } catch (RuntimeException e) {
            // the poisoned tunnel cannot even report: its bytes are lost from the totals
        }
        try {
            t.close();
        } catch (RuntimeException e) {
            // closing frees what can be freed
        }
    }

    /** Removal: closes the tunnel (zeroizing its keys) and refuses to create another. */
    synchronized void close() {
        removed = true;
        if (tunnel != null) {
            tunnel.close();
            tunnel = null;
        }
    }

    /**
     * Fills {@code out} like {@link Tunnel#stats}, for an idle peer too: byte totals include dropped
     * tunnels, and the latest handshake comes from the wall clock once the tunnel is gone.
     */
    public void stats(long[] out) {
        Tunnel t = tunnel;
        java.util.Arrays.fill(out, 0);
        out[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE] = -1;
        out[Tunnel.STAT_RTT_MILLIS] = -1;
        if (t != null) {
            try {
                t.stats(out);
            } catch (IllegalStateException e) {
                // dropped meanwhile: fall through to the totals
            }
        }
        out[Tunnel.STAT_TX_BYTES] += retiredTxBytes;
        out[Tunnel.STAT_RX_BYTES] += retiredRxBytes;
        long last = lastHandshakeMillis;
        if (out[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE] < 0 && last > 0) {
            out[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE] = System.currentTimeMillis() - last;
        }
    }

    public InetSocketAddress endpoint() {
        Endpoint e = endpoint;
        return e == null ? null : e.address();
    }

    Endpoint endpointRecord() {
        return endpoint;
    }

    /** Roaming: follow the peer to whatever address its latest authenticated packet came from. */
    /** Sets the endpoint as a packet from {@code from} would (tests of what is printed for a peer). */
    public void useEndpointForTest(InetSocketAddress from) {
        updateEndpoint(from);
    }

    /** Takes over where an old instance of this peer was last heard from, and its replay guard. */
    void keepEndpointOf(Peer old) {
        endpoint = old.endpoint;
        synchronized (old) {
            acceptedInitiation(old.initSeconds, old.initNanos);
        }
    }

    /**
     * True when an initiation's TAI64N time is not newer than the newest this peer had accepted. Kept
     * by the peer, not by its boringtun tunnel, which is freed when the peer goes idle (and with it
     * boringtun's own check), so a captured initiation cannot be replayed to an idle peer.
     */
    synchronized boolean isReplayedInitiation(long seconds, int nanos) {
        int bySeconds = Long.compareUnsigned(seconds, initSeconds);
        return bySeconds < 0 || (bySeconds == 0 && Integer.compareUnsigned(nanos, initNanos) <= 0);
    }

    /** Remembers the time of an initiation the tunnel accepted (only newer ones move it). */
    synchronized void acceptedInitiation(long seconds, int nanos) {
        if (!isReplayedInitiation(seconds, nanos)) {
            initSeconds = seconds;
            initNanos = nanos;
        }
    }

    void updateEndpoint(InetSocketAddress from) {
        Endpoint current = endpoint;
        if (current == null || (current.address() != from && !from.equals(current.address()))) {
            endpoint = Endpoint.of(from);
            if (current != null) {
                Events.roamed(this, current.address(), from);
            }
        }
    }

    /** The same for the batched path: allocates only when the address really changed. */
    void updateEndpoint(int family, int port, long hi, long lo) {
        Endpoint current = endpoint;
        if (current == null || !current.is(family, port, hi, lo)) {
            Endpoint next = new Endpoint(socketAddress(family, port, hi, lo), family, port, hi, lo);
            endpoint = next;
            if (current != null) {
                Events.roamed(this, current.address(), next.address());
            }
        }
    }

    static InetSocketAddress socketAddress(int family, int port, long hi, long lo) {
        return new InetSocketAddress(SourceAddress.toInetAddress(family, hi, lo), port);
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
