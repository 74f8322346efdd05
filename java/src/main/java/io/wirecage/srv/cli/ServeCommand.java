package io.wirecage.srv.cli;

import ch.qos.logback.classic.Level;
import io.wirecage.srv.Server;
import io.wirecage.srv.Version;
import io.wirecage.srv.api.ApiServer;
import io.wirecage.srv.api.PemKeyStore;
import io.wirecage.srv.config.ApiSection;
import io.wirecage.srv.config.ApiSettings;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.Ipv6Prefix;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.config.WebSection;
import io.wirecage.srv.config.WebSettings;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.router.ProcessCommandRunner;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code wirecagesrv [options]}: runs the server until SIGINT or SIGTERM, then cleans up and exits 0.
 * Settings come from the config file (--config, or the state directory's on a first run) with flags
 * overriding it; SIGHUP re-reads the file and applies peer changes live.
 */
@Command(name = "wirecagesrv", mixinStandardHelpOptions = true, versionProvider = ServeCommand.VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Userspace WireGuard VPN server: forwards its peers' traffic to the internet through NAT.",
        subcommands = {PeerCommand.class, ForwardCommand.class, ImportCommand.class, ShowConfCommand.class, StatusCommand.class,
                GenKeyCommand.class, GenPskCommand.class, PubKeyCommand.class, WebPasswordCommand.class})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "TOML config file (default without --private-key-file: STATE-DIR/wirecagesrv.toml, created on first run).")
    Path config;

    @Option(names = "--private-key-file", paramLabel = "FILE",
            description = "The server's private key, base64 as written by 'wirecagesrv genkey' or 'wg genkey'.")
    Path privateKeyFile;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = StateDir.DEFAULT,
            description = "Where a first run keeps its config and key (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", description = "UDP address and port (default: [::]:51820, IPv4 and IPv6 on one socket).")
    String listen;

    @Option(names = "--subnet", paramLabel = "CIDR",
            description = "VPN subnet; the server takes its first address (default: " + ServerSettings.DEFAULT_SUBNET + ").")
    String subnet;

    @Option(names = "--subnet6", paramLabel = "CIDR",
            description = "IPv6 VPN subnet (/64../120) inside the tunnel, with NAT66; the server takes its ::1 (default: [server] subnet6; off).")
    String subnet6;

    @Option(names = "--ipv6", negatable = true,
            description = "IPv6 inside the tunnel on (subnet6, or " + ServerSettings.DEFAULT_SUBNET6 + ") or off (default: [server] ipv6; off).")
    Boolean ipv6;

    @ArgGroup(exclusive = false, multiplicity = "0..*", heading = "Peers on the command line (repeat the pair for each):%n")
    List<PeerOption> peers = new ArrayList<>();

    @Option(names = "--outbound-interface", paramLabel = "IFACE",
            description = "Interface NAT masquerades out of (default: the one of the default route).")
    String outboundInterface;

    @Option(names = "--mtu", description = "MTU of the TUN device (default: " + ServerSettings.DEFAULT_MTU + ").")
    Integer mtu;

    @Option(names = "--tun-name", paramLabel = "NAME",
            description = "Name of the TUN device; also tags this instance's firewall rules (default: " + ServerSettings.DEFAULT_TUN + ").")
    String tunName;

    @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
            description = "Log lines as text (default) or as one JSON object each, with the connection events' fields, for log shippers.")
    String logFormat;

    @Option(names = "--metrics-listen", paramLabel = "ADDR:PORT|none", defaultValue = "127.0.0.1:9586",
            description = "Prometheus metrics at http://ADDR:PORT/metrics; 'none' turns the listener off (default: ${DEFAULT-VALUE}). "
                    + "With the registration API on, its listener serves /metrics too, to the API token only.")
    String metricsListen;

    @ArgGroup(exclusive = false, heading = "Registration API for wirecage clients (on when a token is set):%n")
    ApiOptions apiOptions = new ApiOptions();

    static final class ApiOptions {
        @Option(names = "--api-listen", paramLabel = "ADDR:PORT",
                description = "TCP address of the API (default: [api] listen, else " + ApiSettings.DEFAULT_LISTEN + ").")
        String listen;

        @Option(names = "--auth-token", paramLabel = "TOKEN",
                description = "The token clients register with (default: $AUTH_TOKEN, else [api] auth_token(_file)). "
                        + "Prefer the variable or the file: a flag shows in the process list.")
        String token;

        @Option(names = "--wg-endpoint", paramLabel = "HOST:PORT",
                description = "The WireGuard endpoint told to clients (default: $WG_ENDPOINT, else [api] endpoint, else [server] endpoint).")
        String endpoint;

        @Option(names = "--tls-cert", paramLabel = "PEM", description = "Serve the API over HTTPS with this certificate chain.")
        Path tlsCert;

        @Option(names = "--tls-key", paramLabel = "PEM", description = "The private key of --tls-cert (PKCS#8 or RSA PEM).")
        Path tlsKey;
    }

    /** The process environment (a field so tests can give their own). */
    java.util.function.Function<String, String> env = System::getenv;

    @Option(names = {"-v", "--verbose"}, description = "Debug logging (still nothing per packet, never keys).")
    boolean verbose;

    static final class PeerOption {
        @Option(names = "--peer", required = true, paramLabel = "PUBKEY", description = "A peer's public key (base64).")
        String publicKey;

        @Option(names = "--peer-ip", required = true, paramLabel = "IP/32[,IPV6/128]", description = "The address(es) that peer uses in the VPN.")
        String ip;
    }

    @Override
    public Integer call() throws Exception {
        if (verbose) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.DEBUG);
        }
        if (logFormat.equals("json")) {
            JsonLogs.enable();
        } else if (!logFormat.equals("text")) {
            throw new IllegalArgumentException("--log-format must be text or json, not '" + logFormat + "'");
        }
        Path configFile = configFile();
        ServerSettings settings = settings(configFile);
        if (settings.api() != null) {
            ApiServer.preload(); // class loading of Jetty and Jackson overlaps TUN and firewall set-up
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), sig -> stop.countDown());
        Signal.handle(new Signal("INT"), sig -> stop.countDown());
        // Installed before start: a SIGHUP during start-up must not kill the JVM with rules in place.
        java.util.concurrent.atomic.AtomicReference<Server> running = new java.util.concurrent.atomic.AtomicReference<>();
        Signal.handle(new Signal("HUP"), sig -> {
            Server current = running.get();
            if (current != null) {
                // on its own thread: signal handlers must not block
                Thread.ofPlatform().name("reload").start(current::reloadOnSignal);
            }
        });

        InetSocketAddress metrics = metricsListen.equals("none") ? null : parseListen("--metrics-listen", metricsListen);
        Server.WebConsole web = webConsole(configFile == null ? null : ConfigFile.load(configFile), settings);
        Server server = Server.start(settings, () -> settings(configFile), new ProcessCommandRunner(), Server.RUN_DIR,
                configFile, metrics, web);
        running.set(server);
        Path configRecord = RunningConfigs.record(settings.tunName(), configFile);
        int exit = 0;
        boolean clean;
        try {
            server.device().failure().thenRun(stop::countDown);
            server.stopRequested().thenRun(stop::countDown);
            stop.await();
            Throwable failure = server.device().failure().getNow(null);
            if (failure != null) {
                log.error("stopping after a data path failure: {}", failure.getMessage());
                exit = 1;
            } else {
                log.info("stopping");
            }
        } finally {
            running.set(null);
            RunningConfigs.forget(configRecord);
            clean = server.shutdown();
        }
        if (!clean) {
            log.error("stopped, but some cleanup failed (see above); the next start with --tun-name {} removes leftovers",
                    settings.tunName());
            return 1;
        }
        log.info("stopped: TUN {} removed, firewall rules removed", settings.tunName());
        return exit;
    }

    /** The config file in use: --config, else the state directory's (created on a first run), else none. */
    Path configFile() throws IOException {
        if (config != null) {
            return config;
        }
        if (privateKeyFile != null) {
            return null; // flags only, as in the original CLI
        }
        return StateDir.ensureConfig(stateDir);
    }

    ServerSettings settings() throws IOException {
        return settings(configFile());
    }

    /** File values overridden by flags, validated as a whole; every problem is one line. */
    ServerSettings settings(Path configFile) throws IOException {
        ConfigFile file = configFile == null ? null : ConfigFile.load(configFile);
        Path keyFile = privateKeyFile != null ? privateKeyFile : file == null ? null : file.privateKeyFile();
        if (keyFile == null) {
            throw new IllegalArgumentException(configFile + ": [server] private_key_file is missing (or pass --private-key-file)");
        }
        Base64Key privateKey = readPrivateKey(keyFile);
        Ipv4Prefix net;
        if (subnet != null) {
            try {
                net = Ipv4Prefix.parseNetwork(subnet);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--subnet " + e.getMessage());
            }
        } else {
            net = file != null ? file.subnet() : Ipv4Prefix.parseNetwork(ServerSettings.DEFAULT_SUBNET);
        }
        List<PeerSettings> all = new ArrayList<>(file == null ? List.of() : file.enabledPeers());
        for (PeerOption p : peers) {
            Base64Key key;
            try {
                key = Base64Key.parse(p.publicKey);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--peer '" + p.publicKey + "' " + e.getMessage());
            }
            List<Ipv4Prefix> ips = new ArrayList<>();
            List<Ipv6Prefix> ips6 = new ArrayList<>();
            try {
                for (String one : p.ip.split(",")) {
                    if (Ipv6Prefix.isIpv6(one)) {
                        ips6.add(Ipv6Prefix.parseNetwork(one));
                    } else {
                        ips.add(Ipv4Prefix.parseNetwork(one));
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--peer-ip " + e.getMessage());
            }
            if (ips.isEmpty()) {
                throw new IllegalArgumentException("--peer-ip '" + p.ip + "' needs an IPv4 address");
            }
            all.add(new PeerSettings(null, key, ips, null, 0, ips6));
        }
        Ipv6Prefix net6 = subnet6(file);
        String listenText = listen != null ? listen : file != null && file.server().listenAddr() != null
                ? file.server().listenAddr() : "[::]:" + ServerSettings.DEFAULT_PORT;
        String outbound = outboundInterface != null ? outboundInterface : file == null ? null : file.server().outboundInterface();
        int mtuValue = mtu != null ? mtu : file != null && file.server().mtu() != null ? file.server().mtu() : ServerSettings.DEFAULT_MTU;
        String tun = tunName != null ? tunName : file != null && file.server().tunName() != null
                ? file.server().tunName() : ServerSettings.DEFAULT_TUN;
        InetSocketAddress listenAddress = parseListen("--listen", listenText);
        ApiSettings api = apiSettings(file, net, listenAddress, outbound);
        if (api != null && !java.util.Objects.equals(net6, file.subnet6())) {
            throw new IllegalArgumentException("with the registration API on, set the IPv6 subnet in " + file.file()
                    + " ([server] subnet6 or ipv6), not with --subnet6 or --ipv6");
        }
        return new ServerSettings(privateKey, listenAddress, net, all, outbound, mtuValue, tun,
                file == null ? List.of() : file.enabledForwards(), api, net6);
    }

    /** The IPv6 subnet in force: --no-ipv6 turns it off, --subnet6 or --ipv6 on, else the file decides. */
    private Ipv6Prefix subnet6(ConfigFile file) {
        if (Boolean.FALSE.equals(ipv6)) {
            return null;
        }
        if (subnet6 != null) {
            try {
                return ServerSettings.parseSubnet6(subnet6);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--subnet6 " + e.getMessage());
            }
        }
        Ipv6Prefix fromFile = file == null ? null : file.subnet6();
        if (fromFile == null && Boolean.TRUE.equals(ipv6)) {
            return Ipv6Prefix.parseNetwork(ServerSettings.DEFAULT_SUBNET6);
        }
        return fromFile;
    }

    /** The API settings from flags, environment and [api]; null (API off) when no token is set anywhere. */
    ApiSettings apiSettings(ConfigFile file, Ipv4Prefix net, InetSocketAddress wgListen, String outbound) throws IOException {
        ApiSection section = file == null ? ApiSection.EMPTY : file.api();
        String token = apiOptions.token != null ? apiOptions.token : env.apply("AUTH_TOKEN");
        if (token == null || token.isEmpty()) {
            token = section.authToken();
        }
        if (token == null && section.authTokenFile() != null) {
            token = readTokenFile(file.resolve(section.authTokenFile()));
        }
        if (token == null || token.isEmpty()) {
            return null;
        }
        if (file == null) {
            throw new IllegalArgumentException("the registration API keeps its clients in the config file: "
                    + "run with --config (or without --private-key-file), not with flags only");
        }
        ApiSettings.checkToken(token);
        if (!net.equals(file.subnet())) {
            throw new IllegalArgumentException("with the registration API on, set the subnet in " + file.file()
                    + " ([server] subnet), not with --subnet");
        }
        String listenText = apiOptions.listen != null ? apiOptions.listen
                : section.listen() != null ? section.listen() : ApiSettings.DEFAULT_LISTEN;
        InetSocketAddress listen = parseListen("--api-listen", listenText);
        String endpoint = apiOptions.endpoint != null ? apiOptions.endpoint : env.apply("WG_ENDPOINT");
        if (endpoint == null || endpoint.isEmpty()) {
            endpoint = section.endpoint() != null ? section.endpoint() : file.server().endpoint();
        }
        if (endpoint == null) {
            endpoint = Endpoints.guess(outbound, wgListen.getPort());
            log.warn("API: server_endpoint guessed as {}; set [api] endpoint or --wg-endpoint to the public HOST:PORT of the WireGuard port",
                    endpoint);
        } else if (endpoint.lastIndexOf(':') <= 0) {
            throw new IllegalArgumentException("WireGuard endpoint '" + endpoint + "' must be HOST:PORT");
        }
        Path cert = apiOptions.tlsCert != null ? apiOptions.tlsCert : file.resolve(section.tlsCert());
        Path key = apiOptions.tlsKey != null ? apiOptions.tlsKey : file.resolve(section.tlsKey());
        int rate = section.newPeersPerMinute() != null ? section.newPeersPerMinute() : ApiSettings.DEFAULT_NEW_PEERS_PER_MINUTE;
        ApiSettings api = new ApiSettings(listen, token, endpoint, cert, key, rate);
        ApiServer.checkTls(api);
        return api;
    }

    /** The web console from [web]; null (off, said in the log) while no password hash is set. */
    Server.WebConsole webConsole(ConfigFile file, ServerSettings settings) throws IOException {
        WebSection section = file == null ? WebSection.EMPTY : file.web();
        if (section.passwordHash() == null) {
            return null; // the server says so once it runs
        }
        String listenText = section.listen() != null ? section.listen() : WebSection.DEFAULT_LISTEN;
        InetSocketAddress listen = parseListen("[web] listen", listenText);
        WebSettings web = new WebSettings(listen, section.passwordHash(), file.resolve(section.tlsCert()), file.resolve(section.tlsKey()));
        if (web.tls()) {
            PemKeyStore.load(web.tlsCert(), web.tlsKey());
        }
        String endpoint = file.server().endpoint() != null ? file.server().endpoint()
                : settings.api() != null ? settings.api().endpoint() : null;
        if (endpoint == null) {
            endpoint = Endpoints.guess(settings.outboundInterface(), settings.listen().getPort());
            log.warn("web console: client configs get the endpoint {} (a guess); set [server] endpoint to the public HOST:PORT", endpoint);
        }
        return new Server.WebConsole(web, endpoint);
    }

    static String readTokenFile(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (IOException e) {
            throw new IOException("cannot read auth_token_file " + file + ": " + describe(e), e);
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
                log.warn("auth_token_file {} is readable by other users; chmod 600 it", file);
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException("auth_token_file " + file + " is empty");
        }
        return text;
    }

    static Base64Key readPrivateKey(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IOException("cannot read private key file " + file + ": " + describe(e), e);
        }
        Base64Key key;
        try {
            key = Base64Key.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("private key file " + file + " " + e.getMessage());
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
                log.warn("private key file {} is readable by other users; chmod 600 it", file);
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
        return key;
    }

    static InetSocketAddress parseListen(String text) {
        return parseListen("--listen", text);
    }

    static InetSocketAddress parseListen(String flag, String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(flag + " '" + text + "' must be ADDRESS:PORT, e.g. 0.0.0.0:51820");
        }
        String host = text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " '" + text + "' has no valid port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(flag + " port " + port + " is out of range 1..65535");
        }
        try {
            InetAddress addr;
            if (host.isEmpty()) {
                addr = InetAddress.getByAddress(new byte[4]);
            } else if (host.startsWith("[") && host.endsWith("]")) {
                String literal = host.substring(1, host.length() - 1);
                if (!literal.contains(":") || !literal.matches("[0-9A-Fa-f:.]+")) {
                    throw new IllegalArgumentException("not an IPv6 literal"); // never a name: no DNS lookup
                }
                addr = InetAddress.getByName(literal); // a literal: getByName only parses it
            } else {
                addr = SourceAddress.toInetAddress(SourceAddress.IPV4, 0, SourceAddress.ipv4(Ipv4Prefix.parseAddress(host)));
            }
            return new InetSocketAddress(addr, port);
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " '" + text + "': the address must be an IP literal");
        }
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
    }

    static final class VersionProvider implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return Version.lines();
        }
    }
}
