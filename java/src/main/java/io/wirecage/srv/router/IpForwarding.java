package io.wirecage.srv.router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns on IPv4 (or IPv6) forwarding and puts the old value back at exit. The old value is kept in a state file
 * so that after a crash (SIGKILL) the next start still restores what was there before the first run.
 */
public final class IpForwarding {
    private final Path sysctl;
    private final Path stateFile;

    public IpForwarding(Path sysctl, Path stateFile) {
        this.sysctl = sysctl;
        this.stateFile = stateFile;
    }

    public static IpForwarding forInstance(Path stateDir, String tunName) {
        return new IpForwarding(Path.of("/proc/sys/net/ipv4/ip_forward"), stateDir.resolve(tunName + ".ip_forward"));
    }

    /** IPv6 forwarding (net.ipv6.conf.all.forwarding), for IPv6 inside the tunnel; its own state file. */
    public static IpForwarding forInstance6(Path stateDir, String tunName) {
        return new IpForwarding(Path.of("/proc/sys/net/ipv6/conf/all/forwarding"), stateDir.resolve(tunName + ".ip6_forward"));
    }

    public void enable() throws IOException {
        if (Files.exists(stateFile)) {
            write("1"); // a crashed run recorded the value from before it; keep that record
            return;
        }
        String current = Files.readString(sysctl).strip();
        if (current.equals("1")) {
            return; // already on (e.g. docker run --sysctl net.ipv4.ip_forward=1): nothing to change or restore
        }
        Files.createDirectories(stateFile.getParent());
        Files.writeString(stateFile, current + "\n");
        write("1");
    }

    /** Restores the recorded value; does nothing when nothing was recorded. */
    public void restore() throws IOException {
        if (!Files.exists(stateFile)) {
            return;
        }
        String old = Files.readString(stateFile).strip();
        if (old.equals("0") || old.equals("1")) {
            write(old);
        }
        Files.deleteIfExists(stateFile);
    }

    private void write(String value) throws IOException {
        try {
            Files.writeString(sysctl, value + "\n");
        } catch (IOException e) {
            throw new IOException("cannot write " + sysctl + " (read-only /proc/sys? run privileged): " + e.getMessage(), e);
        }
    }
}
