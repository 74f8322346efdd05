package io.wirecage.srv.config;

import java.time.Instant;
import java.util.List;

/**
 * A [[peer]] table of the config file as written, including disabled peers.
 *
 * @param line the line of its [[peer]] header (1-based), for error messages and editing; 0 when new
 * @param expires when the server disables the peer by itself (written as {@code expires = 2026-12-31T00:00:00Z}), or null
 */
public record PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                        int persistentKeepalive, boolean enabled, int line, Instant expires) {
    public PeerEntry {
        allowedIps = List.copyOf(allowedIps);
    }

    /** Without an expiry. */
    public PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                     int persistentKeepalive, boolean enabled, int line) {
        this(name, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, null);
    }

    /** True when an expiry is set and {@code now} is at or past it. */
    public boolean expiredAt(Instant now) {
        return expires != null && !now.isBefore(expires);
    }

    public PeerEntry withExpires(Instant when) {
        return new PeerEntry(name, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, when);
    }

    public PeerEntry withName(String newName) {
        return new PeerEntry(newName, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, expires);
    }

    public PeerSettings toSettings() {
        return new PeerSettings(name, publicKey, allowedIps, presharedKey, persistentKeepalive);
    }

    public PeerEntry withEnabled(boolean on) {
        return new PeerEntry(name, publicKey, presharedKey, allowedIps, persistentKeepalive, on, line, expires);
    }
}
