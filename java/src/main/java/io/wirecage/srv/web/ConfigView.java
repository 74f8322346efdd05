package io.wirecage.srv.web;

import io.wirecage.srv.config.ConfigFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The config file as the console shows it (disabled peers, expiries, forwards, the password hash),
 * parsed again only when the file changed: ten open dashboards do not parse it ten times a second.
 */
final class ConfigView {
    private final Path file;
    private String version;
    private ConfigFile current;

    ConfigView(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** The file as now written; the last good one if it cannot be read right now. */
    synchronized ConfigFile current() throws IOException {
        String v = version();
        if (current == null || !v.equals(version)) {
            try {
                current = ConfigFile.load(file);
                version = v;
            } catch (IOException | RuntimeException e) {
                if (current == null) {
                    throw e;
                }
            }
        }
        return current;
    }

    private String version() throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey();
    }
}
