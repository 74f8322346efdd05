package io.wirecage.srv.config;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the server needs to start, validated as a whole before anything is touched on the host,
 * so a bad value never leaves a TUN device or a firewall rule behind.
 *
 * @param outboundInterface interface that NAT masquerades out of, or null to detect from the default route
 */
public record ServerSettings(Base64Key privateKey, InetSocketAddress listen, Ipv4Prefix subnet,
                             List<PeerSettings> peers, String outboundInterface, int mtu, String tunName) {

    public static final int DEFAULT_PORT = 51820;
    public static final String DEFAULT_SUBNET = "10.200.100.0/24";
    public static final int DEFAULT_MTU = 1420;
    public static final String DEFAULT_TUN = "wg-srv";
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,15}");

    public ServerSettings {
        peers = List.copyOf(peers);
        validate(subnet, peers, mtu, tunName, outboundInterface);
    }

    /** The server's own address inside the VPN subnet: the first host address. */
    public int serverAddress() {
        return subnet.network() + 1;
    }

    private static void validate(Ipv4Prefix subnet, List<PeerSettings> peers, int mtu, String tunName,
                                 String outboundInterface) {
        if (subnet.length() > 30) {
            throw new IllegalArgumentException("subnet " + subnet + " is too small: it needs room for the server and a peer (/30 or larger)");
        }
        if (mtu < 576 || mtu > 9000) {
            throw new IllegalArgumentException("MTU " + mtu + " is out of range 576..9000");
        }
        if (!IFNAME.matcher(tunName).matches()) {
            throw new IllegalArgumentException("TUN name '" + tunName + "' must be 1-15 letters, digits, '.', '_' or '-'");
        }
        if (outboundInterface != null && !IFNAME.matcher(outboundInterface).matches()) {
            throw new IllegalArgumentException("outbound interface '" + outboundInterface + "' is not a valid interface name");
        }
        int server = subnet.network() + 1;
        Set<Base64Key> keys = new HashSet<>();
        PrefixIndex<PeerSettings> owners = new PrefixIndex<>();
        for (int i = 0; i < peers.size(); i++) {
            PeerSettings p = peers.get(i);
            if (!keys.add(p.publicKey())) {
                throw new IllegalArgumentException("peer " + p.label() + " is configured twice (same public key)");
            }
            for (Ipv4Prefix ip : p.allowedIps()) {
                if (!subnet.contains(ip)) {
                    throw new IllegalArgumentException("peer " + p.label() + ": IP " + ip + " is outside the subnet " + subnet);
                }
                if (ip.contains(server)) {
                    throw new IllegalArgumentException("peer " + p.label() + ": IP " + ip + " includes the server's own address "
                            + Ipv4Prefix.format(server));
                }
                PeerSettings other = owners.overlapping(ip);
                if (other != null) {
                    Ipv4Prefix theirs = other.allowedIps().stream().filter(ip::overlaps).findFirst().orElseThrow();
                    throw new IllegalArgumentException("peers " + other.label() + " and " + p.label()
                            + " have overlapping IPs " + theirs + " and " + ip);
                }
                owners.add(ip, p);
            }
        }
    }
}
