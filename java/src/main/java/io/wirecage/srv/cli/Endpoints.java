package io.wirecage.srv.cli;

import io.wirecage.srv.conn.EndpointFormat;
import io.wirecage.srv.router.DefaultRoute;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.Collections;

/**
 * The endpoint clients are told when none is configured: the outbound interface's IPv4 address, or on
 * an IPv6-only host the IPv6 default route's interface's global address ([addr]:port).
 */
final class Endpoints {
    private Endpoints() {}

    /** HOST:PORT with the first IPv4 address of the interface (default: the default route's), else an IPv6 one, else SERVER_ADDRESS. */
    static String guess(String outboundInterface, int port) throws IOException {
        String iface = outboundInterface != null ? outboundInterface : DefaultRoute.outboundInterface().orElse(null);
        InetAddress v4 = first(iface, true);
        if (v4 != null) {
            return v4.getHostAddress() + ":" + port;
        }
        String iface6 = outboundInterface != null ? outboundInterface : DefaultRoute.outboundInterface6().orElse(null);
        InetAddress v6 = first(iface6, false);
        if (v6 != null) {
            return EndpointFormat.format(new InetSocketAddress(v6, port));
        }
        return "SERVER_ADDRESS:" + port;
    }

    private static InetAddress first(String iface, boolean v4) throws IOException {
        if (iface == null) {
            return null;
        }
        NetworkInterface ni = NetworkInterface.getByName(iface);
        if (ni == null) {
            return null;
        }
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            if (v4 ? a instanceof Inet4Address : a instanceof Inet6Address && !a.isLinkLocalAddress()) {
                return v4 ? a : InetAddress.getByAddress(a.getAddress()); // without the scope id
            }
        }
        return null;
    }
}
