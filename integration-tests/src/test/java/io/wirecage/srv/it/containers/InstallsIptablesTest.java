package io.wirecage.srv.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The README's first command on a machine without iptables: a container from the project's own
 * base image ({@value #BASE_IMAGE}, Debian bookworm minbase) with iptables purged first, the
 * repository (with the built jar) and the host's JDK mounted read-only, runs {@code bin/wirecagesrv}
 * with no arguments as root. It must say that it installs iptables, install it with apt-get (from
 * Debian's mirror, the only network it uses), start (first run: state directory, key, config), add
 * its NAT rule, and stop cleanly on SIGTERM.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class InstallsIptablesTest {

    static final String BASE_IMAGE = "wirecage-base:bookworm";
    static final String JDK = "/usr/lib/jvm/temurin-25-jdk-amd64";
    static final String SCRIPT = """
            set -u
            apt-get purge -y -q iptables >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 3; }
            if command -v iptables >/dev/null || [ -e /usr/sbin/iptables ]; then echo "iptables still present"; exit 4; fi
            echo "test: iptables removed"
            exec /src/bin/wirecagesrv
            """;

    @Test
    void binWirecagesrvInstallsIptablesAndStarts() throws Exception {
        DockerClient docker = ContainerEnv.require(BASE_IMAGE);
        Path repo = Path.of(System.getProperty("wirecagesrv.repo", "")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(repo.resolve("java/target/wirecagesrv.jar"))) {
            throw new AssertionError("java/target/wirecagesrv.jar missing under " + repo + ": build it first (mvn -DskipTests package -pl java -am)");
        }
        if (!Files.isExecutable(Path.of(JDK, "bin/java"))) {
            throw new AssertionError("this test mounts the host's JDK " + JDK + " into the container (bin/java-home.sh looks there first); it is missing");
        }
        long t0 = System.nanoTime();
        try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(BASE_IMAGE))
                .withImagePullPolicy(ContainerEnv.NEVER_PULL)
                .withLabel(ContainerEnv.LABEL, "1")
                .withLabel(ContainerEnv.LABEL_OWNER, ContainerEnv.OWNER)
                .withPrivilegedMode(true)
                .withFileSystemBind(repo.toString(), "/src", BindMode.READ_ONLY)
                .withFileSystemBind(JDK, JDK, BindMode.READ_ONLY)
                .withCommand("bash", "-c", SCRIPT)
                .waitingFor(Wait.forLogMessage(".*listening on.*\\n", 1).withStartupTimeout(Duration.ofMinutes(3)))) {
            try {
                c.start();
            } catch (RuntimeException e) {
                throw new AssertionError("bin/wirecagesrv did not start in the container; its output:\n" + c.getLogs(), e);
            }
            long readyMs = (System.nanoTime() - t0) / 1_000_000;
            String log = c.getLogs();
            System.out.println("[ct] MEASURED iptables purge + bin/wirecagesrv (apt-get install iptables, first run) to \"listening on\": "
                    + readyMs + " ms");
            assertThat(log).contains("test: iptables removed")
                    .contains("wirecagesrv: installing iptables with apt-get (missing: iptables ip6tables)")
                    .contains("wirecagesrv: installed iptables")
                    .contains("first run: created /var/lib/wirecagesrv/wirecagesrv.toml");
            assertThat(log.indexOf("installing iptables")).as("the install is announced before the server starts")
                    .isLessThan(log.indexOf("listening on"));
            var rules = c.execInContainer("iptables", "-t", "nat", "-S");
            assertThat(rules.getStdout()).as("NAT rules in the container").contains("wirecagesrv:wg-srv").contains("MASQUERADE");

            docker.stopContainerCmd(c.getContainerId()).withTimeout(20).exec();
            Long exit = docker.inspectContainerCmd(c.getContainerId()).exec().getState().getExitCodeLong();
            String finalLog = c.getLogs();
            System.out.println("[ct] ---- container output ----\n" + finalLog.strip());
            assertThat(exit).as("exit code after docker stop (SIGTERM)").isZero();
            assertThat(finalLog).contains("stopped: TUN wg-srv removed, firewall rules removed");
        }
    }
}
