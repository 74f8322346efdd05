package io.wirecage.srv.config;

import java.util.List;

/**
 * A [[peer]] table of the config file as written, including disabled peers.
 *
 * @param line the line of its [[peer]] header (1-based), for error messages and editing; 0 when new
 * @param allowedIps6 the IPv6 allowed IPs (written in the same allowed_ips list as the IPv4 ones)
 */
public record PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                        int persistentKeepalive, boolean enabled, int line, List<Ipv6Prefix> allowedIps6) {
    public PeerEntry {
        allowedIps = List.copyOf(allowedIps);
        allowedIps6 = List.copyOf(allowedIps6);
    }

    /** IPv4 only. */
    public PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                     int persistentKeepalive, boolean enabled, int line) {
        this(name, publicKey, presharedKey, allowedIps, persistentKeepalive, enabled, line, List.of());
    }

    public PeerSettings toSettings() {
        return new PeerSettings(name, publicKey, allowedIps, presharedKey, persistentKeepalive, allowedIps6);
    }

    public PeerEntry withEnabled(boolean on) {
        return new PeerEntry(name, publicKey, presharedKey, allowedIps, persistentKeepalive, on, line, allowedIps6);
    }

    public List<String> allowedIpsText() {
        return PeerSettings.allowedIpsText(allowedIps, allowedIps6);
    }
}
