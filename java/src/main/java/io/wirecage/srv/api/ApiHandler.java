package io.wirecage.srv.api;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the registration API and their JSON: {@code POST /v1/register},
 * {@code POST /v1/portforward}, {@code DELETE /v1/portforward}. The token travels in the body and is
 * compared in constant time. Every request that fails before it is authenticated (bad token, malformed
 * JSON, unknown path or method, oversized body) costs its source one unit of a small budget; a source
 * without budget gets 429 before its body is even read.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    /** A registration body is about 120 bytes; 4 KiB leaves room for clients that add fields. */
    static final int MAX_BODY = 4096;
    static final String REGISTER = "/v1/register";
    static final String PORTFORWARD = "/v1/portforward";
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(MAX_BODY).build())
            .build());

    private final Registrar registrar;
    private final byte[] tokenHash;
    private final SourceLimiter failures;
    /** GET /metrics for holders of the token (set when the server runs metrics), else null: 404. */
    volatile io.wirecage.srv.metrics.MetricsServer.ScrapeHandler metrics;
    static final String METRICS = "/metrics";

    ApiHandler(Registrar registrar, String token, SourceLimiter failures) {
        this.registrar = registrar;
        this.tokenHash = sha256(token.getBytes(StandardCharsets.UTF_8));
        this.failures = failures;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        InetAddress source = sourceOf(request);
        if (METRICS.equals(request.getHttpURI().getPath()) && metrics != null) {
            return metrics(request, response, callback, source);
        }
        Registrar.Reply early = check(request, source);
        if (early != null) {
            write(response, callback, early);
            return true;
        }
        // the body is read without holding a thread (a client may send it after the head), and the
        // answer is written when the registrar's writer has applied the change
        new BodyReader(request, bytes -> {
            if (bytes == null) {
                write(response, callback, failed(source, Registrar.Reply.error(413, "request body too large")));
                return;
            }
            route(request, source, bytes).whenComplete((reply, error) -> {
                if (error != null) {
                    log.error("api: {} {} failed: {}", request.getMethod(), request.getHttpURI().getPath(), error.toString());
                    reply = Registrar.Reply.error(500, "internal error");
                }
                write(response, callback, reply);
            });
        }, callback::failed).read();
        return true;
    }

    /**
     * Reads a body of at most {@link #MAX_BODY} bytes chunk by chunk, asking Jetty to call back when more
     * arrives instead of blocking; hands null to {@code done} when the body is larger.
     */
    private static final class BodyReader {
        private final Request request;
        private final java.util.function.Consumer<byte[]> done;
        private final java.util.function.Consumer<Throwable> failed;
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(256);

        BodyReader(Request request, java.util.function.Consumer<byte[]> done, java.util.function.Consumer<Throwable> failed) {
            this.request = request;
            this.done = done;
            this.failed = failed;
        }

        void read() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this::read);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    failed.accept(chunk.getFailure()); // the client went away while sending
                    return;
                }
                ByteBuffer b = chunk.getByteBuffer();
                int n = b.remaining();
                if (bytes.size() + n > MAX_BODY) {
                    chunk.release();
                    done.accept(null);
                    return;
                }
                byte[] part = new byte[n];
                b.get(part);
                bytes.write(part, 0, n);
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    done.accept(bytes.toByteArray());
                    return;
                }
            }
        }
    }

    /**
     * /metrics on the API listener: the peers' keys and addresses are not for the internet, so only a
     * request with {@code Authorization: Bearer <the API token>} gets them; a wrong or missing token costs
     * the source one of its tries, like any failed request.
     */
    private boolean metrics(Request request, Response response, Callback callback, InetAddress source) {
        if (source != null && !failures.allowed(source)) {
            write(response, callback, new Registrar.Reply(429, Map.of("error", "too many failed attempts, try again later"),
                    failures.retryAfterSeconds(source)));
            return true;
        }
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (auth == null || !auth.startsWith("Bearer ") || !tokenMatches(auth.substring("Bearer ".length()).strip())) {
            write(response, callback, failed(source, Registrar.Reply.error(401, "invalid token")));
            return true;
        }
        if (!request.getMethod().equals("GET")) {
            write(response, callback, Registrar.Reply.error(405, "method not allowed"));
            return true;
        }
        return metrics.scrape(request, response, callback);
    }

    /** What can be answered from the request head alone: 429, 404, 405, 413; else null. */
    private Registrar.Reply check(Request request, InetAddress source) {
        if (source != null && !failures.allowed(source)) {
            return new Registrar.Reply(429, Map.of("error", "too many failed attempts, try again later"),
                    failures.retryAfterSeconds(source));
        }
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        boolean known = REGISTER.equals(path) || PORTFORWARD.equals(path);
        if (!known) {
            return failed(source, Registrar.Reply.error(404, "not found"));
        }
        if (!method.equals("POST") && !(PORTFORWARD.equals(path) && method.equals("DELETE"))) {
            return failed(source, Registrar.Reply.error(405, "method not allowed"));
        }
        if (request.getLength() > MAX_BODY) {
            return failed(source, Registrar.Reply.error(413, "request body too large"));
        }
        return null;
    }

    private CompletableFuture<Registrar.Reply> route(Request request, InetAddress source, byte[] bytes) {
        JsonNode body;
        try {
            body = JSON.readTree(bytes);
        } catch (IOException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            return done(failed(source, Registrar.Reply.error(400, "invalid JSON body")));
        }
        JsonNode token = body.get("token");
        if (token == null || !token.isTextual() || !tokenMatches(token.asText())) {
            return done(failed(source, Registrar.Reply.error(401, "invalid token")));
        }
        // authenticated from here on: mistakes are the client's, not guesses
        if (REGISTER.equals(request.getHttpURI().getPath())) {
            return registrar.register(text(body, "client_public_key"));
        }
        if (request.getMethod().equals("POST")) {
            Integer publicPort = port(body, "public_port");
            Integer targetPort = port(body, "target_port");
            if (publicPort == null || targetPort == null) {
                return done(Registrar.Reply.error(400, "public_port and target_port must be integers"));
            }
            return registrar.addForward(text(body, "client_public_key"), text(body, "protocol"), publicPort, targetPort);
        }
        Integer publicPort = port(body, "public_port");
        if (publicPort == null) {
            return done(Registrar.Reply.error(400, "public_port must be an integer"));
        }
        return registrar.removeForward(text(body, "protocol"), publicPort);
    }

    private static CompletableFuture<Registrar.Reply> done(Registrar.Reply r) {
        return CompletableFuture.completedFuture(r);
    }

    private Registrar.Reply failed(InetAddress source, Registrar.Reply reply) {
        if (source != null && !failures.fail(source)) {
            log.warn("api: {} has used up its budget of failed requests (last: {} {}); it gets 429 for a while",
                    source.getHostAddress(), reply.status(), reply.body().get("error"));
        }
        return reply;
    }

    private boolean tokenMatches(String given) {
        // equal-length digests compared in constant time: no timing signal about the token
        return MessageDigest.isEqual(tokenHash, sha256(given.getBytes(StandardCharsets.UTF_8)));
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** An integer field (JSON number without fraction) that fits an int; else null. */
    private static Integer port(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && v.isIntegralNumber() && v.canConvertToInt() ? v.intValue() : null;
    }

    static void write(Response response, Callback callback, Registrar.Reply reply) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(reply.body());
        } catch (IOException e) {
            json = "{\"error\":\"internal error\"}".getBytes(StandardCharsets.UTF_8);
        }
        response.setStatus(reply.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        if (reply.retryAfterSeconds() > 0) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(reply.retryAfterSeconds()));
        }
        if (reply.status() == 405) {
            response.getHeaders().put(HttpHeader.ALLOW, "POST, DELETE");
        }
        response.write(true, ByteBuffer.wrap(json), callback);
    }

    static InetAddress sourceOf(Request request) {
        SocketAddress a = request.getConnectionMetaData().getRemoteSocketAddress();
        return a instanceof InetSocketAddress isa ? isa.getAddress() : null;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectMapper json() {
        return JSON;
    }

}
