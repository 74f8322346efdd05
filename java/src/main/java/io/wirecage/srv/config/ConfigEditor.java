package io.wirecage.srv.config;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Edits the config file safely: under an exclusive lock (so two concurrent `peer add` cannot pick the same
 * address), by rewriting to a 0600 temp file and renaming it over the original (so a reader never sees a
 * half-written file). Peers are edited as text blocks, so comments elsewhere in the file survive.
 */
public final class ConfigEditor {
    private ConfigEditor() {}

    @FunctionalInterface
    public interface Edit<T> {
        T apply(ConfigFile current) throws IOException;
    }

    /** Serializes editors inside one JVM: a file lock only excludes other processes. */
    private static final Object JVM_LOCK = new Object();

    /** Runs an edit with the file locked against other editors (other processes and threads). */
    public static <T> T locked(Path file, Edit<T> edit) throws IOException {
        Path lock = file.resolveSibling(file.getFileName() + ".lock");
        synchronized (JVM_LOCK) {
            try (FileChannel ch = FileChannel.open(lock, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                 FileLock ignored = ch.lock()) {
                return edit.apply(ConfigFile.load(file));
            }
        }
    }

    /** Appends a [[peer]] block, validating the result before anything is written. */
    public static void appendPeer(ConfigFile config, PeerEntry peer) throws IOException {
        String text = Files.readString(config.file());
        String block = (text.isEmpty() || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n") + render(peer);
        writeValidated(config.file(), text + block);
    }

    /** Replaces the block of the peer named {@code name} (or removes it when {@code replacement} is null). */
    public static void replacePeer(ConfigFile config, String name, PeerEntry replacement) throws IOException {
        PeerEntry old = config.peer(name);
        if (old == null) {
            throw new IllegalArgumentException("no peer named '" + name + "' in " + config.file());
        }
        List<String> lines = new ArrayList<>(Arrays.asList(Files.readString(config.file()).split("\n", -1)));
        int start = old.line() - 1;
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).strip().startsWith("[")) {
            end++;
        }
        // keep comments that introduce the next table with that table
        while (end - 1 > start && (lines.get(end - 1).strip().startsWith("#") || lines.get(end - 1).isBlank())) {
            end--;
        }
        List<String> out = new ArrayList<>(lines.subList(0, start));
        if (replacement != null) {
            out.addAll(Arrays.asList(render(replacement).stripTrailing().split("\n")));
        } else {
            while (!out.isEmpty() && out.get(out.size() - 1).isBlank()) {
                out.remove(out.size() - 1); // no double blank line where the block was
            }
        }
        out.addAll(lines.subList(end, lines.size()));
        writeValidated(config.file(), String.join("\n", out));
    }

    private static void writeValidated(Path file, String text) throws IOException {
        ConfigFile.parse(file, text); // never write a file the server would refuse
        writeAtomically(file, text);
    }

    /** Writes to a 0600 temp file in the same directory, syncs it, then renames it over the target. */
    public static void writeAtomically(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            keepOwner(file, tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A replaced file keeps its owner and group: root running `peer add` on the config of a service
     * that runs as its own user (systemd unit) must not make the file unreadable for that user.
     */
    private static void keepOwner(Path file, Path tmp) throws IOException {
        java.nio.file.attribute.PosixFileAttributes old;
        try {
            old = Files.readAttributes(file, java.nio.file.attribute.PosixFileAttributes.class);
        } catch (java.nio.file.NoSuchFileException | UnsupportedOperationException e) {
            return; // a new file, or no POSIX owners here
        }
        java.nio.file.attribute.PosixFileAttributes now =
                Files.readAttributes(tmp, java.nio.file.attribute.PosixFileAttributes.class);
        if (old.owner().equals(now.owner()) && old.group().equals(now.group())) {
            return;
        }
        java.nio.file.attribute.PosixFileAttributeView view =
                Files.getFileAttributeView(tmp, java.nio.file.attribute.PosixFileAttributeView.class);
        view.setOwner(old.owner()); // root only; anyone else already is the owner (or gets a clear error)
        view.setGroup(old.group());
    }

    /** A [[peer]] block as TOML text. */
    public static String render(PeerEntry p) {
        StringBuilder sb = new StringBuilder("[[peer]]\n");
        if (p.name() != null) {
            sb.append("name = ").append(quote(p.name())).append('\n');
        }
        sb.append("public_key = ").append(quote(p.publicKey().base64())).append('\n');
        if (p.presharedKey() != null) {
            sb.append("preshared_key = ").append(quote(p.presharedKey().base64())).append('\n');
        }
        sb.append("allowed_ips = [").append(p.allowedIps().stream().map(ip -> quote(ip.toString()))
                .collect(Collectors.joining(", "))).append("]\n");
        if (p.persistentKeepalive() != 0) {
            sb.append("persistent_keepalive = ").append(p.persistentKeepalive()).append('\n');
        }
        if (!p.enabled()) {
            sb.append("enabled = false\n");
        }
        return sb.toString();
    }

    /** A TOML basic string. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
