package io.wirecage.srv.config;

import java.time.Instant;
import java.util.List;

/**
 * A [[peer]] table of the config file as written, including disabled peers.
 *
 * @param line the line of its [[peer]] header (1-based), for error messages and editing; 0 when new
 * @param allowedIps6 the IPv6 allowed IPs (written in the same allowed_ips list as the IPv4 ones)
 * @param expires when the server disables the peer by itself (written as {@code expires = 2026-12-31T00:00:00Z}), or null
 */
public record PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                        int persistentKeepalive, boolean enabled, int line, List<Ipv6Prefix> allowedIps6,
                        Instant expires) {
    public PeerEntry {
        allowedIps = List.copyOf(allowedIps);
        allowedIps6 = List.copyOf(allowedIps6);
    }

    /** IPv4 only, without an expiry. */
    public PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                     int persistentKeepalive, boolean enabled, int line) {
        this(name, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, List.of(), null);
    }

    /** Without an expiry. */
    public PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                     int persistentKeepalive, boolean enabled, int line, List<Ipv6Prefix> allowedIps6) {
        this(name, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, allowedIps6, null);
    }

    /** IPv4 only. */
    public PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                     int persistentKeepalive, boolean enabled, int line, Instant expires) {
        this(name, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, List.of(), expires);
    }

    /** True when an expiry is set and {@code now} is at or past it. */
    public boolean expiredAt(Instant now) {
        return expires != null && !now.isBefore(expires);
    }

    public PeerEntry withExpires(Instant when) {
        return new PeerEntry(name, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, allowedIps6, when);
    }

    public PeerEntry withName(String newName) {
        return new PeerEntry(newName, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, allowedIps6,
                expires);
    }

    public PeerSettings toSettings() {
        return new PeerSettings(name, publicKey, allowedIps, presharedKey, persistentKeepalive, allowedIps6);
    }

    public PeerEntry withEnabled(boolean on) {
        return new PeerEntry(name, publicKey, presharedKey, allowedIps, persistentKeepalive, on, line, allowedIps6, expires);
    }

    public List<String> allowedIpsText() {
        return PeerSettings.allowedIpsText(allowedIps, allowedIps6);
    }
}
