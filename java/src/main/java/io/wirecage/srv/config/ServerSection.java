package io.wirecage.srv.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The [server] table of the config file; null fields were not set (defaults apply, or flags override).
 *
 * @param subnet6 the IPv6 VPN subnet, or null
 * @param ipv6 whether IPv6 inside the tunnel is on (true: subnet6 or its default; false: off even with subnet6), or null
 */
public record ServerSection(Path privateKeyFile, String listenAddr, Ipv4Prefix subnet, String outboundInterface,
                            Integer mtu, List<String> dns, String endpoint, String tunName, Ipv6Prefix subnet6,
                            Boolean ipv6) {
    public ServerSection {
        dns = dns == null ? List.of() : List.copyOf(dns);
    }

    /** The IPv6 subnet in force: subnet6, else the default when ipv6 = true, else null (IPv6 inside off). */
    public Ipv6Prefix effectiveSubnet6() {
        if (Boolean.FALSE.equals(ipv6)) {
            return null;
        }
        if (subnet6 != null) {
            return subnet6;
        }
        return Boolean.TRUE.equals(ipv6) ? Ipv6Prefix.parseNetwork(ServerSettings.DEFAULT_SUBNET6) : null;
    }
}
