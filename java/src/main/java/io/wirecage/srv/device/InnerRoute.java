package io.wirecage.srv.device;

import java.nio.ByteBuffer;

/**
 * Which peer an inner packet belongs to, allocation-free: from the TUN by its destination, from a
 * tunnel by its source (cryptokey routing: a peer may only speak from the addresses it owns).
 */
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

    /** The peer owning the source of a packet of the given version, or null. */
    static Peer source(PeerTable table, ByteBuffer b, int off, int version) {
        return version == 4 ? table.byAddress(b.getInt(off + 12)) : table.byAddress6(b.getLong(off + 8), b.getLong(off + 16));
    }
}
