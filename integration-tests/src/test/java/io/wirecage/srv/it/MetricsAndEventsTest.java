package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Prometheus metrics and connection events, end to end: a scrape of the default metrics listener
 * (127.0.0.1:9586 in the server's namespace) parsed by the Prometheus client library's own text-format
 * parser (Debian's python3-prometheus-client), with the prometheus_wireguard_exporter names and labels;
 * its byte counters equal to {@code wg show}'s and to the pings sent; the server-wide, JVM and process
 * series; /metrics on the registration API only with the API token. Then the connection events in the
 * log: a peer connected, its endpoint changed (the client moves to another port), a failed handshake
 * (a key the server does not know), each exactly once and without any key; and, after the client
 * went away, the session expired 180 s after its handshake (this part waits, idle, about 2.5 minutes).
 */
@Timeout(value = 360, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsAndEventsTest {
    static final String TOKEN = "metrics-test-token-0123456789";
    static final int API_PORT = 8443;
    static final String METRICS_URL = "http://127.0.0.1:9586/metrics";
    static final int PINGS = 20;
    static final int PACKET = 1400;

    static Topology topo;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair keyA;
    static TomlConfig config;
    static ServerProcess server;
    static WgQuickClient clientA;

    /** One parsed sample: its name (with _total), labels and value. */
    record Sample(String name, Map<String, String> labels, double value) {}

    @BeforeAll
    static void setUp() {
        Require.e2e("python3", "curl");
        Cmd.Result hasParser = Cmd.of(Require.python(), "-c", "import prometheus_client.parser").run();
        if (!hasParser.ok()) {
            throw new AssertionError("this test needs Debian's python3-prometheus-client (bin/test installs it): "
                    + hasParser.stderr());
        }
        topo = Topology.create("Metrics", 1);
        HttpTarget.start(topo);
        serverKey = WgKeys.generate();
        keyA = WgKeys.generate();
        config = TomlConfig.create(topo, serverKey, "wirecagesrv.toml")
                .peer(TomlConfig.Peer.of("alice", keyA.publicKey(), topo.client(1).tunnelAddr() + "/32"))
                .extra("""
                        [api]
                        listen = "0.0.0.0:%d"
                        auth_token = "%s"
                        endpoint = "vpn.example.com:%d"
                        """.formatted(API_PORT, TOKEN, Topology.LISTEN_PORT));
        config.write();
        server = config.start("server");
        server.awaitReady();
        clientA = WgQuickClient.fullTunnel(topo, topo.client(1), keyA, serverKey.publicKey());
        clientA.up();
        clientA.ping(Topology.INTERNET_ADDR, 2, null).check();
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    /** Scrapes with curl in the server namespace and parses with prometheus_client's parser. */
    static List<Sample> scrape(String... curlArgs) throws Exception {
        List<String> argv = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}"));
        argv.addAll(List.of(curlArgs));
        Cmd.Result r = topo.server().cmd(argv).timeout(Duration.ofSeconds(15)).run().check();
        String out = r.stdout();
        int nl = out.lastIndexOf('\n');
        assertThat(out.substring(nl + 1)).as("HTTP status of the scrape").isEqualTo("200");
        String py = "import sys, json\n"
                + "from prometheus_client.parser import text_string_to_metric_families\n"
                + "out = []\n"
                + "for fam in text_string_to_metric_families(sys.stdin.read()):\n"
                + "    for s in fam.samples:\n"
                + "        out.append({'name': s.name, 'labels': s.labels, 'value': s.value, 'type': fam.type})\n"
                + "print(json.dumps(out))\n";
        Cmd.Result parsed = Cmd.of(Require.python(), "-c", py).stdin(out.substring(0, nl)).timeout(Duration.ofSeconds(30)).run();
        assertThat(parsed.ok()).as("the Prometheus text-format parser accepts the scrape: " + parsed.stderr()).isTrue();
        List<Sample> samples = new ArrayList<>();
        for (JsonNode n : new ObjectMapper().readTree(parsed.stdout())) {
            Map<String, String> labels = new TreeMap<>();
            n.get("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            samples.add(new Sample(n.get("name").asText(), labels, n.get("value").asDouble()));
        }
        return samples;
    }

    static Sample one(List<Sample> samples, String name, String... labelPairs) {
        List<Sample> found = samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
            for (int i = 0; i < labelPairs.length; i += 2) {
                if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
                    return false;
                }
            }
            return true;
        }).toList();
        assertThat(found).as(name + " " + List.of(labelPairs)).hasSize(1);
        return found.get(0);
    }

    static long[] wgShowBytes() {
        for (String l : topo.server().exec("wg", "show", topo.tunName(), "transfer").stdoutLines()) {
            String[] f = l.split("\t");
            if (f[0].equals(keyA.publicKey())) {
                return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
            }
        }
        throw new AssertionError("wg show transfer has no peer A");
    }

    @Test
    @Order(1)
    void scrapeHasTheExporterNamesAndAgreesWithWgShow() throws Exception {
        List<Sample> before = scrape(METRICS_URL);
        clientA.ns().cmd("ping", "-n", "-c", "" + PINGS, "-i", "0.2", "-W", "2", "-s", "" + (PACKET - 28),
                Topology.INTERNET_ADDR).timeout(Duration.ofSeconds(PINGS + 10)).run().check();
        Poll.sleep(Duration.ofMillis(250)); // the scrape rate limit: at most 5 per second
        List<Sample> after = scrape(METRICS_URL);
        long[] wg = wgShowBytes();

        String[] peer = {"interface", topo.tunName(), "public_key", keyA.publicKey(),
            "allowed_ips", topo.client(1).tunnelAddr() + "/32", "friendly_name", "alice"};
        double rx0 = one(before, "wireguard_received_bytes_total", peer).value();
        double tx0 = one(before, "wireguard_sent_bytes_total", peer).value();
        double rx = one(after, "wireguard_received_bytes_total", peer).value();
        double tx = one(after, "wireguard_sent_bytes_total", peer).value();
        System.out.println("[it] scrape: rx " + rx0 + " -> " + rx + ", tx " + tx0 + " -> " + tx + "; wg show: rx " + wg[0]
                + ", tx " + wg[1] + "; " + PINGS + " pings of " + PACKET + " bytes each way");
        assertThat(rx - rx0).as("received bytes vs the pings sent").isBetween(PINGS * PACKET * 0.99, PINGS * PACKET * 1.01);
        assertThat(tx - tx0).as("sent bytes vs the replies").isBetween(PINGS * PACKET * 0.99, PINGS * PACKET * 1.01);
        assertThat((long) rx).as("received bytes: scrape vs wg show").isEqualTo(wg[0]);
        assertThat((long) tx).as("sent bytes: scrape vs wg show").isEqualTo(wg[1]);
        double hs = one(after, "wireguard_latest_handshake_seconds", peer).value();
        assertThat(hs).as("latest handshake, Unix time").isBetween(System.currentTimeMillis() / 1000.0 - 120,
                System.currentTimeMillis() / 1000.0 + 1);

        String[] dev = {"interface", topo.tunName()};
        assertThat(one(after, "wirecagesrv_peers", dev).value()).isEqualTo(1);
        assertThat(one(after, "wirecagesrv_peers_with_session", dev).value()).isEqualTo(1);
        assertThat(one(after, "wirecagesrv_handshakes_completed_total", dev).value()).isGreaterThanOrEqualTo(1);
        assertThat(one(after, "wirecagesrv_data_packets_total", "direction", "rx").value()).isGreaterThanOrEqualTo(PINGS);
        assertThat(one(after, "wirecagesrv_data_bytes_total", "direction", "rx").value()).isEqualTo(rx);
        one(after, "wirecagesrv_cookie_replies_sent_total", dev);
        one(after, "wirecagesrv_handshakes_failed_total", "reason", "unknown_peer");
        one(after, "wirecagesrv_handshakes_failed_total", "reason", "invalid_mac");
        one(after, "wirecagesrv_dropped_packets_total", "reason", "unknown_index");
        one(after, "wirecagesrv_dropped_packets_total", "reason", "source_not_allowed");
        one(after, "wirecagesrv_dropped_packets_total", "reason", "invalid_aead_tag");
        one(after, "wirecagesrv_udp_receive_queue_drops_total", dev);
        assertThat(after).as("JVM metrics").anyMatch(s -> s.name().startsWith("jvm_memory_used_bytes"));
        assertThat(after).as("process metrics").anyMatch(s -> s.name().equals("process_cpu_seconds_total"));
    }

    @Test
    @Order(2)
    void theApiListenerServesMetricsToTheTokenOnly() throws Exception {
        String url = "http://" + Topology.SERVER_UPLINK_ADDR + ":" + API_PORT + "/metrics";
        for (String[] bad : List.of(new String[0], new String[] {"-H", "Authorization: Bearer wrong-token-0123456789"},
                new String[] {"-H", "Authorization: Basic " + TOKEN})) {
            List<String> argv = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}"));
            argv.addAll(List.of(bad));
            argv.add(url);
            // from the internet namespace: the API listener is the one that faces the internet
            String code = topo.internet().cmd(argv).timeout(Duration.ofSeconds(15)).run().stdout();
            assertThat(code).as("/metrics on the API with " + (bad.length == 0 ? "no token" : bad[1].replace(TOKEN, "<token>")))
                    .isEqualTo("401");
        }
        Poll.sleep(Duration.ofMillis(250));
        Cmd.Result r = topo.internet().cmd("curl", "-sS", "--max-time", "10", "-H", "Authorization: Bearer " + TOKEN, url)
                .timeout(Duration.ofSeconds(15)).run().check();
        assertThat(r.stdout()).contains("wireguard_sent_bytes_total{").contains("friendly_name=\"alice\"");
        // and the dedicated listener is on loopback only
        Cmd.Result outside = topo.internet().cmd("curl", "-sS", "--max-time", "3", "-o", "/dev/null",
                "http://" + Topology.SERVER_UPLINK_ADDR + ":9586/metrics").timeout(Duration.ofSeconds(10)).run();
        assertThat(outside.ok()).as("the loopback metrics listener from another namespace").isFalse();
    }

    @Test
    @Order(3)
    void connectionEventsAppearOnceEach() {
        String label = "alice";
        server.awaitLogLine(Duration.ofSeconds(5), "peer connected: " + label + " from " + topo.client(1).clientSideAddr());
        // roaming: the client moves to another UDP port and keeps talking
        clientA.ns().exec("wg", "set", clientA.interfaceName(), "listen-port", "43210");
        clientA.ping(Topology.INTERNET_ADDR, 3, null).check();
        server.awaitLogLine(Duration.ofSeconds(5), "peer endpoint changed: " + label, "-> " + topo.client(1).clientSideAddr() + ":43210");
        // a failed handshake: a key the server does not know (a second interface in the client namespace)
        WgKeys.KeyPair stranger = WgKeys.generate();
        String iface = topo.name("x1");
        Netns ns = clientA.ns();
        ns.cmd("wireguard-go", iface).timeout(Duration.ofSeconds(20)).run().check();
        try {
            java.nio.file.Path key = topo.writeSecret("stranger.key", stranger.privateKey() + "\n");
            ns.exec("wg", "set", iface, "private-key", key.toString(), "fwmark", "51820", "peer", serverKey.publicKey(),
                    "endpoint", topo.client(1).endpoint(), "allowed-ips", "10.99.0.0/24");
            ns.exec("ip", "addr", "add", "10.99.0.2/24", "dev", iface); // on-link, so not into A's full tunnel
            ns.exec("ip", "link", "set", iface, "up");
            ns.tryExec("ping", "-n", "-c", "1", "-W", "1", "10.99.0.1");
            server.awaitLogLine(Duration.ofSeconds(10), "handshake failed: unknown peer from " + topo.client(1).clientSideAddr(),
                    "unknown_peer");
        } finally {
            ns.tryExec("ip", "link", "del", iface);
        }
        // let retries arrive: the rate limit keeps it to one line per kind
        Poll.sleep(Duration.ofSeconds(6));
        assertThat(server.findLines("peer connected: " + label)).as("connect lines").hasSize(1);
        assertThat(server.findLines("peer endpoint changed: " + label)).as("roam lines").hasSize(1);
        assertThat(server.findLines("handshake failed: unknown peer")).as("failed-handshake lines").hasSize(1);
        assertThat(server.log()).doesNotContain(keyA.publicKey()).doesNotContain(stranger.publicKey())
                .doesNotContain(stranger.privateKey()).doesNotContain(serverKey.privateKey());
    }

    @Test
    @Order(4)
    void theSessionExpiresOnce180SecondsAfterItsHandshake() throws Exception {
        String[] dump = null;
        for (String l : topo.server().exec("wg", "show", topo.tunName(), "latest-handshakes").stdoutLines()) {
            if (l.startsWith(keyA.publicKey())) {
                dump = l.split("\t");
            }
        }
        assertThat(dump).as("A in wg show latest-handshakes").isNotNull();
        long handshake = Long.parseLong(dump[1]);
        clientA.down(); // no more traffic, so no new handshake
        long waitSeconds = handshake + 180 + 5 - System.currentTimeMillis() / 1000;
        System.out.println("[it] waiting up to " + (waitSeconds + 10) + " s for the session to expire (idle)");
        assertThat(server.findLines("peer session expired: alice")).as("no expiry before 180 s").isEmpty();
        server.awaitLogLine(Duration.ofSeconds(Math.max(waitSeconds, 0) + 10), "peer session expired: alice (no handshake for 180 s)");
        long at = System.currentTimeMillis() / 1000;
        assertThat(at - handshake).as("seconds from the handshake to the expiry line").isBetween(180L, 195L);
        Poll.sleep(Duration.ofSeconds(2));
        assertThat(server.findLines("peer session expired: alice")).as("expiry lines").hasSize(1);
        Poll.sleep(Duration.ofMillis(250));
        assertThat(one(scrape(METRICS_URL), "wirecagesrv_peers_with_session", "interface", topo.tunName()).value())
                .as("peers with a session after the expiry").isZero();
    }
}
