package io.wirecage.srv.device;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection events, one log line each on the logger {@code io.wirecage.srv.events}: a peer connected
 * (the first handshake of a session), its endpoint changed (roaming), its session expired, a handshake
 * failed (with the reason), the server answers with cookies (under load). Each line carries its fields
 * as SLF4J key-value pairs too ({@code event}, {@code peer}, {@code endpoint}, ...) for JSON log
 * lines. Rate-limited: per peer and kind at most one line per {@value #INTERVAL_SECONDS} s, events
 * without a known peer at most one per kind and interval. Peers appear by name (or the short public
 * key, as elsewhere in the log); never a private or preshared key. Only control messages and timers
 * call these, never the per-packet data path (roaming is logged when the endpoint really changes).
 */
final class Events {
    static final Logger log = LoggerFactory.getLogger("io.wirecage.srv.events");
    static final int INTERVAL_SECONDS = 10;
    private static final long INTERVAL_NANOS = INTERVAL_SECONDS * 1_000_000_000L;

    static final int CONNECTED = 0;
    static final int ROAMED = 1;
    static final int EXPIRED = 2;
    static final int HANDSHAKE_FAILED = 3;
    static final int KINDS = 4;

    private static final AtomicLong lastUnknownPeer = new AtomicLong(System.nanoTime() - INTERVAL_NANOS);
    private static final AtomicLong lastCookie = new AtomicLong(System.nanoTime() - INTERVAL_NANOS);
    private static final AtomicLong cookieReplies = new AtomicLong();

    private Events() {}

    static void connected(Peer p, InetSocketAddress from) {
        if (allow(p, CONNECTED)) {
            logConnected(p.label(), format(from));
        }
    }

    /** The line itself, without the rate limit (HandshakeWarmup runs it too). */
    static void logConnected(String peer, String endpoint) {
        log.atInfo().addKeyValue("event", "peer_connected").addKeyValue("peer", peer)
                .addKeyValue("endpoint", endpoint)
                .log("peer connected: {} from {}", peer, endpoint);
    }

    static void roamed(Peer p, InetSocketAddress old, InetSocketAddress now) {
        if (allow(p, ROAMED)) {
            log.atInfo().addKeyValue("event", "peer_roamed").addKeyValue("peer", p.label())
                    .addKeyValue("old_endpoint", format(old)).addKeyValue("endpoint", format(now))
                    .log("peer endpoint changed: {} {} -> {}", p.label(), format(old), format(now));
        }
    }

    static void expired(Peer p) {
        if (allow(p, EXPIRED)) {
            log.atInfo().addKeyValue("event", "session_expired").addKeyValue("peer", p.label())
                    .log("peer session expired: {} (no handshake for 180 s)", p.label());
        }
    }

    static void handshakeFailed(Peer p, InetSocketAddress from, String reason) {
        if (p != null ? allow(p, HANDSHAKE_FAILED) : allow(lastUnknownPeer)) {
            logHandshakeFailed(p, from, reason);
        }
    }

    /** The same for an unknown sender given as (family, port, hi, lo): no allocation unless logged. */
    static void handshakeFailed(int family, int port, long hi, long lo, String reason) {
        if (allow(lastUnknownPeer)) {
            logHandshakeFailed(null, Peer.socketAddress(family, port, hi, lo), reason);
        }
    }

    private static void logHandshakeFailed(Peer p, InetSocketAddress from, String reason) {
        log.atWarn().addKeyValue("event", "handshake_failed").addKeyValue("peer", p == null ? "" : p.label())
                .addKeyValue("endpoint", format(from)).addKeyValue("reason", reason)
                .log("handshake failed: {} from {}: {}", p == null ? "unknown peer" : p.label(), format(from), reason);
    }

    /** The sender is given as (family, port, hi, lo): no allocation unless logged. */
    static void cookieReply(int family, int port, long hi, long lo) {
        long n = cookieReplies.incrementAndGet();
        if (allow(lastCookie)) {
            logCookieReply(Peer.socketAddress(family, port, hi, lo), n);
        }
    }

    private static void logCookieReply(InetSocketAddress from, long n) {
        log.atWarn().addKeyValue("event", "under_load").addKeyValue("endpoint", format(from))
                .addKeyValue("cookie_replies", n)
                .log("under cookie load: answering handshakes with cookie replies (latest to {}, {} so far)", format(from), n);
    }

    private static boolean allow(Peer p, int kind) {
        long now = System.nanoTime();
        long last = p.lastEvent[kind];
        if (last != 0 && now - last < INTERVAL_NANOS) {
            return false;
        }
        p.lastEvent[kind] = now; // a race between threads may let two lines through: harmless
        return true;
    }

    private static boolean allow(AtomicLong last) {
        long now = System.nanoTime();
        long l = last.get();
        return now - l >= INTERVAL_NANOS && last.compareAndSet(l, now);
    }

    static String format(InetSocketAddress a) {
        if (a == null) {
            return "(none)";
        }
        return io.wirecage.srv.conn.EndpointFormat.format(a);
    }
}
