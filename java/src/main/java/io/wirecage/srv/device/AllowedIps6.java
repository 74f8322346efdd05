package io.wirecage.srv.device;

import io.wirecage.srv.config.Ipv6Prefix;
import java.util.Arrays;

/**
 * The IPv6 half of cryptokey routing: longest-prefix match from an IPv6 address (two longs) to its
 * owner. The same immutable binary trie in parallel arrays as {@link AllowedIps}: built once, then read
 * by the data path without locks or allocation.
 */
public final class AllowedIps6<T> {
    private static final int NONE = 0;

    private int[] zero = new int[16];
    private int[] one = new int[16];
    private Object[] value = new Object[16];
    private int nodes = 1;
    private boolean empty = true;

    public void insert(Ipv6Prefix prefix, T owner) {
        int node = 0;
        long hi = prefix.networkHi();
        long lo = prefix.networkLo();
        for (int bit = 0; bit < prefix.length(); bit++) {
            boolean set = bit(hi, lo, bit);
            int next = set ? one[node] : zero[node];
            if (next == NONE) {
                next = newNode();
                (set ? one : zero)[node] = next;
            }
            node = next;
        }
        value[node] = owner;
        empty = false;
    }

    /** The owner of the most specific prefix containing the address, or null. */
    @SuppressWarnings("unchecked")
    public T lookup(long hi, long lo) {
        if (empty) {
            return null; // IPv6 inside the tunnel off: skip the walk
        }
        Object best = value[0];
        int node = 0;
        for (int bit = 0; bit < 128; bit++) {
            node = bit(hi, lo, bit) ? one[node] : zero[node];
            if (node == NONE) {
                break;
            }
            Object v = value[node];
            if (v != null) {
                best = v;
            }
        }
        return (T) best;
    }

    private static boolean bit(long hi, long lo, int bit) {
        return bit < 64 ? (hi << bit) < 0 : (lo << (bit - 64)) < 0;
    }

    private int newNode() {
        if (nodes == zero.length) {
            int n = nodes * 2;
            zero = Arrays.copyOf(zero, n);
            one = Arrays.copyOf(one, n);
            value = Arrays.copyOf(value, n);
        }
        return nodes++;
    }
}
