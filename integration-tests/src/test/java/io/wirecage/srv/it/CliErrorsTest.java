package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Start-up errors: the server exits non-zero with one line that names the problem (no stack trace)
 * and leaves no TUN device, no tagged rule and ip_forward as it was. Runs as root in a scratch
 * namespace (so a wrongly accepted configuration cannot touch the host).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class CliErrorsTest {

    static Topology topology;
    static Netns ns;
    static Path dir;
    static String tun;
    static String uplink;
    static WgKeys.KeyPair serverKey;
    static Path goodKeyFile;
    static String peer1;
    static String peer2;

    @BeforeAll
    static void setUp() throws Exception {
        Require.root();
        Require.tools(List.of("ip", "iptables", "iptables-save", "sysctl", "wg", "python3"));
        ServerProcess.jar();
        ServerProcess.java();
        // A topology without clients provides the scratch namespace and an outbound interface.
        Topology topo = Topology.create("CliErrors", 0);
        topology = topo;
        ns = topo.server();
        dir = topo.workDir();
        tun = topo.tunName();
        uplink = topo.uplink();
        serverKey = WgKeys.generate();
        goodKeyFile = topo.writeSecret("server.key", serverKey.privateKey() + "\n");
        peer1 = WgKeys.generate().publicKey();
        peer2 = WgKeys.generate().publicKey();
    }

    @AfterAll
    static void tearDown() {
        if (topology != null) {
            topology.close();
        }
    }

    @BeforeEach
    void forwardingOff() {
        ns.sysctl("net.ipv4.ip_forward", "0");
    }

    @AfterEach
    void nothingLeftBehind() {
        assertThat(ns.links()).as("links after the failed start").doesNotContain(tun);
        assertThat(Firewall.taggedRules(ns, ServerProcess.ruleTag(tun))).as("tagged rules after the failed start").isEmpty();
        assertThat(ns.sysctl("net.ipv4.ip_forward")).as("ip_forward after the failed start (was 0)").isEqualTo("0");
    }

    private static List<String> args(Path keyFile, String... peerPairs) {
        List<String> a = new ArrayList<>(List.of("--private-key-file", keyFile.toString(),
                "--listen", "0.0.0.0:" + Topology.LISTEN_PORT, "--subnet", Topology.VPN_SUBNET));
        for (int i = 0; i < peerPairs.length; i += 2) {
            a.addAll(List.of("--peer", peerPairs[i], "--peer-ip", peerPairs[i + 1]));
        }
        a.addAll(List.of("--outbound-interface", uplink, "--tun-name", tun));
        return a;
    }

    /** Runs the server expecting a start-up failure; returns its one error line. */
    private static String failsWithOneLine(List<String> args, String... mustMention) {
        Cmd.Result r = ns.cmd(ServerProcess.javaCommand(args)).timeout(Duration.ofSeconds(45)).run();
        System.out.println("[it] " + String.join(" ", args) + "\n  -> exit " + r.exitCode() + ": " + r.output().strip());
        assertThat(r.timedOut()).as("the server must exit by itself on a bad configuration:\n%s", r.describe()).isFalse();
        assertThat(r.exitCode()).as("exit code:\n%s", r.describe()).isNotZero();
        List<String> lines = new ArrayList<>();
        for (String l : Cmd.nonBlankLines(r.output())) {
            if (!l.startsWith("WARNING:")) { // JVM warnings are not the server's output
                lines.add(l);
            }
        }
        assertThat(lines).as("output lines (one line naming the problem expected):\n%s", r.describe()).hasSize(1);
        String line = lines.get(0);
        for (String m : mustMention) {
            assertThat(line).as("the error line names the problem").containsIgnoringCase(m);
        }
        return line;
    }

    @Test
    void missingKeyFile() {
        Path missing = dir.resolve("no-such.key");
        failsWithOneLine(args(missing, peer1, "10.200.100.2/32"), missing.toString());
    }

    @Test
    void keyFileThatIsNotAKey() {
        Path bad = topology.writeSecret("bad.key", "this is not a wireguard key\n");
        failsWithOneLine(args(bad, peer1, "10.200.100.2/32"), bad.toString());
    }

    @Test
    void twoPeersWithTheSameIp() {
        failsWithOneLine(args(goodKeyFile, peer1, "10.200.100.2/32", peer2, "10.200.100.2/32"), "10.200.100.2");
    }

    @Test
    void twoPeersWithOverlappingPrefixes() {
        failsWithOneLine(args(goodKeyFile, peer1, "10.200.100.4/30", peer2, "10.200.100.5/32"), "10.200.100.5");
    }

    @Test
    void peerIpOutsideTheSubnet() {
        failsWithOneLine(args(goodKeyFile, peer1, "10.9.9.2/32"), "10.9.9.2");
    }

    @Test
    void udpPortInUse() {
        try (Background holder = new Background(ns.wrap(List.of(Require.python(), "-u", "-c",
                "import socket, time\n"
                        + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                        + "s.bind(('0.0.0.0', " + Topology.LISTEN_PORT + "))\n"
                        + "print('port held', flush=True)\n"
                        + "time.sleep(120)\n")), dir.resolve("port-holder.log"))) {
            holder.awaitLog("port held", Duration.ofSeconds(10));
            failsWithOneLine(args(goodKeyFile, peer1, "10.200.100.2/32"), "" + Topology.LISTEN_PORT);
        }
    }

    /** A config file with an [api] table (extra lines appended); the key is the good one. */
    private static Path apiConfig(String name, String apiLines) {
        topology.writeSecret("server.key", serverKey.privateKey() + "\n");
        return topology.writeSecret(name, """
                [server]
                private_key_file = "server.key"
                listen_addr = "0.0.0.0:%d"
                subnet = "%s"
                outbound_interface = "%s"
                tun_name = "%s"

                [api]
                listen = "0.0.0.0:8443"
                endpoint = "vpn.test:%d"
                %s
                """.formatted(Topology.LISTEN_PORT, Topology.VPN_SUBNET, uplink, tun, Topology.LISTEN_PORT, apiLines));
    }

    private static String failsWithOneLine(Cmd cmd, String... mustMention) {
        Cmd.Result r = cmd.timeout(Duration.ofSeconds(45)).run();
        System.out.println("[it] " + String.join(" ", cmd.argv()) + "\n  -> exit " + r.exitCode() + ": " + r.output().strip());
        assertThat(r.timedOut()).isFalse();
        assertThat(r.exitCode()).as("exit code:\n%s", r.describe()).isNotZero();
        List<String> lines = Cmd.nonBlankLines(r.output()).stream().filter(l -> !l.startsWith("WARNING:")).toList();
        assertThat(lines).as("one line naming the problem:\n%s", r.describe()).hasSize(1);
        for (String m : mustMention) {
            assertThat(lines.get(0)).containsIgnoringCase(m);
        }
        assertThat(r.output()).as("the token never reaches the output").doesNotContain("tok3n");
        return lines.get(0);
    }

    @Test
    void apiTokenTooShortFromTheEnvironment() {
        Path cfg = apiConfig("short-token.toml", "");
        failsWithOneLine(ns.cmd(ServerProcess.javaCommand(List.of("--config", cfg.toString()))).env("AUTH_TOKEN", "tok3n"),
                "token is too short");
    }

    @Test
    void apiWithoutAConfigFile() {
        List<String> a = args(goodKeyFile, peer1, "10.200.100.2/32");
        a.addAll(List.of("--auth-token", "tok3n-0123456789abcdef"));
        failsWithOneLine(ns.cmd(ServerProcess.javaCommand(a)), "config file");
    }

    @Test
    void apiTlsFilesThatAreNotPem() {
        topology.writeSecret("not-a-cert.pem", "hello\n");
        topology.writeSecret("not-a-key.pem", "hello\n");
        Path cfg = apiConfig("bad-tls.toml", "auth_token = \"tok3n-0123456789abcdef\"\ntls_cert = \"not-a-cert.pem\"\ntls_key = \"not-a-key.pem\"");
        failsWithOneLine(ns.cmd(ServerProcess.javaCommand(List.of("--config", cfg.toString()))), "tls_cert", "not-a-cert.pem");
    }

    @Test
    void apiPortInUseFailsLateAndStillLeavesNothingBehind() {
        try (Background holder = new Background(ns.wrap(List.of(Require.python(), "-u", "-c",
                "import socket, time\n"
                        + "s = socket.socket()\n"
                        + "s.bind(('0.0.0.0', 8443)); s.listen(1)\n"
                        + "print('port held', flush=True)\n"
                        + "time.sleep(120)\n")), dir.resolve("api-port-holder.log"))) {
            holder.awaitLog("port held", Duration.ofSeconds(10));
            Path cfg = apiConfig("api-port.toml", "auth_token = \"tok3n-0123456789abcdef\"");
            failsWithOneLine(ns.cmd(ServerProcess.javaCommand(List.of("--config", cfg.toString()))), "API", "8443");
        }
    }

    /** A config with a [web] table (a well-formed bcrypt hash) and these extra [web] lines. */
    private static Path webConfig(String name, String webLines) {
        topology.writeSecret("server.key", serverKey.privateKey() + "\n");
        return topology.writeSecret(name, """
                [server]
                private_key_file = "server.key"
                listen_addr = "0.0.0.0:%d"
                subnet = "%s"
                outbound_interface = "%s"
                tun_name = "%s"
                endpoint = "vpn.test:51820"

                [web]
                password_hash = "$2a$12$abcdefghijklmnopqrstuu5Zp0G4Sxn1aXb6bQ0Sp6Kbb0Fd7hPsK"
                %s
                """.formatted(Topology.LISTEN_PORT, Topology.VPN_SUBNET, uplink, tun, webLines));
    }

    @Test
    void webPasswordHashThatIsNotBcrypt() throws Exception {
        Path cfg = topology.writeSecret("web-plain.toml", java.nio.file.Files.readString(webConfig("web-tmp.toml", ""))
                .replace("$2a$12$abcdefghijklmnopqrstuu5Zp0G4Sxn1aXb6bQ0Sp6Kbb0Fd7hPsK", "hunter2"));
        failsWithOneLine(ns.cmd(ServerProcess.javaCommand(List.of("--config", cfg.toString()))), "password_hash",
                "web-password");
    }

    @Test
    void webTlsFilesThatAreNotPem() {
        topology.writeSecret("not-a-cert.pem", "hello\n");
        topology.writeSecret("not-a-key.pem", "hello\n");
        Path cfg = webConfig("web-bad-tls.toml", "tls_cert = \"not-a-cert.pem\"\ntls_key = \"not-a-key.pem\"");
        failsWithOneLine(ns.cmd(ServerProcess.javaCommand(List.of("--config", cfg.toString()))), "not-a-cert.pem");
    }

    @Test
    void webPortInUseLeavesNothingBehind() {
        try (Background holder = new Background(ns.wrap(List.of(Require.python(), "-u", "-c",
                "import socket, time\n"
                        + "s = socket.socket()\n"
                        + "s.bind(('127.0.0.1', 51821)); s.listen(1)\n"
                        + "print('port held', flush=True)\n"
                        + "time.sleep(120)\n")), dir.resolve("web-port-holder.log"))) {
            holder.awaitLog("port held", Duration.ofSeconds(10));
            Path cfg = webConfig("web-port.toml", "");
            failsWithOneLine(ns.cmd(ServerProcess.javaCommand(List.of("--config", cfg.toString()))), "web console",
                    "127.0.0.1:51821", "[web] listen");
        }
    }
}
