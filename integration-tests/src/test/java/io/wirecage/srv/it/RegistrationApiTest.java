package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static io.wirecage.srv.it.Topology.SERVER_UPLINK_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * wirecage clients onboard themselves over the registration API (issue 8), played with real tools:
 * curl registers a key from the client's namespace, wg-quick (userspace wireguard-go) brings up the
 * interface exactly as the wirecage client configures its cage, names resolve through a real DNS
 * server (dnsmasq) in the internet namespace over the tunnel and NAT, port forwards are reached from
 * the internet namespace and keep the caller's address, and the same over HTTPS with a certificate
 * made by openssl.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class RegistrationApiTest {
    static final int CLIENTS = 20;
    static final int API_PORT = 8443;
    static final String TOKEN = "e2e-token-5f3a9c0d2b7e4f61";
    static final String SERVER_NAME = "vpn.test";
    static final String WEB_NAME = "web.test";

    static Topology topo;
    static HttpTarget target;
    static DnsServer dns;
    static WgKeys.KeyPair serverKey;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3", "dnsmasq", "openssl");
        topo = Topology.create("RegistrationApi", CLIENTS);
        target = HttpTarget.start(topo);
        dns = DnsServer.start(topo, topo.internet(), INTERNET_ADDR, WEB_NAME, INTERNET_ADDR);
        serverKey = WgKeys.generate();
        for (Topology.Client c : topo.clients()) {
            // the server's name resolves locally (as a public DNS name would); everything else only via
            // the DNS server in the internet namespace, which the client reaches through the tunnel only
            topo.track(NetnsFiles.of(c.ns())
                    .write("hosts", "127.0.0.1 localhost\n" + c.serverSideAddr() + " " + SERVER_NAME + "\n")
                    .write("resolv.conf", "nameserver " + INTERNET_ADDR + "\noptions timeout:2 attempts:2\n"));
        }
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    static TomlConfig config(String fileName, String tlsLines) {
        return TomlConfig.create(topo, serverKey, fileName).extra("""
                [api]
                listen = "0.0.0.0:%d"
                auth_token = "%s"
                endpoint = "%s:%d"
                %s
                """.formatted(API_PORT, TOKEN, SERVER_NAME, Topology.LISTEN_PORT, tlsLines));
    }

    static WirecageClient.Api api(Topology.Client c) {
        return new WirecageClient.Api("http://" + c.serverSideAddr() + ":" + API_PORT, TOKEN, null);
    }

    /** Servers a test started: stopped after each test, so a failed test does not hold the ports. */
    static final List<ServerProcess> started = new ArrayList<>();

    @AfterEach
    void stopServers() {
        started.forEach(ServerProcess::close);
        started.clear();
    }

    static ServerProcess startServer(TomlConfig config, String log) {
        ServerProcess s = config.start(log);
        started.add(s);
        s.awaitReady();
        s.awaitLogLine(Duration.ofSeconds(10), "registration API on");
        return s;
    }

    /** A "wirecage run": the registered values become a WireGuard interface in the client's namespace. */
    static WgQuickClient run(Topology.Client c, WgKeys.KeyPair key, WirecageClient.Answer registered) {
        String conf = WirecageClient.wgQuickConfig(key, registered);
        assertThat(conf).doesNotContain("PresharedKey").doesNotContain("PersistentKeepalive");
        c.ns().tryExec("ip", "link", "del", c.wgInterface()); // a client left up by an earlier test
        WgQuickClient client = WgQuickClient.fromConfig(topo, c, conf);
        client.up();
        return client;
    }

    static void getByName(WgQuickClient client) {
        Cmd.Result get = client.get("http://" + WEB_NAME + "/" + HttpTarget.FILE_NAME);
        assertThat(get.ok()).as("%s: GET by name through the tunnel:\n%s", client, get.describe()).isTrue();
        assertThat(get.stdout()).isEqualTo(target.content());
    }

    @Test
    void wirecageClientsRegisterResolveNamesAndPassTrafficAlsoAfterARestart() throws Exception {
        TomlConfig config = config("register.toml", "");
        config.write();
        ServerProcess server = startServer(config, "register");
        List<WgKeys.KeyPair> keys = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            keys.add(WgKeys.generate());
        }

        // 20 registrations at once, each from its own client namespace
        List<WirecageClient.Answer> answers = registerAll(keys);
        Set<String> addresses = new HashSet<>();
        for (WirecageClient.Answer a : answers) {
            assertThat(a.status()).as("register: %s", a.body()).isEqualTo(200);
            assertThat(a.text("client_address")).matches("10\\.200\\.100\\.\\d+/24");
            assertThat(a.text("server_public_key")).isEqualTo(serverKey.publicKey());
            assertThat(a.text("server_endpoint")).isEqualTo(SERVER_NAME + ":" + Topology.LISTEN_PORT);
            addresses.add(a.text("client_address"));
        }
        assertThat(addresses).as("20 concurrent registrations, 20 distinct addresses").hasSize(CLIENTS);
        // the same key again: the same address, twice
        Topology.Client first = topo.client(1);
        assertThat(api(first).register(first.ns(), keys.get(0).publicKey()).json()).isEqualTo(answers.get(0).json());
        assertThat(api(first).register(first.ns(), keys.get(0).publicKey()).json()).isEqualTo(answers.get(0).json());
        Cmd.Result list = config.peerCommand("list");
        assertThat(list.stdoutLines().stream().filter(l -> l.startsWith("wirecage-")).count()).isEqualTo(CLIENTS);

        // every client, configured exactly as the wirecage client does, reaches the internet; names
        // resolve through the DNS server behind the tunnel
        List<WgQuickClient> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(run(topo.client(i + 1), keys.get(i), answers.get(i)));
        }
        for (WgQuickClient c : clients) {
            getByName(c);
        }
        assertThat(dns.log()).as("the DNS server saw the query from the server's NAT address")
                .contains("query[A] " + WEB_NAME + " from " + SERVER_UPLINK_ADDR);

        // a source that guesses tokens is stopped (429); another source goes on
        Topology.Client guesser = topo.client(2);
        WirecageClient.Api wrong = new WirecageClient.Api(api(guesser).baseUrl(), "not-the-token-0000", null);
        for (int i = 0; i < 10; i++) {
            WirecageClient.Answer a = wrong.register(guesser.ns(), keys.get(1).publicKey());
            assertThat(a.status()).isEqualTo(401);
            assertThat(a.error()).isEqualTo("invalid token");
        }
        WirecageClient.Answer limited = api(guesser).register(guesser.ns(), keys.get(1).publicKey());
        assertThat(limited.status()).isEqualTo(429);
        assertThat(api(first).register(first.ns(), keys.get(0).publicKey()).status()).isEqualTo(200);

        // a restart keeps every registration: same addresses, and a new run of each client passes traffic
        assertThat(server.terminate()).isZero();
        ServerProcess again = startServer(config, "register-restarted");
        List<WirecageClient.Answer> after = registerAll(keys);
        for (int i = 0; i < CLIENTS; i++) {
            assertThat(after.get(i).json()).as("client %d after the restart", i + 1).isEqualTo(answers.get(i).json());
        }
        for (int i = 0; i < CLIENTS; i++) {
            clients.get(i).down();
            WgQuickClient c = run(topo.client(i + 1), keys.get(i), after.get(i));
            getByName(c);
            c.down();
        }
        assertThat(again.findLines("api: registered a new peer")).isEmpty();
        assertThat(again.terminate()).isZero();
    }

    /** Registers key i from client i+1's namespace, all at once; answers in key order. */
    static List<WirecageClient.Answer> registerAll(List<WgKeys.KeyPair> keys) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(keys.size());
        try {
            List<Future<WirecageClient.Answer>> futures = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                Topology.Client c = topo.client(i + 1);
                String key = keys.get(i).publicKey();
                futures.add(pool.submit(() -> api(c).register(c.ns(), key)));
            }
            List<WirecageClient.Answer> out = new ArrayList<>();
            for (Future<WirecageClient.Answer> f : futures) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static long dnatRules(String tun) {
        return Firewall.taggedRules(topo.server(), ServerProcess.ruleTag(tun)).stream().filter(r -> r.contains("-j DNAT")).count();
    }

    @Test
    void tcpAndUdpPortForwardsReachTheClientWithTheCallersAddress() {
        Topology.Client c = topo.client(3);
        TomlConfig config = config("forward.toml", "").tunName(topo.name("tf"));
        config.write();
        String tun = config.tunName();
        ServerProcess server = startServer(config, "forward");
        WgKeys.KeyPair key = WgKeys.generate();
        WirecageClient.Answer reg = api(c).register(c.ns(), key.publicKey());
        assertThat(reg.status()).isEqualTo(200);
        WgQuickClient client = run(c, key, reg);
        WhoCalled.start(topo, c.ns(), "0.0.0.0", 7000, 7001);
        String peerIp = reg.text("client_address").split("/")[0];

        WirecageClient.Answer tcp = api(c).forward(c.ns(), key.publicKey(), "tcp", 18080, 7000);
        assertThat(tcp.status()).as(tcp.body()).isEqualTo(201);
        assertThat(tcp.body()).isEqualTo("{\"public_port\":18080,\"protocol\":\"tcp\",\"target_port\":7000,\"peer_ip\":\"" + peerIp + "\"}");
        assertThat(api(c).forward(c.ns(), key.publicKey(), "udp", 18081, 7001).status()).isEqualTo(201);
        assertThat(dnatRules(tun)).isEqualTo(2);
        // the server's own ports are refused
        assertThat(api(c).forward(c.ns(), key.publicKey(), "tcp", API_PORT, 7000).status()).isEqualTo(409);
        assertThat(api(c).forward(c.ns(), key.publicKey(), "udp", Topology.LISTEN_PORT, 7000).error()).isEqualTo("port already in use");

        // from the internet, to the server's public address: the service sees the real caller
        client.ping(INTERNET_ADDR, 1, null); // the wirecage client has no keepalive: its first packet makes the session
        assertThat(askFromInternet("tcp", 18080).stdout().strip()).isEqualTo(INTERNET_ADDR);
        assertThat(askFromInternet("udp", 18081).stdout().strip()).isEqualTo(INTERNET_ADDR);

        // the CLI writes the same [[forward]] tables
        String peerName = "wirecage-" + hex4(key.publicKey());
        Cmd.Result add = cli(config, "forward", "add", peerName, "tcp", "18082", "7000");
        assertThat(add.ok()).as(add.describe()).isTrue();
        assertThat(askFromInternet("tcp", 18082).stdout().strip()).isEqualTo(INTERNET_ADDR);
        assertThat(cli(config, "forward", "list").stdout()).contains("tcp    18082").contains(peerIp + ":7000");
        assertThat(cli(config, "forward", "remove", "tcp", "18082").ok()).isTrue();

        // DELETE stops the forward at once; the other stays
        WirecageClient.Answer del = api(c).unforward(c.ns(), "tcp", 18080);
        assertThat(del.status()).isEqualTo(200);
        assertThat(del.body()).isEqualTo("{\"status\":\"removed\"}");
        assertThat(api(c).unforward(c.ns(), "tcp", 18080).error()).isEqualTo("port forward not found");
        assertThat(askFromInternet("tcp", 18080).ok()).isFalse();
        assertThat(askFromInternet("udp", 18081).ok()).isTrue();
        assertThat(dnatRules(tun)).isEqualTo(1);

        // a restart restores the forward from the config file
        assertThat(server.terminate()).isZero();
        assertThat(dnatRules(tun)).as("stop leaves no DNAT rule").isZero();
        server = startServer(config, "forward-restarted");
        assertThat(dnatRules(tun)).isEqualTo(1);
        client.down();
        client = run(c, key, api(c).register(c.ns(), key.publicKey()));
        client.ping(INTERNET_ADDR, 1, null);
        assertThat(askFromInternet("udp", 18081).stdout().strip()).isEqualTo(INTERNET_ADDR);
        assertThat(askFromInternet("tcp", 18080).ok()).isFalse();

        // a crash leaves rules behind; the next start removes them before adding its own: no duplicates
        server.kill();
        assertThat(dnatRules(tun)).isEqualTo(1);
        server = startServer(config, "forward-after-kill");
        assertThat(dnatRules(tun)).isEqualTo(1);

        // removing the peer drops its forwards
        Cmd.Result remove = config.peerCommand("remove", peerName);
        assertThat(remove.ok()).as(remove.describe()).isTrue();
        assertThat(dnatRules(tun)).isZero();
        assertThat(config.read()).doesNotContain("[[forward]]");
        assertThat(server.terminate()).isZero();
        assertThat(Firewall.taggedRules(topo.server(), ServerProcess.ruleTag(tun))).isEmpty();
        client.down();
    }

    static Cmd.Result askFromInternet(String proto, int port) {
        return WhoCalled.ask(topo, topo.internet(), proto, SERVER_UPLINK_ADDR, port);
    }

    static Cmd.Result cli(TomlConfig config, String... args) {
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--config", config.file().toString()));
        return ServerProcess.cli(topo.server(), argv.toArray(String[]::new)).run();
    }

    static String hex4(String base64Key) {
        byte[] b = java.util.Base64.getDecoder().decode(base64Key);
        return java.util.HexFormat.of().formatHex(b, 0, 4);
    }

    @Test
    void theSameFlowsOverHttpsWithACertificateTheTestMade() {
        Topology.Client c = topo.client(4);
        String dir = topo.workDir().toString();
        // a CA, and a server certificate for the API's address and name, signed by it
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=wirecagesrv e2e CA", "-keyout", dir + "/ca.key", "-out", dir + "/ca.pem");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + SERVER_NAME, "-keyout", dir + "/api.key",
                "-out", dir + "/api.csr");
        topo.writeSecret("san.ext", "subjectAltName = DNS:" + SERVER_NAME + ", IP:" + c.serverSideAddr() + "\n");
        openssl("x509", "-req", "-in", dir + "/api.csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", dir + "/san.ext", "-out", dir + "/api.pem");
        TomlConfig config = config("https.toml", "tls_cert = \"api.pem\"\ntls_key = \"api.key\"").tunName(topo.name("th"));
        config.write();
        ServerProcess server = startServer(config, "https");
        assertThat(server.findLine("registration API on https://")).isNotNull();

        WirecageClient.Api https = new WirecageClient.Api("https://" + c.serverSideAddr() + ":" + API_PORT, TOKEN, dir + "/ca.pem");
        WirecageClient.Api byName = new WirecageClient.Api("https://" + SERVER_NAME + ":" + API_PORT, TOKEN, dir + "/ca.pem");
        WgKeys.KeyPair key = WgKeys.generate();
        WirecageClient.Answer reg = https.register(c.ns(), key.publicKey());
        assertThat(reg.status()).as(reg.body()).isEqualTo(200);
        assertThat(byName.register(c.ns(), key.publicKey()).json()).isEqualTo(reg.json());
        WirecageClient.Api wrong = new WirecageClient.Api(https.baseUrl(), "wrong-token-wrong-token", https.cacert());
        assertThat(wrong.register(c.ns(), key.publicKey()).status()).isEqualTo(401);
        assertThat(https.forward(c.ns(), key.publicKey(), "tcp", 19080, 7100).status()).isEqualTo(201);
        assertThat(https.forward(c.ns(), key.publicKey(), "tcp", 80, 7100).error()).isEqualTo("public port must be >= 1024");
        assertThat(https.unforward(c.ns(), "tcp", 19080).status()).isEqualTo(200);

        // an untrusted certificate or plain HTTP does not get through
        Cmd.Result untrusted = c.ns().cmd("curl", "-sS", "--max-time", "10", "-X", "POST", "--data-binary", "{}",
                https.baseUrl() + "/v1/register").run();
        assertThat(untrusted.ok()).isFalse();
        assertThat(untrusted.stderr()).containsIgnoringCase("certificate");
        Cmd.Result plain = c.ns().cmd("curl", "-sS", "--max-time", "10", "-X", "POST", "--data-binary", "{}",
                "http://" + c.serverSideAddr() + ":" + API_PORT + "/v1/register", "-w", "%{http_code}").run();
        assertThat(plain.ok() && plain.stdout().contains("200")).isFalse();

        WgQuickClient client = run(c, key, reg);
        getByName(client);
        client.down();

        // a renewed certificate (here from another CA) is picked up on SIGHUP, without a restart
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=wirecagesrv e2e CA 2", "-keyout", dir + "/ca2.key", "-out", dir + "/ca2.pem");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + SERVER_NAME,
                "-keyout", dir + "/api2.key", "-out", dir + "/api2.csr");
        openssl("x509", "-req", "-in", dir + "/api2.csr", "-CA", dir + "/ca2.pem", "-CAkey", dir + "/ca2.key", "-CAcreateserial",
                "-days", "2", "-extfile", dir + "/san.ext", "-out", dir + "/api.pem.new");
        Cmd.of("mv", dir + "/api2.key", dir + "/api.key").check();
        Cmd.of("mv", dir + "/api.pem.new", dir + "/api.pem").check();
        Cmd.of("kill", "-HUP", Long.toString(server.pid())).check();
        server.awaitLogLine(Duration.ofSeconds(10), "API certificate re-read");
        WirecageClient.Api renewed = new WirecageClient.Api(https.baseUrl(), TOKEN, dir + "/ca2.pem");
        assertThat(renewed.register(c.ns(), key.publicKey()).json()).isEqualTo(reg.json());
        Cmd.Result oldCa = c.ns().cmd("curl", "-sS", "--max-time", "10", "--cacert", dir + "/ca.pem", "-X", "POST",
                "--data-binary", "{}", https.baseUrl() + "/v1/register").run();
        assertThat(oldCa.ok()).as("the old certificate is no longer served").isFalse();
        assertThat(server.terminate()).isZero();
    }

    static void openssl(String... args) {
        List<String> argv = new ArrayList<>(List.of("openssl"));
        argv.addAll(List.of(args));
        Cmd.of(argv).timeout(Duration.ofSeconds(30)).check();
    }
}
