package io.wirecage.srv.device;

import java.util.Arrays;

/**
 * Longest-prefix match over keys of up to 128 bits (hi, lo), the one trie behind {@link AllowedIps}
 * (IPv4 keys in the top 32 bits of hi) and {@link AllowedIps6}. A binary trie stored in parallel
 * arrays, built once and then only read: the data path looks up without locks or allocation, and a
 * change builds a new table that is published whole (copy-on-write), like wireguard-go's allowedips.go
 * but immutable.
 */
final class PrefixTrie<T> {
    private static final int NONE = 0; // node 0 is the root, so 0 also means "no child"

    private int[] zero = new int[16];
    private int[] one = new int[16];
    private Object[] value = new Object[16];
    private int nodes = 1;

    /** Adds or replaces the owner of the prefix of {@code length} bits of (hi, lo). */
    void insert(long hi, long lo, int length, T owner) {
        int node = 0;
        for (int bit = 0; bit < length; bit++) {
            boolean set = bit(hi, lo, bit);
            int next = set ? one[node] : zero[node];
            if (next == NONE) {
                next = newNode();
                (set ? one : zero)[node] = next; // the arrays may have grown in newNode
            }
            node = next;
        }
        value[node] = owner;
    }

    /** The owner of the most specific prefix containing the key, or null. */
    @SuppressWarnings("unchecked")
    T lookup(long hi, long lo) {
        Object best = value[0];
        int node = 0;
        for (int bit = 0; bit < 128; bit++) { // ends at the deepest node on the way: 32 bits at most for IPv4
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

    /** The bit at position {@code bit} from the top. */
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
