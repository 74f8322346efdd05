package io.wirecage.srv.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * wg-quick's INI format, both ways: reading an existing server file (for `import`) and writing
 * client configs and `showconf` output. Keys are case-insensitive in wg-quick, and so here.
 */
public final class WgQuickFile {
    /** One [Interface] or [Peer] section: its keys in order (a key may repeat, like AllowedIPs), and a name comment. */
    public record Section(String kind, int line, Map<String, List<String>> values, String comment) {
        public String first(String key) {
            List<String> v = values.get(key.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        /** All values of a key, comma lists split: "AllowedIPs = a, b" and two AllowedIPs lines are the same. */
        public List<String> all(String key) {
            List<String> out = new ArrayList<>();
            for (String v : values.getOrDefault(key.toLowerCase(Locale.ROOT), List.of())) {
                for (String part : v.split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.strip());
                    }
                }
            }
            return out;
        }
    }

    private WgQuickFile() {}

    public static List<Section> parse(Path file, String text) {
        List<Section> sections = new ArrayList<>();
        Section current = null;
        String pendingComment = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i].strip();
            if (raw.startsWith("#")) {
                // "# Name = laptop" or "# laptop" just above a [Peer] names it (common in hand-kept files)
                String c = raw.substring(1).strip();
                pendingComment = c.toLowerCase(Locale.ROOT).startsWith("name") && c.contains("=")
                        ? c.substring(c.indexOf('=') + 1).strip() : c;
                continue;
            }
            String line = raw.contains("#") ? raw.substring(0, raw.indexOf('#')).strip() : raw;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                String kind = line.substring(1, line.length() - 1).strip();
                if (!kind.equalsIgnoreCase("Interface") && !kind.equalsIgnoreCase("Peer")) {
                    throw new ConfigException(file, i + 1, "unknown section [" + kind + "] (expected [Interface] or [Peer])");
                }
                current = new Section(kind.equalsIgnoreCase("Peer") ? "Peer" : "Interface", i + 1, new LinkedHashMap<>(),
                        pendingComment);
                sections.add(current);
                pendingComment = null;
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0 || current == null) {
                throw new ConfigException(file, i + 1, current == null ? "a key outside any section" : "expected KEY = VALUE");
            }
            String key = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            current.values().computeIfAbsent(key, k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
            pendingComment = null;
        }
        return sections;
    }

    /** A client's wg-quick config, as `peer add` prints it. */
    public static String clientConfig(String clientPrivateKey, Ipv4Prefix address, List<String> dns, int mtu,
                                      String serverPublicKey, Base64Key presharedKey, String endpoint,
                                      String allowedIps, int persistentKeepalive) {
        return clientConfig(clientPrivateKey, address, null, dns, mtu, serverPublicKey, presharedKey, endpoint, allowedIps,
                persistentKeepalive);
    }

    /** @param address6 the client's IPv6 address (IPv6 inside the tunnel on), or null */
    public static String clientConfig(String clientPrivateKey, Ipv4Prefix address, Ipv6Prefix address6, List<String> dns,
                                      int mtu, String serverPublicKey, Base64Key presharedKey, String endpoint,
                                      String allowedIps, int persistentKeepalive) {
        StringBuilder sb = new StringBuilder("[Interface]\n");
        sb.append("PrivateKey = ").append(clientPrivateKey).append('\n');
        sb.append("Address = ").append(address).append(address6 == null ? "" : ", " + address6).append('\n');
        if (!dns.isEmpty()) {
            sb.append("DNS = ").append(String.join(", ", dns)).append('\n');
        }
        if (mtu != ServerSettings.DEFAULT_MTU) {
            sb.append("MTU = ").append(mtu).append('\n');
        }
        sb.append("\n[Peer]\n");
        sb.append("PublicKey = ").append(serverPublicKey).append('\n');
        if (presharedKey != null) {
            sb.append("PresharedKey = ").append(presharedKey.base64()).append('\n');
        }
        sb.append("Endpoint = ").append(endpoint).append('\n');
        sb.append("AllowedIPs = ").append(allowedIps).append('\n');
        if (persistentKeepalive > 0) {
            sb.append("PersistentKeepalive = ").append(persistentKeepalive).append('\n');
        }
        return sb.toString();
    }
}
