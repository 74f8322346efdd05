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

    /**
     * The next free IPv6 host address of subnet6 as a /128, counting up from ::2 (::1 is the server's):
     * one pass over the taken prefixes that fall in the first 2^24 host numbers, one to find the gap.
     */
    public static Ipv6Prefix nextFree6(Ipv6Prefix subnet6, Collection<Ipv6Prefix> taken) {
        long hostBits = 128 - subnet6.length();
        long size = hostBits >= 24 ? MAX_SCAN : 1L << hostBits;
        BitSet used = new BitSet((int) size);
        used.set(0, 2); // the subnet-router anycast address and the server
        for (Ipv6Prefix p : taken) {
            if (!subnet6.contains(p.hi(), p.lo())) {
                continue;
            }
            long from = p.networkLo() - subnet6.networkLo(); // same upper bits: inside a /64 or smaller
            long count = p.length() <= 64 ? Long.MAX_VALUE : 1L << Math.min(63, 128 - p.length());
            if (from < 0 || from >= size) {
                continue;
            }
            used.set((int) from, (int) Math.min(size, from + Math.min(count, size)));
        }
        int free = used.nextClearBit(2);
        if (free >= size) {
            throw new IllegalArgumentException("the IPv6 subnet " + subnet6 + " has no free address left for a new peer");
        }
        return new Ipv6Prefix(subnet6.networkHi(), subnet6.networkLo() + free, 128);
    }
}
