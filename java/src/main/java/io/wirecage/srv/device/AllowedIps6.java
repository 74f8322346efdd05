package io.wirecage.srv.device;

import io.wirecage.srv.config.Ipv6Prefix;

/** The IPv6 half of cryptokey routing: longest-prefix match from an address (two longs) to its owner ({@link PrefixTrie}). */
public final class AllowedIps6<T> {
    private final PrefixTrie<T> trie = new PrefixTrie<>();
    private boolean empty = true;

    public void insert(Ipv6Prefix prefix, T owner) {
        trie.insert(prefix.networkHi(), prefix.networkLo(), prefix.length(), owner);
        empty = false;
    }

    /** The owner of the most specific prefix containing the address, or null. */
    public T lookup(long hi, long lo) {
        return empty ? null : trie.lookup(hi, lo); // IPv6 inside the tunnel off: skip the walk
    }
}
