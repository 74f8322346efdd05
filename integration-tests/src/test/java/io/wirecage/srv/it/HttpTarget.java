package io.wirecage.srv.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An HTTP server in the internet namespace, bound to the address the clients target and serving
 * one known text file. It is python3's http.server with a listen backlog of 128 (the stock
 * {@code python3 -m http.server} has 5 and drops connections under concurrency) and a bounded
 * lifetime. Its log has one line per request, starting with the peer address the target saw.
 */
public final class HttpTarget implements AutoCloseable {

    public static final String FILE_NAME = "payload.txt";
    private static final String SCRIPT = """
            import functools, http.server, socket, sys, threading
            class Server(http.server.ThreadingHTTPServer):
                request_queue_size = 128
                daemon_threads = True
            addr, port, directory, lifetime = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
            if ":" in addr:
                Server.address_family = socket.AF_INET6
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
            srv = Server((addr, port), handler)
            threading.Timer(lifetime, srv.shutdown).start()
            print("http target serving on %s:%d" % (addr, port), flush=True)
            srv.serve_forever()
            """;

    private final Background process;
    private final String address;
    private final int port;
    private final String content;

    private HttpTarget(Background process, String address, int port, String content) {
        this.process = process;
        this.address = address;
        this.port = port;
        this.content = content;
    }

    /** Starts the target at {@link Topology#INTERNET_ADDR}:80 in the internet namespace. */
    public static HttpTarget start(Topology topology) {
        return topology.track(start(topology.internet(), Topology.INTERNET_ADDR, 80, topology.workDir()));
    }

    public static HttpTarget start(Netns ns, String address, int port, Path workDir) {
        try {
            Path dir = workDir.resolve("www");
            Files.createDirectories(dir);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 1200; i++) { // about 52 KB: many full-size packets through the tunnel
                sb.append(String.format("wirecagesrv end-to-end test payload, line %05d%n", i));
            }
            String content = sb.toString();
            Files.writeString(dir.resolve(FILE_NAME), content);
            Path script = workDir.resolve("http_target.py");
            Files.writeString(script, SCRIPT);
            Background bg = new Background(ns.wrap(List.of(Require.python(), "-u", script.toString(), address, "" + port,
                    dir.toString(), "1800")), workDir.resolve("http-target.log"));
            HttpTarget t = new HttpTarget(bg, address, port, content);
            bg.awaitLog("http target serving on", Duration.ofSeconds(15));
            // Serving from inside its own namespace proves the target itself works.
            Cmd.Result r = curl(ns, t.url());
            if (!r.ok() || !r.stdout().equals(content)) {
                t.close();
                throw new AssertionError("HTTP target does not serve its file locally:\n" + r.describe());
            }
            return t;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://" + (address.contains(":") ? "[" + address + "]" : address) + ":" + port + "/" + FILE_NAME;
    }

    /** The exact body a GET of {@link #url()} returns. */
    public String content() {
        return content;
    }

    /** Peer addresses of all requests the target has logged so far, in order. */
    public List<String> requestSources() {
        List<String> sources = new ArrayList<>();
        for (String line : Cmd.nonBlankLines(process.log())) {
            if (line.contains("\"GET ")) {
                sources.add(line.split("\\s+")[0]);
            }
        }
        return sources;
    }

    /** Peer addresses of the requests logged after the first {@code mark} requests. */
    public List<String> requestSourcesSince(int mark) {
        List<String> all = requestSources();
        return all.subList(Math.min(mark, all.size()), all.size());
    }

    /** How many requests the target has logged so far (a mark for {@link #requestSourcesSince}). */
    public int requestCount() {
        return requestSources().size();
    }

    public String log() {
        return process.log();
    }

    /** An HTTP GET with curl inside {@code ns}, bounded in time; the body is stdout. */
    public static Cmd.Result curl(Netns ns, String url) {
        return ns.cmd("curl", "--noproxy", "*", "-sS", "--fail", "--connect-timeout", "5", "--max-time", "15", url)
                .timeout(Duration.ofSeconds(25)).run();
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return "http target " + url();
    }
}
