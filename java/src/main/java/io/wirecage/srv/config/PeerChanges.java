package io.wirecage.srv.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The peer edits that the `peer` commands and the web console share: each is one locked, validated,
 * atomic write of the config file (ConfigEditor); the caller then has a running server apply it.
 */
public final class PeerChanges {
    private PeerChanges() {}

    /** A change to one peer: the new entry, or null to remove it. */
    @FunctionalInterface
    public interface Change {
        PeerEntry apply(PeerEntry current);
    }

    /** Fails with one line unless the name is 1-64 printable characters. */
    public static void checkName(String name) {
        if (name == null || name.isBlank() || name.length() > 64 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("peer name must be 1-64 printable characters");
        }
    }

    /**
     * Adds a peer with this key at {@code ip} (ADDRESS or ADDRESS/LEN, IPv4 or IPv6 or one of each separated
     * by a comma), else at the next free address (and the next free IPv6 one when the subnet has IPv6);
     * returns the entry as written.
     */
    public static PeerEntry add(Path file, String name, Base64Key publicKey, String ip, Base64Key presharedKey, Instant expires)
            throws IOException {
        checkName(name);
        return ConfigEditor.locked(file, cfg -> {
            if (cfg.peer(name) != null) {
                throw new IllegalArgumentException("a peer named '" + name + "' already exists in " + file);
            }
            Ipv4Prefix subnet = cfg.subnet();
            List<Ipv4Prefix> taken = cfg.peers().stream().flatMap(p -> p.allowedIps().stream()).toList();
            Ipv4Prefix address = null;
            Ipv6Prefix address6 = null;
            if (ip != null && !ip.isBlank()) {
                try {
                    // ADDRESS[/LEN] of either family, or one of each separated by a comma
                    for (String one : ip.split(",")) {
                        String a = one.strip();
                        if (Ipv6Prefix.isIpv6(a)) {
                            address6 = Ipv6Prefix.parseNetwork(a.contains("/") ? a : a + "/128");
                        } else {
                            address = Ipv4Prefix.parseNetwork(a.contains("/") ? a : a + "/32");
                        }
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("address " + e.getMessage());
                }
            }
            if (address == null) {
                address = AddressPool.nextFree(subnet, subnet.network() + 1, taken);
            }
            if (address6 == null && cfg.subnet6() != null) {
                List<Ipv6Prefix> taken6 = cfg.peers().stream().flatMap(p -> p.allowedIps6().stream()).toList();
                address6 = AddressPool.nextFree6(cfg.subnet6(), taken6);
            }
            PeerEntry entry = new PeerEntry(name, publicKey, presharedKey, List.of(address), 0, true, 0,
                    address6 == null ? List.of() : List.of(address6), expires);
            ConfigEditor.appendPeer(cfg, entry); // validates: duplicate key, taken or foreign address
            return entry;
        });
    }

    /** Applies {@code change} to the peer named {@code name} in one locked write; returns the file as it was before. */
    public static ConfigFile edit(Path file, String name, Change change) throws IOException {
        return ConfigEditor.locked(file, current -> {
            PeerEntry p = current.peer(name);
            if (p == null) {
                throw new IllegalArgumentException("no peer named '" + name + "' in " + file);
            }
            PeerEntry next = change.apply(p);
            if (next != null && next.name() != null && !next.name().equals(name)) {
                checkName(next.name());
                if (current.peer(next.name()) != null) {
                    throw new IllegalArgumentException("a peer named '" + next.name() + "' already exists in " + file);
                }
            }
            ConfigEditor.replacePeer(current, name, next);
            return current;
        });
    }

    /**
     * Enabling: refused while the peer's expiry has passed, so an expired client cannot come back by a
     * stray click or command; a later expiry (or none) has to be set first.
     */
    public static PeerEntry enable(PeerEntry p, Instant now) {
        if (p.expiredAt(now)) {
            throw new IllegalArgumentException("peer '" + p.name() + "' expired at " + p.expires()
                    + "; set a later expiry (or none) before enabling it");
        }
        return p.withEnabled(true);
    }

    /**
     * Disables every enabled peer whose expiry has passed, in one locked write; returns their names
     * (empty: nothing written). The running server's expiry watcher calls this.
     */
    public static List<String> disableExpired(Path file, Instant now) throws IOException {
        return ConfigEditor.locked(file, cfg -> {
            List<PeerEntry> due = cfg.peers().stream().filter(p -> p.enabled() && p.expiredAt(now)).toList();
            if (due.isEmpty()) {
                return List.of();
            }
            java.util.Map<Integer, String> edits = new java.util.HashMap<>();
            due.forEach(p -> edits.put(p.line(), ConfigEditor.render(p.withEnabled(false))));
            ConfigEditor.replaceBlocks(cfg, edits);
            return due.stream().map(p -> p.name() != null ? p.name() : p.publicKey().shortForm()).toList();
        });
    }

    /** "never" or "" (no expiry: null), else an ISO date-time with offset, or a date (midnight UTC). */
    public static Instant parseExpiry(String text) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty() || t.equalsIgnoreCase("never")) {
            return null;
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            // try the shorter forms
        }
        try {
            return java.time.LocalDateTime.parse(t).toInstant(java.time.ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            // try a date
        }
        try {
            return java.time.LocalDate.parse(t).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("expiry '" + t + "' must be a date (2026-12-31), a UTC date and time "
                    + "(2026-12-31T18:00), one with an offset (2026-12-31T18:00:00+01:00), or never");
        }
    }
}
