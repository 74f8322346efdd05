package io.wirecage.srv.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.api.RawHttp;
import io.wirecage.srv.config.ForwardChanges;
import io.wirecage.srv.config.WebSettings;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console's listener limits on loopback, before any login: oversized and malformed requests,
 * oversized forms, unauthenticated reads and changes, and the failed-login limit.
 */
class WebServerTest {
    private static final String PASSWORD = "correct horse battery staple";
    private WebServer server;

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private String raw(String request) throws Exception {
        return RawHttp.exchange(server.port(), request);
    }

    private static String post(String path, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void oversizedMalformedAndUnauthenticatedRequestsAreRefusedBeforeAnythingIsReadOrChanged() throws Exception {
        Path config = dir.resolve("wirecagesrv.toml");
        Files.writeString(config, "# no [server] table: does not parse; untouched by this test\n");
        Device device = new Device(Identity.create(Keys.generatePrivateKey(), 100), null, null);
        WebSettings settings = new WebSettings(new InetSocketAddress("127.0.0.1", 0), PasswordHash.hash(PASSWORD.toCharArray(), 4),
                null, null);
        server = WebServer.bind(settings, config, "vpn.example:51820");
        server.start(new Live() {
            @Override
            public Device device() {
                return device;
            }

            @Override
            public String publicKey() {
                return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
            }

            @Override
            public String apply() {
                throw new AssertionError("nothing may be applied");
            }

            @Override
            public ForwardChanges.ServerPorts ports() {
                return new ForwardChanges.ServerPorts(51820, 0);
            }

            @Override
            public boolean portInUse(String protocol, int port) {
                return false;
            }
        });
        String before = Files.readString(config);

        assertThat(raw("GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
        // headers over the listener's 4 KiB, a header line without a colon, a request line that is no HTTP
        assertThat(raw("GET /login HTTP/1.1\r\nHost: x\r\nX-Pad: " + "a".repeat(8000) + "\r\n\r\n")).startsWith("HTTP/1.1 431");
        assertThat(raw("GET /login HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(raw("\u0001\u0002 garbage\r\n\r\n")).startsWith("HTTP/1.1 400");
        // a login form over 8 KiB is not read
        assertThat(raw(post("/login", "password=" + "a".repeat(WebHandler.MAX_FORM_BYTES + 100)))).startsWith("HTTP/1.1 413");
        // without a session: reads get 401, changes 403, pages a redirect to the login
        assertThat(raw("GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 401");
        assertThat(raw(post("/peer/remove", "name=a"))).startsWith("HTTP/1.1 403");
        assertThat(raw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 30");
        // the config file does not parse (as during an edit): the login falls back to the hash the server started with
        assertThat(raw(post("/login", "password=" + PASSWORD))).startsWith("HTTP/1.1 30").contains("Set-Cookie:");
        // failed logins: the first ones get 401, then the source is refused with 429 and Retry-After
        for (int i = 0; i < WebServer.LOGIN_FAILURES - 1; i++) {
            assertThat(raw(post("/login", "password=wrong" + i))).as("failed login %d", i + 1).startsWith("HTTP/1.1 401");
        }
        String limited = raw(post("/login", "password=wrong-again"));
        assertThat(limited).startsWith("HTTP/1.1 429").containsIgnoringCase("Retry-After:");
        assertThat(raw(post("/login", "password=" + PASSWORD))).as("even the right password, while limited")
                .startsWith("HTTP/1.1 429");
        assertThat(Files.readString(config)).isEqualTo(before);
    }
}
