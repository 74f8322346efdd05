package io.wirecage.srv.config;

import java.util.BitSet;
import java.util.Collection;

/** Picks the next free host address of the subnet for a new peer: never the server's, never a taken one. */
public final class AddressPool {
    /** Larger subnets are searched in their first 2^24 addresses only (16 million peers is plenty). */
    private static final long MAX_SCAN = 1L << 24;

    private AddressPool() {}

    /** O(taken + subnet size): one pass to mark what is taken, one to find the first gap. */
    public static Ipv4Prefix nextFree(Ipv4Prefix subnet, int serverAddress, Collection<Ipv4Prefix> taken) {
        long base = subnet.network() & 0xffffffffL;
        long size = Math.min(subnet.size(), MAX_SCAN);
        BitSet used = new BitSet((int) size);
        used.set(0); // the network address
        mark(used, base, size, new Ipv4Prefix(serverAddress, 32));
        for (Ipv4Prefix p : taken) {
            mark(used, base, size, p);
        }
        int free = used.nextClearBit(1);
        long last = subnet.size() <= MAX_SCAN ? size - 2 : size - 1; // skip the broadcast address
        if (free > last) {
            throw new IllegalArgumentException("the subnet " + subnet + " has no free address left for a new peer");
        }
        return new Ipv4Prefix((int) (base + free), 32);
    }

    private static void mark(BitSet used, long base, long size, Ipv4Prefix p) {
        long from = (p.network() & 0xffffffffL) - base;
        long to = from + p.size();
        from = Math.max(from, 0);
        to = Math.min(to, size);
        if (from < to) {
            used.set((int) from, (int) to);
        }
    }
}
