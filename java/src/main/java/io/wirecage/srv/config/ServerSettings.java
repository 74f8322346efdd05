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
                             List<PortForward> forwards, ApiSettings api, Ipv6Prefix subnet6) {

    public static final int DEFAULT_PORT = 51820;
    public static final String DEFAULT_SUBNET = "10.200.100.0/24";
    /** A unique local /64 (RFC 4193, random global ID) taken when IPv6 inside is turned on without subnet6. */
    public static final String DEFAULT_SUBNET6 = "fdc8:7a3e:51f0::/64";
    public static final int DEFAULT_MTU = 1420;
    public static final String DEFAULT_TUN = "wg-srv";
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,15}");

    public ServerSettings {
        peers = List.copyOf(peers);
        forwards = List.copyOf(forwards);
        validate(subnet, peers, mtu, tunName, outboundInterface);
        validate6(subnet6, peers);
        if (subnet6 != null && mtu < 1280) {
            throw new IllegalArgumentException("MTU " + mtu + " is below 1280, the least IPv6 needs: raise it or turn IPv6 inside the tunnel off");
        }
        validateForwards(peers, forwards, listen, api);
    }

    /** Without an IPv6 subnet (IPv6 inside the tunnel off). */
    public ServerSettings(Base64Key privateKey, InetSocketAddress listen, Ipv4Prefix subnet, List<PeerSettings> peers,
                          String outboundInterface, int mtu, String tunName, List<PortForward> forwards, ApiSettings api) {
        this(privateKey, listen, subnet, peers, outboundInterface, mtu, tunName, forwards, api, null);
    }

    /** Without port forwards and without the registration API. */
    public ServerSettings(Base64Key privateKey, InetSocketAddress listen, Ipv4Prefix subnet, List<PeerSettings> peers,
                          String outboundInterface, int mtu, String tunName) {
        this(privateKey, listen, subnet, peers, outboundInterface, mtu, tunName, List.of(), null, null);
    }

    /** The same server with another peer list and forwards (what a reload may change). */
    public ServerSettings withPeers(List<PeerSettings> nextPeers, List<PortForward> nextForwards) {
        return new ServerSettings(privateKey, listen, subnet, nextPeers, outboundInterface, mtu, tunName, nextForwards, api, subnet6);
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

    /** Whether IPv6 runs inside the tunnel (a subnet6 is set). */
    public boolean ipv6() {
        return subnet6 != null;
    }

    /** The server's own IPv6 address: the first host address of subnet6 (::1 of the /64). */
    public Ipv6Prefix serverAddress6() {
        return serverAddress6(subnet6);
    }

    public static Ipv6Prefix serverAddress6(Ipv6Prefix subnet6) {
        return new Ipv6Prefix(subnet6.networkHi(), subnet6.networkLo() + 1, 128);
    }

    /** Parses an IPv6 VPN subnet: a network of /64 to /120 (room for the server and peers; host numbers fit 64 bits). */
    public static Ipv6Prefix parseSubnet6(String text) {
        Ipv6Prefix p = Ipv6Prefix.parseNetwork(text);
        if (p.length() < 64 || p.length() > 120) {
            throw new IllegalArgumentException("'" + text + "' must be a /64 to /120 network (e.g. " + DEFAULT_SUBNET6 + ")");
        }
        return p;
    }

    /** Why a peer may not have this IPv6 allowed IP, or null when it may. */
    public static String ipv6Problem(Ipv6Prefix subnet6, Ipv6Prefix ip) {
        if (subnet6 == null) {
            return "IPv6 address " + ip + " given but IPv6 inside the tunnel is off (set [server] subnet6 or ipv6 = true)";
        }
        if (!subnet6.contains(ip)) {
            return "IP " + ip + " is outside the IPv6 subnet " + subnet6;
        }
        Ipv6Prefix server = serverAddress6(subnet6);
        if (ip.contains(server.hi(), server.lo())) {
            return "IP " + ip + " includes the server's own address " + server.address();
        }
        return null;
    }

    private static void validate6(Ipv6Prefix subnet6, List<PeerSettings> peers) {
        List<java.util.Map.Entry<Ipv6Prefix, PeerSettings>> owned = new java.util.ArrayList<>();
        for (PeerSettings p : peers) {
            for (Ipv6Prefix ip : p.allowedIps6()) {
                String problem = ipv6Problem(subnet6, ip);
                if (problem != null) {
                    throw new IllegalArgumentException("peer " + p.label() + ": " + problem);
                }
                owned.add(java.util.Map.entry(ip, p));
            }
        }
        java.util.Map.Entry<PeerSettings, PeerSettings> clash = Ipv6Prefix.firstOverlap(owned);
        if (clash != null) {
            throw new IllegalArgumentException("peers " + clash.getKey().label() + " and " + clash.getValue().label()
                    + " have overlapping IPv6 addresses");
        }
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
