package io.wirecage.srv.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The systemd unit under a real systemd: a container of the base image boots systemd 252 as PID 1
 * (installed from Debian's mirror at start), the release archive is mounted read-only at
 * /opt/wirecagesrv and installed as INSTALL says (system user, unit file, daemon-reload, start).
 * Checks: the service runs as the wirecagesrv user with CAP_NET_ADMIN as its only capability (ambient,
 * bounding set, no new privileges) in its sandbox; StateDirectory holds the first-run config and key,
 * RuntimeDirectory the control socket; iptables rule and ip_forward in place; `peer add` as root
 * keeps the config the service's and reaches it; `systemctl reload` (ExecReload, SIGHUP) re-reads;
 * a wg-quick client container pings the server's tunnel address; `systemctl stop` cleans up.
 *
 * <p>/dev/net/tun in a container is a copy of the host's node, 0600 on this VM (no udev); the test
 * sets 0666 inside the container, which is what udev's default rule does on a normal host.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SystemdServiceTest {

    static final String BASE_IMAGE = "wirecage-base:bookworm";
    static final String BOOT = """
            set -u
            mkdir -p /usr/share/man/man1
            { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd systemd-sysv; } \\
              >/tmp/apt.log 2>&1 || { tail -n 20 /tmp/apt.log; echo "test: systemd install failed"; exit 3; }
            echo "test: systemd installed, booting it"
            exec /lib/systemd/systemd
            """;

    static Path unpacked;

    @AfterAll
    static void cleanUp() {
        if (unpacked != null) {
            run(List.of("rm", "-rf", "--one-file-system", unpacked.toString()));
        }
    }

    @Test
    void unitRunsTheReleaseAsUnprivilegedServiceThatServesReloadsAndStops() throws Exception {
        DockerClient docker = ContainerEnv.require(BASE_IMAGE, ContainerEnv.CLIENT_IMAGE);
        Path archive = Path.of(System.getProperty("wirecagesrv.release.archive", "")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(archive)) {
            throw new AssertionError("release archive " + archive + " missing: mvn -DskipTests package -pl release -am (bin/test builds it)");
        }
        unpacked = Files.createTempDirectory("wct-systemd-");
        run(List.of("tar", "-xzf", archive.toString(), "-C", unpacked.toString()));
        Path home;
        try (var s = Files.list(unpacked)) {
            home = s.findFirst().orElseThrow();
        }
        run(List.of("chmod", "-R", "a+rX", unpacked.toString()));

        try (GenericContainer<?> host = new GenericContainer<>(DockerImageName.parse(BASE_IMAGE))
                .withImagePullPolicy(ContainerEnv.NEVER_PULL)
                .withLabel(ContainerEnv.LABEL, "1")
                .withLabel(ContainerEnv.LABEL_OWNER, ContainerEnv.OWNER)
                .withPrivilegedMode(true)
                .withFileSystemBind("/sys/fs/cgroup", "/sys/fs/cgroup", BindMode.READ_WRITE)
                .withFileSystemBind(home.toString(), "/opt/wirecagesrv", BindMode.READ_ONLY)
                .withTmpFs(Map.of("/run", "rw", "/run/lock", "rw"))
                .withCreateContainerCmdModifier(c -> c.getHostConfig().withCgroupnsMode("host"))
                .withCommand("bash", "-c", BOOT)
                .waitingFor(Wait.forLogMessage(".*test: systemd installed.*\\n", 1).withStartupTimeout(Duration.ofMinutes(2)))) {
            try {
                host.start();
            } catch (RuntimeException e) {
                throw new AssertionError("the systemd container did not come up; its output:\n" + host.getLogs(), e);
            }
            String state = awaitOutput(host, "systemctl is-system-running || true", Pattern.compile("running|degraded"), Duration.ofSeconds(60));
            System.out.println("[ct] systemd in the container: " + sh(host, "systemctl --version | head -1").strip() + ", state " + state.strip());

            // INSTALL's steps (the archive is already at /opt/wirecagesrv).
            sh(host, "chmod 0666 /dev/net/tun"); // udev's default mode; see the class comment
            check(host, "useradd --system --home-dir /var/lib/wirecagesrv --shell /usr/sbin/nologin wirecagesrv"
                    + " && cp /opt/wirecagesrv/systemd/wirecagesrv.service /etc/systemd/system/ && systemctl daemon-reload");
            long t0 = System.nanoTime();
            check(host, "systemctl start wirecagesrv");
            awaitOutput(host, "journalctl -u wirecagesrv --no-pager -o cat", Pattern.compile("listening on"), Duration.ofSeconds(60));
            System.out.printf("[ct] MEASURED systemctl start to \"listening on\" (first run: key and config created): %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);

            String pid = check(host, "systemctl show -p MainPID --value wirecagesrv").strip();
            String status = check(host, "cat /proc/" + pid + "/status");
            String uid = check(host, "id -u wirecagesrv").strip();
            assertThat(field(status, "Uid")).as("the service's uids").isEqualTo(String.join("\t", uid, uid, uid, uid));
            assertThat(uid).isNotEqualTo("0");
            for (String caps : List.of("CapEff", "CapPrm", "CapAmb", "CapBnd")) {
                assertThat(field(status, caps)).as(caps + " of the service").isEqualTo("0000000000001000");
            }
            assertThat(field(status, "NoNewPrivs")).isEqualTo("1");
            assertThat(check(host, "stat -c '%U %a' /var/lib/wirecagesrv /var/lib/wirecagesrv/server.key /var/lib/wirecagesrv/wirecagesrv.toml"
                    + " /run/wirecagesrv /run/wirecagesrv/wg-srv.sock"))
                    .as("state and runtime directories").isEqualTo("""
                            wirecagesrv 700
                            wirecagesrv 600
                            wirecagesrv 600
                            wirecagesrv 700
                            wirecagesrv 600
                            """);
            assertThat(check(host, "iptables -t nat -S")).contains("wirecagesrv:wg-srv");
            assertThat(check(host, "cat /proc/sys/net/ipv4/ip_forward").strip()).isEqualTo("1");

            // A peer, added by root with the archive's CLI; the config stays the service's.
            String conf = check(host, "/opt/wirecagesrv/bin/wirecagesrv peer add laptop");
            assertThat(check(host, "stat -c %U /var/lib/wirecagesrv/wirecagesrv.toml").strip()).isEqualTo("wirecagesrv");
            check(host, "systemctl reload wirecagesrv");
            awaitOutput(host, "journalctl -u wirecagesrv --no-pager -o cat", Pattern.compile("reloaded: 1 peer"), Duration.ofSeconds(20));

            // A real client: the generated config, as a split tunnel to the server's address.
            String serverIp = check(host, "ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1").strip();
            String clientConf = conf.lines().filter(l -> !l.startsWith("DNS") && !l.startsWith("AllowedIPs") && !l.startsWith("Endpoint"))
                    .reduce("", (a, b) -> a + b + "\n") + "AllowedIPs = 10.200.100.1/32\nEndpoint = " + serverIp + ":51820\n";
            try (GenericContainer<?> client = new GenericContainer<>(DockerImageName.parse(ContainerEnv.CLIENT_IMAGE))
                    .withImagePullPolicy(ContainerEnv.NEVER_PULL)
                    .withLabel(ContainerEnv.LABEL, "1")
                    .withLabel(ContainerEnv.LABEL_OWNER, ContainerEnv.OWNER)
                    .withPrivilegedMode(true)) {
                client.start();
                client.copyFileToContainer(org.testcontainers.images.builder.Transferable.of(clientConf, 0600), "/etc/wireguard/wct0.conf");
                ExecResult up = client.execInContainer("wg-quick", "up", "wct0");
                assertThat(up.getExitCode()).as("wg-quick up:\n%s%s", up.getStdout(), up.getStderr()).isZero();
                ExecResult ping = client.execInContainer("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", "10.200.100.1");
                assertThat(ping.getStdout()).as("ping through the tunnel to the service:\n%s", ping.getStderr())
                        .contains("3 packets transmitted, 3 received");
            }
            assertThat(check(host, "/opt/wirecagesrv/bin/wirecagesrv status")).contains("counter.handshakes_completed=1");

            check(host, "systemctl stop wirecagesrv");
            assertThat(sh(host, "systemctl is-active wirecagesrv").strip()).isEqualTo("inactive");
            String journal = check(host, "journalctl -u wirecagesrv --no-pager -o cat");
            assertThat(journal).contains("stopped: TUN wg-srv removed, firewall rules removed").doesNotContain(
                    check(host, "cat /var/lib/wirecagesrv/server.key").strip());
            assertThat(check(host, "iptables-save")).doesNotContain("wirecagesrv:wg-srv");
            assertThat(sh(host, "ip link show wg-srv 2>&1")).contains("does not exist");
        }
    }

    /** Runs a shell command in the container; returns stdout+stderr whatever the exit code. */
    static String sh(GenericContainer<?> c, String cmd) throws Exception {
        ExecResult r = c.execInContainer("bash", "-c", cmd);
        return r.getStdout() + r.getStderr();
    }

    /** Runs a shell command in the container and fails with its output unless it exits 0; returns stdout. */
    static String check(GenericContainer<?> c, String cmd) throws Exception {
        ExecResult r = c.execInContainer("bash", "-c", cmd);
        if (r.getExitCode() != 0) {
            throw new AssertionError("in the systemd container: " + cmd + " exited " + r.getExitCode() + "\n" + r.getStdout() + r.getStderr()
                    + "\n---- journal of wirecagesrv ----\n" + c.execInContainer("bash", "-c", "journalctl -u wirecagesrv --no-pager | tail -n 30").getStdout());
        }
        return r.getStdout();
    }

    /** Polls a command (every 250 ms, bounded) until its output matches; fails with the last output. */
    static String awaitOutput(GenericContainer<?> c, String cmd, Pattern p, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String out = "";
        while (System.nanoTime() < deadline) {
            out = sh(c, cmd);
            Matcher m = p.matcher(out);
            if (m.find()) {
                return out;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no match for /" + p + "/ in the output of `" + cmd + "` within " + timeout.toSeconds() + " s; last output:\n" + out);
    }

    static String field(String procStatus, String name) {
        return procStatus.lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).strip())
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in /proc/PID/status"));
    }

    static void run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", argv) + " failed:\n" + out);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
