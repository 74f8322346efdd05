package io.wirecage.srv.cli;

import io.wirecage.srv.Server;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which running server uses which config file: a server records /run/wirecagesrv/TUN.config holding the
 * absolute path of its config, so `peer` commands on that file find the server even when its TUN name
 * came from a flag rather than the file.
 */
final class RunningConfigs {
    private static final String SUFFIX = ".config";

    private RunningConfigs() {}

    /** Records the config of the server on {@code tun}; returns the record to forget at exit, or null. */
    static Path record(String tun, Path config) {
        if (config == null) {
            return null;
        }
        Path record = Server.RUN_DIR.resolve(tun + SUFFIX);
        try {
            Files.writeString(record, config.toAbsolutePath().normalize() + "\n");
            return record;
        } catch (IOException e) {
            return null; // only a convenience for `peer` commands; SIGHUP still works
        }
    }

    static void forget(Path record) {
        if (record != null) {
            try {
                Files.deleteIfExists(record);
            } catch (IOException e) {
                // a stale record is harmless: the control socket is checked before use
            }
        }
    }

    /** TUN names of servers that recorded {@code config}. */
    static Set<String> tunsUsing(Path runDir, Path config) {
        Set<String> tuns = new LinkedHashSet<>();
        String wanted = config.toAbsolutePath().normalize().toString();
        if (!Files.isDirectory(runDir)) {
            return tuns;
        }
        try (DirectoryStream<Path> records = Files.newDirectoryStream(runDir, "*" + SUFFIX)) {
            for (Path r : records) {
                if (Files.readString(r).strip().equals(wanted)) {
                    String name = r.getFileName().toString();
                    tuns.add(name.substring(0, name.length() - SUFFIX.length()));
                }
            }
        } catch (IOException e) {
            // unreadable run dir: fall back to the TUN name in the file
        }
        return tuns;
    }
}
