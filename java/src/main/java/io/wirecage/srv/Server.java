package io.wirecage.srv;

import io.wirecage.srv.api.ApiServer;
import io.wirecage.srv.api.Registrar;
import io.wirecage.srv.config.ForwardChanges;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ExpiryWatcher;
import io.wirecage.srv.config.WebSettings;
import io.wirecage.srv.web.WebServer;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.config.PortForward;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.conn.UdpBind;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.device.HandshakeWarmup;
import io.wirecage.srv.device.Peer;
import io.wirecage.srv.ipc.ControlSocket;
import io.wirecage.srv.ipc.ShowConf;
import io.wirecage.srv.ipc.Status;
import io.wirecage.srv.ipc.Uapi;
import io.wirecage.srv.metrics.Metrics;
import io.wirecage.srv.metrics.MetricsServer;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import io.wirecage.srv.nativebridge.NativeLibrary;
import io.wirecage.srv.router.CommandRunner;
import io.wirecage.srv.router.DefaultRoute;
import io.wirecage.srv.router.Firewall;
import io.wirecage.srv.router.IpForwarding;
import io.wirecage.srv.router.Privileges;
import io.wirecage.srv.tun.LinuxTun;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the server up step by step and down in reverse. Each step that changes the host registers its
 * undo before the next step runs, so a failure at any point leaves no TUN device, rule or sysctl behind.
 */
