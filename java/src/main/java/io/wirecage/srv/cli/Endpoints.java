package io.wirecage.srv.cli;

import io.wirecage.srv.router.DefaultRoute;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;

/** The endpoint clients are told when none is configured: the outbound interface's IPv4 address. */
final class Endpoints {
    private Endpoints() {}

    /** HOST:PORT with the first IPv4 address of the interface (default: the default route's), else SERVER_ADDRESS. */
    static String guess(String outboundInterface, int port) throws IOException {
        String iface = outboundInterface != null ? outboundInterface : DefaultRoute.outboundInterface().orElse(null);
        String host = "SERVER_ADDRESS";
        if (iface != null) {
            NetworkInterface ni = NetworkInterface.getByName(iface);
            if (ni != null) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        host = a.getHostAddress();
                        break;
                    }
                }
            }
        }
        return host + ":" + port;
    }
}
