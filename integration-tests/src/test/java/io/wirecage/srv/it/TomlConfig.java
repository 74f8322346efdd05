package io.wirecage.srv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A wirecagesrv TOML config file in the topology's work dir (0600), its server key next to it
 * ({@code private_key_file = "server.key"}, relative to the file), and the server and CLI
 * invocations that use it: {@code wirecagesrv --config FILE}, {@code wirecagesrv peer ... --config FILE}.
 *
 * <p>{@link #render()} remembers the line of each {@code [[peer]]} header, so tests can predict the
 * {@code file:line} of a validation message.
 */
public final class TomlConfig {

    /** The log line of a successful reload. */
    public static final String RELOADED = "reloaded: ";
    /** The log line of a reload refused by validation. */
    public static final String RELOAD_FAILED = "reload failed, keeping the running configuration: ";
    private static final Pattern RELOAD_LINE = Pattern.compile(
            "reloaded: (\\d+) peer\\(s\\): (\\d+) added, (\\d+) removed, (\\d+) changed, (\\d+) unchanged, in ([0-9.,]+) ms");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One [[peer]] table. */
    public record Peer(String name, String publicKey, String presharedKey, List<String> allowedIps,
                       int persistentKeepalive, boolean enabled) {
        public static Peer of(String name, String publicKey, String... allowedIps) {
            return new Peer(name, publicKey, null, List.of(allowedIps), 0, true);
        }

        public Peer disabled() {
            return new Peer(name, publicKey, presharedKey, allowedIps, persistentKeepalive, false);
        }

        public Peer withPresharedKey(String psk) {
            return new Peer(name, publicKey, psk, allowedIps, persistentKeepalive, enabled);
        }

        public Peer withKeepalive(int seconds) {
            return new Peer(name, publicKey, presharedKey, allowedIps, seconds, enabled);
        }

        public Peer withAllowedIps(String... ips) {
            return new Peer(name, publicKey, presharedKey, List.of(ips), persistentKeepalive, enabled);
        }

        public Peer withPublicKey(String key) {
            return new Peer(name, key, presharedKey, allowedIps, persistentKeepalive, enabled);
        }
    }

    /** What a "reloaded: ..." line says. */
    public record Reload(int peers, int added, int removed, int changed, int unchanged, double millis, String line) {
        public static Reload parse(String line) {
            Matcher m = RELOAD_LINE.matcher(line);
            if (!m.find()) {
                throw new AssertionError("not a reload line: " + line);
            }
            return new Reload(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                    Double.parseDouble(m.group(6).replace(',', '.')), line);
        }

        /** "N peer(s): A added, R removed, C changed, U unchanged" (without the time). */
        public String counts() {
            return peers + " peer(s): " + added + " added, " + removed + " removed, " + changed + " changed, "
                    + unchanged + " unchanged";
        }
    }

    private final Topology topology;
    private final WgKeys.KeyPair serverKey;
    private final Path file;
    private String listenAddr = "0.0.0.0:" + Topology.LISTEN_PORT;
    private String subnet = Topology.VPN_SUBNET;
    private String tunName;
    private List<String> dns = List.of();
    private String endpoint;
    private final List<Peer> peers = new ArrayList<>();
    private final List<Integer> peerLines = new ArrayList<>();
    private String extra = "";

    private TomlConfig(Topology topology, WgKeys.KeyPair serverKey, String fileName) {
        this.topology = topology;
        this.serverKey = serverKey;
        this.file = topology.workDir().resolve(fileName);
        this.tunName = topology.tunName();
    }

    /** A config {@code fileName} in the work dir: listen 0.0.0.0:51820, subnet 10.200.100.0/24, the topology's TUN name. */
    public static TomlConfig create(Topology topology, WgKeys.KeyPair serverKey, String fileName) {
        return new TomlConfig(topology, serverKey, fileName);
    }

    public TomlConfig listenAddr(String v) {
        listenAddr = v;
        return this;
    }

    public TomlConfig subnet(String v) {
        subnet = v;
        return this;
    }

    public TomlConfig tunName(String v) {
        tunName = v;
        return this;
    }

    public TomlConfig dns(String... v) {
        dns = List.of(v);
        return this;
    }

    public TomlConfig endpoint(String v) {
        endpoint = v;
        return this;
    }

    /** TOML text placed after [server] and before the peers, e.g. an [api] table. */
    public TomlConfig extra(String toml) {
        extra = toml;
        return this;
    }

    public TomlConfig peer(Peer p) {
        peers.add(p);
        return this;
    }

    public List<Peer> peers() {
        return List.copyOf(peers);
    }

    public Path file() {
        return file;
    }

    public String tunName() {
        return tunName;
    }

    /** The TOML text; also records the line of every [[peer]] header (see {@link #peerLine}). */
    public String render() {
        return render(peers);
    }

    /** The TOML text with these peers instead of the configured ones (for hand edits). */
    public String render(List<Peer> list) {
        peerLines.clear();
        List<String> lines = new ArrayList<>();
        lines.add("# written by " + TomlConfig.class.getSimpleName() + " (end-to-end tests)");
        lines.add("[server]");
        lines.add("private_key_file = \"server.key\"");
        lines.add("listen_addr = " + quote(listenAddr));
        lines.add("subnet = " + quote(subnet));
        lines.add("outbound_interface = " + quote(topology.uplink()));
        lines.add("tun_name = " + quote(tunName));
        if (!dns.isEmpty()) {
            lines.add("dns = [" + String.join(", ", dns.stream().map(TomlConfig::quote).toList()) + "]");
        }
        if (endpoint != null) {
            lines.add("endpoint = " + quote(endpoint));
        }
        if (!extra.isEmpty()) {
            lines.add("");
            lines.addAll(List.of(extra.stripTrailing().split("\n")));
        }
        for (Peer p : list) {
            lines.add("");
            lines.add("[[peer]]");
            peerLines.add(lines.size());
            if (p.name() != null) {
                lines.add("name = " + quote(p.name()));
            }
            lines.add("public_key = " + quote(p.publicKey()));
            if (p.presharedKey() != null) {
                lines.add("preshared_key = " + quote(p.presharedKey()));
            }
            lines.add("allowed_ips = [" + String.join(", ", p.allowedIps().stream().map(TomlConfig::quote).toList()) + "]");
            if (p.persistentKeepalive() != 0) {
                lines.add("persistent_keepalive = " + p.persistentKeepalive());
            }
            if (!p.enabled()) {
                lines.add("enabled = false");
            }
        }
        return String.join("\n", lines) + "\n";
    }

    /** The 1-based line of the i-th (0-based) [[peer]] header of the last {@link #render}. */
    public int peerLine(int i) {
        return peerLines.get(i);
    }

    /** Writes the server key and the file (both 0600); returns the file. */
    public Path write() {
        topology.writeSecret("server.key", serverKey.privateKey() + "\n");
        return writeText(render());
    }

    /** Replaces the file's content with {@code text} (a hand edit), atomically, 0600. */
    public Path writeText(String text) {
        Path tmp = topology.writeSecret("." + file.getFileName() + ".tmp", text);
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    public String read() {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code wirecagesrv --config FILE} in the server namespace (tracked), not yet ready. */
    public ServerProcess start(String logName) {
        return topology.track(ServerProcess.start(topology.server(), List.of("--config", file.toString()), tunName,
                topology.workDir().resolve(logName + ".log")));
    }

    /** {@code wirecagesrv peer ARGS... --config FILE} in the server namespace; the caller checks the result. */
    public Cmd.Result peerCommand(String... args) {
        List<String> argv = new ArrayList<>(List.of("peer"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--config", file.toString()));
        Cmd.Result r = ServerProcess.cli(topology.server(), argv.toArray(String[]::new)).timeout(Duration.ofSeconds(60)).run();
        System.out.println("[it] wirecagesrv " + String.join(" ", argv) + ": exit " + r.exitCode() + " in "
                + r.took().toMillis() + " ms; stderr: " + r.stderr().strip().replace("\n", " | "));
        return r;
    }

    /** {@code wirecagesrv showconf --tun-name TUN} in the server namespace, checked. */
    public String showconf() {
        return ServerProcess.cli(topology.server(), "showconf", "--tun-name", tunName).check().stdout();
    }

    /** 32 random bytes in base64: a syntactically valid public key nobody holds the private key of. */
    public static String randomKey() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
