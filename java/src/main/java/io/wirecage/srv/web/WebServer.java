package io.wirecage.srv.web;

import io.wirecage.srv.api.HttpListener;
import io.wirecage.srv.api.PemKeyStore;
import io.wirecage.srv.api.SourceLimiter;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.WebSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' web console: a Jetty listener from {@link HttpListener} (4 KiB headers, 10 s idle
 * timeout, minimum upload rate, 64 connections, 8 threads), bound before the host is touched and
 * served after the data path runs. Forms are limited to 8 KiB; failed logins to 10 per source, then
 * one per minute.
 */
public final class WebServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebServer.class);
    static final int MAX_CONNECTIONS = 64;
    static final int LOGIN_FAILURES = 10;
    static final double SECONDS_PER_LOGIN_FAILURE = 60;

    private final Server jetty;
    private final ServerConnector connector;
    private final WebSettings settings;
    private final Path configFile;
    private final String endpoint;
    private RateSampler sampler;

    private WebServer(Server jetty, ServerConnector connector, WebSettings settings, Path configFile, String endpoint) {
        this.jetty = jetty;
        this.connector = connector;
        this.settings = settings;
        this.configFile = configFile;
        this.endpoint = endpoint;
    }

    /**
     * Binds the port (a taken port or bad TLS files fail the start with one line).
     *
     * @param endpoint the WireGuard endpoint written into new clients' configs (HOST:PORT)
     */
    public static WebServer bind(WebSettings settings, Path configFile, String endpoint) throws IOException {
        SslContextFactory.Server ssl = null;
        if (settings.tls()) {
            ssl = new SslContextFactory.Server();
            ssl.setKeyStore(PemKeyStore.load(settings.tlsCert(), settings.tlsKey()));
            ssl.setKeyStorePassword(new String(PemKeyStore.PASSWORD));
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        }
        HttpListener.Bound b = HttpListener.bind("web console", settings.listen(), ssl, 8, MAX_CONNECTIONS, 64, " ([web] listen)");
        return new WebServer(b.jetty(), b.connector(), settings, configFile, endpoint);
    }

    /** Serves the console for this running server. */
    public void start(Live live) throws IOException {
        RateHistory history = new RateHistory();
        sampler = new RateSampler(live.device(), history);
        ConfigView view = new ConfigView(configFile);
        OneTimeLinks links = new OneTimeLinks(System::nanoTime);
        Dashboard dashboard = new Dashboard(live, view, history, endpoint, System.nanoTime());
        Actions actions = new Actions(configFile, live, endpoint, links, Instant::now);
        SourceLimiter logins = new SourceLimiter(LOGIN_FAILURES, SECONDS_PER_LOGIN_FAILURE, 4096, System::nanoTime);
        // the hash as now written: `wirecagesrv web-password` takes effect without a restart; a file that
        // cannot be read or parsed right now (an edit in progress) leaves the hash the server started with
        java.util.function.Supplier<String> hash = () -> {
            try {
                ConfigFile cfg = view.current();
                return cfg.web().passwordHash(); // null (hash removed): no login succeeds
            } catch (IOException | RuntimeException e) {
                return settings.passwordHash();
            }
        };
        jetty.setHandler(new WebHandler(new Sessions(System::nanoTime), logins, hash, dashboard, actions, links, settings.tls()));
        try {
            jetty.start();
        } catch (Exception e) {
            throw new IOException("cannot start the web console on " + url() + ": " + e.getMessage(), e);
        }
        if (!settings.tls() && !settings.listen().getAddress().isLoopbackAddress()) {
            log.warn("web console serves plain HTTP on {}: the password and client keys cross the network in clear; "
                    + "set [web] tls_cert/tls_key (or put a TLS proxy in front)", url());
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    public String url() {
        String host = settings.listen().getAddress().getHostAddress();
        return (settings.tls() ? "https" : "http") + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + (connector.getLocalPort() > 0 ? connector.getLocalPort() : settings.listen().getPort());
    }

    @Override
    public void close() throws Exception {
        if (sampler != null) {
            sampler.close();
        }
        jetty.stop();
        connector.close();
    }
}
