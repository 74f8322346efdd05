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
                             List<PeerSettings> peers, String outboundInterface, int mtu, String tunName,
                             List<PortForward> forwards, ApiSettings api) {

    public static final int DEFAULT_PORT = 51820;
    public static final String DEFAULT_SUBNET = "10.200.100.0/24";
    public static final int DEFAULT_MTU = 1420;
    public static final String DEFAULT_TUN = "wg-srv";
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,15}");

    public ServerSettings {
        peers = List.copyOf(peers);
        forwards = List.copyOf(forwards);
        validate(subnet, peers, mtu, tunName, outboundInterface);
        validateForwards(peers, forwards, listen, api);
    }

    /** Without port forwards and without the registration API. */
    public ServerSettings(Base64Key privateKey, InetSocketAddress listen, Ipv4Prefix subnet, List<PeerSettings> peers,
                          String outboundInterface, int mtu, String tunName) {
        this(privateKey, listen, subnet, peers, outboundInterface, mtu, tunName, List.of(), null);
    }

    /** The same server with another peer list and forwards (what a reload may change). */
    public ServerSettings withPeers(List<PeerSettings> nextPeers, List<PortForward> nextForwards) {
        return new ServerSettings(privateKey, listen, subnet, nextPeers, outboundInterface, mtu, tunName, nextForwards, api);
    }

    /** The inner address that receives a forward's traffic: its peer's first allowed IP. */
    public int forwardTarget(PortForward f) {
        for (PeerSettings p : peers) {
            if (p.publicKey().equals(f.peerKey())) {
                return p.allowedIps().get(0).network();
            }
        }
        throw new IllegalArgumentException("no enabled peer for the port forward " + f);
    }

    /** Why a forward may not take this public port (one the server uses itself), or null when it may. */
    public static String portUsedByServer(String protocol, int port, int wgPort, int apiPort) {
        if (PortForward.UDP.equals(protocol) && port == wgPort) {
            return "udp port " + port + " is the server's WireGuard port";
        }
        if (PortForward.TCP.equals(protocol) && port == apiPort) {
            return "tcp port " + port + " is the server's API port";
        }
        return null;
    }

    private static void validateForwards(List<PeerSettings> peers, List<PortForward> forwards, InetSocketAddress listen,
                                         ApiSettings api) {
        Set<Base64Key> keys = new HashSet<>();
        peers.forEach(p -> keys.add(p.publicKey()));
        Set<String> ports = new HashSet<>();
        for (PortForward f : forwards) {
            if (!keys.contains(f.peerKey())) {
                throw new IllegalArgumentException("port forward " + f + ": its peer is not configured or not enabled");
            }
            if (!ports.add(f.protocol() + "/" + f.publicPort())) {
                throw new IllegalArgumentException("port forward " + f + ": the public port is forwarded twice");
            }
            String used = portUsedByServer(f.protocol(), f.publicPort(), listen.getPort(), api == null ? 0 : api.listen().getPort());
            if (used != null) {
                throw new IllegalArgumentException("port forward " + f + ": " + used);
            }
        }
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
