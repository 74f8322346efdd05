package io.wirecage.srv.conn;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * HOST:PORT as WireGuard tools write endpoints: IPv6 in brackets and in its short form (RFC 5952,
 * {@code [2001:db8::1]:51820}), IPv4 as dotted quad.
 */
public final class EndpointFormat {
    private EndpointFormat() {}

    public static String format(InetSocketAddress a) {
        if (a.getAddress() instanceof Inet6Address v6) {
            String scope = v6.getScopeId() != 0 ? "%" + v6.getScopeId() : "";
            return "[" + shortForm(v6.getAddress()) + scope + "]:" + a.getPort();
        }
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero groups as "::". */
    public static String shortForm(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
