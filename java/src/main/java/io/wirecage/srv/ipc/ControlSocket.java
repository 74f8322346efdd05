package io.wirecage.srv.ipc;

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
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A root-only Unix socket per instance (/run/wirecagesrv/TUN.sock), like wireguard-go's UAPI socket:
 * a client writes one command line and reads the answer until the server closes the connection.
 */
public final class ControlSocket implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlSocket.class);
    private static final int MAX_REQUEST = 4096;

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread thread;

    private ControlSocket(Path path, ServerSocketChannel server, Function<String, String> handler) {
        this.path = path;
        this.server = server;
        this.thread = Thread.ofPlatform().name("control-socket").daemon().start(() -> serve(handler));
    }

    public static Path pathFor(Path stateDir, String tunName) {
        return stateDir.resolve(tunName + ".sock");
    }

    /** Binds the socket; a live socket of the same name means another instance runs with this TUN name. */
    public static ControlSocket open(Path path, Function<String, String> handler) throws IOException {
        Path dir = path.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path)) {
            if (isLive(path)) {
                throw new IOException("another wirecagesrv is running with this TUN name (" + path + " answers)");
            }
            Files.delete(path); // left by a crashed run
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        return new ControlSocket(path, ch, handler);
    }

    private static boolean isLive(Path path) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends one command and returns the whole answer. */
    public static String request(Path path, String command) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            c.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            c.shutdownOutput();
            return new String(readAll(c), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("no wirecagesrv answers on " + path + " (is it running with this --tun-name?): "
                    + e.getMessage(), e);
        }
    }

    private static byte[] readAll(SocketChannel c) throws IOException {
        var bytes = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (c.read(buf) >= 0) {
            bytes.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return bytes.toByteArray();
    }

    private void serve(Function<String, String> handler) {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                ByteBuffer req = ByteBuffer.allocate(MAX_REQUEST);
                while (req.hasRemaining() && c.read(req) >= 0) {
                    if (new String(req.array(), 0, req.position(), StandardCharsets.UTF_8).indexOf('\n') >= 0) {
                        break;
                    }
                }
                String line = new String(req.array(), 0, req.position(), StandardCharsets.UTF_8).strip();
                String answer;
                try {
                    answer = handler.apply(line);
                } catch (RuntimeException e) {
                    answer = "error=" + e.getMessage() + "\n";
                }
                ByteBuffer out = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
                while (out.hasRemaining()) {
                    c.write(out);
                }
            } catch (IOException e) {
                if (server.isOpen()) {
                    log.debug("control socket client failed: {}", e.getMessage());
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(path);
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
