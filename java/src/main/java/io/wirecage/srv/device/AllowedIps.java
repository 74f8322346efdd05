package io.wirecage.srv.device;

import io.wirecage.srv.config.Ipv4Prefix;
import java.util.Arrays;

/**
 * Cryptokey routing table: longest-prefix match from an IPv4 address to the peer that owns it.
 *
 * <p>A binary trie stored in parallel int arrays, built once and then only read: the data path
 * looks up without locks or allocation, and a change builds a new table that is published whole
 * (copy-on-write), like wireguard-go's allowedips.go but immutable.
 */
public final class AllowedIps<T> {
    private static final int NONE = 0; // node 0 is the root, so 0 also means "no child"

    private int[] zero = new int[16];
    private int[] one = new int[16];
    private Object[] value = new Object[16];
    private int nodes = 1;

    /** Adds or replaces the owner of a prefix. */
    public void insert(Ipv4Prefix prefix, T owner) {
        int node = 0;
        int addr = prefix.network();
        for (int bit = 0; bit < prefix.length(); bit++) {
            boolean set = (addr << bit) < 0; // the bit at position `bit` from the top
            int[] side = set ? one : zero;
            int next = side[node];
            if (next == NONE) {
                next = newNode();
                (set ? one : zero)[node] = next; // arrays may have grown in newNode
            }
            node = next;
        }
        value[node] = owner;
    }

    /** The owner of the most specific prefix containing {@code ip}, or null. */
    @SuppressWarnings("unchecked")
    public T lookup(int ip) {
        Object best = value[0];
        int node = 0;
        for (int bit = 0; bit < 32; bit++) {
            node = (ip << bit) < 0 ? one[node] : zero[node];
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
