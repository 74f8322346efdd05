package io.wirecage.srv.device;

import io.wirecage.srv.config.Ipv4Prefix;

/** Cryptokey routing for IPv4: longest-prefix match from an address to the peer that owns it ({@link PrefixTrie}). */
public final class AllowedIps<T> {
    private final PrefixTrie<T> trie = new PrefixTrie<>();

    /** Adds or replaces the owner of a prefix. */
    public void insert(Ipv4Prefix prefix, T owner) {
        trie.insert(key(prefix.network()), 0, prefix.length(), owner);
    }

    /** The owner of the most specific prefix containing {@code ip}, or null. */
    public T lookup(int ip) {
        return trie.lookup(key(ip), 0);
    }

    /** An IPv4 address as the top 32 bits of a trie key. */
    private static long key(int ip) {
        return (long) ip << 32;
    }
}
