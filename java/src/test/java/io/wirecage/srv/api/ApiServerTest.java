package io.wirecage.srv.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP contract over a real listener on loopback: status codes, error strings, limits. */
class ApiServerTest {
    @TempDir
    Path dir;

    private ApiServer api;
    private FakeServer srv;

    private ApiServer start() throws Exception {
        srv = new FakeServer(dir, "10.200.100.0/24", "");
        api = ApiServer.start(srv.apiSettings(0, 30), srv.registrar(30));
        return api;
    }

    @AfterEach
    void stop() throws Exception {
        if (api != null) {
            api.close();
        }
    }

    record Answer(int status, JsonNode json, HttpResponse<String> raw) {
        String error() {
            return json.path("error").asText(null);
        }
    }

    private Answer call(String method, String path, String body) throws Exception {
        return call(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), method, path, body);
    }

    private Answer call(HttpClient client, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("content-type")).as("%s %s", method, path).hasValue("application/json");
        return new Answer(r.statusCode(), ApiHandler.json().readTree(r.body()), r);
    }

    private static String register(String token, String key) {
        return "{\"token\":\"" + token + "\",\"client_public_key\":\"" + key + "\"}";
    }

    private static String forward(String key, String protocol, Object publicPort, Object targetPort) {
        return "{\"token\":\"" + FakeServer.TOKEN + "\",\"client_public_key\":\"" + key + "\",\"protocol\":\"" + protocol
                + "\",\"public_port\":" + publicPort + ",\"target_port\":" + targetPort + "}";
    }

    @Test
    void registerAndPortForwardOverHttpWithEveryStatusCode() throws Exception {
        start();
        String k = FakeServer.key(1).base64();
        Answer reg = call("POST", "/v1/register", register(FakeServer.TOKEN, k));
        assertThat(reg.status()).isEqualTo(200);
        assertThat(reg.json().get("client_address").asText()).isEqualTo("10.200.100.2/24");
        assertThat(reg.json().get("server_public_key").asText()).isEqualTo(FakeServer.SERVER_KEY.base64());
        assertThat(reg.json().get("server_endpoint").asText()).isEqualTo("vpn.example.com:51820");
        assertThat(call("POST", "/v1/register", register(FakeServer.TOKEN, k)).json()).isEqualTo(reg.json());
        // unknown fields are ignored, as the client ignores ours
        assertThat(call("POST", "/v1/register", "{\"token\":\"" + FakeServer.TOKEN + "\",\"client_public_key\":\"" + k
                + "\",\"client_version\":\"1.2\"}").status()).isEqualTo(200);

        Answer badKey = call("POST", "/v1/register", register(FakeServer.TOKEN, "abc"));
        assertThat(badKey.status()).isEqualTo(400);
        assertThat(badKey.error()).isEqualTo("invalid client public key");
        Answer badToken = call("POST", "/v1/register", register("wrong-token-wrong-token", k));
        assertThat(badToken.status()).isEqualTo(401);
        assertThat(badToken.raw().body()).isEqualTo("{\"error\":\"invalid token\"}");

        Answer fwd = call("POST", "/v1/portforward", forward(k, "tcp", 8080, 80));
        assertThat(fwd.status()).isEqualTo(201);
        assertThat(fwd.raw().body()).isEqualTo("{\"public_port\":8080,\"protocol\":\"tcp\",\"target_port\":80,\"peer_ip\":\"10.200.100.2\"}");
        assertThat(call("POST", "/v1/portforward", forward(FakeServer.key(9).base64(), "tcp", 8081, 80)).error()).isEqualTo("peer not found");
        Answer low = call("POST", "/v1/portforward", forward(k, "tcp", 80, 80));
        assertThat(low.status()).isEqualTo(400);
        assertThat(low.error()).isEqualTo("public port must be >= 1024");
        Answer proto = call("POST", "/v1/portforward", forward(k, "icmp", 8082, 80));
        assertThat(proto.status()).isEqualTo(400);
        assertThat(proto.error()).isEqualTo("protocol must be 'tcp' or 'udp'");
        Answer taken = call("POST", "/v1/portforward", forward(k, "tcp", 8080, 81));
        assertThat(taken.status()).isEqualTo(409);
        assertThat(taken.error()).isEqualTo("port already in use");
        Answer stringPort = call("POST", "/v1/portforward", forward(k, "tcp", "\"8083\"", 80));
        assertThat(stringPort.status()).isEqualTo(400);
        assertThat(call("POST", "/v1/portforward", forward(k, "tcp", 8083.5, 80)).status()).isEqualTo(400);
        assertThat(call("POST", "/v1/portforward", "{\"token\":\"nope-nope-nope-nope\",\"protocol\":\"tcp\",\"public_port\":9,\"target_port\":9}")
                .status()).isEqualTo(401);

        String del = "{\"token\":\"" + FakeServer.TOKEN + "\",\"protocol\":\"tcp\",\"public_port\":8080}";
        Answer removed = call("DELETE", "/v1/portforward", del);
        assertThat(removed.status()).isEqualTo(200);
        assertThat(removed.raw().body()).isEqualTo("{\"status\":\"removed\"}");
        Answer gone = call("DELETE", "/v1/portforward", del);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.error()).isEqualTo("port forward not found");
        assertThat(call("DELETE", "/v1/portforward", del.replace(FakeServer.TOKEN, "bad-token-bad-token")).status()).isEqualTo(401);
        assertThat(srv.load().forwards()).isEmpty();

        // the subnet runs out: 503
        FakeServer tiny = new FakeServer(Files.createDirectory(dir.resolve("tiny")), "10.9.0.0/30", "");
        api.close();
        api = ApiServer.start(tiny.apiSettings(0, 30), tiny.registrar(30));
        assertThat(call("POST", "/v1/register", register(FakeServer.TOKEN, FakeServer.key(1).base64())).status()).isEqualTo(200);
        Answer full = call("POST", "/v1/register", register(FakeServer.TOKEN, FakeServer.key(2).base64()));
        assertThat(full.status()).isEqualTo(503);
        assertThat(full.error()).isEqualTo("no IPs available");
    }

    @Test
    void hostileRequestsGetJsonErrorsAndChangeNothing() throws Exception {
        start();
        String before = Files.readString(srv.file);
        String k = FakeServer.key(1).base64();
        Answer notFound = call("GET", "/", null);
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.error()).isEqualTo("not found");
        Answer method = call("GET", "/v1/register", null);
        assertThat(method.status()).isEqualTo(405);
        assertThat(method.error()).isEqualTo("method not allowed");
        assertThat(call("PUT", "/v1/portforward", "{}").status()).isEqualTo(405);
        assertThat(call("POST", "/v1/register", "{\"token\": ").error()).isEqualTo("invalid JSON body");
        assertThat(call("POST", "/v1/register", "[1,2]").error()).isEqualTo("invalid JSON body");
        assertThat(call("POST", "/v1/register", "").error()).isEqualTo("invalid JSON body");
        assertThat(call("POST", "/v1/register", "{\"token\":\"" + FakeServer.TOKEN + "\",\"token\":\"x\",\"client_public_key\":\"" + k + "\"}")
                .error()).isEqualTo("invalid JSON body"); // duplicate keys are refused, not "last one wins"
        assertThat(call("POST", "/v1/register", "{\"token\":12345,\"client_public_key\":\"" + k + "\"}").status()).isEqualTo(401);
        Answer big = call("POST", "/v1/register", register(FakeServer.TOKEN, k).replace("}", ",\"pad\":\"" + "x".repeat(5000) + "\"}"));
        assertThat(big.status()).isEqualTo(413);
        assertThat(Files.readString(srv.file)).isEqualTo(before);

        // malformed HTTP, answered by Jetty itself: still JSON
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), api.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String resp = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(resp).startsWith("HTTP/1.1 400").contains("application/json").contains("{\"error\":");
        }
    }

    @Test
    void repeatedBadTokensFromOneSourceGet429WithRetryAfterWhileOtherSourcesGoOn() throws Exception {
        start();
        String k = FakeServer.key(1).base64();
        for (int i = 0; i < ApiServer.FAILURE_BURST; i++) {
            assertThat(call("POST", "/v1/register", register("guess-number-" + i + "-xxxxxxxx", k)).status()).isEqualTo(401);
        }
        Answer limited = call("POST", "/v1/register", register("guess-number-11-xxxxxxxx", k));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.error()).isEqualTo("too many failed attempts, try again later");
        assertThat(limited.raw().headers().firstValue("retry-after")).isPresent();
        // even the right token is not tried from a source that is out of budget
        assertThat(call("POST", "/v1/register", register(FakeServer.TOKEN, k)).status()).isEqualTo(429);
        assertThat(srv.load().peers()).isEmpty();
        // another source address (all of 127/8 is loopback) is not affected
        HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
        assertThat(call(other, "POST", "/v1/register", register(FakeServer.TOKEN, k)).status()).isEqualTo(200);
    }

    /** One request on its own connection (Connection: close); the whole raw response. */
    private String raw(String head, byte[]... bodyParts) throws Exception {
        return raw(head, 200, bodyParts);
    }

    private String raw(String head, long pauseMillis, byte[]... bodyParts) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), api.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (byte[] part : bodyParts) {
                Thread.sleep(pauseMillis); // the body comes after the head, in separate segments
                out.write(part);
                out.flush();
            }
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String post(String path, int contentLength) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + contentLength + "\r\n\r\n";
    }

    @Test
    void manyConnectionsOneAfterTheOtherFromOneSourceAreAllServed() throws Exception {
        start();
        byte[] body = register(FakeServer.TOKEN, FakeServer.key(1).base64()).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 3 * ApiServer.MAX_CONNECTIONS_PER_SOURCE; i++) {
            String resp = raw(post("/v1/register", body.length), 0, body);
            assertThat(resp).as("connection %d", i + 1).startsWith("HTTP/1.1 200").contains("client_address");
        }
        InetAddress me = InetAddress.getLoopbackAddress();
        boolean released = false;
        for (int i = 0; i < 100 && !released; i++) {
            released = api.openConnectionsFrom(me) == 0;
            Thread.sleep(20);
        }
        assertThat(released).as("closed connections are no longer counted").isTrue();
    }

    @Test
    void aSourceWithTooManyOpenConnectionsIsCutOffAndOthersGoOn() throws Exception {
        start();
        java.util.List<Socket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < ApiServer.MAX_CONNECTIONS_PER_SOURCE; i++) {
                held.add(new Socket(InetAddress.getLoopbackAddress(), api.port()));
            }
            boolean counted = false;
            for (int i = 0; i < 100 && !counted; i++) {
                counted = api.openConnectionsFrom(InetAddress.getLoopbackAddress()) == ApiServer.MAX_CONNECTIONS_PER_SOURCE;
                Thread.sleep(20);
            }
            assertThat(counted).isTrue();
            try (Socket extra = new Socket(InetAddress.getLoopbackAddress(), api.port())) {
                extra.setSoTimeout(5000);
                assertThat(extra.getInputStream().read()).as("the connection over the limit is closed").isEqualTo(-1);
            }
            HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.3")).build();
            assertThat(call(other, "POST", "/v1/register", register(FakeServer.TOKEN, FakeServer.key(2).base64())).status())
                    .isEqualTo(200);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        byte[] body = register(FakeServer.TOKEN, FakeServer.key(1).base64()).getBytes(StandardCharsets.UTF_8);
        boolean servedAgain = false;
        for (int i = 0; i < 50 && !servedAgain; i++) {
            try {
                servedAgain = raw(post("/v1/register", body.length), body).startsWith("HTTP/1.1 200");
            } catch (java.io.IOException e) {
                // the server has not seen the held connections close yet: still over the limit
            }
            Thread.sleep(50);
        }
        assertThat(servedAgain).as("served again once the held connections closed").isTrue();
    }

    @Test
    void aBodyThatFollowsTheHeadLaterOrInChunksIsReadAndLimited() throws Exception {
        start();
        byte[] body = register(FakeServer.TOKEN, FakeServer.key(1).base64()).getBytes(StandardCharsets.UTF_8);
        int half = body.length / 2;
        String resp = raw(post("/v1/register", body.length), java.util.Arrays.copyOf(body, half),
                java.util.Arrays.copyOfRange(body, half, body.length));
        assertThat(resp).startsWith("HTTP/1.1 200").contains("\"client_address\":\"10.200.100.2/24\"");

        // a chunked body has no length up front: the limit applies while it is read
        String big = "x".repeat(ApiHandler.MAX_BODY + 100);
        String chunk = Integer.toHexString(big.length()) + "\r\n" + big + "\r\n0\r\n\r\n";
        String chunked = raw("POST /v1/register HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
                chunk.getBytes(StandardCharsets.US_ASCII));
        assertThat(chunked).startsWith("HTTP/1.1 413").contains("{\"error\":\"request body too large\"}");
    }
}
