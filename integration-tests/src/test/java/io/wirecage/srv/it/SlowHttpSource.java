package io.wirecage.srv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An HTTP server in the internet namespace that sends one known text body slowly: a fixed number of
 * lines every tick, so a GET lasts (lines / linesPerTick) ticks however fast the path is. (curl's
 * own --limit-rate is not dependable for this: curl 7.88 overshoots it by a varying factor.)
 * Every GET path returns the same body, with a Content-Length, so a cut transfer is visible.
 */
public final class SlowHttpSource implements AutoCloseable {

    private static final String SCRIPT = """
            import http.server, sys, threading, time
            addr, port = sys.argv[1], int(sys.argv[2])
            lines, per_tick, tick, lifetime = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
            def chunk(start, end):
                return b"".join(b"slow transfer line %07d\\n" % i for i in range(start, end))
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(chunk(0, 1)) * lines))
                    self.end_headers()
                    t0 = time.monotonic()
                    for start in range(0, lines, per_tick):
                        self.wfile.write(chunk(start, min(lines, start + per_tick)))
                        self.wfile.flush()
                        time.sleep(tick)
                    print("sent %d lines to %s in %.1f s" % (lines, self.client_address[0], time.monotonic() - t0), flush=True)
            class Server(http.server.ThreadingHTTPServer):
                daemon_threads = True
            srv = Server((addr, port), Handler)
            threading.Timer(lifetime, srv.shutdown).start()
            print("slow source serving on %s:%d" % (addr, port), flush=True)
            srv.serve_forever()
            """;

    private final Background process;
    private final String url;
    private final String body;
    private final Duration nominal;

    private SlowHttpSource(Background process, String url, String body, Duration nominal) {
        this.process = process;
        this.url = url;
        this.body = body;
        this.nominal = nominal;
    }

    /**
     * Starts the source at {@link Topology#INTERNET_ADDR}:{@code port} (tracked by the topology): a GET
     * returns {@code lines} lines of 27 bytes, {@code linesPerTick} of them every {@code tick}.
     */
    public static SlowHttpSource start(Topology topology, int port, int lines, int linesPerTick, Duration tick) {
        try {
            Path script = topology.workDir().resolve("slow_source.py");
            Files.writeString(script, SCRIPT);
            Background bg = new Background(topology.internet().wrap(List.of(Require.python(), "-u", script.toString(),
                    Topology.INTERNET_ADDR, "" + port, "" + lines, "" + linesPerTick, "" + tick.toMillis() / 1000.0, "1800")),
                    topology.workDir().resolve("slow-source.log"));
            StringBuilder sb = new StringBuilder(lines * 27);
            for (int i = 0; i < lines; i++) {
                sb.append(String.format("slow transfer line %07d\n", i));
            }
            long ticks = (lines + linesPerTick - 1) / linesPerTick;
            SlowHttpSource s = topology.track(new SlowHttpSource(bg, "http://" + Topology.INTERNET_ADDR + ":" + port + "/slow",
                    sb.toString(), tick.multipliedBy(ticks)));
            bg.awaitLog("slow source serving on", Duration.ofSeconds(15));
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return url;
    }

    /** The exact body of every GET. */
    public String body() {
        return body;
    }

    /** How long a GET lasts at least: ticks times the tick. */
    public Duration nominalDuration() {
        return nominal;
    }

    public String log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
