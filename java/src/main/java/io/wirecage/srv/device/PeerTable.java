package io.wirecage.srv.device;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.Ipv6Prefix;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The three ways a packet finds its peer: by the index in a WireGuard message (data, responses,
 * cookies), by public key (handshake initiations), and by inner destination address (TUN to UDP).
 * Immutable: a change builds a new table and the device publishes it with one volatile write.
 */
public final class PeerTable {
    /** 24-bit peer indexes live in the upper bits of a receiver index; boringtun owns the lower 8. */
    public static final int MAX_INDEX = (1 << 24) - 1;

    private final List<Peer> peers;
    private final Peer[] byIndex;
    private final Map<Base64Key, Peer> byKey;
    private final AllowedIps<Peer> byAddress = new AllowedIps<>();
    private final AllowedIps6<Peer> byAddress6 = new AllowedIps6<>();

    public PeerTable(List<Peer> peers) {
        this.peers = List.copyOf(peers);
        int max = 0;
        for (Peer p : peers) {
            if (p.index() <= 0 || p.index() > MAX_INDEX) {
                throw new IllegalArgumentException("peer index " + p.index() + " out of range 1.." + MAX_INDEX);
            }
            max = Math.max(max, p.index());
        }
        this.byIndex = new Peer[max + 1];
        this.byKey = HashMap.newHashMap(peers.size());
        for (Peer p : peers) {
            if (byIndex[p.index()] != null) {
                throw new IllegalArgumentException("peer index " + p.index() + " used twice");
            }
            byIndex[p.index()] = p;
            if (byKey.put(p.settings().publicKey(), p) != null) {
                throw new IllegalArgumentException("peer " + p.label() + " appears twice");
            }
            for (Ipv4Prefix prefix : p.settings().allowedIps()) {
                byAddress.insert(prefix, p);
            }
            for (Ipv6Prefix prefix : p.settings().allowedIps6()) {
                byAddress6.insert(prefix, p);
            }
        }
    }

    public static PeerTable empty() {
        return new PeerTable(List.of());
    }

    /** The peer a message's receiver index points to, or null (unknown or stale index). */
    public Peer byReceiverIndex(int receiverIndex) {
        int idx = receiverIndex >>> 8;
        return idx < byIndex.length ? byIndex[idx] : null;
    }

    /** Peer indexes in this table are below this (and at least 1). */
    public int indexLimit() {
        return byIndex.length;
    }

    public Peer byPeerIndex(int index) {
        return index >= 0 && index < byIndex.length ? byIndex[index] : null;
    }

    public Peer byKey(Base64Key key) {
        return byKey.get(key);
    }

    /** Longest-prefix match of an inner IPv4 address over all peers' allowed IPs. */
    public Peer byAddress(int ipv4) {
        return byAddress.lookup(ipv4);
    }

    /** Longest-prefix match of an inner IPv6 address (first and last 8 bytes) over all peers' allowed IPs. */
    public Peer byAddress6(long hi, long lo) {
        return byAddress6.lookup(hi, lo);
    }

    /** Whether this very peer object (not just its key) is in the table. */
    public boolean contains(Peer p) {
        return p.index() < byIndex.length && byIndex[p.index()] == p;
    }

    public List<Peer> all() {
        return peers;
    }

    public int size() {
        return peers.size();
    }
}
