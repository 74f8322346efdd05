package io.wirecage.srv.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Preconditions of the end-to-end tests. They FAIL (never skip) with one clear reason: a test run
 * that silently skipped the network tests would look green while testing nothing.
 */
public final class Require {

    /** Tools every namespace test uses. */
    public static final List<String> NETNS_TOOLS = List.of("ip", "iptables", "iptables-save", "sysctl");
    /** Tools a WireGuard client namespace uses. */
    public static final List<String> CLIENT_TOOLS = List.of("wg", "wg-quick", "wireguard-go", "ping", "curl");

    private Require() {
    }

    public static void root() {
        String uid = Cmd.of("id", "-u").run().stdout().strip();
        if (!"0".equals(uid)) {
            throw new AssertionError("end-to-end tests need root (network namespaces, TUN, iptables); "
                    + "running as uid " + uid + ". Run them as root; they are not skipped on purpose.");
        }
    }

    public static void tools(List<String> tools) {
        List<String> missing = new ArrayList<>();
        for (String t : tools) {
            if (which(t) == null) {
                missing.add(t);
            }
        }
        if (!missing.isEmpty()) {
            throw new AssertionError("end-to-end tests need these tools on PATH, missing: " + missing
                    + " (Debian: apt-get install wireguard-tools wireguard-go iproute2 iptables tcpdump curl iputils-ping python3)");
        }
    }

    /** Root + namespace tools + WireGuard client tools + the given extras + the server jar. */
    public static void e2e(String... extraTools) {
        root();
        List<String> all = new ArrayList<>(NETNS_TOOLS);
        all.addAll(CLIENT_TOOLS);
        all.addAll(List.of(extraTools));
        tools(all);
        ServerProcess.jar();
        ServerProcess.java();
    }

    /** Debian's python3 (avoids version-manager shims on PATH), else python3 from PATH. */
    public static String python() {
        Path debian = Path.of("/usr/bin/python3");
        if (Files.isExecutable(debian)) {
            return debian.toString();
        }
        tools(List.of("python3"));
        return "python3";
    }

    public static Path which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