public final class Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Server.class);
    /**
     * Runtime state: control sockets and the recorded ip_forward value, per TUN name. It is
     * /run/wirecagesrv, or $RUNTIME_DIRECTORY where systemd sets it (RuntimeDirectory=wirecagesrv:
     * the same path, created for the service's user, so a server without root can write there).
     */
    public static final Path RUN_DIR = runDir(System.getenv("RUNTIME_DIRECTORY"));
    /** Handshake initiations per second before boringtun answers with cookies (its device default). */
    private static final int HANDSHAKE_RATE_LIMIT = 100;
    /**
     * Handshakes through the server's own handshake code on a throwaway device before serving, so the
     * first clients meet JIT-compiled code (C1 compiles a method after about 200 calls).
     */
    private static final int WARMUP_HANDSHAKES = 300;

    /** Re-reads the settings (config file plus flags) for a reload. */
    @FunctionalInterface
    public interface SettingsSource {
        ServerSettings load() throws IOException;
    }

    private final Deque<AutoCloseable> undo = new ArrayDeque<>();
    private Firewall firewall;
    /** The ip6tables rules with IPv6 inside the tunnel on, else null. */
    private Firewall firewall6;
    private CommandRunner runner;
    private ApiServer api;
    private final SettingsSource source;
    private volatile ServerSettings settings;
    private Device device;
    private final java.util.concurrent.CompletableFuture<Void> stopRequested = new java.util.concurrent.CompletableFuture<>();

    private Server(ServerSettings settings, SettingsSource source) {
        this.settings = settings;
        this.source = source;
    }

    public static Server start(ServerSettings s, SettingsSource source, CommandRunner runner, Path stateDir) throws IOException {
        return start(s, source, runner, stateDir, null, null);
    }

    /**
     * @param configFile the config file the settings come from (the registration API writes peers there), or null
     * @param metricsListen where to serve Prometheus metrics, or null for no dedicated listener
     */
    public static Server start(ServerSettings s, SettingsSource source, CommandRunner runner, Path stateDir,
            Path configFile, InetSocketAddress metricsListen) throws IOException {
        return start(s, source, runner, stateDir, configFile, metricsListen, null);
    }

    /**
     * @param web the web console's settings and the endpoint new clients get, or null for no console
     */
    public static Server start(ServerSettings s, SettingsSource source, CommandRunner runner, Path stateDir,
            Path configFile, InetSocketAddress metricsListen, WebConsole web) throws IOException {
        if (s.api() != null && configFile == null) {
            throw new IllegalArgumentException("the registration API keeps its clients in the config file: "
                    + "run with --config (or the state directory's file), not with flags only");
        }
        Privileges.requireNetAdmin();
        NativeLibrary.ensureAvailable();
        String outbound = s.outboundInterface() != null ? s.outboundInterface()
                : DefaultRoute.outboundInterface().orElseThrow(() -> new IOException(
                        "no IPv4 default route to find the outbound interface: pass --outbound-interface"));
        Firewall firewall = new Firewall(runner, "iptables", s.tunName(), s.subnet(), outbound);
        firewall.checkAvailable();
        Firewall firewall6 = null;
        if (s.ipv6()) {
            String outbound6 = s.outboundInterface() != null ? s.outboundInterface()
                    : DefaultRoute.outboundInterface6().orElse(outbound);
            firewall6 = new Firewall(runner, "ip6tables", s.tunName(), s.subnet6().toString(), outbound6);
            firewall6.checkAvailable();
        }

        Server server = new Server(s, source);
        server.firewall6 = firewall6;
        server.runner = runner;
        try {
            server.bringUp(s, firewall, outbound, stateDir, configFile, metricsListen, web);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The web console to run: its settings and the WireGuard endpoint written into new clients' configs. */
    public record WebConsole(WebSettings settings, String endpoint) {}

    private void bringUp(ServerSettings s, Firewall firewall, String outbound, Path stateDir,
            Path configFile, InetSocketAddress metricsListen, WebConsole webConsole) throws IOException {
        byte[] privateKey = s.privateKey().bytes();
        String publicKey = Base64.getEncoder().encodeToString(Keys.publicKey(privateKey));
        Identity identity = Identity.create(privateKey, HANDSHAKE_RATE_LIMIT);
        undo.push(identity);
        java.util.Arrays.fill(privateKey, (byte) 0);
        if (s.api() != null) {
            // bound first, served last: a taken port fails the start before the host is touched
            Registrar registrar = new Registrar(configFile, Base64Key.parse(publicKey), s, new LiveServer(), Server::portInUse,
                    System::nanoTime);
            undo.push(registrar);
            api = ApiServer.bind(s.api(), registrar);
            undo.push(api);
        }

        WebServer web = null;
        if (webConsole != null) {
            if (configFile == null) {
                throw new IllegalArgumentException("the web console edits the config file: run with --config (or the state "
                        + "directory's file), not with flags only");
            }
            web = WebServer.bind(webConsole.settings(), configFile, webConsole.endpoint()); // bound early, served last
            undo.push(web);
        }

        MetricsServer metricsServer = null;
        if (metricsListen != null) {
            metricsServer = MetricsServer.bind(metricsListen); // bound early too: a taken port fails before the host is touched
            undo.push(metricsServer);
        }

        UdpBind udp = UdpBind.bind(s.listen());
        undo.push(udp);
        LinuxTun tun = LinuxTun.open(s.tunName(), s.serverAddress(), s.subnet(), s.mtu());
        undo.push(tun);
        device = new Device(identity, udp, tun);
        undo.push(device);
        device.updatePeers(s.peers());

        IpForwarding forwarding = IpForwarding.forInstance(stateDir, s.tunName());
        undo.push(forwarding::restore);
        forwarding.enable();
        undo.push(firewall::removeAll);
        firewall.install();
        this.firewall = firewall;
        applyForwards(s);
        bringUpIpv6(s, stateDir);

        Uapi uapi = new Uapi(new UapiHost());
        ControlSocket control = ControlSocket.open(ControlSocket.serverPath(stateDir, s.tunName()),
                req -> switch (req.op() + "=" + req.opValue()) {
                    case "get=1" -> uapi.get();
                    case "set=1" -> uapi.set(req.pairs());
                    case "reload=1" -> answer(reload());
                    case "status=1" -> Status.render(s.tunName(), publicKey, device) + "errno=0\n\n";
                    case "showconf=1" -> ShowConf.render(settings, device) + "errno=0\n\n";
                    default -> "errno=-22\n\n";
                }, () -> stopRequested.complete(null));
        log.info("WireGuard UAPI (wg show/set {}) on {}", s.tunName(), control.path());
        undo.push(control);

        Metrics metrics = new Metrics(s.tunName(), device);
        if (metricsServer != null) {
            metricsServer.start(metrics);
            log.info("Prometheus metrics on http://{}:{}/metrics", metricsListen.getAddress().getHostAddress(), metricsServer.port());
        }
        if (api != null) {
            api.serveMetrics(metrics);
        }

        try {
            log.debug("warm-up: {}", HandshakeWarmup.run(WARMUP_HANDSHAKES));
        } catch (IOException | RuntimeException e) { // e.g. no 127.0.0.1 to bind: only the first clients are slower
            log.warn("handshake warm-up skipped: {}", e.toString());
        }
        MemoryRelease.afterStartup();
        device.start();
        log.info("data path: {}", device.ioDescription());
        if (web != null) {
            web.start(new WebLive(publicKey, new ForwardChanges.ServerPorts(s.listen().getPort(),
                    s.api() == null ? 0 : s.api().listen().getPort())));
            log.info("web console on {}", web.url());
        } else if (configFile != null) {
            log.info("web console off: no admin password ([web] password_hash; set one with `wirecagesrv web-password`)");
        }
        if (api != null) {
            api.start();
            log.info("registration API on {} (server_endpoint {}, at most {} new peers per minute)", api.url(),
                    s.api().endpoint(), s.api().newPeersPerMinute());
        } else {
            log.info("registration API off: no auth token ([api] auth_token or auth_token_file, --auth-token, AUTH_TOKEN)");
        }
        log.info("wirecagesrv {} listening on {} (UDP), TUN {} {}/{} mtu {}, NAT out {}, {} peer(s), public key {}",
                Version.get(), io.wirecage.srv.conn.EndpointFormat.format(udp.localAddress()),
                s.tunName(), Ipv4Prefix.format(s.serverAddress()), s.subnet().length(), s.mtu(), outbound,
                s.peers().size(), publicKey);
        if (configFile != null) {
            // peers with an `expires` time are disabled through the same locked write as `peer disable`
            undo.push(new ExpiryWatcher(configFile, java.time.Instant::now, this::reload).start());
        }
    }

    /**
     * IPv6 inside the tunnel: the server's address on the TUN, IPv6 forwarding and the ip6tables rules
     * (NAT66, FORWARD accepts, MSS clamp), each with its undo. With IPv6 off it still removes what a
     * crashed earlier run with IPv6 on may have left: its tagged ip6tables rules and its forwarding record.
     */
    private void bringUpIpv6(ServerSettings s, Path stateDir) throws IOException {
        IpForwarding forwarding6 = IpForwarding.forInstance6(stateDir, s.tunName());
        if (firewall6 == null) {
            forwarding6.restore();
            try {
                new Firewall(runner, "ip6tables", s.tunName(), "::/0", "lo").removeAll();
            } catch (IOException e) {
                // no ip6tables here: no rule of ours can be left either
            }
            return;
        }
        device.tunForSetup().addIpv6(addressBytes(s.serverAddress6()), s.subnet6().length());
        undo.push(forwarding6::restore);
        forwarding6.enable();
        undo.push(firewall6::removeAll);
        firewall6.install();
        log.info("IPv6 inside the tunnel: TUN {} {}/{}, NAT66 out of the IPv6 default route's interface", s.tunName(),
                s.serverAddress6().address(), s.subnet6().length());
    }

    private static byte[] addressBytes(io.wirecage.srv.config.Ipv6Prefix p) {
        return java.nio.ByteBuffer.allocate(16).putLong(p.hi()).putLong(p.lo()).array();
    }

    /**
     * Re-reads the settings and applies peer changes without a restart; peers that did not change keep
     * their sessions. A reload that fails validation changes nothing. Returns a key=value answer.
     */
    public synchronized String reload() {
        long start = System.nanoTime();
        ServerSettings next;
        try {
            next = source.load();
        } catch (IOException | RuntimeException e) {
            log.error("reload failed, keeping the running configuration: {}", e.getMessage());
            return "error=" + e.getMessage() + "\n";
        }
        ServerSettings current = settings;
        if (!next.listen().equals(current.listen()) || !next.subnet().equals(current.subnet()) || next.mtu() != current.mtu()
                || !java.util.Objects.equals(next.subnet6(), current.subnet6())
                || !next.tunName().equals(current.tunName()) || !next.privateKey().equals(current.privateKey())
                || !java.util.Objects.equals(next.outboundInterface(), current.outboundInterface())
                || !java.util.Objects.equals(next.api(), current.api())) {
            log.warn("reload: changes to the [server] and [api] settings take effect only after a restart; applying peer changes");
        }
        Device.PeerUpdate u;
        try {
            u = device.updatePeers(next.peers());
        } catch (RuntimeException e) {
            log.error("reload failed, keeping the running configuration: {}", e.getMessage());
            return "error=" + e.getMessage() + "\n";
        }
        ServerSettings applied;
        try {
            applied = current.withPeers(next.peers(), next.forwards());
            applyForwards(applied);
        } catch (IOException | RuntimeException e) {
            log.error("reload: port forwards not applied: {}", e.getMessage());
            return "error=port forwards: " + e.getMessage() + "\n";
        }
        settings = applied;
        long micros = (System.nanoTime() - start) / 1000;
        log.info("reloaded: {} peer(s): {} added, {} removed, {} changed, {} unchanged, in {} ms",
                next.peers().size(), u.added(), u.removed(), u.changed(), u.unchanged(), String.format("%.1f", micros / 1000.0));
        return "ok=1\npeers=" + next.peers().size() + "\nadded=" + u.added() + "\nremoved=" + u.removed()
                + "\nchanged=" + u.changed() + "\nunchanged=" + u.unchanged() + "\nmicros=" + micros + "\n";
    }

    /** A reload's key=value answer in the UAPI framing: errno=0 after ok=1, else a non-zero errno. */
    private static String answer(String reloadAnswer) {
        return reloadAnswer + (reloadAnswer.startsWith("ok=") ? "errno=0\n\n" : "errno=22\n\n");
    }

    /** Completes when the server should stop on its own (its control socket file was deleted). */
    public java.util.concurrent.CompletableFuture<Void> stopRequested() {
        return stopRequested;
    }

    /** What `wg set` changes: the running peers, under the reload lock (the config file stays as it is). */
    private final class UapiHost implements Uapi.Host {
        @Override
        public Device device() {
            return device;
        }

        @Override
        public Base64Key privateKey() {
            return settings.privateKey();
        }

        @Override
        public int listenPort() {
            return device.listenPort();
        }

        @Override
        public String applyPeers(List<PeerSettings> peers, java.util.Map<Base64Key, InetSocketAddress> endpoints) {
            synchronized (Server.this) {
                Device.PeerUpdate u;
                try {
                    u = device.updatePeers(peers);
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
                endpoints.forEach(device::setEndpoint);
                log.info("wg set: {} peer(s): {} added, {} removed, {} changed, {} unchanged (running state only; "
                        + "the next reload applies the config file again)", peers.size(), u.added(), u.removed(),
                        u.changed(), u.unchanged());
                return null;
            }
        }
    }

    /** SIGHUP: a reload, and the API's TLS certificate is re-read too (after a renewal). */
    public void reloadOnSignal() {
        reload();
        if (api != null) {
            api.reloadTls();
        }
    }

    /** Installs exactly the forwards of these settings (their peers are enabled: the settings validated that). */
    private void applyForwards(ServerSettings s) throws IOException {
        List<Firewall.Forward> wanted = new ArrayList<>();
        for (PortForward f : s.forwards()) {
            wanted.add(new Firewall.Forward(f.protocol(), f.publicPort(), s.forwardTarget(f), f.targetPort()));
        }
        String changes = firewall.applyForwards(wanted);
        if (!changes.isEmpty()) {
            log.info("port forwards: {}", changes);
        }
    }

    /** True when a local socket already listens on this port (so a forward would shadow it from outside). */
    public static boolean portInUse(String protocol, int port) {
        try {
            if (PortForward.TCP.equals(protocol)) {
                try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                    probe.bind(new InetSocketAddress(port));
                }
            } else {
                try (java.net.DatagramSocket probe = new java.net.DatagramSocket(null)) {
                    probe.bind(new InetSocketAddress(port));
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** The running server as the web console sees it. */
    private final class WebLive implements io.wirecage.srv.web.Live {
        private final String publicKey;
        private final ForwardChanges.ServerPorts ports;

        WebLive(String publicKey, ForwardChanges.ServerPorts ports) {
            this.publicKey = publicKey;
            this.ports = ports;
        }

        @Override
        public ForwardChanges.ServerPorts ports() {
            return ports;
        }

        @Override
        public boolean portInUse(String protocol, int port) {
            return Server.portInUse(protocol, port);
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public String publicKey() {
            return publicKey;
        }

        @Override
        public String apply() {
            return reload();
        }
    }

    /** The running server as the registration API sees it. */
    private final class LiveServer implements Registrar.Live {
        @Override
        public Ipv4Prefix runningAddress(Base64Key key) {
            Peer p = device.peers().byKey(key);
            return p == null ? null : p.settings().allowedIps().get(0);
        }

        @Override
        public io.wirecage.srv.config.Ipv6Prefix runningAddress6(Base64Key key) {
            Peer p = device.peers().byKey(key);
            return p == null || p.settings().allowedIps6().isEmpty() ? null : p.settings().allowedIps6().get(0);
        }

        @Override
        public List<io.wirecage.srv.config.Ipv6Prefix> runningAddresses6() {
            List<io.wirecage.srv.config.Ipv6Prefix> out = new ArrayList<>();
            device.peers().all().forEach(p -> out.addAll(p.settings().allowedIps6()));
            return out;
        }

        @Override
        public List<Ipv4Prefix> runningAddresses() {
            List<Ipv4Prefix> out = new ArrayList<>();
            device.peers().all().forEach(p -> out.addAll(p.settings().allowedIps()));
            return out;
        }

        @Override
        public String apply() {
            return reload();
        }
    }

    static Path runDir(String runtimeDirectoryEnv) {
        if (runtimeDirectoryEnv != null && !runtimeDirectoryEnv.isBlank()) {
            String first = runtimeDirectoryEnv.split(":", 2)[0]; // systemd joins several directories with ':'
            if (first.startsWith("/")) {
                return Path.of(first);
            }
        }
        return Path.of("/run/wirecagesrv");
    }

    public Device device() {
        return device;
    }

    /**
     * Undoes every step that ran, newest first; keeps going when one fails so the rest is still cleaned.
     * Returns false when any step failed (it was logged), so the caller does not claim a clean stop.
     */
    public boolean shutdown() {
        boolean clean = true;
        while (!undo.isEmpty()) {
            AutoCloseable step = undo.pop();
            try {
                step.close();
            } catch (Exception e) {
                clean = false;
                log.error("cleanup step failed: {}", e.getMessage());
            }
        }
        return clean;
    }

    @Override
    public void close() {
        shutdown();
    }
}
