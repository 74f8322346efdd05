package io.wirecage.srv.device;

import io.wirecage.srv.config.PeerSettings;
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
    private volatile InetSocketAddress endpoint;
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
        return endpoint;
    }

    /** Roaming: follow the peer to whatever address its latest authenticated packet came from. */
    void updateEndpoint(InetSocketAddress from) {
        InetSocketAddress current = endpoint;
        if (current != from && !from.equals(current)) {
            endpoint = from;
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
