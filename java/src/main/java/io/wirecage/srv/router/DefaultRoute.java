package io.wirecage.srv.router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Finds the interface of the IPv4 default route, read from /proc/net/route (no ip(8) needed). */
public final class DefaultRoute {
    private DefaultRoute() {}

    public static Optional<String> outboundInterface() throws IOException {
        return fromRouteTable(Files.readAllLines(Path.of("/proc/net/route")));
    }

    /** The interface of the IPv6 default route, read from /proc/net/ipv6_route; empty without IPv6 or such a route. */
    public static Optional<String> outboundInterface6() throws IOException {
        Path table = Path.of("/proc/net/ipv6_route");
        return Files.exists(table) ? fromIpv6RouteTable(Files.readAllLines(table)) : Optional.empty();
    }

    /** Picks the usable default route (::/0, up, not a reject route) with the lowest metric. */
    static Optional<String> fromIpv6RouteTable(List<String> lines) {
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !f[0].matches("0{32}") || !f[1].equals("00")) {
                continue;
            }
            long flags = Long.parseLong(f[8], 16);
            boolean up = (flags & 0x1) != 0;
            boolean reject = (flags & 0x200) != 0;
            long metric = Long.parseLong(f[5], 16);
            if (up && !reject && !f[9].equals("lo") && metric < bestMetric) {
                best = f[9];
                bestMetric = metric;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Picks the default route (destination and mask 0) with the lowest metric. */
    static Optional<String> fromRouteTable(List<String> lines) {
        String best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8) {
                continue;
            }
            boolean up = (Long.parseLong(f[3], 16) & 0x1) != 0;
            if (f[1].equals("00000000") && f[7].equals("00000000") && up) {
                long metric = Long.parseLong(f[6]);
                if (metric < bestMetric) {
                    best = f[0];
                    bestMetric = metric;
                }
            }
        }
        return Optional.ofNullable(best);
    }
}
