package io.wirecage.srv.api;

import io.wirecage.srv.config.ApiSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP(S) listener of the registration API, on Jetty's core server (no servlets). Its limits, for a
 * port open to the internet: request headers 4 KiB, bodies 4 KiB, 10 s idle timeout, a minimum upload
 * rate (no slow-loris), 512 connections in all and 32 per source address, 16 worker threads, and the failed-request budget per source of {@link ApiHandler}. Errors that Jetty
 * answers itself (malformed HTTP, oversized headers) are JSON too.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    static final int MAX_CONNECTIONS = 512;
    static final int MAX_CONNECTIONS_PER_SOURCE = 32;
    /** Failed requests per source: 10 at once, then one per 6 s (10 per minute). */
    static final int FAILURE_BURST = 10;
    static final double SECONDS_PER_FAILURE = 6;

    private final Server jetty;
    private final ServerConnector connector;
    private final SslContextFactory.Server ssl;
    private final ApiSettings settings;
    private final PerSourceLimit perSource;

    private ApiServer(Server jetty, ServerConnector connector, SslContextFactory.Server ssl, ApiSettings settings,
                      PerSourceLimit perSource) {
        this.jetty = jetty;
        this.connector = connector;
        this.ssl = ssl;
        this.settings = settings;
        this.perSource = perSource;
    }

    /** Connections open from this source now (for tests). */
    int openConnectionsFrom(InetAddress a) {
        return perSource.openFrom(a);
    }

    /** Binds and starts the listener (for tests; the server binds early and starts late). */
    public static ApiServer start(ApiSettings settings, Registrar registrar) throws IOException {
        ApiServer api = bind(settings, registrar);
        try {
            api.start();
        } catch (IOException e) {
            try {
                api.close();
            } catch (Exception ignored) {
                // the start failure is the news
            }
            throw e;
        }
        return api;
    }

    /**
     * Builds the listener and binds its port, without serving yet: the server calls this before it
     * touches the host, so a taken port or bad TLS files fail the start with one clear line.
     */
    public static ApiServer bind(ApiSettings settings, Registrar registrar) throws IOException {
        SslContextFactory.Server ssl = null;
        if (settings.tls()) {
            warnIfReadable(settings.tlsKey());
            ssl = new SslContextFactory.Server();
            ssl.setKeyStore(PemKeyStore.load(settings.tlsCert(), settings.tlsKey()));
            ssl.setKeyStorePassword(new String(PemKeyStore.PASSWORD));
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        }
        HttpListener.Bound bound = HttpListener.bind("API", settings.listen(), ssl, 16, MAX_CONNECTIONS, 128, "");
        Server jetty = bound.jetty();
        ServerConnector connector = bound.connector();
        PerSourceLimit perSource = new PerSourceLimit(MAX_CONNECTIONS_PER_SOURCE);
        connector.addEventListener(perSource);
        jetty.setErrorHandler(new JsonErrors());
        SourceLimiter failures = new SourceLimiter(FAILURE_BURST, SECONDS_PER_FAILURE, 65_536, System::nanoTime);
        jetty.setHandler(new ApiHandler(registrar, settings.token(), failures));
        return new ApiServer(jetty, connector, ssl, settings, perSource);
    }

    /** Serves GET /metrics too, to requests with {@code Authorization: Bearer <the API token>}. */
    public void serveMetrics(io.wirecage.srv.metrics.Metrics metrics) {
        if (jetty.getHandler() instanceof ApiHandler h) {
            h.metrics = new io.wirecage.srv.metrics.MetricsServer.ScrapeHandler(metrics);
        }
    }

    /** Starts serving on the bound port. */
    public void start() throws IOException {
        try {
            jetty.start();
        } catch (Exception e) {
            throw new IOException("cannot start the API on " + describe(settings.listen()) + ": " + e.getMessage(), e);
        }
        if (ssl == null && !settings.listen().getAddress().isLoopbackAddress()) {
            log.warn("API serves plain HTTP on {}: the token crosses the network in clear; set tls_cert/tls_key "
                    + "(or put a TLS proxy in front) where the path is not trusted", describe(settings.listen()));
        }
    }

    /**
     * Builds (without starting) a throwaway listener on a background thread, so that Jetty's and
     * Jackson's classes load and initialise while the main thread sets up the TUN and the firewall: the
     * API then starts in a fraction of the cold time. Harmless if it loses the race or fails.
     */
    public static void preload() {
        Thread.ofPlatform().name("api-preload").daemon().start(() -> {
            try {
                HttpListener.Bound b = HttpListener.build("warm-up", new InetSocketAddress(0), null, 2, 1, 1);
                b.connector().addEventListener(new PerSourceLimit(1));
                b.jetty().setErrorHandler(new JsonErrors());
            } catch (RuntimeException | LinkageError e) {
                // only a warm-up
            }
            try {
                ApiHandler.json().writeValueAsBytes(java.util.Map.of("error", "warm-up"));
                ApiHandler.json().readTree("{\"token\":\"x\",\"n\":1}");
            } catch (IOException | RuntimeException e) {
                // only a warm-up
            }
        });
    }

    /** Reads the certificate and key once, so bad TLS files stop a start before anything is set up. */
    public static void checkTls(ApiSettings settings) throws IOException {
        if (settings.tls()) {
            PemKeyStore.load(settings.tlsCert(), settings.tlsKey());
        }
    }

    /** The port actually bound (for tests that listen on port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    public String url() {
        return (settings.tls() ? "https" : "http") + "://" + describe(new InetSocketAddress(settings.listen().getAddress(), port()));
    }

    /** Re-reads the certificate and key (after a renewal); a failure keeps the old ones and says why. */
    public void reloadTls() {
        if (ssl == null) {
            return;
        }
        try {
            var ks = PemKeyStore.load(settings.tlsCert(), settings.tlsKey());
            ssl.reload(f -> f.setKeyStore(ks));
            log.info("API certificate re-read from {}", settings.tlsCert());
        } catch (Exception e) {
            log.error("API certificate not re-read, keeping the old one: {}", e.getMessage());
        }
    }

    static String describe(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static void warnIfReadable(Path key) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(key);
            if (p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.GROUP_READ)) {
                log.warn("tls_key {} is readable by other users; chmod 600 it", key);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // PemKeyStore.load reports an unreadable file
        }
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
        connector.close(); // when it was bound but never started
    }

    /**
     * Closes a new connection when its source already has {@code max} open. The source is remembered per
     * connection: a closed endpoint no longer knows its remote address, so it cannot be asked at close.
     */
    static final class PerSourceLimit implements Connection.Listener {
        private final int max;
        private final Map<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
        private final Map<Connection, InetAddress> sources = new ConcurrentHashMap<>();

        PerSourceLimit(int max) {
            this.max = max;
        }

        @Override
        public void onOpened(Connection connection) {
            InetAddress a = connection.getEndPoint().getRemoteSocketAddress() instanceof InetSocketAddress isa
                    ? isa.getAddress() : null;
            if (a == null) {
                return;
            }
            sources.put(connection, a);
            int n = open.computeIfAbsent(a, k -> new AtomicInteger()).incrementAndGet();
            if (n > max) {
                connection.getEndPoint().close();
            }
        }

        @Override
        public void onClosed(Connection connection) {
            InetAddress a = sources.remove(connection);
            if (a != null) {
                open.computeIfPresent(a, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
            }
        }

        /** Connections open from this source (for tests). */
        int openFrom(InetAddress a) {
            AtomicInteger n = open.get(a);
            return n == null ? 0 : n.get();
        }
    }

    /** Jetty's own error answers (bad HTTP, 413, 431...) as {"error": "..."} instead of HTML. */
    static final class JsonErrors extends ErrorHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = response.getStatus() > 0 ? response.getStatus() : 500;
            Object s = request.getAttribute(ERROR_STATUS);
            if (s instanceof Integer i) {
                status = i;
            }
            ApiHandler.write(response, callback, Registrar.Reply.error(status, reason(status)));
            return true;
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONTENT_TYPE, "application/json");
            return ByteBuffer.wrap(("{\"error\":\"" + reason(status) + "\"}").getBytes(StandardCharsets.UTF_8));
        }

        private static String reason(int status) {
            String m = HttpStatus.getMessage(status);
            return m == null ? "error" : m.toLowerCase(java.util.Locale.ROOT);
        }
    }
}
