package io.wirecage.srv.config;

import java.nio.file.Path;
import java.util.List;

/** The [server] table of the config file; null fields were not set (defaults apply, or flags override). */
public record ServerSection(Path privateKeyFile, String listenAddr, Ipv4Prefix subnet, String outboundInterface,
                            Integer mtu, List<String> dns, String endpoint, String tunName) {
    public ServerSection {
        dns = dns == null ? List.of() : List.copyOf(dns);
    }
}
