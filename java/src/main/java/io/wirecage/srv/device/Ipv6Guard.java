package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.DONE;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;

import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import java.nio.ByteBuffer;

/**
 * Cryptokey routing for IPv6 packets coming out of a tunnel: the source must be an address the peer
 * owns. A packet from any other source is dropped and counted like a spoofed IPv4 one, and answered
 * (rate-limited per peer) with an ICMPv6 destination unreachable, code 1 "administratively prohibited",
 * sent back through the same tunnel. That answer is what makes clients that claim an IPv6 address the
 * server never gave them (the wirecage client's fd42:42:42::2) fall back to IPv4 at once instead of
 * waiting for their connect timeouts: the kernel fails the connect with EACCES.
 *
 * <p>One instance per receive thread: it owns its two buffers, so nothing is allocated per packet.
 */
final class Ipv6Guard {
    static final int HEADER = 40;
    static final int NEXT_HEADER_ICMPV6 = 58;
    static final int DESTINATION_UNREACHABLE = 1;
    static final int ADMINISTRATIVELY_PROHIBITED = 1;
    /** RFC 4443 2.4(c): an error message must not exceed the minimum IPv6 MTU. */
    static final int MAX_REPLY = 1280;
    /** Per peer: answers in a burst, and answers per second after it (a client opening connections in a loop). */
    static final double BURST = 20;
    static final double PER_SECOND = 20;

    private final Device device;
    private final Counters counters;
    private final ByteBuffer reply = ByteBuffer.allocateDirect(MAX_REPLY);
    private final ByteBuffer sealed = ByteBuffer.allocateDirect(MAX_REPLY + Tunnel.MAX_PADDING + Tunnel.DATA_OVERHEAD + 256);

    Ipv6Guard(Device device) {
        this.device = device;
        this.counters = device.counters();
    }

    /**
     * Whether the IPv6 packet at packet[off, off+len) may go to the TUN: true when {@code peer} owns its
     * source; otherwise it is counted as dropped, maybe answered, and false comes back.
     */
    boolean admit(Peer peer, ByteBuffer packet, int off, int len) {
        if (len >= HEADER && device.peers().byAddress6(packet.getLong(off + 8), packet.getLong(off + 16)) == peer) {
            return true;
        }
        peer.droppedSourceNotAllowed.incrementAndGet();
        counters.droppedSourceNotAllowed.incrementAndGet();
        if (len >= HEADER && mayAnswer(packet, off) && takeBudget(peer, System.nanoTime())) {
            answer(peer, packet, off, len);
        }
        return false;
    }

    /** RFC 4443 2.4(e): never about an ICMPv6 error, nor to or from multicast or the unspecified address. */
    static boolean mayAnswer(ByteBuffer p, int off) {
        long srcHi = p.getLong(off + 8);
        long srcLo = p.getLong(off + 16);
        if ((srcHi == 0 && srcLo == 0) || (srcHi >>> 56) == 0xff || (p.get(off + 24) & 0xff) == 0xff) {
            return false;
        }
        // an ICMPv6 error (types 0..127) right after the fixed header; errors behind extension headers are rare and still dropped
        return (p.get(off + 6) & 0xff) != NEXT_HEADER_ICMPV6 || (p.get(off + HEADER) & 0x80) != 0;
    }

    /** Token bucket on the peer; only the receive thread touches its fields. */
    static boolean takeBudget(Peer peer, long now) {
        double budget = peer.icmp6Budget;
        if (peer.icmp6RefilledNanos != 0) {
            budget = Math.min(BURST, budget + (now - peer.icmp6RefilledNanos) * PER_SECOND / 1e9);
        }
        peer.icmp6RefilledNanos = now;
        if (budget < 1) {
            peer.icmp6Budget = budget;
            return false;
        }
        peer.icmp6Budget = budget - 1;
        return true;
    }

    private void answer(Peer peer, ByteBuffer packet, int off, int len) {
        int n = build(packet, off, len, reply);
        Peer.Endpoint to = peer.endpointRecord();
        Tunnel tunnel = peer.tunnel();
        if (to == null || tunnel == null) {
            return;
        }
        long r = tunnel.encapsulate(reply, 0, n, sealed);
        int code = TunnelResult.code(r);
        if (code == DONE) {
            peer.mayHaveQueued = true; // no session to send on: boringtun queued it for later
        } else if (code == WRITE_TO_NETWORK) {
            if (device.send(sealed, TunnelResult.length(r), to)) {
                counters.icmp6ProhibitedSent.incrementAndGet();
            }
        } else {
            counters.tunnelError(code);
        }
    }

    /**
     * Writes into {@code out} from 0 the ICMPv6 "administratively prohibited" about the packet at
     * packet[off, off+len): from the packet's destination to its source, quoting as much of it as fits
     * in 1280 bytes. Returns the reply's length.
     */
    static int build(ByteBuffer packet, int off, int len, ByteBuffer out) {
        int quoted = Math.min(len, MAX_REPLY - HEADER - 8);
        int payload = 8 + quoted;
        out.putInt(0, 0x60000000); // version 6, traffic class 0, flow label 0
        out.putShort(4, (short) payload);
        out.put(6, (byte) NEXT_HEADER_ICMPV6);
        out.put(7, (byte) 64); // hop limit
        out.putLong(8, packet.getLong(off + 24)); // source: the address the packet was for
        out.putLong(16, packet.getLong(off + 32));
        out.putLong(24, packet.getLong(off + 8)); // destination: the sender
        out.putLong(32, packet.getLong(off + 16));
        out.put(HEADER, (byte) DESTINATION_UNREACHABLE);
        out.put(HEADER + 1, (byte) ADMINISTRATIVELY_PROHIBITED);
        out.putShort(HEADER + 2, (short) 0);
        out.putInt(HEADER + 4, 0); // unused
        out.put(HEADER + 8, packet, off, quoted);
        out.putShort(HEADER + 2, (short) checksum(out, HEADER + payload));
        return HEADER + payload;
    }

    /** The ICMPv6 checksum of the IPv6 packet p[0, length): one's complement sum over pseudo-header and message. */
    static int checksum(ByteBuffer p, int length) {
        long sum = 0;
        for (int i = 8; i < 40; i += 2) { // source and destination addresses
            sum += p.getShort(i) & 0xffff;
        }
        int upper = length - HEADER;
        sum += upper; // upper-layer length (fits 16 bits here), then three zero bytes and the next header
        sum += NEXT_HEADER_ICMPV6;
        int i = HEADER;
        for (; i + 1 < length; i += 2) {
            sum += p.getShort(i) & 0xffff;
        }
        if (i < length) {
            sum += (p.get(i) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        int c = (int) (~sum & 0xffff);
        return c == 0 ? 0xffff : c;
    }
}
