package io.wirecage.srv.config;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds a stored prefix that overlaps a new one, for validation: O(33) map probes per query when the
 * new prefix is not wider than the stored ones (the usual /32 peers), so 10,000 peers validate in
 * milliseconds instead of comparing every pair.
 */
final class PrefixIndex<T> {
    private final Map<Long, T> exact = new HashMap<>();
    private final int[] countByLength = new int[33];

    void add(Ipv4Prefix p, T owner) {
        if (exact.put(key(p.network(), p.length()), owner) == null) {
            countByLength[p.length()]++;
        }
    }

    /** The owner of a stored prefix that overlaps {@code p}, or null. */
    T overlapping(Ipv4Prefix p) {
        // a stored prefix as wide as p or wider that contains it
        for (int len = 0; len <= p.length(); len++) {
            if (countByLength[len] > 0) {
                T owner = exact.get(key(p.network() & mask(len), len));
                if (owner != null) {
                    return owner;
                }
            }
        }
        // a narrower stored prefix inside p: rare (a new wide prefix), so scan
        for (int len = p.length() + 1; len <= 32; len++) {
            if (countByLength[len] > 0) {
                for (Map.Entry<Long, T> e : exact.entrySet()) {
                    int l = (int) (e.getKey() & 0xff);
                    if (l == len && p.contains((int) (e.getKey() >>> 8))) {
                        return e.getValue();
                    }
                }
            }
        }
        return null;
    }

    private static int mask(int len) {
        return len == 0 ? 0 : -1 << (32 - len);
    }

    private static long key(int addr, int len) {
        return ((addr & 0xffffffffL) << 8) | len;
    }
}
