package io.wirecage.srv.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A TCP and a UDP service that answer every caller with the caller's address as they see it (to prove
 * that a port forward keeps the real source), and the matching one-shot client. Both bounded in time.
 */
public final class WhoCalled implements AutoCloseable {
    private static final String SERVER = """
            import socket, sys, threading, time
            addr, tcp_port, udp_port, lifetime = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
            t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((addr, tcp_port)); t.listen(64)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, udp_port))
            def tcp():
                while True:
                    c, peer = t.accept()
                    c.sendall((peer[0] + "\\n").encode()); c.close()
            def udp():
                while True:
                    data, peer = u.recvfrom(2048)
                    u.sendto((peer[0] + "\\n").encode(), peer)
            threading.Thread(target=tcp, daemon=True).start()
            threading.Thread(target=udp, daemon=True).start()
            print("who-called serving", flush=True)
            time.sleep(lifetime)
            """;
    private static final String CLIENT = """
            import socket, sys
            proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            if proto == "tcp":
                s = socket.create_connection((host, port), timeout=3)
                print(s.recv(100).decode().strip())
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
                for _ in range(3):  # UDP may lose the first datagram while a session forms
                    s.sendto(b"who?", (host, port))
                    try:
                        print(s.recvfrom(100)[0].decode().strip()); break
                    except socket.timeout:
                        pass
                else:
                    sys.exit("no UDP answer")
            """;

    private final Background process;

    private WhoCalled(Background process) {
        this.process = process;
    }

    public static WhoCalled start(Topology topo, Netns ns, String addr, int tcpPort, int udpPort) {
        try {
            Path script = topo.workDir().resolve("who_called_" + tcpPort + ".py");
            Files.writeString(script, SERVER);
            WhoCalled w = topo.track(new WhoCalled(new Background(ns.wrap(List.of(Require.python(), "-u", script.toString(),
                    addr, "" + tcpPort, "" + udpPort, "600")), topo.workDir().resolve("who-called-" + tcpPort + ".log"))));
            w.process.awaitLog("who-called serving", Duration.ofSeconds(10));
            return w;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Asks host:port over tcp or udp from {@code ns}; ok() with the address the service saw, or a failure. */
    public static Cmd.Result ask(Topology topo, Netns ns, String proto, String host, int port) {
        try {
            Path script = topo.workDir().resolve("who_called_client.py");
            Files.writeString(script, CLIENT);
            return ns.cmd(Require.python(), script.toString(), proto, host, "" + port).timeout(Duration.ofSeconds(15)).run();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.close();
    }
}
