package io.wirecage.srv.config;

import java.util.List;

/**
 * A [[peer]] table of the config file as written, including disabled peers.
 *
 * @param line the line of its [[peer]] header (1-based), for error messages and editing; 0 when new
 */
public record PeerEntry(String name, Base64Key publicKey, Base64Key presharedKey, List<Ipv4Prefix> allowedIps,
                        int persistentKeepalive, boolean enabled, int line) {
    public PeerEntry {
        allowedIps = List.copyOf(allowedIps);
    }

    public PeerSettings toSettings() {
        return new PeerSettings(name, publicKey, allowedIps, presharedKey, persistentKeepalive);
    }

    public PeerEntry withEnabled(boolean on) {
        return new PeerEntry(name, publicKey, presharedKey, allowedIps, persistentKeepalive, on, line);
    }
}
