package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.BY_INDEX;
import static io.wirecage.srv.nativebridge.TunnelResult.DONE;
import static io.wirecage.srv.nativebridge.TunnelResult.HANDSHAKE_INIT;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_TUNNEL_V4;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_TUNNEL_V6;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP to TUN: receive a WireGuard message, find its peer, let boringtun decrypt it, check the inner
 * source against the peer's allowed IPs (cryptokey routing), and write the IP packet to the TUN.
 * One thread, two direct buffers, no allocation per packet while the sender stays the same.
 */
final class Receive implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Receive.class);
    /** Type 4 (transport data) in the 4-byte little-endian message type, read big-endian. */
    static final int DATA_MESSAGE = 0x04000000;
    /** Type, receiver index and counter: the shortest data message (a keepalive is this plus 16). */
    static final int DATA_HEADER = 16;
    private static final int MAX_DRAIN = 1024;
    /** A handshake more than REJECT_AFTER_TIME after the previous one starts a new session (a "connect"). */
    private static final long SESSION_MILLIS = 180_000;

    private final Device device;
    private final Supervisor supervisor;
    /** The timestamp of the initiation being handled (set by handle, used by decapsulate). */
    private long initSeconds;
    private int initNanos;
    private final Counters counters;
    private final ByteBuffer in = ByteBuffer.allocateDirect(Device.BUFFER_SIZE);
    private final long[] handshakeStats = new long[Tunnel.STATS_LENGTH];
    private final ByteBuffer out = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);
    private final Pointer outAddress = Native.getDirectBufferPointer(out);
    private final Ipv6Guard ipv6;

    // The sender of the previous datagram, encoded once for boringtun's cookie logic.
    private SocketAddress lastFrom;
    private long fromHi;
    private long fromLo;
    private int fromFamily;

    Receive(Device device) {
        this(device, new Supervisor(device, "wg-receive"));
    }

    /** @param supervisor the one of the thread that calls {@link #handle} (the batched path shares its own) */
    Receive(Device device, Supervisor supervisor) {
        this.device = device;
        this.counters = device.counters();
        this.supervisor = supervisor;
        this.ipv6 = new Ipv6Guard(device);
    }

    @Override
    public void run() {
        Supervisor.Backoff backoff = new Supervisor.Backoff();
        Supervisor.RateLimitedLog receiveLog = new Supervisor.RateLimitedLog(Supervisor.LOG_INTERVAL_NANOS);
        supervisor.loop(() -> {
            in.clear();
            SocketAddress from;
            try {
                from = device.udp().receive(in);
                backoff.succeeded();
            } catch (ClosedChannelException e) {
                return false; // the device is stopping
            } catch (IOException e) {
                if (!device.isRunning()) {
                    return false;
                }
                counters.receiveErrors.incrementAndGet();
                long held = receiveLog.tryLog();
                if (held >= 0) {
                    log.warn("UDP receive failed: {} ({} more since the last report; retrying with a pause)", e.getMessage(), held);
                }
                backoff.failed();
                return true;
            }
            if (from instanceof InetSocketAddress isa) {
                try {
                    handle(isa, in.position());
                } catch (IllegalStateException e) {
                    // the peer was removed by a reload while this packet was on its way: drop it
                    counters.droppedPeerRemoved.incrementAndGet();
                }
            }
            return true;
        });
    }

    /** Handles one datagram held in {@code in} at [0, length). */
    void handle(InetSocketAddress from, int length) {
        if (from != lastFrom) {
            encodeSource(from);
        }
        PeerTable table = device.peers();
        Peer peer;
        boolean initiation = false;
        if (length >= DATA_HEADER && in.getInt(0) == DATA_MESSAGE) {
            // Fast path: data messages name their session directly; one JNI call per packet.
            peer = table.byReceiverIndex(Integer.reverseBytes(in.getInt(4)));
            if (peer == null) {
                counters.droppedUnknownIndex.incrementAndGet();
                return;
            }
        } else {
            long r = device.identity().classify(in, 0, length, fromHi, fromLo, fromFamily, out);
            int code = TunnelResult.code(r);
            if (code == HANDSHAKE_INIT) {
                peer = table.byKey(Base64Key.of(readKey()));
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
            } else if (code == WRITE_TO_NETWORK) {
                // Under load boringtun answers with a cookie instead of doing the expensive handshake.
                send(TunnelResult.length(r), from);
                counters.cookieRepliesSent.incrementAndGet();
                Events.cookieReply(from);
                return;
            } else {
                counters.tunnelError(code);
                if (code == TunnelResult.ERR_INVALID_MAC || code == TunnelResult.ERR_UNKNOWN_PEER
                        || code == TunnelResult.ERR_WRONG_KEY) {
                    Events.handshakeFailed(null, from, snakeName(code));
                }
                return;
            }
        }
        decapsulate(peer, from, length, initiation);
    }

    /** WireGuard's message type of a cookie reply (the first byte; the other three are zero). */
    static final byte COOKIE_REPLY = 3;

    private void decapsulate(Peer peer, InetSocketAddress from, int length, boolean initiation) {
        supervisor.current = peer;
        // Only a handshake initiation wakes an idle peer; anything else for it belongs to a dropped session.
        Tunnel tunnel = initiation ? peer.activeTunnel() : peer.tunnel();
        if (tunnel == null) {
            counters.droppedUnknownIndex.incrementAndGet();
            return;
        }
        long sinceHandshake = -1;
        if (initiation) {
            try { // a control message: one more JNI call to tell a new session from a rekey
                tunnel.stats(handshakeStats);
                sinceHandshake = handshakeStats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE];
            } catch (IllegalStateException e) {
                // closed by a reload meanwhile: decapsulate meets the same, as before
            }
        }
        long r = tunnel.decapsulate(fromHi, fromLo, fromFamily, in, 0, length, out);
        int code = TunnelResult.code(r);
        int len = TunnelResult.length(r);
        switch (code) {
            case WRITE_TO_TUNNEL_V4 -> {
                peer.updateEndpoint(from);
                // Cryptokey routing: a peer may only speak from the addresses it owns.
                if (len < 20 || device.peers().byAddress(out.getInt(12)) != peer) {
                    peer.droppedSourceNotAllowed.incrementAndGet();
                    counters.droppedSourceNotAllowed.incrementAndGet();
                    return;
                }
                peer.rxPackets.incrementAndGet();
                writeToTun(len);
                drainIfQueued(peer);
            }
            case WRITE_TO_NETWORK -> {
                if (len > 0 && out.get(0) == COOKIE_REPLY) {
                    // the tunnel's own rate-limit check answered an unauthenticated message with a cookie:
                    // not a handshake, so the endpoint stays and nothing queued is sent to this sender
                    send(len, from);
                    counters.cookieRepliesSent.incrementAndGet();
                    return;
                }
                peer.updateEndpoint(from);
                send(len, from);
                peer.mayHaveQueued = false;
                drain(peer, from);
                if (initiation) {
                    peer.acceptedInitiation(initSeconds, initNanos); // authenticated: the tunnel answered it
                    peer.lastHandshakeMillis = System.currentTimeMillis();
                    peer.handshakes.incrementAndGet();
                    counters.handshakesCompleted.incrementAndGet();
                    log.info("handshake completed: peer {} from {}", peer.label(), format(from));
                    if (sinceHandshake < 0 || sinceHandshake >= SESSION_MILLIS) {
                        Events.connected(peer, from);
                    }
                }
            }
            case DONE -> {
                peer.updateEndpoint(from); // an authenticated keepalive, often the one confirming a new session
                drainIfQueued(peer);
            }
            case WRITE_TO_TUNNEL_V6 -> {
                peer.updateEndpoint(from);
                if (!ipv6.admit(peer, out, 0, len)) { // cryptokey routing for IPv6 (counted, maybe answered)
                    return;
                }
                peer.rxPackets.incrementAndGet();
                writeToTun(len);
                drainIfQueued(peer);
            }
            default -> {
                counters.tunnelError(code);
                if (initiation) {
                    Events.handshakeFailed(peer, from, snakeName(code));
                }
            }
        }
    }

    private static String snakeName(int code) {
        return Counters.snake(TunnelResult.name(code));
    }

    /** The buffer {@link #handle} reads; the batched path copies control messages into it. */
    ByteBuffer in() {
        return in;
    }

    void drainIfQueued(Peer peer) {
        if (peer.mayHaveQueued) {
            peer.mayHaveQueued = false;
            drain(peer, peer.endpoint());
        }
    }

    /** boringtun may have queued packets while the handshake ran: send them all now. */
    private void drain(Peer peer, InetSocketAddress to) {
        Tunnel tunnel = peer.tunnel();
        for (int i = 0; tunnel != null && i < MAX_DRAIN; i++) {
            long r = tunnel.drain(out);
            if (TunnelResult.code(r) != WRITE_TO_NETWORK) {
                return;
            }
            send(TunnelResult.length(r), to);
        }
    }

    private void send(int length, InetSocketAddress to) {
        device.send(out, length, to);
    }

    private void writeToTun(int length) {
        try {
            device.tun().write(outAddress, length);
        } catch (IOException e) {
            counters.droppedSendFailed.incrementAndGet();
        }
    }

    private byte[] readKey() {
        byte[] key = new byte[Base64Key.LENGTH];
        out.get(0, key);
        return key;
    }

    private void encodeSource(InetSocketAddress from) {
        lastFrom = from;
        InetAddress a = from.getAddress();
        fromFamily = SourceAddress.family(a);
        fromHi = SourceAddress.hi(a);
        fromLo = SourceAddress.lo(a);
    }

    static String format(InetSocketAddress a) {
        return a == null ? "(none)" : io.wirecage.srv.conn.EndpointFormat.format(a);
    }
}
