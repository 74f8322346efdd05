package io.wirecage.srv.device;

import java.nio.ByteBuffer;

/** Which peer an inner packet from the TUN goes to: by IPv4 or IPv6 destination, allocation-free. */
final class InnerRoute {
    private InnerRoute() {}

    /** The IP version (4 or 6) when the packet is long enough for that version's header, else 0. */
    static int version(ByteBuffer b, int off, int len) {
        int v = (b.get(off) & 0xf0) >>> 4;
        if (v == 4 && len >= 20) {
            return 4;
        }
        return v == 6 && len >= Ipv6Guard.HEADER ? 6 : 0;
    }

    /** The peer owning the destination of a packet of the given version, or null (no route). */
    static Peer destination(PeerTable table, ByteBuffer b, int off, int version) {
        return version == 4 ? table.byAddress(b.getInt(off + 16)) : table.byAddress6(b.getLong(off + 24), b.getLong(off + 32));
    }
}
