package io.wirecage.srv.it.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.ImagePullPolicy;

/**
 * Preconditions and shared settings of the container tests.
 *
 * <p>They FAIL (never skip) when the engine does not answer or an image is missing: a green run
 * that tested nothing would be worse than a red one. {@code bin/test} starts the engine
 * ({@code docker/engine.sh}) and builds the images ({@code docker/build-images.sh}) first.
 *
 * <p>Nothing can be pulled on the test machines, so every container uses {@link #NEVER_PULL}, and
 * Testcontainers must run without Ryuk (the reaper image cannot be pulled): surefire sets
 * {@code TESTCONTAINERS_RYUK_DISABLED=true} and {@code TESTCONTAINERS_HOST_OVERRIDE=localhost}. Without
 * Ryuk, the tests remove what they create themselves ({@link Lab#close()}), and {@link #require}
 * first sweeps containers and networks that a killed earlier run left behind (found by label: the
 * run's JVM, identified by pid and start time, is gone).
 */
final class ContainerEnv {

    static final String SERVER_IMAGE = "wirecagesrv:latest";
    static final String CLIENT_IMAGE = "wirecage-client:latest";
    static final String BORINGTUN_IMAGE = "wirecage-boringtun-client:latest";
    /** Where the server image keeps its jar (the image's ENTRYPOINT runs it). */
    static final String SERVER_JAR_IN_IMAGE = "/opt/wirecagesrv/wirecagesrv.jar";

    /** Label on every container and network the tests create. */
    static final String LABEL = "org.wirecagesrv.ct";
    /** "pid@start-instant" of the JVM that created it (to sweep leftovers of killed runs). */
    static final String LABEL_OWNER = "org.wirecagesrv.ct.owner";
    static final long PID = ProcessHandle.current().pid();
    static final String OWNER = PID + "@" + ProcessHandle.current().info().startInstant().map(Instant::toString).orElse("?");

    static final ImagePullPolicy NEVER_PULL = imageName -> false;

    private static boolean swept;

    private ContainerEnv() {
    }

    /** Engine up, Testcontainers configured for this machine, the images present. Fails with the reason. */
    static synchronized DockerClient require(String... images) {
        quietTestcontainersLogging();
        List<String> problems = new ArrayList<>();
        if (!"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
            problems.add("environment variable TESTCONTAINERS_RYUK_DISABLED=true is not set (the Ryuk image cannot be pulled; "
                    + "surefire sets it in integration-tests/pom.xml: run through Maven, or export it)");
        }
        if (System.getenv("TESTCONTAINERS_HOST_OVERRIDE") == null) {
            problems.add("environment variable TESTCONTAINERS_HOST_OVERRIDE is not set (use localhost; "
                    + "otherwise Testcontainers starts an alpine container to find the host)");
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("container tests cannot run: " + String.join("; ", problems));
        }
        boolean available;
        Throwable why = null;
        try {
            available = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            available = false;
            why = e;
        }
        if (!available) {
            throw new AssertionError("container tests need a Docker engine, and `docker info` does not answer "
                    + "(start it with docker/engine.sh; bin/test does that). They fail rather than skip on purpose.", why);
        }
        DockerClient docker = DockerClientFactory.instance().client();
        List<String> missing = new ArrayList<>();
        for (String image : images) {
            try {
                docker.inspectImageCmd(image).exec();
            } catch (NotFoundException e) {
                missing.add(image);
            }
        }
        if (!missing.isEmpty()) {
            throw new AssertionError("container tests need the images " + missing + ", which are not in the local engine "
                    + "(nothing can be pulled here): build them with docker/build-images.sh after building "
                    + "java/target/wirecagesrv.jar (bin/test does both).");
        }
        if (!swept) {
            swept = true;
            sweepLeftovers(docker);
        }
        return docker;
    }

    /**
     * The server jar on the test classpath brings logback at INFO: Testcontainers would print the
     * engine's details and every container start. WARN is enough (the tests print what matters).
     */
    private static void quietTestcontainersLogging() {
        for (String name : List.of("org.testcontainers", "tc", "com.github.dockerjava")) {
            Object logger = org.slf4j.LoggerFactory.getLogger(name);
            try {
                Class<?> level = Class.forName("ch.qos.logback.classic.Level");
                Object warn = level.getMethod("toLevel", String.class).invoke(null, "WARN");
                logger.getClass().getMethod("setLevel", level).invoke(logger, warn);
            } catch (ReflectiveOperationException | LinkageError e) {
                return; // another slf4j binding: leave it as configured
            }
        }
    }

    /** Removes containers and networks with our label whose creating JVM no longer runs. */
    private static void sweepLeftovers(DockerClient docker) {
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL, "1")).exec()) {
            if (ownerAlive(c.getLabels().get(LABEL_OWNER))) {
                continue;
            }
            System.out.println("[ct] removing leftover container " + String.join(",", c.getNames()) + " of a finished run");
            try {
                docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            } catch (RuntimeException e) {
                System.out.println("[ct]   could not remove it: " + e);
            }
        }
        for (com.github.dockerjava.api.model.Network n : docker.listNetworksCmd().withFilter("label", List.of(LABEL + "=1")).exec()) {
            if (ownerAlive(n.getLabels() == null ? null : n.getLabels().get(LABEL_OWNER))) {
                continue;
            }
            System.out.println("[ct] removing leftover network " + n.getName() + " of a finished run");
            try {
                docker.removeNetworkCmd(n.getId()).exec();
            } catch (RuntimeException e) {
                System.out.println("[ct]   could not remove it: " + e);
            }
        }
    }

    private static boolean ownerAlive(String owner) {
        if (owner == null || !owner.contains("@")) {
            return false;
        }
        long pid;
        try {
            pid = Long.parseLong(owner.substring(0, owner.indexOf('@')));
        } catch (NumberFormatException e) {
            return false;
        }
        String start = owner.substring(owner.indexOf('@') + 1);
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        return h.isPresent() && h.get().info().startInstant().map(Instant::toString).orElse("?").equals(start);
    }
}
