package io.wirecage.srv.ipc;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.Ipv6Prefix;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.device.Peer;
import io.wirecage.srv.nativebridge.Tunnel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cross-platform WireGuard UAPI (https://www.wireguard.com/xplatform/) over the running device, so
 * the stock {@code wg} tool works: {@code get=1} answers with keys in hex, handshake times as Unix time
 * and one {@code allowed_ip} per range; {@code set=1} changes the running peers all-or-nothing (a request
 * with any invalid line changes nothing and answers a non-zero errno, negative as wireguard-go writes it,
 * so {@code wg} prints the error's name). Changes are the running state only; the config file is not
 * written, and the next reload (SIGHUP, a {@code peer} command, an API registration) applies the file
 * again. Peers whose key, preshared key and keepalive stay the same keep their session and counters.
 */
public final class Uapi {
    private static final Logger log = LoggerFactory.getLogger(Uapi.class);
    static final int EIO = 5;
    static final int EPROTO_ANSWER = 71;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;
    static final int EAFNOSUPPORT = 97;
    private static final HexFormat HEX = HexFormat.of();

    /** What the UAPI needs of the server. */
    public interface Host {
        Device device();

        /** The server's private key (for get=1 only: the socket is owner-only, and wg showconf asks for it). */
        Base64Key privateKey();

        /** The UDP port the server listens on. */
        int listenPort();

        /**
         * Applies a new peer list and endpoints under the lock reloads take; returns null or an error.
         */
        String applyPeers(List<PeerSettings> peers, Map<Base64Key, InetSocketAddress> endpoints);
    }

    private final Host host;

    public Uapi(Host host) {
        this.host = host;
    }

    /** get=1: the device and every peer, ending with errno=0 and a blank line. */
    public String get() {
        Device device = host.device();
        StringBuilder sb = new StringBuilder(256 + 320 * device.peers().size());
        sb.append("private_key=").append(HEX.formatHex(host.privateKey().bytes())).append('\n');
        sb.append("listen_port=").append(host.listenPort()).append('\n');
        sb.append("fwmark=0\n");
        long[] stats = new long[Tunnel.STATS_LENGTH];
        long now = System.currentTimeMillis();
        for (Peer p : device.peers().all()) {
            PeerSettings s = p.settings();
            p.stats(stats);
            sb.append("public_key=").append(HEX.formatHex(s.publicKey().bytes())).append('\n');
            sb.append("preshared_key=").append(s.presharedKey() == null ? "0".repeat(64)
                    : HEX.formatHex(s.presharedKey().bytes())).append('\n');
            sb.append("protocol_version=1\n");
            InetSocketAddress ep = p.endpoint();
            if (ep != null) {
                sb.append("endpoint=").append(endpoint(ep)).append('\n');
            }
            long ago = stats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE];
            long unixMillis = ago < 0 ? 0 : now - ago;
            sb.append("last_handshake_time_sec=").append(unixMillis / 1000).append('\n');
            sb.append("last_handshake_time_nsec=").append(unixMillis % 1000 * 1_000_000).append('\n');
            sb.append("tx_bytes=").append(stats[Tunnel.STAT_TX_BYTES]).append('\n');
            sb.append("rx_bytes=").append(stats[Tunnel.STAT_RX_BYTES]).append('\n');
            sb.append("persistent_keepalive_interval=").append(s.persistentKeepalive()).append('\n');
            for (String a : s.allowedIpsText()) {
                sb.append("allowed_ip=").append(a).append('\n');
            }
        }
        return sb.append("errno=0\n\n").toString();
    }

    /** "ip:port", or "[v6]:port" with brackets as wg writes and reads it. */
    public static String endpoint(InetSocketAddress ep) {
        return io.wirecage.srv.conn.EndpointFormat.format(ep);
    }

    /** One peer as a set request builds it. */
    private static final class Draft {
        final Base64Key key;
        String name;
        Base64Key psk;
        int keepalive;
        /** Ipv4Prefix and Ipv6Prefix values, in the order given. */
        final List<Record> allowed;

        Draft(Base64Key key, String name, Base64Key psk, int keepalive, List<Ipv4Prefix> allowed, List<Ipv6Prefix> allowed6) {
            this.key = key;
            this.name = name;
            this.psk = psk;
            this.keepalive = keepalive;
            this.allowed = new ArrayList<>(allowed);
            this.allowed.addAll(allowed6);
        }

        PeerSettings settings() {
            List<Ipv4Prefix> v4 = new ArrayList<>();
            List<Ipv6Prefix> v6 = new ArrayList<>();
            for (Record r : allowed) {
                if (r instanceof Ipv4Prefix p) {
                    v4.add(p);
                } else {
                    v6.add((Ipv6Prefix) r);
                }
            }
            return new PeerSettings(name, key, v4, psk, keepalive, v6);
        }
    }

    /** Invalid input: the errno to answer (positive) and the reason for the log. */
    static final class Invalid extends Exception {
        final int errno;

        Invalid(int errno, String message) {
            super(message, null, false, false);
            this.errno = errno;
        }
    }

    /** set=1: answers "errno=0\n\n" or a negative errno; on error nothing changed. */
    public String set(List<String[]> pairs) {
        try {
            setOrThrow(pairs);
            return "errno=0\n\n";
        } catch (Invalid e) {
            log.warn("wg set refused, nothing changed: {}", e.getMessage());
            return "errno=-" + e.errno + "\n\n";
        }
    }

    void setOrThrow(List<String[]> pairs) throws Invalid {
        Device device = host.device();
        Map<Base64Key, Draft> peers = new LinkedHashMap<>();
        for (Peer p : device.peers().all()) {
            PeerSettings s = p.settings();
            peers.put(s.publicKey(), new Draft(s.publicKey(), s.name(), s.presharedKey(), s.persistentKeepalive(), s.allowedIps(),
                    s.allowedIps6()));
        }
        Map<Base64Key, InetSocketAddress> endpoints = new LinkedHashMap<>();
        // allowed IPs named in this request, by the peer that gets them: an allowed IP belongs to one peer
        Map<Record, Base64Key> claimed = new LinkedHashMap<>();
        Draft peer = null;
        boolean skipping = false;
        boolean createdHere = false;
        boolean sawPeerKey = false;
        for (String[] kv : pairs) {
            String key = kv[0];
            String value = kv[1];
            if (!sawPeerKey) {
                switch (key) {
                    case "private_key" -> {
                        if (!host.privateKey().equals(Base64Key.of(hexKey(key, value)))) {
                            throw new Invalid(EOPNOTSUPP, "a new private key needs a restart (change private_key_file)");
                        }
                        continue;
                    }
                    case "listen_port" -> {
                        if (number(key, value, 65535) != host.listenPort()) {
                            throw new Invalid(EOPNOTSUPP, "a new listen port needs a restart (change listen_addr)");
                        }
                        continue;
                    }
                    case "fwmark" -> {
                        if (number(key, value, 0xFFFF_FFFFL) != 0) {
                            throw new Invalid(EOPNOTSUPP, "fwmark is not supported");
                        }
                        continue;
                    }
                    case "replace_peers" -> {
                        if (bool(key, value)) {
                            peers.clear();
                        }
                        continue;
                    }
                    case "public_key" -> sawPeerKey = true;
                    default -> throw new Invalid(EINVAL, "unknown device key '" + safe(key) + "'");
                }
            }
            if (key.equals("public_key")) {
                Base64Key k = Base64Key.of(hexKey(key, value));
                peer = peers.get(k);
                skipping = false;
                createdHere = peer == null;
                if (peer == null) {
                    peer = new Draft(k, null, null, 0, List.of(), List.of());
                    peers.put(k, peer);
                }
                continue;
            }
            if (skipping) {
                continue; // the lines of a removed peer, or of an update_only peer that does not exist
            }
            switch (key) {
                case "update_only" -> {
                    if (bool(key, value) && createdHere) {
                        peers.remove(peer.key);
                        skipping = true;
                    }
                }
                case "remove" -> {
                    if (bool(key, value)) {
                        peers.remove(peer.key);
                        endpoints.remove(peer.key);
                        skipping = true;
                    }
                }
                case "preshared_key" -> {
                    byte[] b = hexKey(key, value);
                    boolean zero = true;
                    for (byte x : b) {
                        zero &= x == 0;
                    }
                    peer.psk = zero ? null : Base64Key.of(b);
                }
                case "endpoint" -> endpoints.put(peer.key, parseEndpoint(value));
                case "persistent_keepalive_interval" -> peer.keepalive = (int) number(key, value, 65535);
                case "replace_allowed_ips" -> {
                    if (bool(key, value)) {
                        peer.allowed.clear();
                    }
                }
                case "allowed_ip" -> {
                    boolean remove = value.startsWith("-");
                    Record prefix = parsePrefix(remove ? value.substring(1) : value);
                    peer.allowed.remove(prefix);
                    if (remove) {
                        claimed.remove(prefix, peer.key);
                    } else {
                        peer.allowed.add(prefix);
                        claimed.put(prefix, peer.key);
                    }
                }
                case "protocol_version" -> {
                    if (number(key, value, 0xFFFF_FFFFL) != 1) {
                        throw new Invalid(EINVAL, "protocol_version must be 1");
                    }
                }
                default -> throw new Invalid(EINVAL, "unknown peer key '" + safe(key) + "'");
            }
        }
        // An allowed IP named in this request moves to that peer, as in the kernel.
        for (Map.Entry<Record, Base64Key> c : claimed.entrySet()) {
            if (!peers.containsKey(c.getValue())) {
                continue; // claimed by a peer this request then removed
            }
            for (Draft d : peers.values()) {
                if (!d.key.equals(c.getValue())) {
                    d.allowed.remove(c.getKey());
                }
            }
        }
        List<PeerSettings> next = new ArrayList<>(peers.size());
        for (Draft d : peers.values()) {
            Set<Record> unique = new LinkedHashSet<>(d.allowed);
            d.allowed.clear();
            d.allowed.addAll(unique);
            next.add(d.settings());
        }
        endpoints.keySet().retainAll(peers.keySet());
        String error = host.applyPeers(next, endpoints);
        if (error != null) {
            throw new Invalid(EINVAL, error);
        }
    }

    private static byte[] hexKey(String key, String value) throws Invalid {
        if (value.length() != 64) {
            throw new Invalid(EINVAL, key + " must be 64 hex digits");
        }
        try {
            return HEX.parseHex(value);
        } catch (IllegalArgumentException e) {
            throw new Invalid(EINVAL, key + " must be 64 hex digits");
        }
    }

    private static long number(String key, String value, long max) throws Invalid {
        if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new Invalid(EINVAL, key + " must be a number");
        }
        long n = Long.parseLong(value);
        if (n > max) {
            throw new Invalid(EINVAL, key + " must be at most " + max);
        }
        return n;
    }

    private static boolean bool(String key, String value) throws Invalid {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new Invalid(EINVAL, key + " must be true or false");
        };
    }

    /** An Ipv4Prefix or an Ipv6Prefix, host bits masked as the kernel does (whether IPv6 is on is checked by the settings). */
    static Record parsePrefix(String value) throws Invalid {
        int slash = value.indexOf('/');
        if (slash < 0) {
            throw new Invalid(EINVAL, "allowed_ip needs a prefix length");
        }
        if (Ipv6Prefix.isIpv6(value)) {
            try {
                Ipv6Prefix p = Ipv6Prefix.parseHost(value);
                return new Ipv6Prefix(p.networkHi(), p.networkLo(), p.length());
            } catch (IllegalArgumentException e) {
                throw new Invalid(EINVAL, "allowed_ip " + e.getMessage());
            }
        }
        try {
            Ipv4Prefix p = Ipv4Prefix.parseHost(value);
            return new Ipv4Prefix(p.address() & p.mask(), p.length()); // the kernel masks the host bits
        } catch (IllegalArgumentException e) {
            throw new Invalid(EINVAL, "allowed_ip " + e.getMessage());
        }
    }

    static InetSocketAddress parseEndpoint(String value) throws Invalid {
        String hostPart;
        String port;
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            if (end < 0 || end + 1 >= value.length() || value.charAt(end + 1) != ':') {
                throw new Invalid(EINVAL, "endpoint must be [IPv6]:port");
            }
            hostPart = value.substring(1, end);
            port = value.substring(end + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || value.indexOf(':') != colon) {
                throw new Invalid(EINVAL, "endpoint must be IPv4:port or [IPv6]:port");
            }
            hostPart = value.substring(0, colon);
            port = value.substring(colon + 1);
        }
        int p = (int) number("endpoint port", port, 65535);
        if (p == 0) {
            throw new Invalid(EINVAL, "endpoint port must not be 0");
        }
        // numeric only (wg resolves names before it sends): no DNS lookup on the server
        boolean numeric = hostPart.indexOf(':') >= 0 ? hostPart.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 || ch == ':' || ch == '.')
                : hostPart.chars().allMatch(ch -> (ch >= '0' && ch <= '9') || ch == '.');
        if (!numeric || hostPart.isEmpty()) {
            throw new Invalid(EINVAL, "endpoint must be a numeric address");
        }
        try {
            if (hostPart.indexOf(':') < 0) {
                Ipv4Prefix.parseAddress(hostPart);
            }
            return new InetSocketAddress(InetAddress.getByName(hostPart), p);
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new Invalid(EINVAL, "endpoint is not a valid address");
        }
    }

    /** For logs: a key as the client sent it, cut short and without control characters. */
    private static String safe(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
