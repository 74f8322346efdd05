package io.wirecage.srv.metrics;

import io.wirecage.srv.api.HttpListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedicated metrics listener ({@code --metrics-listen}, loopback by default): {@code GET /metrics}
 * only, on Jetty (the server's HTTP stack already). Bounded: 16 connections, 4 KiB request headers, no
 * body, 10 s idle timeout, one scrape at a time and at most {@value #SCRAPES_PER_SECOND} per second
 * (more get 429), four worker threads.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    static final int SCRAPES_PER_SECOND = 5;
    static final int MAX_CONNECTIONS = 16;

    private final Server jetty;
    private final ServerConnector connector;
    private final ScrapeHandler handler = new ScrapeHandler();

    private MetricsServer(Server jetty, ServerConnector connector) {
        this.jetty = jetty;
        this.connector = connector;
        jetty.setHandler(handler);
    }

    /** Binds the port without serving (a taken port fails the start before the host is touched). */
    public static MetricsServer bind(InetSocketAddress listen) throws IOException {
        HttpListener.Bound bound = HttpListener.bind("metrics", listen, null, 6, MAX_CONNECTIONS, 16,
                " (--metrics-listen; 'none' turns it off)");
        Server jetty = bound.jetty();
        ServerConnector connector = bound.connector();
        return new MetricsServer(jetty, connector);
    }

    /** Serves these metrics from now on. */
    public void start(Metrics metrics) throws IOException {
        handler.metrics = metrics;
        try {
            jetty.start();
        } catch (Exception e) {
            throw new IOException("cannot start the metrics listener: " + e.getMessage(), e);
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** GET /metrics with the scrape limits; shared with the API listener (which authenticates first). */
    public static final class ScrapeHandler extends Handler.Abstract {
        volatile Metrics metrics;
        private final Semaphore one = new Semaphore(1);
        private final AtomicLong lastStart = new AtomicLong(System.nanoTime() - 1_000_000_000L);

        public ScrapeHandler() {
        }

        public ScrapeHandler(Metrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!"/metrics".equals(request.getHttpURI().getPath())) {
                return text(response, callback, 404, "not found: metrics are at /metrics\n");
            }
            if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
                return text(response, callback, 405, "method not allowed\n");
            }
            return scrape(request, response, callback);
        }

        /** Writes one scrape (the caller has checked path, method and, on the API, the token). */
        public boolean scrape(Request request, Response response, Callback callback) {
            Metrics m = metrics;
            if (m == null) {
                return text(response, callback, 503, "not ready\n");
            }
            long now = System.nanoTime();
            long last = lastStart.get();
            if (now - last < 1_000_000_000L / SCRAPES_PER_SECOND || !lastStart.compareAndSet(last, now)
                    || !one.tryAcquire()) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                return text(response, callback, 429, "too many scrapes\n");
            }
            byte[] body;
            try {
                ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 16);
                m.write(buf);
                body = buf.toByteArray();
            } catch (IOException | RuntimeException e) {
                log.warn("metrics scrape failed: {}", e.toString());
                return text(response, callback, 500, "scrape failed\n");
            } finally {
                one.release();
            }
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, m.contentType());
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.write(true, ByteBuffer.wrap(body), callback);
            return true;
        }

        static boolean text(Response response, Callback callback, int status, String body) {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
        connector.close();
    }
}
