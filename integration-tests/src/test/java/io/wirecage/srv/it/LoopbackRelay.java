package io.wirecage.srv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * Makes a loopback TCP port of a namespace (the web console's 127.0.0.1:51821 in the server namespace)
 * reachable on 127.0.0.1 of the root namespace, where the browser runs: socat accepts on root's
 * loopback and, per connection, runs a socat inside the namespace that connects to the port there.
 * Nothing listens beyond loopback.
 */
final class LoopbackRelay implements AutoCloseable {
    private final Background socat;
    private final int port;

    private LoopbackRelay(Background socat, int port) {
        this.socat = socat;
        this.port = port;
    }

    static LoopbackRelay start(Netns ns, int targetPort, Path workDir) {
        int port = freePort();
        Path hop = workDir.resolve("relay-" + targetPort + ".sh");
        try {
            Files.writeString(hop, "#!/bin/sh\nexec ip netns exec " + ns.name() + " socat STDIO TCP:127.0.0.1:" + targetPort + "\n");
            Files.setPosixFilePermissions(hop, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Background b = new Background(List.of("socat", "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork,backlog=64",
                "EXEC:" + hop), workDir.resolve("relay-" + targetPort + ".log"));
        LoopbackRelay r = new LoopbackRelay(b, port);
        boolean up = Poll.until(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        if (!up) {
            r.close();
            throw new AssertionError("the socat relay to " + ns + " port " + targetPort + " did not listen on 127.0.0.1:" + port
                    + "\n" + b.log());
        }
        return r;
    }

    int port() {
        return port;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        socat.close();
    }
}
