package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.BY_INDEX;
import static io.wirecage.srv.nativebridge.TunnelResult.DONE;
import static io.wirecage.srv.nativebridge.TunnelResult.HANDSHAKE_INIT;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Control messages that passed the receive thread's screen (mac1, and mac2 or a cookie reply under
 * load): handshake initiations, responses and cookie replies. The bridge reads who sent an initiation,
 * and the peer's tunnel completes the handshake (its own limiter check may still answer with a cookie
 * reply). Only an authenticated answer moves a peer's endpoint. Each handshake worker owns one of these
 * (its reply buffer).
 */
final class Handshakes {
    private static final Logger log = LoggerFactory.getLogger(Handshakes.class);
    /** At most this many queued packets are sent per drain (boringtun queues up to 256 per peer). */
    private static final int MAX_DRAIN = 1024;
    /** A handshake more than REJECT_AFTER_TIME after the previous one starts a new session (a "connect"). */
    private static final long SESSION_MILLIS = 180_000;

    private final Device device;
    private final Supervisor supervisor;
    private final Counters counters;
    private final long[] handshakeStats = new long[Tunnel.STATS_LENGTH];
    private final ByteBuffer out = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);
    private final byte[] key = new byte[Base64Key.LENGTH];

    /** @param supervisor the one of the thread that calls {@link #handle} (its current peer is set here) */
    Handshakes(Device device, Supervisor supervisor) {
        this.device = device;
        this.counters = device.counters();
        this.supervisor = supervisor;
    }

    /**
     * Handles one control message at in[0, length) from {@code from}, whose address is also given in
     * SourceAddress form (family, hi, lo) for boringtun's cookie logic.
     */
    void handle(ByteBuffer in, int length, InetSocketAddress from, int family, long hi, long lo) {
        PeerTable table = device.peers();
        long r = device.identity().classify(in, 0, length, out);
        int code = TunnelResult.code(r);
        Peer peer;
        boolean initiation = false;
        long initSeconds = 0;
        int initNanos = 0;
        if (code == HANDSHAKE_INIT) {
            out.get(0, key);
            peer = table.byKey(Base64Key.of(key));
            if (peer == null) {
                counters.droppedUnknownPeer.incrementAndGet(); // no reply: unknown keys learn nothing
                Events.handshakeFailed(null, from, "unknown_peer");
                return;
            }
            // TAI64N of the initiation: big-endian seconds, then nanoseconds (the bridge decrypted it)
            initSeconds = out.getLong(32);
            initNanos = out.getInt(40);
            if (peer.isReplayedInitiation(initSeconds, initNanos)) {
                // not newer than one already accepted: a captured old initiation sent again
                counters.droppedReplayedInitiation.incrementAndGet();
                return;
            }
            initiation = true;
        } else if (code == BY_INDEX) {
            peer = table.byPeerIndex(TunnelResult.length(r));
            if (peer == null) {
                counters.droppedUnknownIndex.incrementAndGet();
                return;
            }
        } else {
            counters.tunnelError(code);
            if (code == TunnelResult.ERR_INVALID_MAC || code == TunnelResult.ERR_UNKNOWN_PEER
                    || code == TunnelResult.ERR_WRONG_KEY) {
                Events.handshakeFailed(null, from, snakeName(code));
            }
            return;
        }
        supervisor.current = peer;
        // Only a handshake initiation wakes an idle peer; anything else for it belongs to a dropped session.
        Tunnel tunnel = initiation ? peer.activeTunnel() : peer.tunnel();
        if (tunnel == null) {
            counters.droppedUnknownIndex.incrementAndGet();
            return;
        }
        long sinceHandshake = -1;
        if (initiation) {
            try { // one more JNI call to tell a new session from a rekey
                tunnel.stats(handshakeStats);
                sinceHandshake = handshakeStats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE];
            } catch (IllegalStateException e) {
                // closed by a reload meanwhile: decapsulate meets the same
            }
        }
        r = tunnel.decapsulate(hi, lo, family, in, 0, length, out);
        code = TunnelResult.code(r);
        int len = TunnelResult.length(r);
        if (code == WRITE_TO_NETWORK) {
            if (len > 0 && out.get(0) == Messages.COOKIE_REPLY) {
                // the tunnel's own rate-limit check answered an unauthenticated message with a cookie:
                // not a handshake, so the endpoint stays and nothing queued is sent to this sender
                device.send(out, len, from);
                counters.cookieRepliesSent.incrementAndGet();
                return;
            }
            peer.updateEndpoint(from);
            device.send(out, len, from);
            peer.mayHaveQueued = false;
            drain(device, peer, peer.endpointRecord(), out); // the sender's, as just set (or a newer one)
            if (initiation) {
                peer.acceptedInitiation(initSeconds, initNanos); // authenticated: the tunnel answered it
                peer.lastHandshakeMillis = System.currentTimeMillis();
                peer.handshakes.incrementAndGet();
                counters.handshakesCompleted.incrementAndGet();
                if (!device.quiet) {
                    logCompleted(peer.label(), Events.format(from));
                    if (sinceHandshake < 0 || sinceHandshake >= SESSION_MILLIS) {
                        Events.connected(peer, from);
                    }
                }
            }
        } else if (code == DONE) {
            // a handshake response to our initiation (authenticated by the handshake itself) or a
            // cookie reply to it (which proves nothing about its sender: the endpoint stays)
            if (in.get(0) == Messages.RESPONSE) {
                peer.updateEndpoint(from);
            }
            drainIfQueued(device, peer, out);
        } else {
            counters.tunnelError(code);
            if (initiation) {
                Events.handshakeFailed(peer, from, snakeName(code));
            }
        }
    }

    /** A completed handshake's line (HandshakeWarmup runs it too). */
    static void logCompleted(String peer, String endpoint) {
        log.info("handshake completed: peer {} from {}", peer, endpoint);
    }

    private static String snakeName(int code) {
        return Counters.snake(TunnelResult.name(code));
    }

    /** After an authenticated packet: send what boringtun queued while the handshake ran, if anything. */
    static void drainIfQueued(Device device, Peer peer, ByteBuffer buffer) {
        if (peer.mayHaveQueued) {
            peer.mayHaveQueued = false;
            Peer.Endpoint to = peer.endpointRecord();
            if (to != null) {
                drain(device, peer, to, buffer);
            }
        }
    }

    /** Sends boringtun's queued packets for a peer, encrypted into the calling thread's buffer. */
    private static void drain(Device device, Peer peer, Peer.Endpoint to, ByteBuffer buffer) {
        Tunnel tunnel = peer.tunnel();
        for (int i = 0; tunnel != null && i < MAX_DRAIN; i++) {
            long r = tunnel.drain(buffer);
            if (TunnelResult.code(r) != WRITE_TO_NETWORK) {
                return;
            }
            device.send(buffer, TunnelResult.length(r), to);
        }
    }
}
