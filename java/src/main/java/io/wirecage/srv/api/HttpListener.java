package io.wirecage.srv.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A Jetty listener with the limits every HTTP port of the server has (the API, the metrics): 4 KiB
 * headers, 10 s idle timeout, a minimum upload rate (no slow-loris), a connection limit, a bounded
 * thread pool, no server version; bound at once, so a taken port fails the start before the host is
 * touched, and served when the caller starts the returned server.
 */
public final class HttpListener {
    static final long IDLE_TIMEOUT_MS = 10_000;

    /** The listener: set a handler on {@code jetty}, then start it. */
    public record Bound(Server jetty, ServerConnector connector) {}

    private HttpListener() {}

    /**
     * @param name thread names, and what the error message calls the listener ("API", "metrics")
     * @param ssl TLS, or null for plain HTTP
     * @param hint appended to the error when the port cannot be bound (e.g. the flag that sets it)
     */
    public static Bound bind(String name, InetSocketAddress listen, SslContextFactory.Server ssl, int maxThreads,
                             int maxConnections, int acceptQueue, String hint) throws IOException {
        Bound b = build(name, listen, ssl, maxThreads, maxConnections, acceptQueue);
        try {
            b.connector().open();
        } catch (IOException e) {
            b.connector().close();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException("cannot listen for the " + name + " on " + ApiServer.describe(listen) + hint + ": "
                    + cause.getMessage(), e);
        }
        return b;
    }

    /** The same listener without a socket yet (also what the start-up warm-up builds and throws away). */
    static Bound build(String name, InetSocketAddress listen, SslContextFactory.Server ssl, int maxThreads,
                       int maxConnections, int acceptQueue) {
        // the queue is bounded in effect by the connection limit (Jetty warns against a bounded queue)
        QueuedThreadPool threads = new QueuedThreadPool(maxThreads, 2, 60_000);
        threads.setName(name.toLowerCase(java.util.Locale.ROOT));
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        jetty.setStopTimeout(2000);
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(4096);
        http.setResponseHeaderSize(4096);
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setIdleTimeout(IDLE_TIMEOUT_MS);
        http.setMinRequestDataRate(256); // bytes/s: a body trickled slower than that is cut off
        HttpConnectionFactory h1 = new HttpConnectionFactory(http);
        ConnectionFactory[] factories = ssl == null ? new ConnectionFactory[] {h1}
                : new ConnectionFactory[] {new SslConnectionFactory(ssl, h1.getProtocol()), h1};
        ServerConnector connector = new ServerConnector(jetty, 1, 1, factories);
        connector.setHost(listen.getAddress().getHostAddress());
        connector.setPort(listen.getPort());
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        connector.setAcceptQueueSize(acceptQueue);
        jetty.addConnector(connector);
        jetty.addBean(new NetworkConnectionLimit(maxConnections, jetty));
        return new Bound(jetty, connector);
    }
}
