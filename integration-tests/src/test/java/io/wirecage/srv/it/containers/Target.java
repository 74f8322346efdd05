package io.wirecage.srv.it.containers;

import java.util.ArrayList;
import java.util.List;

/**
 * The "internet" host: on the wan network only (reached from clients only through the server's
 * NAT). Serves /srv over HTTP on its own address, port 8080 (a threading server with a backlog of
 * 128, unlike python3 -m http.server's 5; it logs every request with the peer address), with
 * {@code index.html} and {@code big.bin}, SIZE_MIB of random bytes whose sha256 is known. Has
 * NET_ADMIN for iptables rules that count what arrives (it sees a packet or it does not).
 */
final class Target {

    static final int HOST = 3;
    static final int HTTP_PORT = 8080;
    static final String LOG = "/tmp/http.log";
    private static final String SERVER_PY = """
            import functools, http.server, sys
            class Server(http.server.ThreadingHTTPServer):
                request_queue_size = 128
                daemon_threads = True
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory="/srv")
            Server((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
            """;

    final Node node;
    final String ip;
    final String bigSha256;
    final long bigBytes;

    private Target(Node node, String ip, String bigSha256, long bigBytes) {
        this.node = node;
        this.ip = ip;
        this.bigSha256 = bigSha256;
        this.bigBytes = bigBytes;
    }

    static Target start(Lab lab, int sizeMiB) {
        Node node = lab.start("target", ContainerEnv.CLIENT_IMAGE, "wan", HOST,
                c -> c.withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withCapAdd(com.github.dockerjava.api.model.Capability.NET_ADMIN)));
        lab.onFailureDump(() -> "[ct] ---- target http log ----\n" + node.exec(10, "tail", "-n", "30", LOG).out());
        String ip = node.ip("wan");
        node.put("/opt/httpd.py", SERVER_PY, 0644);
        node.sh(60, "mkdir -p /srv && echo hello-from-target >/srv/index.html && "
                + "head -c " + (sizeMiB * 1024L * 1024L) + " /dev/urandom >/srv/big.bin").check();
        String sha = node.exec(30, "sha256sum", "/srv/big.bin").check().out().split("\\s+")[0];
        node.background("exec python3 -u /opt/httpd.py " + ip + " " + HTTP_PORT, LOG);
        Target t = new Target(node, ip, sha, sizeMiB * 1024L * 1024L);
        // Ready when it answers on its own address (bounded: 50 x 0.2 s).
        Result r = null;
        for (int i = 0; i < 50; i++) {
            r = node.exec(5, "curl", "-sS", "--max-time", "2", t.url("index.html?ready"));
            if (r.ok()) {
                break;
            }
            Lab.sleep(200);
        }
        if (r == null || !r.ok()) {
            throw new AssertionError("the target's HTTP server did not come up: " + (r == null ? "" : r.describe())
                    + "\n" + node.exec(5, "cat", LOG).out());
        }
        return t;
    }

    String url(String path) {
        return "http://" + ip + ":" + HTTP_PORT + "/" + path;
    }

    /** Peer addresses of the logged requests whose line contains MARKER (e.g. a query string). */
    List<String> requestSources(String marker) {
        List<String> sources = new ArrayList<>();
        for (String line : node.exec(10, "cat", LOG).out().split("\n")) {
            if (line.contains(marker)) {
                sources.add(line.split("\\s+")[0]);
            }
        }
        return sources;
    }

    /** Adds an iptables rule counting ICMP echo requests of IP total length LENGTH (ping -s LENGTH-28). */
    void countEchoRequests(int length) {
        node.exec(10, "iptables", "-A", "INPUT", "-p", "icmp", "--icmp-type", "echo-request",
                "-m", "length", "--length", "" + length).check();
    }

    long echoRequests(int length) {
        String out = node.exec(10, "iptables", "-L", "INPUT", "-v", "-n", "-x").check().out();
        for (String line : out.split("\n")) {
            if (line.matches(".*\\blength " + length + "\\b.*")) {
                return Long.parseLong(line.trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no counting rule for length " + length + ":\n" + out);
    }
}
