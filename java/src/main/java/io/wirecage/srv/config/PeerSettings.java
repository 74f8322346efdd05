package io.wirecage.srv.config;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One peer as configured: who it is (public key) and which inner addresses it may use (allowed IPs,
 * IPv4 and IPv6 kept apart so each family's lookups stay allocation-free).
 *
 * @param presharedKey optional extra symmetric key, or null
 * @param persistentKeepalive seconds between keepalives, 0 for off
 * @param allowedIps6 the IPv6 allowed IPs (empty without an IPv6 subnet)
 */
public record PeerSettings(String name, Base64Key publicKey, List<Ipv4Prefix> allowedIps,
                           Base64Key presharedKey, int persistentKeepalive, List<Ipv6Prefix> allowedIps6) {
    public PeerSettings {
        allowedIps = List.copyOf(allowedIps);
        allowedIps6 = List.copyOf(allowedIps6);
        if (persistentKeepalive < 0 || persistentKeepalive > 65535) {
            throw new IllegalArgumentException("persistent keepalive must be 0..65535 seconds");
        }
    }

    /** IPv4 only. */
    public PeerSettings(String name, Base64Key publicKey, List<Ipv4Prefix> allowedIps, Base64Key presharedKey,
                        int persistentKeepalive) {
        this(name, publicKey, allowedIps, presharedKey, persistentKeepalive, List.of());
    }

    /** A name for logs and status: the configured one, else the short public key. */
    public String label() {
        return name != null ? name : publicKey.shortForm();
    }

    /** All allowed IPs, IPv4 first, as text (what wg and config files show). */
    public List<String> allowedIpsText() {
        return allowedIpsText(allowedIps, allowedIps6);
    }

    public String allowedIpsJoined(String separator) {
        return String.join(separator, allowedIpsText());
    }

    public static List<String> allowedIpsText(List<Ipv4Prefix> v4, List<Ipv6Prefix> v6) {
        return Stream.concat(v4.stream().map(Ipv4Prefix::toString), v6.stream().map(Ipv6Prefix::toString))
                .collect(Collectors.toList());
    }
}
