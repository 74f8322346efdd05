package io.wirecage.srv.it;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network namespace made by the tests: create, exec inside, veth pairs, addresses, routes,
 * sysctls, and a delete that first kills every process still inside (wireguard-go, servers,
 * tcpdump), by process id.
 *
 * <p>Names: namespaces are {@code wct-<jvm pid>-<topology seq>-<role>}, so a later run can tell
 * leftovers of a crashed run (its pid no longer runs a JVM) from a concurrent live run.
 * Interface names are at most 15 characters and unique across namespaces, because wireguard-go's
 * control sockets in /var/run/wireguard are shared by all namespaces.
 */
public final class Netns implements AutoCloseable {

    public static final String PREFIX = "wct-";
    private static final Pattern OUR_NS = Pattern.compile("^wct-(\\d+)-.*");
    private static final Pattern OUR_SOCKET = Pattern.compile("^wc\\d{3}[0-9a-z]\\w*\\.sock$");
    private static boolean leftoversCleaned;

    private final String name;
    private boolean deleted;

    private Netns(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Creates the namespace (deleting a stale one of the same name first) with lo up. */
    public static Netns create(String name) {
        cleanLeftoversOnce();
        if (exists(name)) {
            new Netns(name).close();
        }
        Cmd.of("ip", "netns", "add", name).check();
        Netns ns = new Netns(name);
        ns.exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    public static boolean exists(String name) {
        return list().contains(name);
    }

    public static List<String> list() {
        List<String> names = new ArrayList<>();
        for (String line : Cmd.of("ip", "netns", "list").check().stdoutLines()) {
            names.add(line.split("\\s+")[0]);
        }
        return names;
    }

    /** A command to run inside this namespace. */
    public Cmd cmd(String... argv) {
        return Cmd.of(wrap(List.of(argv)));
    }

    public Cmd cmd(List<String> argv) {
        return Cmd.of(wrap(argv));
    }

    public List<String> wrap(List<String> argv) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(argv);
        return full;
    }

    /** Runs inside the namespace and fails unless it exits 0. */
    public Cmd.Result exec(String... argv) {
        return cmd(argv).check();
    }

    /** Runs inside the namespace; the caller looks at the result. */
    public Cmd.Result tryExec(String... argv) {
        return cmd(argv).run();
    }

    public void addAddress(String ifname, String cidr) {
        exec("ip", "addr", "add", cidr, "dev", ifname);
    }

    /** An IPv6 address without duplicate address detection, so it is usable at once. */
    public void addAddress6(String ifname, String cidr) {
        exec("ip", "-6", "addr", "add", cidr, "dev", ifname, "nodad");
    }

    public void up(String ifname) {
        exec("ip", "link", "set", ifname, "up");
    }

    /** Creates a veth pair with one end in each namespace, both up. */
    public static void veth(Netns a, String ifA, Netns b, String ifB) {
        Cmd.of("ip", "link", "add", ifA, "netns", a.name, "type", "veth", "peer", "name", ifB, "netns", b.name).check();
        a.up(ifA);
        b.up(ifB);
    }

    public String sysctl(String key) {
        return exec("sysctl", "-n", key).stdout().strip();
    }

    public void sysctl(String key, String value) {
        exec("sysctl", "-q", "-w", key + "=" + value);
    }

    public List<String> links() {
        List<String> names = new ArrayList<>();
        for (String line : exec("ip", "-o", "link", "show").stdoutLines()) {
            // "3: wc123s1@if2: <BROADCAST,...>"
            String[] parts = line.split(":\\s+", 3);
            if (parts.length >= 2) {
                names.add(parts[1].split("@")[0]);
            }
        }
        return names;
    }

    public boolean hasLink(String ifname) {
        return links().contains(ifname);
    }

    /** Process ids running inside this namespace. */
    public List<Long> pids() {
        return pidsOf(name);
    }

    private static List<Long> pidsOf(String ns) {
        List<Long> pids = new ArrayList<>();
        for (String l : Cmd.of("ip", "netns", "pids", ns).run().stdoutLines()) {
            try {
                pids.add(Long.parseLong(l.strip()));
            } catch (NumberFormatException ignored) {
                // not a pid line
            }
        }
        return pids;
    }

    /** Kills what runs inside (by pid), then deletes the namespace. Idempotent. */
    @Override
    public void close() {
        if (deleted) {
            return;
        }
        deleted = true;
        destroy(name);
    }

    private static void destroy(String ns) {
        for (int round = 0; round < 3; round++) {
            List<Long> pids = pidsOf(ns);
            if (pids.isEmpty()) {
                break;
            }
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            Poll.until(Duration.ofSeconds(3), Duration.ofMillis(50), () -> pidsOf(ns).isEmpty());
        }
        Cmd.of("ip", "netns", "del", ns).run();
        removeStaleWireGuardSockets();
    }

    /**
     * Removes what a crashed earlier run left: our namespaces whose creating JVM is gone, and
     * wireguard-go control sockets of our interface names that nobody answers on.
     */
    public static synchronized void cleanLeftoversOnce() {
        if (leftoversCleaned) {
            return;
        }
        leftoversCleaned = true;
        long self = ProcessHandle.current().pid();
        for (String ns : list()) {
            Matcher m = OUR_NS.matcher(ns);
            if (!m.matches()) {
                continue;
            }
            long owner = Long.parseLong(m.group(1));
            if (owner != self && isLiveJvm(owner)) {
                continue; // a concurrent run: not ours to remove
            }
            System.out.println("[it] removing leftover namespace " + ns + " (pids " + pidsOf(ns) + ")");
            destroy(ns);
        }
        removeStaleWireGuardSockets();
    }

    private static boolean isLiveJvm(long pid) {
        return ProcessHandle.of(pid)
                .flatMap(h -> h.info().command())
                .map(c -> c.endsWith("/java") || c.endsWith("java"))
                .orElse(false);
    }

    static void removeStaleWireGuardSockets() {
        Path dir = Path.of("/var/run/wireguard");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path sock : ds) {
                if (!OUR_SOCKET.matcher(sock.getFileName().toString()).matches()) {
                    continue;
                }
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(sock));
                } catch (IOException refused) {
                    Files.deleteIfExists(sock);
                }
            }
        } catch (IOException ignored) {
            // best effort
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
