package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The release archive (release/target/wirecagesrv-VERSION-linux-x86_64.tar.gz, built by the
 * release module) on its own: unpacked into an empty directory and run with an environment that
 * has no JDK, Maven or cargo on PATH and no JAVA_HOME (PATH holds only what the launcher and the
 * server call: sh, readlink, dirname, iptables). A real wg-quick client then reaches the internet
 * namespace through it. Prints the archive size, the unpacked size and the start-up time.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLogsOnFailure.class)
class ReleaseArchiveTest {

    /** The only commands on the server's PATH. */
    static final List<String> PATH_TOOLS = List.of("sh", "readlink", "dirname", "iptables");

    static Topology topo;
    static HttpTarget target;
    static Path archive;

    @BeforeAll
    static void setUp() {
        Require.e2e("tar", "gzip");
        archive = archive();
        topo = Topology.create("ReleaseArchive", 1);
        target = HttpTarget.start(topo);
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    /** The archive the release module built; fails with how to build it. */
    static Path archive() {
        String p = System.getProperty("wirecagesrv.release.archive");
        if (p == null || p.isBlank()) {
            throw new AssertionError("system property wirecagesrv.release.archive is not set (integration-tests/pom.xml sets it)");
        }
        Path a = Path.of(p).toAbsolutePath().normalize();
        if (!Files.isRegularFile(a)) {
            throw new AssertionError("release archive " + a + " does not exist: build it with "
                    + "mvn -DskipTests package -pl release -am (bin/test builds it)");
        }
        return a;
    }

    /** Unpacks the archive into {@code dir} (must not exist yet) and returns the top directory. */
    static Path unpack(Path dir) throws IOException {
        assertThat(dir).doesNotExist();
        Files.createDirectories(dir);
        Cmd.of("tar", "-xzf", archive().toString(), "-C", dir.toString()).timeout(Duration.ofSeconds(60)).check();
        try (Stream<Path> top = Files.list(dir)) {
            List<Path> entries = top.toList();
            assertThat(entries).as("top level of the archive").hasSize(1);
            Path home = entries.get(0);
            assertThat(home.getFileName().toString()).matches("wirecagesrv-.+-linux-x86_64");
            return home;
        }
    }

    @Test
    void unpackedArchiveRunsWithoutJdkAndCarriesTraffic() throws Exception {
        Path home = unpack(topo.workDir().resolve("unpacked"));
        for (String f : List.of("bin/wirecagesrv", "runtime/bin/java", "lib/wirecagesrv.jar", "etc/wirecagesrv.toml.example",
                "systemd/wirecagesrv.service", "completion/wirecagesrv.bash", "INSTALL", "VERSION")) {
            assertThat(home.resolve(f)).as("%s in the archive", f).exists();
        }
        assertThat(Files.isExecutable(home.resolve("bin/wirecagesrv"))).as("launcher executable").isTrue();
        assertThat(Files.readString(home.resolve("systemd/wirecagesrv.service")))
                .as("the archive's unit is the repository's")
                .isEqualTo(Files.readString(repo().resolve("release/wirecagesrv.service")));
        assertThat(Files.readString(home.resolve("VERSION"))).containsPattern("(?m)^boringtun \\d+\\.\\d+\\.\\d+ ");
        String modules = Cmd.of(home.resolve("runtime/bin/java").toString(), "--list-modules").check().stdout();
        assertThat(modules).as("jlink runtime modules").contains("java.base").doesNotContain("java.desktop")
                .doesNotContain("jdk.compiler").doesNotContain("jdk.jshell");
        long unpacked = Long.parseLong(Cmd.of("du", "-sb", home.toString()).check().stdout().split("\\s+")[0]);
        System.out.printf("[it] MEASURED release archive %s: %.1f MB, unpacked %.1f MB; runtime modules: %s%n",
                archive.getFileName(), Files.size(archive) / 1e6, unpacked / 1e6,
                String.join(",", Cmd.nonBlankLines(modules)).replaceAll("@[^,]+", ""));

        // A PATH with only the tools the launcher and the server call: no java, mvn or cargo.
        Path bin = topo.workDir().resolve("path-bin");
        Files.createDirectories(bin);
        for (String tool : PATH_TOOLS) {
            Path real = Require.which(tool);
            assertThat(real).as("%s on this machine", tool).isNotNull();
            Files.createSymbolicLink(bin.resolve(tool), real);
        }
        List<String> env = List.of("env", "-i", "PATH=" + bin, "LANG=C.UTF-8");
        Cmd.Result noJdk = Cmd.of(concat(env, List.of(Require.which("sh").toString(), "-c",
                "command -v java; command -v javac; command -v mvn; command -v cargo; echo \"JAVA_HOME=${JAVA_HOME:-}\""))).run();
        assertThat(noJdk.stdout().strip()).as("java/javac/mvn/cargo/JAVA_HOME in the server's environment").isEqualTo("JAVA_HOME=");

        WgKeys.KeyPair serverKey = WgKeys.generate();
        WgKeys.KeyPair clientKey = WgKeys.generate();
        // with the registration API over HTTPS: Jetty, Jackson and TLS must work in the trimmed runtime
        String dir = topo.workDir().toString();
        RegistrationApiTest.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", dir + "/api.key", "-out", dir + "/api.pem");
        TomlConfig config = TomlConfig.create(topo, serverKey, "release.toml")
                .peer(TomlConfig.Peer.of("client1", clientKey.publicKey(), topo.client(1).tunnelAddr() + "/32"))
                .extra("""
                        [api]
                        listen = "127.0.0.1:8443"
                        auth_token = "release-test-token-0123"
                        endpoint = "vpn.test:51820"
                        tls_cert = "api.pem"
                        tls_key = "api.key"
                        """);
        config.write();
        List<String> argv = concat(env, List.of(home.resolve("bin/wirecagesrv").toString(), "--config", config.file().toString()));
        long t0 = System.nanoTime();
        ServerProcess server = topo.track(ServerProcess.startCommand(topo.server(), argv, topo.tunName(),
                topo.workDir().resolve("release-server.log")));
        server.awaitReady();
        long startMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("[it] MEASURED release archive start-up: %d ms from exec of bin/wirecagesrv to \"listening on\"%n", startMs);

        // The process is the archive's own runtime.
        Path exe = Path.of("/proc", "" + server.pid(), "exe").toRealPath();
        assertThat(exe).as("executable of the server process").isEqualTo(home.resolve("runtime/bin/java").toRealPath());
        assertThat(server.log()).contains("wirecagesrv ").contains("listening on").contains("registration API on https://127.0.0.1:8443");
        WirecageClient.Answer reg = new WirecageClient.Api("https://127.0.0.1:8443", "release-test-token-0123", dir + "/api.pem")
                .register(topo.server(), WgKeys.generate().publicKey());
        assertThat(reg.status()).as("registration over HTTPS: %s", reg.body()).isEqualTo(200);
        assertThat(reg.text("client_address")).isEqualTo("10.200.100.3/24");

        WgQuickClient client = WgQuickClient.fullTunnel(topo, topo.client(1), clientKey, serverKey.publicKey());
        client.up();
        Cmd.Result get = client.get(target.url());
        assertThat(get.ok()).as("HTTP GET through the release server:\n%s", get.describe()).isTrue();
        assertThat(get.stdout()).isEqualTo(target.content());
        Cmd.Result ping = client.ping(INTERNET_ADDR, 3, null);
        assertThat(ping.stdout()).as("ping through the release server:\n%s", ping.describe()).contains("3 packets transmitted, 3 received");
        assertThat(target.requestSources()).as("the target sees the server's NAT address").contains(Topology.SERVER_UPLINK_ADDR);

        // Its own CLI (same environment) talks to it.
        Cmd.Result status = topo.server().cmd(concat(env, List.of(home.resolve("bin/wirecagesrv").toString(),
                "status", "--tun-name", topo.tunName()))).timeout(Duration.ofSeconds(30)).run();
        assertThat(status.ok()).as("status:\n%s", status.describe()).isTrue();
        assertThat(ServerStatus.parse(status.stdout()).peerLong(clientKey.publicKey(), "rx_packets")).isPositive();

        client.down();
        assertThat(server.terminate()).as("exit code after SIGTERM").isZero();
        assertThat(topo.server().hasLink(topo.tunName())).as("TUN after the stop").isFalse();
    }

    static Path repo() {
        String p = System.getProperty("wirecagesrv.repo");
        if (p == null || p.isBlank()) {
            throw new AssertionError("system property wirecagesrv.repo is not set (integration-tests/pom.xml sets it)");
        }
        return Path.of(p).toAbsolutePath().normalize();
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
