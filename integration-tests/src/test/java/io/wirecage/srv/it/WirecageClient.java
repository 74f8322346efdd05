package io.wirecage.srv.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Plays the wirecage client with real tools: registers its key with the server's HTTP API (curl, from
 * the client's namespace), then brings up a WireGuard interface the way the wirecage client configures
 * its cage: the returned address with /24 whatever the prefix, also fd42:42:42::2/64, everything
 * (0.0.0.0/0 and ::/0) through the tunnel, no preshared key, no persistent keepalive, and the
 * returned endpoint resolved by name.
 */
public final class WirecageClient {
    /** The IPv6 address every wirecage client gives its cage. */
    public static final String CAGE_V6 = "fd42:42:42::2/64";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An HTTP answer: status and parsed JSON body. */
    public record Answer(int status, JsonNode json, String body) {
        public String error() {
            return json == null ? null : json.path("error").asText(null);
        }

        public String text(String field) {
            JsonNode v = json == null ? null : json.get(field);
            if (v == null) {
                throw new AssertionError("no field '" + field + "' in the answer " + status + " " + body);
            }
            return v.asText();
        }
    }

    /** Where the API is and how to trust it (cacert null: plain http). */
    public record Api(String baseUrl, String token, String cacert) {
        public Answer call(Netns ns, String method, String path, String json) {
            List<String> argv = new ArrayList<>(List.of("curl", "--noproxy", "*", "-sS", "--connect-timeout", "5",
                    "--max-time", "15", "-X", method, "-H", "Content-Type: application/json", "--data-binary", "@-",
                    "-w", "\n%{http_code}"));
            if (cacert != null) {
                argv.addAll(List.of("--cacert", cacert));
            }
            argv.add(baseUrl + path);
            Cmd.Result r = ns.cmd(argv).stdin(json).timeout(Duration.ofSeconds(25)).run();
            if (!r.ok()) {
                throw new AssertionError("curl " + method + " " + baseUrl + path + " failed:\n" + r.describe());
            }
            String out = r.stdout();
            int nl = out.lastIndexOf('\n');
            String body = out.substring(0, nl);
            int status = Integer.parseInt(out.substring(nl + 1).strip());
            JsonNode node;
            try {
                node = body.isBlank() ? null : JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body);
            }
            return new Answer(status, node, body);
        }

        public Answer register(Netns ns, String publicKey) {
            return call(ns, "POST", "/v1/register", json("token", token, "client_public_key", publicKey));
        }

        public Answer forward(Netns ns, String publicKey, String protocol, int publicPort, int targetPort) {
            return call(ns, "POST", "/v1/portforward", "{" + pair("token", token) + "," + pair("client_public_key", publicKey)
                    + "," + pair("protocol", protocol) + ",\"public_port\":" + publicPort + ",\"target_port\":" + targetPort + "}");
        }

        public Answer unforward(Netns ns, String protocol, int publicPort) {
            return call(ns, "DELETE", "/v1/portforward", "{" + pair("token", token) + "," + pair("protocol", protocol)
                    + ",\"public_port\":" + publicPort + "}");
        }
    }

    static String json(String... kv) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i + 1 < kv.length; i += 2) {
            sb.append(i == 0 ? "" : ",").append(pair(kv[i], kv[i + 1]));
        }
        return sb.append('}').toString();
    }

    private static String pair(String k, String v) {
        try {
            return JSON.writeValueAsString(k) + ":" + JSON.writeValueAsString(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The wg-quick file the wirecage client's behaviour amounts to, from a 200 answer of /v1/register.
     * The address keeps its host part and gets /24, as the client does.
     */
    public static String wgQuickConfig(WgKeys.KeyPair key, Answer registered) {
        String address = registered.text("client_address");
        String host = address.substring(0, address.indexOf('/'));
        return "[Interface]\n"
                + "PrivateKey = " + key.privateKey() + "\n"
                + "Address = " + host + "/24, " + CAGE_V6 + "\n"
                + "\n[Peer]\n"
                + "PublicKey = " + registered.text("server_public_key") + "\n"
                + "Endpoint = " + registered.text("server_endpoint") + "\n"
                + "AllowedIPs = 0.0.0.0/0, ::/0\n";
    }

    private WirecageClient() {}
}
