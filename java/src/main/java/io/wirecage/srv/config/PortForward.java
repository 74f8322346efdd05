package io.wirecage.srv.config;

import java.util.Locale;

/**
 * A [[forward]] table: connections to the server's public address on {@code publicPort} go to the
 * peer's {@code targetPort} inside the tunnel, with the caller's address kept as their source.
 *
 * @param peerKey the public key of the peer that receives the traffic
 * @param line the line of its [[forward]] header (1-based) for messages and edits; 0 when new
 */
public record PortForward(String protocol, int publicPort, int targetPort, Base64Key peerKey, int line) {
    public static final String TCP = "tcp";
    public static final String UDP = "udp";

    public PortForward {
        protocol = protocol.toLowerCase(Locale.ROOT);
        if (!isProtocol(protocol)) {
            throw new IllegalArgumentException("protocol must be 'tcp' or 'udp'");
        }
        if (publicPort < 1 || publicPort > 65535 || targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("ports must be 1..65535");
        }
    }

    public static boolean isProtocol(String p) {
        return TCP.equals(p) || UDP.equals(p);
    }

    /** Two forwards clash when they take the same public port of the same protocol. */
    public boolean samePublicPort(PortForward o) {
        return protocol.equals(o.protocol) && publicPort == o.publicPort;
    }

    /** The same forward, ignoring where it stands in the file. */
    public boolean sameAs(PortForward o) {
        return samePublicPort(o) && targetPort == o.targetPort && peerKey.equals(o.peerKey);
    }

    @Override
    public String toString() {
        return protocol + "/" + publicPort + " -> " + peerKey.shortForm() + ":" + targetPort;
    }
}
