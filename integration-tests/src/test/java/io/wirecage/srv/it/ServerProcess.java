package io.wirecage.srv.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * wirecagesrv under test, run from its shaded jar inside the server namespace:
 * {@code ip netns exec NS JAVA --enable-native-access=ALL-UNNAMED -jar JAR ...}, its stdout and
 * stderr captured to a log file in the topology's work dir.
 */
public final class ServerProcess implements AutoCloseable {

    /** The log line that says UDP socket, TUN and NAT are ready. */
    public static final String READY = "listening on";
    public static final String HANDSHAKE = "handshake completed";
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final Background process;
    private final Netns ns;
    private final String tunName;

    private ServerProcess(Background process, Netns ns, String tunName) {
        this.process = process;
        this.ns = ns;
        this.tunName = tunName;
    }

    /** The shaded server jar (system property wirecagesrv.jar); fails clearly if it is missing. */
    public static Path jar() {
        String p = System.getProperty("wirecagesrv.jar");
        if (p == null || p.isBlank()) {
            throw new AssertionError("system property wirecagesrv.jar is not set (the surefire configuration passes it)");
        }
        Path jar = Path.of(p).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("server jar " + jar + " does not exist: build it first "
                    + "(mvn -DskipTests package -pl java -am)");
        }
        return jar;
    }

    /** The java binary that runs the server (system property wirecagesrv.java, else this JVM's). */
    public static String java() {
        String p = System.getProperty("wirecagesrv.java");
        if (p == null || p.isBlank()) {
            p = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        }
        if (!Files.isExecutable(Path.of(p))) {
            throw new AssertionError("java binary for the server not executable: " + p);
        }
        return p;
    }

    public static List<String> javaCommand(List<String> args) {
        List<String> argv = new ArrayList<>(List.of(java(), "--enable-native-access=ALL-UNNAMED", "-jar", jar().toString()));
        argv.addAll(args);
        return argv;
    }

    /** A one-shot CLI invocation inside {@code ns} (status, genkey, a start expected to fail). */
    public static Cmd cli(Netns ns, String... args) {
        return ns.cmd(javaCommand(List.of(args))).timeout(Duration.ofSeconds(60));
    }

    /** A one-shot CLI invocation in the current namespace (genkey, pubkey). */
    public static Cmd cli(String... args) {
        return Cmd.of(javaCommand(List.of(args))).timeout(Duration.ofSeconds(60));
    }

    /** Starts the server with these exact arguments; does not wait for readiness. */
    public static ServerProcess start(Netns ns, List<String> args, String tunName, Path log) {
        System.out.println("[it] starting wirecagesrv in " + ns + ": " + String.join(" ", args) + " (log " + log + ")");
        return new ServerProcess(new Background(ns.wrap(javaCommand(args)), log), ns, tunName);
    }

    /**
     * Starts a server with a complete command line of the caller's (another launcher, another user,
     * another environment); {@code ip netns exec} and the command must exec in place so that signals
     * reach the server itself. Does not wait for readiness.
     */
    public static ServerProcess startCommand(Netns ns, List<String> argv, String tunName, Path log) {
        System.out.println("[it] starting wirecagesrv in " + ns + ": " + String.join(" ", argv) + " (log " + log + ")");
        return new ServerProcess(new Background(ns.wrap(argv), log), ns, tunName);
    }

    public static Config config(Topology topology, WgKeys.KeyPair serverKey) {
        return new Config(topology, serverKey);
    }

    public ServerProcess awaitReady() {
        long t0 = System.nanoTime();
        process.awaitLog(READY, READY_TIMEOUT);
        System.out.println("[it] wirecagesrv ready after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        return this;
    }

    /** Waits until the log has a line containing all the given parts; fails with the log. */
    public String awaitLogLine(Duration timeout, String... parts) {
        String[] found = new String[1];
        Poll.until(timeout, Duration.ofMillis(50), () -> (found[0] = findLine(parts)) != null);
        if (found[0] == null) {
            throw new AssertionError("no line containing all of " + List.of(parts) + " in the server log within "
                    + timeout.toMillis() + " ms; log " + process.logFile() + ":\n" + Background.tail(log(), 80));
        }
        return found[0];
    }

    /** Every log line containing all the given parts, in order. */
    public List<String> findLines(String... parts) {
        List<String> lines = new ArrayList<>();
        for (String line : log().split("\n")) {
            boolean all = true;
            for (String p : parts) {
                all &= line.contains(p);
            }
            if (all) {
                lines.add(line);
            }
        }
        return lines;
    }

    /**
     * Waits until the log has more than {@code before} lines containing all the given parts (take
     * {@code before} from {@link #findLines} before the action) and returns the first new one.
     */
    public String awaitNewLogLine(int before, Duration timeout, String... parts) {
        boolean seen = Poll.until(timeout, Duration.ofMillis(50), () -> findLines(parts).size() > before);
        List<String> lines = findLines(parts);
        if (!seen || lines.size() <= before) {
            throw new AssertionError("no new line (after " + before + " earlier ones) containing all of " + List.of(parts)
                    + " in the server log within " + timeout.toMillis() + " ms; log " + process.logFile() + ":\n"
                    + Background.tail(log(), 80));
        }
        return lines.get(before);
    }

    public String findLine(String... parts) {
        for (String line : log().split("\n")) {
            boolean all = true;
            for (String p : parts) {
                all &= line.contains(p);
            }
            if (all) {
                return line;
            }
        }
        return null;
    }

    /** `status --tun-name TUN` in the server namespace, parsed. */
    public ServerStatus status() {
        return status(ns, tunName);
    }

    public static ServerStatus status(Netns ns, String tunName) {
        Cmd.Result r = cli(ns, "status", "--tun-name", tunName).timeout(Duration.ofSeconds(30)).run();
        if (!r.ok()) {
            throw new AssertionError("status command failed:\n" + r.describe());
        }
        return ServerStatus.parse(r.stdout());
    }

    /** SIGTERM; returns the exit code (fails if the server does not exit within 20 s). */
    public int terminate() {
        return process.terminate(Duration.ofSeconds(20));
    }

    /** SIGKILL; returns the exit code. */
    public int kill() {
        return process.kill();
    }

    public int awaitExit(Duration timeout) {
        return process.awaitExit(timeout);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public String log() {
        return process.log();
    }

    public Path logFile() {
        return process.logFile();
    }

    public String tunName() {
        return tunName;
    }

    /** The tag every iptables rule of this instance carries in its comment. */
    public static String ruleTag(String tunName) {
        return "wirecagesrv:" + tunName;
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return "wirecagesrv pid " + process.pid() + " log " + process.logFile();
    }

    /** The standard command line for a topology: listen on 0.0.0.0:51820, subnet 10.200.100.0/24. */
    public static final class Config {
        private final Topology topology;
        private final WgKeys.KeyPair serverKey;
        private final List<String[]> peers = new ArrayList<>();

        private Config(Topology topology, WgKeys.KeyPair serverKey) {
            this.topology = topology;
            this.serverKey = serverKey;
        }

        public Config peer(String publicKey, String peerIp) {
            peers.add(new String[] {publicKey, peerIp});
            return this;
        }

        public List<String> args() {
            Path keyFile = topology.writeSecret("server.key", serverKey.privateKey() + "\n");
            List<String> args = new ArrayList<>(List.of(
                    "--private-key-file", keyFile.toString(),
                    "--listen", "0.0.0.0:" + Topology.LISTEN_PORT,
                    "--subnet", Topology.VPN_SUBNET));
            for (String[] p : peers) {
                args.addAll(List.of("--peer", p[0], "--peer-ip", p[1]));
            }
            args.addAll(List.of("--outbound-interface", topology.uplink(), "--tun-name", topology.tunName()));
            return args;
        }

        /** Starts the server (log file {@code <logName>.log} in the work dir), not yet ready. */
        public ServerProcess start(String logName) {
            return topology.track(ServerProcess.start(topology.server(), args(), topology.tunName(),
                    topology.workDir().resolve(logName + ".log")));
        }
    }
}
