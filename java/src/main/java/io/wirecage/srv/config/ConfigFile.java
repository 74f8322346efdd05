package io.wirecage.srv.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * The TOML config file: a [server] table and [[peer]] tables. Loading validates everything and names the
 * file, line and key of the first problem, so a bad file never reaches the running server.
 */
public record ConfigFile(Path file, ServerSection server, List<PeerEntry> peers) {
    private static final Set<String> TOP_KEYS = Set.of("server", "peer");
    private static final Set<String> SERVER_KEYS = Set.of("private_key_file", "listen_addr", "subnet",
            "outbound_interface", "mtu", "dns", "endpoint", "tun_name");
    private static final Set<String> PEER_KEYS = Set.of("name", "public_key", "preshared_key", "allowed_ips",
            "persistent_keepalive", "enabled");

    public ConfigFile {
        peers = List.copyOf(peers);
    }

    public static ConfigFile load(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file, 0, "no such file");
        } catch (IOException e) {
            throw new ConfigException(file, 0, "cannot read: " + e.getMessage());
        }
        return parse(file, text);
    }

    public static ConfigFile parse(Path file, String text) {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError e = toml.errors().get(0);
            throw new ConfigException(file, e.position() == null ? 0 : e.position().line(), "TOML syntax: " + e.getMessage());
        }
        Reader r = new Reader(file);
        r.unknownKeys(toml, TOP_KEYS, "");
        ServerSection server = r.server(toml);
        List<PeerEntry> peers = r.peers(toml);
        Ipv4Prefix subnet = server.subnet() != null ? server.subnet() : Ipv4Prefix.parseNetwork(ServerSettings.DEFAULT_SUBNET);
        validatePeers(file, subnet, peers);
        return new ConfigFile(file, server, peers);
    }

    /** The subnet in force: the file's, else the default. */
    public Ipv4Prefix subnet() {
        return server.subnet() != null ? server.subnet() : Ipv4Prefix.parseNetwork(ServerSettings.DEFAULT_SUBNET);
    }

    /** The private key file, relative paths taken from the config file's directory. */
    public Path privateKeyFile() {
        Path p = server.privateKeyFile();
        if (p == null) {
            return null;
        }
        Path dir = file.toAbsolutePath().getParent();
        return p.isAbsolute() || dir == null ? p : dir.resolve(p);
    }

    public PeerEntry peer(String name) {
        return peers.stream().filter(p -> name.equals(p.name())).findFirst().orElse(null);
    }

    public List<PeerSettings> enabledPeers() {
        return peers.stream().filter(PeerEntry::enabled).map(PeerEntry::toSettings).toList();
    }

    /** Duplicate keys and names, addresses outside the subnet, on the server, or owned twice. */
    static void validatePeers(Path file, Ipv4Prefix subnet, List<PeerEntry> peers) {
        int server = subnet.network() + 1;
        Map<Base64Key, PeerEntry> keys = new HashMap<>();
        Map<String, PeerEntry> names = new HashMap<>();
        PrefixIndex<PeerEntry> owners = new PrefixIndex<>();
        for (PeerEntry p : peers) {
            PeerEntry twin = keys.putIfAbsent(p.publicKey(), p);
            if (twin != null) {
                throw new ConfigException(file, p.line(), "[[peer]] public_key: the same key as the peer at line " + twin.line());
            }
            if (p.name() != null) {
                twin = names.putIfAbsent(p.name(), p);
                if (twin != null) {
                    throw new ConfigException(file, p.line(), "[[peer]] name: '" + p.name() + "' is also the name of the peer at line " + twin.line());
                }
            }
            for (Ipv4Prefix ip : p.allowedIps()) {
                if (!subnet.contains(ip)) {
                    throw new ConfigException(file, p.line(), "[[peer]] allowed_ips: " + ip + " is outside the subnet " + subnet);
                }
                if (ip.contains(server)) {
                    throw new ConfigException(file, p.line(), "[[peer]] allowed_ips: " + ip
                            + " includes the server's address " + Ipv4Prefix.format(server));
                }
                PeerEntry other = owners.overlapping(ip);
                if (other != null) {
                    throw new ConfigException(file, p.line(), "[[peer]] allowed_ips: " + ip
                            + " overlaps the peer at line " + other.line() + (other.name() != null ? " (" + other.name() + ")" : ""));
                }
                owners.add(ip, p);
            }
        }
    }

    /** Typed access to TOML values, each failure naming file, line and key. */
    private record Reader(Path file) {
        void unknownKeys(TomlTable t, Set<String> allowed, String where) {
            for (String k : t.keySet()) {
                if (!allowed.contains(k)) {
                    throw new ConfigException(file, line(t, k), where + "unknown key '" + k + "' (allowed: "
                            + String.join(", ", allowed.stream().sorted().toList()) + ")");
                }
            }
        }

        ServerSection server(TomlParseResult toml) {
            if (!toml.contains("server")) {
                throw new ConfigException(file, 0, "missing [server] table");
            }
            if (!toml.isTable("server")) {
                throw new ConfigException(file, line(toml, "server"), "'server' must be a table: [server]");
            }
            TomlTable t = toml.getTable("server");
            unknownKeys(t, SERVER_KEYS, "[server] ");
            String key = string(t, "private_key_file", "[server] ");
            String subnet = string(t, "subnet", "[server] ");
            Ipv4Prefix net = null;
            if (subnet != null) {
                try {
                    net = Ipv4Prefix.parseNetwork(subnet);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(file, line(t, "subnet"), "[server] subnet: " + e.getMessage());
                }
            }
            Long mtu = integer(t, "mtu", "[server] ");
            List<String> dns;
            if (t.isString("dns")) {
                dns = List.of(t.getString("dns"));
            } else {
                dns = strings(t, "dns", "[server] ");
            }
            for (String d : dns) {
                try {
                    Ipv4Prefix.parseAddress(d);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(file, line(t, "dns"), "[server] dns: " + e.getMessage());
                }
            }
            String listen = string(t, "listen_addr", "[server] ");
            String endpoint = string(t, "endpoint", "[server] ");
            if (endpoint != null && endpoint.lastIndexOf(':') <= 0) {
                throw new ConfigException(file, line(t, "endpoint"), "[server] endpoint: '" + endpoint + "' must be HOST:PORT");
            }
            return new ServerSection(key == null ? null : Path.of(key), listen, net, string(t, "outbound_interface", "[server] "),
                    mtu == null ? null : Math.toIntExact(mtu), dns, endpoint, string(t, "tun_name", "[server] "));
        }

        List<PeerEntry> peers(TomlParseResult toml) {
            if (!toml.contains("peer")) {
                return List.of();
            }
            if (!toml.isArray("peer")) {
                throw new ConfigException(file, line(toml, "peer"), "'peer' must be written as [[peer]] tables");
            }
            TomlArray arr = toml.getArray("peer");
            List<PeerEntry> out = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) {
                if (!(arr.get(i) instanceof TomlTable t)) {
                    throw new ConfigException(file, line(toml, "peer"), "'peer' must be written as [[peer]] tables");
                }
                int line = headerLine(arr, i, t);
                String w = "[[peer]] ";
                unknownKeys(t, PEER_KEYS, w);
                String name = string(t, "name", w);
                String pub = string(t, "public_key", w);
                if (pub == null) {
                    throw new ConfigException(file, line, w + "public_key is missing");
                }
                Base64Key publicKey = key(t, "public_key", pub, w);
                String psk = string(t, "preshared_key", w);
                Base64Key presharedKey = psk == null ? null : key(t, "preshared_key", psk, w);
                List<Ipv4Prefix> ips = new ArrayList<>();
                for (String s : strings(t, "allowed_ips", w)) {
                    try {
                        ips.add(Ipv4Prefix.parseNetwork(s));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(file, line(t, "allowed_ips"), w + "allowed_ips: " + e.getMessage());
                    }
                }
                if (ips.isEmpty()) {
                    throw new ConfigException(file, line, w + "allowed_ips is missing or empty (e.g. allowed_ips = [\"10.200.100.2/32\"])");
                }
                Long keepalive = integer(t, "persistent_keepalive", w);
                if (keepalive != null && (keepalive < 0 || keepalive > 65535)) {
                    throw new ConfigException(file, line(t, "persistent_keepalive"), w + "persistent_keepalive must be 0..65535");
                }
                Boolean enabled = bool(t, "enabled", w);
                out.add(new PeerEntry(name, publicKey, presharedKey, ips, keepalive == null ? 0 : keepalive.intValue(),
                        enabled == null || enabled, line));
            }
            return out;
        }

        private int headerLine(TomlArray arr, int i, TomlTable t) {
            TomlPosition p = arr.inputPositionOf(i);
            if (p != null) {
                return p.line();
            }
            return t.keySet().stream().mapToInt(k -> line(t, k)).filter(l -> l > 0).min().orElse(0);
        }

        private Base64Key key(TomlTable t, String k, String value, String where) {
            try {
                return Base64Key.parse(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, line(t, k), where + k + ": " + e.getMessage());
            }
        }

        private String string(TomlTable t, String k, String where) {
            if (!t.contains(k)) {
                return null;
            }
            if (!t.isString(k)) {
                throw new ConfigException(file, line(t, k), where + k + " must be a string");
            }
            return t.getString(k);
        }

        private Long integer(TomlTable t, String k, String where) {
            if (!t.contains(k)) {
                return null;
            }
            if (!t.isLong(k)) {
                throw new ConfigException(file, line(t, k), where + k + " must be an integer");
            }
            return t.getLong(k);
        }

        private Boolean bool(TomlTable t, String k, String where) {
            if (!t.contains(k)) {
                return null;
            }
            if (!t.isBoolean(k)) {
                throw new ConfigException(file, line(t, k), where + k + " must be true or false");
            }
            return t.getBoolean(k);
        }

        private List<String> strings(TomlTable t, String k, String where) {
            if (!t.contains(k)) {
                return List.of();
            }
            if (!t.isArray(k)) {
                throw new ConfigException(file, line(t, k), where + k + " must be a list of strings, e.g. [\"10.200.100.2/32\"]");
            }
            TomlArray a = t.getArray(k);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof String s)) {
                    throw new ConfigException(file, line(t, k), where + k + " must be a list of strings");
                }
                out.add(s);
            }
            return out;
        }

        private static int line(TomlTable t, String k) {
            TomlPosition p = t.inputPositionOf(k);
            return p == null ? 0 : p.line();
        }
    }
}
