package io.wirecage.srv.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Disables peers whose {@code expires} time has come, through the same locked write as `peer disable`,
 * then has the running server apply the file. It looks at the file once a second, but parses it only
 * when it changed (modification time or size): the earliest expiry is kept in between.
 */
public final class ExpiryWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExpiryWatcher.class);

    private final Path file;
    private final Supplier<Instant> clock;
    private final Supplier<String> apply;
    private String seenVersion;
    private Instant nextDue;
    private Thread thread;
    private volatile boolean closed;

    /** @param apply has the running server apply the file (a reload); returns its answer */
    public ExpiryWatcher(Path file, Supplier<Instant> clock, Supplier<String> apply) {
        this.file = file;
        this.clock = clock;
        this.apply = apply;
    }

    /** Checks once a second on a daemon thread until closed. */
    public ExpiryWatcher start() {
        thread = Thread.ofPlatform().name("peer-expiry").daemon().start(() -> {
            while (!closed) {
                try {
                    tick();
                } catch (RuntimeException e) {
                    log.error("peer expiry check failed: {}", e.getMessage());
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return this;
    }

    /** One check; returns the names of the peers it disabled (for tests). */
    public synchronized List<String> tick() {
        String version = version();
        if (version == null) {
            return List.of();
        }
        if (!version.equals(seenVersion)) {
            try {
                nextDue = earliest(ConfigFile.load(file));
            } catch (IOException | RuntimeException e) {
                return List.of(); // a bad file is the reload's news; look again when it changes
            }
            seenVersion = version;
        }
        Instant now = clock.get();
        if (nextDue == null || now.isBefore(nextDue)) {
            return List.of();
        }
        List<String> disabled;
        try {
            disabled = PeerChanges.disableExpired(file, now);
        } catch (IOException | RuntimeException e) {
            log.error("could not disable expired peers in {}: {}", file, e.getMessage());
            return List.of();
        }
        seenVersion = null; // read the file again: the next expiry
        if (!disabled.isEmpty()) {
            log.info("peer(s) {} expired: disabled in {}", disabled, file);
            String answer = apply.get();
            if (!answer.startsWith("ok")) {
                log.error("the running server did not apply the expiry: {}", answer.strip());
            }
        }
        return disabled;
    }

    /** The earliest expiry of an enabled peer, or null. */
    static Instant earliest(ConfigFile cfg) {
        Instant min = null;
        for (PeerEntry p : cfg.peers()) {
            if (p.enabled() && p.expires() != null && (min == null || p.expires().isBefore(min))) {
                min = p.expires();
            }
        }
        return min;
    }

    private String version() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
