package io.wirecage.srv.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The TOML config file: a [server] table and [[peer]] tables. Loading validates everything and names the
 * file, line and key of the first problem, so a bad file never reaches the running server.
 *
 * <p>Parsed with Jackson's TOML reader (a 10,000-peer file in about 0.25 s cold, where an ANTLR-based
 * parser took over 2 s); line numbers come from {@link TomlLines}, a plain scan of the text.
 */
public record ConfigFile(Path file, ServerSection server, ApiSection api, WebSection web, List<PeerEntry> peers,
                         List<PortForward> forwards) {
    private static final Set<String> TOP_KEYS = Set.of("server", "api", "web", "peer", "forward");
    private static final Set<String> SERVER_KEYS = Set.of("private_key_file", "listen_addr", "subnet",
            "outbound_interface", "mtu", "dns", "endpoint", "tun_name", "subnet6", "ipv6");
    private static final Set<String> PEER_KEYS = Set.of("name", "public_key", "preshared_key", "allowed_ips",
            "persistent_keepalive", "enabled", "expires");
    private static final Set<String> WEB_KEYS = Set.of("listen", "password_hash", "tls_cert", "tls_key");
    private static final Set<String> API_KEYS = Set.of("listen", "auth_token", "auth_token_file", "endpoint", "tls_cert",
            "tls_key", "new_peers_per_minute");
    private static final Set<String> FORWARD_KEYS = Set.of("protocol", "public_port", "target_port", "public_key");
    private static final TomlMapper TOML = new TomlMapper();

    public ConfigFile {
        peers = List.copyOf(peers);
        forwards = List.copyOf(forwards);
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
        JsonNode toml;
        try {
            toml = TOML.readTree(text);
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            if (line > 1 && e.getLocation().getColumnNr() <= 1) {
                line--; // the lexer has already read the newline that ends the offending line
            }
            throw new ConfigException(file, Math.max(line, 0), "TOML syntax: " + e.getOriginalMessage());
        }
        if (toml == null || !toml.isObject()) {
            throw new ConfigException(file, 0, "missing [server] table");
        }
        Reader r = new Reader(file, new TomlLines(text));
        r.unknownKeys(toml, TOP_KEYS, "", r.lines.topLevel());
        ServerSection server = r.server(toml);
        ApiSection api = r.api(toml);
        WebSection web = r.web(toml);
        List<PeerEntry> peers = r.peers(toml);
        List<PortForward> forwards = r.forwards(toml);
        Ipv4Prefix subnet = server.subnet() != null ? server.subnet() : Ipv4Prefix.parseNetwork(ServerSettings.DEFAULT_SUBNET);
        validatePeers(file, subnet, server.effectiveSubnet6(), peers);
        validateForwards(file, peers, forwards);
        return new ConfigFile(file, server, api, web, peers, forwards);
    }

    /** The subnet in force: the file's, else the default. */
    public Ipv4Prefix subnet() {
        return server.subnet() != null ? server.subnet() : Ipv4Prefix.parseNetwork(ServerSettings.DEFAULT_SUBNET);
    }

    /** The IPv6 subnet in force ([server] subnet6, or the default with ipv6 = true), or null when IPv6 inside is off. */
    public Ipv6Prefix subnet6() {
        return server.effectiveSubnet6();
    }

    /** The private key file, relative paths taken from the config file's directory. */
    public Path privateKeyFile() {
        return resolve(server.privateKeyFile());
    }

    public PeerEntry peer(String name) {
        return peers.stream().filter(p -> name.equals(p.name())).findFirst().orElse(null);
    }

    public PeerEntry peerByKey(Base64Key key) {
        return peers.stream().filter(p -> key.equals(p.publicKey())).findFirst().orElse(null);
    }

    /**
     * The peers a server runs: enabled and not expired (an expired peer that the server has not yet
     * marked disabled in the file does not run for a moment either).
     */
    public List<PeerSettings> enabledPeers() {
        java.time.Instant now = java.time.Instant.now();
        return peers.stream().filter(p -> p.enabled() && !p.expiredAt(now)).map(PeerEntry::toSettings).toList();
    }

    /** The forwards whose peer runs: the ones a server installs. */
    public List<PortForward> enabledForwards() {
        java.util.Set<Base64Key> enabled = new java.util.HashSet<>();
        enabledPeers().forEach(p -> enabled.add(p.publicKey()));
        return forwards.stream().filter(f -> enabled.contains(f.peerKey())).toList();
    }

    /** The forward on this public port, or null. */
    public PortForward forward(String protocol, int publicPort) {
        return forwards.stream().filter(f -> f.protocol().equals(protocol) && f.publicPort() == publicPort)
                .findFirst().orElse(null);
    }

    /** A token-free config path: relative paths are taken from the config file's directory. */
    public Path resolve(Path p) {
        if (p == null) {
            return null;
        }
        Path dir = file.toAbsolutePath().getParent();
        return p.isAbsolute() || dir == null ? p : dir.resolve(p);
    }

    /** Each public port once; each forward's peer exists in the file. */
    static void validateForwards(Path file, List<PeerEntry> peers, List<PortForward> forwards) {
        java.util.Set<Base64Key> keys = new java.util.HashSet<>();
        peers.forEach(p -> keys.add(p.publicKey()));
        Map<String, PortForward> ports = new HashMap<>();
        for (PortForward f : forwards) {
            if (!keys.contains(f.peerKey())) {
                throw new ConfigException(file, f.line(), "[[forward]] public_key: no [[peer]] has the key " + f.peerKey().base64());
            }
            PortForward twin = ports.putIfAbsent(f.protocol() + "/" + f.publicPort(), f);
            if (twin != null) {
                throw new ConfigException(file, f.line(), "[[forward]] public_port: " + f.protocol() + " port " + f.publicPort()
                        + " is also forwarded at line " + twin.line());
            }
        }
    }

    /** Duplicate keys and names, addresses outside the subnet, on the server, or owned twice. */
    static void validatePeers(Path file, Ipv4Prefix subnet, Ipv6Prefix subnet6, List<PeerEntry> peers) {
        int server = subnet.network() + 1;
        Map<Base64Key, PeerEntry> keys = new HashMap<>();
        Map<String, PeerEntry> names = new HashMap<>();
        PrefixIndex<PeerEntry> owners = new PrefixIndex<>();
        List<Map.Entry<Ipv6Prefix, PeerEntry>> owned6 = new ArrayList<>();
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
            for (Ipv6Prefix ip : p.allowedIps6()) {
                String problem = ServerSettings.ipv6Problem(subnet6, ip);
                if (problem != null) {
                    throw new ConfigException(file, p.line(), "[[peer]] allowed_ips: " + problem);
                }
                owned6.add(Map.entry(ip, p));
            }
        }
        Map.Entry<PeerEntry, PeerEntry> clash = Ipv6Prefix.firstOverlap(owned6);
        if (clash != null) {
            PeerEntry p = clash.getValue();
            PeerEntry other = clash.getKey();
            throw new ConfigException(file, p.line(), "[[peer]] allowed_ips: an IPv6 address overlaps the peer at line "
                    + other.line() + (other.name() != null ? " (" + other.name() + ")" : ""));
        }
    }

    /** Typed access to TOML values, each failure naming file, line and key. */
    private record Reader(Path file, TomlLines lines) {
        void unknownKeys(JsonNode t, Set<String> allowed, String where, TomlLines.Block block) {
            for (Iterator<String> it = t.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw new ConfigException(file, lines.keyLine(block, k), where + "unknown key '" + k + "' (allowed: "
                            + String.join(", ", allowed.stream().sorted().toList()) + ")");
                }
            }
        }

        ServerSection server(JsonNode toml) {
            JsonNode t = toml.get("server");
            if (t == null) {
                throw new ConfigException(file, 0, "missing [server] table");
            }
            TomlLines.Block block = lines.table("server");
            if (!t.isObject()) {
                throw new ConfigException(file, lines.keyLine(lines.topLevel(), "server"), "'server' must be a table: [server]");
            }
            String w = "[server] ";
            unknownKeys(t, SERVER_KEYS, w, block);
            String key = string(t, "private_key_file", w, block);
            String subnet = string(t, "subnet", w, block);
            Ipv4Prefix net = null;
            if (subnet != null) {
                try {
                    net = Ipv4Prefix.parseNetwork(subnet);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(file, lines.keyLine(block, "subnet"), w + "subnet: " + e.getMessage());
                }
            }
            String subnet6 = string(t, "subnet6", w, block);
            Ipv6Prefix net6 = null;
            if (subnet6 != null) {
                try {
                    net6 = ServerSettings.parseSubnet6(subnet6);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(file, lines.keyLine(block, "subnet6"), w + "subnet6: " + e.getMessage());
                }
            }
            Boolean ipv6 = bool(t, "ipv6", w, block);
            Long mtu = integer(t, "mtu", w, block);
            List<String> dns = t.has("dns") && t.get("dns").isTextual() ? List.of(t.get("dns").asText()) : strings(t, "dns", w, block);
            for (String d : dns) {
                try {
                    Ipv4Prefix.parseAddress(d);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(file, lines.keyLine(block, "dns"), w + "dns: " + e.getMessage());
                }
            }
            String listen = string(t, "listen_addr", w, block);
            String endpoint = string(t, "endpoint", w, block);
            if (endpoint != null && endpoint.lastIndexOf(':') <= 0) {
                throw new ConfigException(file, lines.keyLine(block, "endpoint"), w + "endpoint: '" + endpoint + "' must be HOST:PORT");
            }
            if (mtu != null && (mtu < 0 || mtu > 65535)) {
                throw new ConfigException(file, lines.keyLine(block, "mtu"), w + "mtu " + mtu + " is out of range");
            }
            return new ServerSection(key == null ? null : Path.of(key), listen, net, string(t, "outbound_interface", w, block),
                    mtu == null ? null : mtu.intValue(), dns, endpoint, string(t, "tun_name", w, block), net6, ipv6);
        }

        /** The [NAME] table, or null when the file has none. */
        private JsonNode table(JsonNode toml, String name) {
            JsonNode t = toml.get(name);
            if (t != null && !t.isObject()) {
                throw new ConfigException(file, lines.keyLine(lines.topLevel(), name), "'" + name + "' must be a table: [" + name + "]");
            }
            return t;
        }

        /** `listen`: ADDRESS:PORT with a port in 1..65535, or null. */
        private String listen(JsonNode t, String w, TomlLines.Block block, String example) {
            String listen = string(t, "listen", w, block);
            if (listen != null) {
                int colon = listen.lastIndexOf(':');
                int port = -1;
                try {
                    port = colon < 0 ? -1 : Integer.parseInt(listen.substring(colon + 1));
                } catch (NumberFormatException e) {
                    // reported below
                }
                if (port < 1 || port > 65535) {
                    throw new ConfigException(file, lines.keyLine(block, "listen"), w + "listen: '" + listen
                            + "' must be ADDRESS:PORT, e.g. " + example);
                }
            }
            return listen;
        }

        /** `tls_cert` and `tls_key`: both or neither; {cert, key}, each null when unset. */
        private Path[] tlsPair(JsonNode t, String w, TomlLines.Block block) {
            String cert = string(t, "tls_cert", w, block);
            String key = string(t, "tls_key", w, block);
            if ((cert == null) != (key == null)) {
                throw new ConfigException(file, lines.keyLine(block, cert == null ? "tls_key" : "tls_cert"),
                        w + "tls_cert and tls_key go together: set both or neither");
            }
            return new Path[] {cert == null ? null : Path.of(cert), key == null ? null : Path.of(key)};
        }

        ApiSection api(JsonNode toml) {
            JsonNode t = table(toml, "api");
            if (t == null) {
                return ApiSection.EMPTY;
            }
            TomlLines.Block block = lines.table("api");
            String w = "[api] ";
            unknownKeys(t, API_KEYS, w, block);
            String listen = listen(t, w, block, "0.0.0.0:8443");
            String token = string(t, "auth_token", w, block);
            String tokenFile = string(t, "auth_token_file", w, block);
            if (token != null && tokenFile != null) {
                throw new ConfigException(file, lines.keyLine(block, "auth_token_file"), w + "set auth_token or auth_token_file, not both");
            }
            String endpoint = string(t, "endpoint", w, block);
            if (endpoint != null && endpoint.lastIndexOf(':') <= 0) {
                throw new ConfigException(file, lines.keyLine(block, "endpoint"), w + "endpoint: '" + endpoint + "' must be HOST:PORT");
            }
            Path[] tls = tlsPair(t, w, block);
            Long rate = integer(t, "new_peers_per_minute", w, block);
            if (rate != null && (rate < 1 || rate > 100_000)) {
                throw new ConfigException(file, lines.keyLine(block, "new_peers_per_minute"), w + "new_peers_per_minute must be 1..100000");
            }
            return new ApiSection(listen, token, tokenFile == null ? null : Path.of(tokenFile), endpoint, tls[0], tls[1],
                    rate == null ? null : rate.intValue());
        }

        WebSection web(JsonNode toml) {
            JsonNode t = table(toml, "web");
            if (t == null) {
                return WebSection.EMPTY;
            }
            TomlLines.Block block = lines.table("web");
            String w = "[web] ";
            unknownKeys(t, WEB_KEYS, w, block);
            String listen = listen(t, w, block, WebSection.DEFAULT_LISTEN);
            String hash = string(t, "password_hash", w, block);
            if (hash != null && !WebSection.looksLikeBcrypt(hash)) {
                throw new ConfigException(file, lines.keyLine(block, "password_hash"), w
                        + "password_hash is not a bcrypt hash; set it with `wirecagesrv web-password`");
            }
            Path[] tls = tlsPair(t, w, block);
            return new WebSection(listen, hash, tls[0], tls[1]);
        }

        List<PortForward> forwards(JsonNode toml) {
            JsonNode arr = toml.get("forward");
            if (arr == null) {
                return List.of();
            }
            List<TomlLines.Block> blocks = lines.arrayBlocks("forward");
            if (!arr.isArray()) {
                throw new ConfigException(file, lines.keyLine(lines.topLevel(), "forward"), "'forward' must be written as [[forward]] tables");
            }
            List<PortForward> out = new ArrayList<>(arr.size());
            for (int i = 0; i < arr.size(); i++) {
                JsonNode t = arr.get(i);
                TomlLines.Block block = i < blocks.size() ? blocks.get(i) : TomlLines.Block.UNKNOWN;
                if (!t.isObject()) {
                    throw new ConfigException(file, block.header(), "'forward' must be written as [[forward]] tables");
                }
                String w = "[[forward]] ";
                unknownKeys(t, FORWARD_KEYS, w, block);
                String protocol = string(t, "protocol", w, block);
                if (protocol == null || !PortForward.isProtocol(protocol)) {
                    throw new ConfigException(file, lines.keyLine(block, "protocol"), w + "protocol must be \"tcp\" or \"udp\"");
                }
                int publicPort = port(t, "public_port", w, block);
                int targetPort = port(t, "target_port", w, block);
                String pub = string(t, "public_key", w, block);
                if (pub == null) {
                    throw new ConfigException(file, block.header(), w + "public_key (of the peer) is missing");
                }
                out.add(new PortForward(protocol, publicPort, targetPort, key(block, "public_key", pub, w), block.header()));
            }
            return out;
        }

        private int port(JsonNode t, String k, String where, TomlLines.Block block) {
            Long v = integer(t, k, where, block);
            if (v == null || v < 1 || v > 65535) {
                throw new ConfigException(file, v == null ? block.header() : lines.keyLine(block, k), where + k + " must be a port 1..65535");
            }
            return v.intValue();
        }

        List<PeerEntry> peers(JsonNode toml) {
            JsonNode arr = toml.get("peer");
            if (arr == null) {
                return List.of();
            }
            List<TomlLines.Block> blocks = lines.arrayBlocks("peer");
            if (!arr.isArray()) {
                throw new ConfigException(file, lines.keyLine(lines.topLevel(), "peer"), "'peer' must be written as [[peer]] tables");
            }
            List<PeerEntry> out = new ArrayList<>(arr.size());
            for (int i = 0; i < arr.size(); i++) {
                JsonNode t = arr.get(i);
                TomlLines.Block block = i < blocks.size() ? blocks.get(i) : TomlLines.Block.UNKNOWN;
                if (!t.isObject()) {
                    throw new ConfigException(file, block.header(), "'peer' must be written as [[peer]] tables");
                }
                int line = block.header();
                String w = "[[peer]] ";
                unknownKeys(t, PEER_KEYS, w, block);
                String name = string(t, "name", w, block);
                String pub = string(t, "public_key", w, block);
                if (pub == null) {
                    throw new ConfigException(file, line, w + "public_key is missing");
                }
                Base64Key publicKey = key(block, "public_key", pub, w);
                String psk = string(t, "preshared_key", w, block);
                Base64Key presharedKey = psk == null ? null : key(block, "preshared_key", psk, w);
                List<Ipv4Prefix> ips = new ArrayList<>(1);
                List<Ipv6Prefix> ips6 = new ArrayList<>(1);
                for (String s : strings(t, "allowed_ips", w, block)) {
                    try {
                        if (Ipv6Prefix.isIpv6(s)) {
                            ips6.add(Ipv6Prefix.parseNetwork(s));
                            continue;
                        }
                        ips.add(Ipv4Prefix.parseNetwork(s));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(file, lines.keyLine(block, "allowed_ips"), w + "allowed_ips: " + e.getMessage());
                    }
                }
                if (ips.isEmpty()) {
                    throw new ConfigException(file, line, w + "allowed_ips is missing or empty (e.g. allowed_ips = [\"10.200.100.2/32\"])");
                }
                Long keepalive = integer(t, "persistent_keepalive", w, block);
                if (keepalive != null && (keepalive < 0 || keepalive > 65535)) {
                    throw new ConfigException(file, lines.keyLine(block, "persistent_keepalive"), w + "persistent_keepalive must be 0..65535");
                }
                Boolean enabled = bool(t, "enabled", w, block);
                java.time.Instant expires = null;
                JsonNode e = t.get("expires");
                if (e != null) {
                    // TOML offset date-time (expires = 2026-12-31T00:00:00Z); the reader hands it over as text
                    try {
                        expires = java.time.OffsetDateTime.parse(e.asText()).toInstant();
                    } catch (java.time.format.DateTimeParseException ex) {
                        throw new ConfigException(file, lines.keyLine(block, "expires"), w
                                + "expires must be a date and time with an offset, e.g. 2026-12-31T00:00:00Z");
                    }
                }
                out.add(new PeerEntry(name, publicKey, presharedKey, ips, keepalive == null ? 0 : keepalive.intValue(),
                        enabled == null || enabled, line, ips6, expires));
            }
            return out;
        }

        private Base64Key key(TomlLines.Block block, String k, String value, String where) {
            try {
                return Base64Key.parse(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, lines.keyLine(block, k), where + k + ": " + e.getMessage());
            }
        }

        private String string(JsonNode t, String k, String where, TomlLines.Block block) {
            JsonNode v = t.get(k);
            if (v == null) {
                return null;
            }
            if (!v.isTextual()) {
                throw new ConfigException(file, lines.keyLine(block, k), where + k + " must be a string");
            }
            return v.asText();
        }

        private Long integer(JsonNode t, String k, String where, TomlLines.Block block) {
            JsonNode v = t.get(k);
            if (v == null) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new ConfigException(file, lines.keyLine(block, k), where + k + " must be an integer");
            }
            return v.asLong();
        }

        private Boolean bool(JsonNode t, String k, String where, TomlLines.Block block) {
            JsonNode v = t.get(k);
            if (v == null) {
                return null;
            }
            if (!v.isBoolean()) {
                throw new ConfigException(file, lines.keyLine(block, k), where + k + " must be true or false");
            }
            return v.asBoolean();
        }

        private List<String> strings(JsonNode t, String k, String where, TomlLines.Block block) {
            JsonNode v = t.get(k);
            if (v == null) {
                return List.of();
            }
            if (!v.isArray()) {
                throw new ConfigException(file, lines.keyLine(block, k), where + k + " must be a list of strings, e.g. [\"10.200.100.2/32\"]");
            }
            List<String> out = new ArrayList<>(v.size());
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw new ConfigException(file, lines.keyLine(block, k), where + k + " must be a list of strings");
                }
                out.add(e.asText());
            }
            return out;
        }
    }
}
