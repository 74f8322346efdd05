package io.wirecage.srv.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.api.RawHttp;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The metrics listener's limits on loopback: wrong path or method, too many scrapes, oversized or malformed requests. */
class MetricsServerTest {
    private MetricsServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private int get(HttpClient client, String method, String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
        return client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private String raw(String request) throws Exception {
        return RawHttp.exchange(server.port(), request);
    }

    @Test
    void scrapesAreServedAndEveryOtherRequestIsRefusedWithA4xx() throws Exception {
        Device device = new Device(Identity.create(Keys.generatePrivateKey(), 100), null, null);
        server = MetricsServer.bind(new InetSocketAddress("127.0.0.1", 0));
        server.start(new Metrics("wg-test", device));
        HttpClient client = HttpClient.newHttpClient();

        assertThat(get(client, "GET", "/metrics")).isEqualTo(200);
        assertThat(get(client, "GET", "/")).isEqualTo(404);
        assertThat(get(client, "POST", "/metrics")).isEqualTo(405);
        // more than a few scrapes at once: the rest are refused
        java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<Void>>> burst = new java.util.ArrayList<>();
        for (int i = 0; i < 2 * MetricsServer.SCRAPES_PER_SECOND; i++) {
            burst.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()));
        }
        long refused = burst.stream().map(java.util.concurrent.CompletableFuture::join).filter(r -> r.statusCode() == 429).count();
        assertThat(refused).isPositive();
        // oversized and malformed requests never reach the scrape
        assertThat(raw("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + "a".repeat(8000) + "\r\n\r\n")).startsWith("HTTP/1.1 431");
        assertThat(raw("GET /metrics HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n")).startsWith("HTTP/1.1 400");
    }
}
