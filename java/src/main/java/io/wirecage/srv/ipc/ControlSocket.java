package io.wirecage.srv.ipc;

import com.sun.jna.Native;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one control socket of an instance: the cross-platform WireGuard UAPI on
 * {@code /var/run/wireguard/TUN.sock} (where {@code wg} looks for userspace implementations), a Unix
 * stream socket only its owner may use. A request is an operation line ({@code get=1}, {@code set=1}, or
 * one of ours: {@code reload=1}, {@code status=1}, {@code showconf=1}), then key=value lines, then a
 * blank line; the answer ends with {@code errno=N} and a blank line. A connection may carry several
 * requests, as with wireguard-go.
 *
 * <p>Limits: requests of at most {@value #MAX_REQUEST} bytes (a set of 10,000+ peers fits), lines of at
 * most {@value #MAX_LINE} bytes, {@value #TIMEOUT_SECONDS} s per connection; one connection at a time.
 */
public final class ControlSocket implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlSocket.class);
    /** Where wg and wg-quick look for a userspace implementation's socket (all namespaces share it). */
    public static final Path UAPI_DIR = Path.of("/var/run/wireguard");
    static final int MAX_REQUEST = 16 << 20;
    static final int MAX_LINE = 4096;
    static final int TIMEOUT_SECONDS = 10;

    /** One request: the operation (e.g. "get") and its key=value lines after the operation line. */
    public record Request(String op, String opValue, List<String[]> pairs) {}

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final Thread watcher;
    private final ScheduledExecutorService timeouts = Executors.newSingleThreadScheduledExecutor(r ->
            Thread.ofPlatform().name("control-socket-timeout").daemon().unstarted(r));
    private volatile boolean closing;

    private ControlSocket(Path path, ServerSocketChannel server, Function<Request, String> handler, Runnable onDeleted) {
        this.path = path;
        this.server = server;
        this.thread = Thread.ofPlatform().name("control-socket").daemon().start(() -> serve(handler));
        this.watcher = Thread.ofPlatform().name("control-socket-watch").daemon().start(() -> watch(onDeleted));
    }

    /** The socket of TUN in a directory (the UAPI directory, or the fallback run directory). */
    public static Path pathFor(Path dir, String tunName) {
        return dir.resolve(tunName + ".sock");
    }

    /**
     * Where a server with this TUN name binds: {@code /var/run/wireguard} when it can create its socket
     * there (root, or a directory it may write), else the run directory (a server without root: {@code wg}
     * does not find it there, {@code wirecagesrv status} does).
     */
    public static Path serverPath(Path runDir, String tunName) {
        try {
            if (!Files.isDirectory(UAPI_DIR)) {
                Files.createDirectories(UAPI_DIR); // 0755 under the usual umask, as wireguard-go makes it
            }
            if (Files.isWritable(UAPI_DIR)) {
                return pathFor(UAPI_DIR, tunName);
            }
        } catch (IOException | SecurityException e) {
            // not allowed to create /var/run/wireguard: use the run directory
        }
        return pathFor(runDir, tunName);
    }

    /** Where a client finds the server with this TUN name: the UAPI directory first, then the run directory. */
    public static Path clientPath(Path runDir, String tunName) {
        Path uapi = pathFor(UAPI_DIR, tunName);
        return Files.exists(uapi) || !Files.exists(pathFor(runDir, tunName)) ? uapi : pathFor(runDir, tunName);
    }

    /**
     * Binds the socket (mode 0600 from the start: bound under umask 077); a live socket of the same name
     * means another instance (or a wireguard-go) runs with this interface name; a dead one is a leftover.
     * {@code onDeleted} runs when someone deletes the socket file: the server stops, as wireguard-go does.
     */
    public static ControlSocket open(Path path, Function<Request, String> handler, Runnable onDeleted) throws IOException {
        Path dir = path.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path)) {
            if (isLive(path)) {
                throw new IOException("another WireGuard instance is running with this interface name (" + path + " answers)");
            }
            Files.delete(path); // left by a crashed run
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            int old = Umask.set(0077);
            try {
                ch.bind(UnixDomainSocketAddress.of(path));
            } finally {
                Umask.set(old);
            }
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        return new ControlSocket(path, ch, handler, onDeleted);
    }

    public Path path() {
        return path;
    }

    private static boolean isLive(Path path) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Sends one request (an operation line such as "get=1", then key=value lines) and returns the answer
     * up to and without its "errno=N" line; a non-zero errno throws IOException with the answer.
     */
    public static String request(Path path, String operation, String... lines) throws IOException {
        String answer;
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            StringBuilder req = new StringBuilder(operation).append('\n');
            for (String l : lines) {
                req.append(l).append('\n');
            }
            req.append('\n');
            ByteBuffer out = ByteBuffer.wrap(req.toString().getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                c.write(out);
            }
            c.shutdownOutput();
            answer = new String(readAll(c), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("no wirecagesrv answers on " + path + " (is it running with this --tun-name?): "
                    + e.getMessage(), e);
        }
        int at = answer.startsWith("errno=") ? 0 : answer.lastIndexOf("\nerrno=");
        if (at > 0) {
            at++;
        }
        if (at < 0) {
            throw new IOException("malformed answer from " + path + ": " + answer.strip());
        }
        String errno = answer.substring(at + "errno=".length()).strip();
        String body = answer.substring(0, at);
        if (!errno.equals("0")) {
            throw new Refused(body.isBlank() ? "the server refused '" + operation + "' (errno " + errno + ")" : body.strip());
        }
        return body;
    }

    private static byte[] readAll(SocketChannel c) throws IOException {
        var bytes = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (c.read(buf) >= 0) {
            bytes.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return bytes.toByteArray();
    }

    private void serve(Function<Request, String> handler) {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    log.debug("control socket accept failed: {}", e.getMessage());
                }
                continue;
            }
            // A connection lives at most TIMEOUT_SECONDS: a stalled client cannot hold the socket.
            ScheduledFuture<?> timeout = timeouts.schedule(() -> closeQuietly(c), TIMEOUT_SECONDS, TimeUnit.SECONDS);
            try (c) {
                LineReader in = new LineReader(c);
                Request req;
                while (true) {
                    try {
                        req = readRequest(in);
                    } catch (ProtocolException e) {
                        log.debug("control socket client sent a malformed request: {}", e.getMessage());
                        writeQuietly(c, "errno=" + Uapi.EPROTO_ANSWER + "\n\n");
                        break;
                    }
                    if (req == null) {
                        break;
                    }
                    String answer;
                    try {
                        answer = handler.apply(req);
                    } catch (RuntimeException e) {
                        log.warn("control socket request {} failed: {}", req.op(), e.getMessage());
                        answer = "errno=" + Uapi.EIO + "\n\n";
                    }
                    ByteBuffer out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
                    while (out.hasRemaining()) {
                        c.write(out);
                    }
                }
            } catch (IOException e) {
                if (server.isOpen()) {
                    log.debug("control socket client failed: {}", e.getMessage());
                }
            } finally {
                timeout.cancel(false);
            }
        }
    }

    /** Reads one request; null at a clean end of the connection. */
    static Request readRequest(LineReader in) throws IOException {
        in.resetCount();
        String first = in.readLine();
        if (first == null) {
            return null;
        }
        int eq = first.indexOf('=');
        if (eq <= 0) {
            throw new ProtocolException("the first line of a request must be an operation such as get=1");
        }
        List<String[]> pairs = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            int e = line.indexOf('=');
            if (e <= 0) {
                throw new ProtocolException("a line without key=value");
            }
            pairs.add(new String[] {line.substring(0, e), line.substring(e + 1)});
        }
        if (line == null) {
            throw new ProtocolException("the request did not end with a blank line");
        }
        return new Request(first.substring(0, eq), first.substring(eq + 1), pairs);
    }

    /** The server answered with a non-zero errno; the message is its answer (or the errno). */
    public static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    static final class ProtocolException extends IOException {
        ProtocolException(String message) {
            super(message);
        }
    }

    /** Reads \n-terminated lines from a channel, within the line and request size limits. */
    static final class LineReader {
        private final java.nio.channels.ReadableByteChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(65536);
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private long total;

        LineReader(java.nio.channels.ReadableByteChannel ch) {
            this.ch = ch;
            buf.flip();
        }

        /** The next line without its \n; null at end of stream before any byte of a line. */
        String readLine() throws IOException {
            line.reset();
            while (true) {
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (++total > MAX_REQUEST) {
                        throw new ProtocolException("request larger than " + MAX_REQUEST + " bytes");
                    }
                    if (b == '\n') {
                        return line.toString(StandardCharsets.UTF_8);
                    }
                    if (line.size() >= MAX_LINE) {
                        throw new ProtocolException("line longer than " + MAX_LINE + " bytes");
                    }
                    line.write(b);
                }
                buf.clear();
                int n = ch.read(buf);
                buf.flip();
                if (n < 0) {
                    if (line.size() > 0) {
                        throw new ProtocolException("the connection ended inside a line");
                    }
                    return null;
                }
            }
        }

        /** Starts the size count of the next request. */
        void resetCount() {
            total = 0;
        }
    }

    private void watch(Runnable onDeleted) {
        while (!closing) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            if (!closing && !Files.exists(path)) {
                log.warn("control socket {} was deleted: stopping, as wireguard-go does", path);
                onDeleted.run();
                return;
            }
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // already closed
        }
    }

    private static void writeQuietly(SocketChannel c, String s) {
        try {
            ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                c.write(b);
            }
        } catch (IOException e) {
            // the client is gone
        }
    }

    /** umask(2), so the socket is never briefly reachable by others between bind and chmod. */
    static final class Umask {
        static {
            Native.register("c");
        }

        private Umask() {}

        static native int umask(int mask);

        static int set(int mask) {
            return umask(mask);
        }
    }

    @Override
    public void close() throws IOException {
        closing = true;
        watcher.interrupt();
        server.close();
        Files.deleteIfExists(path);
        timeouts.shutdownNow();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
