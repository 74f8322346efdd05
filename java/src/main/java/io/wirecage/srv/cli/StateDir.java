package io.wirecage.srv.cli;

import io.wirecage.srv.nativebridge.Keys;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The first-run state directory (0700) and the server key kept in it (0600). */
final class StateDir {
    private static final Logger log = LoggerFactory.getLogger(StateDir.class);

    private StateDir() {}

    /** Returns DIR/server.key, creating the directory and a fresh key when absent. */
    static Path serverKey(Path dir) throws IOException {
        Path key = dir.resolve("server.key");
        if (Files.exists(key)) {
            return key;
        }
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        // Created 0600 from the start (no window where it is readable), then moved into place atomically.
        Path tmp = Files.createTempFile(dir, ".server.key", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            byte[] secret = Keys.generatePrivateKey();
            Files.writeString(tmp, Base64.getEncoder().encodeToString(secret) + "\n");
            try {
                Files.move(tmp, key, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, key);
            }
            log.info("first run: created server key {} (public key {})", key,
                    Base64.getEncoder().encodeToString(Keys.publicKey(secret)));
            log.info("add a client with: --peer CLIENT_PUBLIC_KEY --peer-ip 10.200.100.2/32 (repeat per client)");
            return key;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
