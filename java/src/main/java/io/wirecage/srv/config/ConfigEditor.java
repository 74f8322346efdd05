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
import java.util.concurrent.locks.ReentrantLock;
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

    /** Serializes editors inside one JVM (a file lock only excludes other processes); fair, so no editor starves. */
    private static final ReentrantLock JVM_LOCK = new ReentrantLock(true);

    /** Runs an edit with the file locked against other editors (other processes and threads). */
    public static <T> T locked(Path file, Edit<T> edit) throws IOException {
        Path lock = file.resolveSibling(file.getFileName() + ".lock");
        JVM_LOCK.lock();
        try (FileChannel ch = FileChannel.open(lock, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
             FileLock ignored = ch.lock()) {
            return edit.apply(ConfigFile.load(file));
        } finally {
            JVM_LOCK.unlock();
        }
    }

    /** Appends a [[peer]] block, validating the result before anything is written. */
    public static void appendPeer(ConfigFile config, PeerEntry peer) throws IOException {
        appendPeers(config, List.of(peer));
    }

    /** Appends [[peer]] blocks in one validated write (one fsync for a batch of registrations). */
    public static void appendPeers(ConfigFile config, List<PeerEntry> peers) throws IOException {
        String text = Files.readString(config.file());
        StringBuilder sb = new StringBuilder(text);
        for (PeerEntry p : peers) {
            int n = sb.length();
            boolean oneNewline = n > 0 && sb.charAt(n - 1) == '\n';
            boolean blankLine = oneNewline && n > 1 && sb.charAt(n - 2) == '\n';
            sb.append(n == 0 || blankLine ? "" : oneNewline ? "\n" : "\n\n").append(render(p));
        }
        writeValidated(config.file(), sb.toString());
    }

    /**
     * Replaces the block of the peer named {@code name}, or removes it when {@code replacement} is null;
     * removing a peer also removes its port forwards, in the same write.
     */
    public static void replacePeer(ConfigFile config, String name, PeerEntry replacement) throws IOException {
        PeerEntry old = config.peer(name);
        if (old == null) {
            throw new IllegalArgumentException("no peer named '" + name + "' in " + config.file());
        }
        java.util.Map<Integer, String> edits = new java.util.HashMap<>();
        edits.put(old.line(), replacement == null ? null : render(replacement));
        if (replacement == null) {
            config.forwards().stream().filter(f -> f.peerKey().equals(old.publicKey())).forEach(f -> edits.put(f.line(), null));
        }
        writeValidated(config.file(), editBlocks(Files.readString(config.file()), edits));
    }

    /** Replaces (or removes, value null) several blocks of {@code config} by header line in one validated write. */
    static void replaceBlocks(ConfigFile config, java.util.Map<Integer, String> byHeaderLine) throws IOException {
        writeValidated(config.file(), editBlocks(Files.readString(config.file()), byHeaderLine));
    }

    /** Appends a [[forward]] block, validating the result before anything is written. */
    public static void appendForward(ConfigFile config, PortForward forward) throws IOException {
        String text = Files.readString(config.file());
        String block = (text.isEmpty() || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n") + render(forward);
        writeValidated(config.file(), text + block);
    }

    /** Removes the [[forward]] block of this forward (as loaded from {@code config}). */
    public static void removeForward(ConfigFile config, PortForward forward) throws IOException {
        java.util.Map<Integer, String> edits = new java.util.HashMap<>();
        edits.put(forward.line(), null);
        writeValidated(config.file(), editBlocks(Files.readString(config.file()), edits));
    }

    /**
     * Sets {@code password_hash} in the [web] table (adding the table when missing), keeping the rest of
     * the file as written.
     */
    public static void setWebPasswordHash(ConfigFile config, String hash) throws IOException {
        writeValidated(config.file(), withWebPasswordHash(Files.readString(config.file()), hash));
    }

    static String withWebPasswordHash(String text, String hash) {
        String line = "password_hash = " + quote(hash);
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        int header = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("[web]")) {
                header = i;
                break;
            }
        }
        if (header < 0) {
            String sep = text.isEmpty() || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
            return text + sep + "[web]\n" + line + "\n";
        }
        int end = header + 1;
        while (end < lines.size() && !lines.get(end).strip().startsWith("[")) {
            if (lines.get(end).strip().startsWith("password_hash")) {
                lines.set(end, line);
                return String.join("\n", lines);
            }
            end++;
        }
        lines.add(header + 1, line);
        return String.join("\n", lines);
    }

    /**
     * Replaces or removes (value null) the table blocks whose headers stand at the given 1-based lines. A
     * block runs to the next header; comments just above the next header stay with that header.
     */
    static String editBlocks(String text, java.util.Map<Integer, String> byHeaderLine) {
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        List<Integer> headers = new ArrayList<>(byHeaderLine.keySet());
        headers.sort(java.util.Comparator.reverseOrder()); // from the bottom: earlier line numbers stay valid
        for (int header : headers) {
            int start = header - 1;
            int end = start + 1;
            while (end < lines.size() && !lines.get(end).strip().startsWith("[")) {
                end++;
            }
            while (end - 1 > start && (lines.get(end - 1).strip().startsWith("#") || lines.get(end - 1).isBlank())) {
                end--;
            }
            List<String> out = new ArrayList<>(lines.subList(0, start));
            String replacement = byHeaderLine.get(header);
            if (replacement != null) {
                out.addAll(Arrays.asList(replacement.stripTrailing().split("\n")));
            } else {
                while (!out.isEmpty() && out.get(out.size() - 1).isBlank()) {
                    out.remove(out.size() - 1); // no double blank line where the block was
                }
            }
            out.addAll(lines.subList(end, lines.size()));
            lines = out;
        }
        return String.join("\n", lines);
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
        sb.append("allowed_ips = [").append(p.allowedIpsText().stream().map(ip -> quote(ip))
                .collect(Collectors.joining(", "))).append("]\n");
        if (p.persistentKeepalive() != 0) {
            sb.append("persistent_keepalive = ").append(p.persistentKeepalive()).append('\n');
        }
        if (!p.enabled()) {
            sb.append("enabled = false\n");
        }
        if (p.expires() != null) {
            sb.append("expires = ").append(java.time.format.DateTimeFormatter.ISO_INSTANT.format(
                    p.expires().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))).append('\n');
        }
        return sb.toString();
    }

    /** A [[forward]] block as TOML text. */
    public static String render(PortForward f) {
        return "[[forward]]\n"
                + "protocol = " + quote(f.protocol()) + "\n"
                + "public_port = " + f.publicPort() + "\n"
                + "target_port = " + f.targetPort() + "\n"
                + "public_key = " + quote(f.peerKey().base64()) + "\n";
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
