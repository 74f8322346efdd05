package io.wirecage.srv.device;

import io.wirecage.srv.nativebridge.TunnelResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Device-wide counters of what was dropped and why. Every drop on the data path lands in exactly one
 * counter; nothing is logged per packet. boringtun's own errors are counted by their result code.
 */
public final class Counters {
    private static final int MAX_ERROR = 128;
    private final AtomicLongArray tunnelErrors = new AtomicLongArray(MAX_ERROR);

    final AtomicLong droppedUnknownPeer = new AtomicLong();
    final AtomicLong droppedUnknownIndex = new AtomicLong();
    final AtomicLong droppedSourceNotAllowed = new AtomicLong();
    final AtomicLong droppedNoRoute = new AtomicLong();
    /** TUN packets that are neither a whole IPv4 nor a whole IPv6 header. */
    final AtomicLong droppedNotIp = new AtomicLong();
    final AtomicLong droppedNoEndpoint = new AtomicLong();
    final AtomicLong droppedSendFailed = new AtomicLong();
    final AtomicLong droppedPeerRemoved = new AtomicLong();
    /** TUN packets with a virtio header or TSO layout we cannot use (batched path). */
    final AtomicLong droppedMalformedOffload = new AtomicLong();
    /** Datagrams larger than a receive region (batched path). */
    final AtomicLong droppedTruncated = new AtomicLong();
    final AtomicLong cookieRepliesSent = new AtomicLong();
    /** Exceptions a data-path step did not expect (each one dropped what it was handling). */
    final AtomicLong internalErrors = new AtomicLong();
    /** Tunnels thrown away after a native panic (the peer gets a fresh one at its next handshake). */
    final AtomicLong tunnelsDiscarded = new AtomicLong();
    /** Failed socket receives (each one waited, see Supervisor.Backoff). */
    final AtomicLong receiveErrors = new AtomicLong();
    /** Handshake initiations not newer than one the peer already used: replays. */
    final AtomicLong droppedReplayedInitiation = new AtomicLong();
    final AtomicLong handshakesCompleted = new AtomicLong();
    /** Handshake messages over their source address's budget while under load (dropped before any crypto). */
    final AtomicLong droppedHandshakeOverBudget = new AtomicLong();
    /** Handshake messages that found the handshake queue full. */
    final AtomicLong droppedHandshakeQueueFull = new AtomicLong();
    /** Datagrams that are no WireGuard message: unknown type, or a control message of the wrong size. */
    final AtomicLong droppedMalformed = new AtomicLong();
    /** Datagrams the kernel dropped before the receive thread read them (socket filter, full receive buffer). */
    volatile java.util.function.LongSupplier kernelDrops = () -> 0;
    /** ICMPv6 "administratively prohibited" answers to IPv6 packets from an address the peer does not own. */
    final AtomicLong icmp6ProhibitedSent = new AtomicLong();

    /** Counts a negative boringtun result code (a dropped packet). */
    void tunnelError(int code) {
        int i = -code;
        tunnelErrors.incrementAndGet(i > 0 && i < MAX_ERROR ? i : 0);
    }

    public long droppedUnknownPeer() {
        return droppedUnknownPeer.get();
    }

    public long droppedSourceNotAllowed() {
        return droppedSourceNotAllowed.get();
    }

    public long icmp6ProhibitedSent() {
        return icmp6ProhibitedSent.get();
    }

    public long tunnelErrors(int code) {
        int i = -code;
        return i > 0 && i < MAX_ERROR ? tunnelErrors.get(i) : 0;
    }

    /** All counters by name (snake_case), in a stable order; boringtun errors only when non-zero. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("handshakes_completed", handshakesCompleted.get());
        m.put("cookie_replies_sent", cookieRepliesSent.get());
        m.put("icmp6_prohibited_sent", icmp6ProhibitedSent.get());
        m.put("internal_errors", internalErrors.get());
        m.put("tunnels_discarded", tunnelsDiscarded.get());
        m.put("receive_errors", receiveErrors.get());
        m.put("dropped_unknown_peer", droppedUnknownPeer.get());
        m.put("dropped_replayed_initiation", droppedReplayedInitiation.get());
        m.put("dropped_unknown_index", droppedUnknownIndex.get());
        m.put("dropped_source_not_allowed", droppedSourceNotAllowed.get());
        m.put("dropped_no_route", droppedNoRoute.get());
        m.put("dropped_not_ip", droppedNotIp.get());
        m.put("dropped_no_endpoint", droppedNoEndpoint.get());
        m.put("dropped_send_failed", droppedSendFailed.get());
        m.put("dropped_peer_removed", droppedPeerRemoved.get());
        m.put("dropped_malformed_offload", droppedMalformedOffload.get());
        m.put("dropped_truncated", droppedTruncated.get());
        m.put("dropped_malformed", droppedMalformed.get());
        m.put("dropped_in_kernel", kernelDrops.getAsLong());
        m.put("dropped_handshake_over_budget", droppedHandshakeOverBudget.get());
        m.put("dropped_handshake_queue_full", droppedHandshakeQueueFull.get());
        for (int i = 1; i < MAX_ERROR; i++) {
            long v = tunnelErrors.get(i);
            if (v != 0) {
                // added, not put: boringtun's UnknownPeer (sender key not decryptable) shares its name
                // with droppedUnknownPeer (decrypted, not in the table), and one must not hide the other
                m.merge("dropped_" + snake(TunnelResult.name(-i)), v, Long::sum);
            }
        }
        if (tunnelErrors.get(0) != 0) {
            m.put("dropped_other_error", tunnelErrors.get(0));
        }
        return m;
    }

    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }
}
