package io.wirecage.srv.router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks up front for CAP_NET_ADMIN, so a non-root start fails with one line before touching anything. */
public final class Privileges {
    private static final int CAP_NET_ADMIN = 12;

    private Privileges() {}

    public static void requireNetAdmin() throws IOException {
        if (!hasCapability(Files.readString(Path.of("/proc/self/status")), CAP_NET_ADMIN)) {
            throw new IOException("wirecagesrv needs root or CAP_NET_ADMIN (to create the TUN device and firewall rules)");
        }
    }

    static boolean hasCapability(String procStatus, int cap) {
        for (String line : procStatus.split("\n")) {
            if (line.startsWith("CapEff:")) {
                long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                return (caps & (1L << cap)) != 0;
            }
        }
        return false;
    }
}
