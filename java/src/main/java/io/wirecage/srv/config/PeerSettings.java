package io.wirecage.srv.config;

import java.util.List;

/**
 * One peer as configured: who it is (public key) and which inner addresses it may use (allowed IPs).
 *
 * @param presharedKey optional extra symmetric key, or null
 * @param persistentKeepalive seconds between keepalives, 0 for off
 */
public record PeerSettings(String name, Base64Key publicKey, List<Ipv4Prefix> allowedIps,
                           Base64Key presharedKey, int persistentKeepalive) {
    public PeerSettings {
        allowedIps = List.copyOf(allowedIps);
        if (persistentKeepalive < 0 || persistentKeepalive > 65535) {
            throw new IllegalArgumentException("persistent keepalive must be 0..65535 seconds");
        }
    }

    /** A name for logs and status: the configured one, else the short public key. */
    public String label() {
        return name != null ? name : publicKey.shortForm();
    }
}
