package io.wirecage.srv.it.containers;

import io.wirecage.srv.it.ServerStatus;
import com.github.dockerjava.api.DockerClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;

/**
 * The server image ({@value ContainerEnv#SERVER_IMAGE}) as a privileged container, the "CI in
 * privileged containers" use: created on the lab's "wan" network (eth0, its default route: NAT goes
 * out there, where the "internet" target is), then connected to the client networks. Configured by
 * flags, or by a TOML file ({@link #startWithConfig}); the key and config files are copied in (0600).
 */
final class ServerContainer implements VpnServer {

    static final String TUN = "wgs0";
    static final int PORT = 51820;
    static final String SUBNET = "10.200.100.0/24";
    static final String KEY_FILE = "/etc/wirecagesrv/server.key";
    static final String CONFIG_FILE = "/etc/wirecagesrv/wirecagesrv.toml";
    /** The server's host number on every lab network. */
    static final int HOST = 2;

    final Node node;
    final Keys.Pair key;

    private ServerContainer(Node node, Keys.Pair key) {
        this.node = node;
        this.key = key;
    }

    /** Client peers as flags: --peer KEY --peer-ip IP/32 per entry of PEERS (public key -> address). */
    static ServerContainer startWithFlags(Lab lab, Keys.Pair key, Map<String, String> peers, String... clientNets) {
        List<String> args = new ArrayList<>(List.of("--private-key-file", KEY_FILE, "--listen", "0.0.0.0:" + PORT,
                "--subnet", SUBNET, "--tun-name", TUN));
        peers.forEach((pub, ip) -> args.addAll(List.of("--peer", pub, "--peer-ip", ip + "/32")));
        return start(lab, key, args, Map.of(KEY_FILE, key.privateKey() + "\n"), clientNets);
    }

    /** Client peers in a TOML config file (name -> [public key, address]). */
    static ServerContainer startWithConfig(Lab lab, Keys.Pair key, Map<String, String[]> peers, int keepalive, String... clientNets) {
        StringBuilder toml = new StringBuilder();
        toml.append("[server]\nprivate_key_file = \"server.key\"\nlisten_addr = \"0.0.0.0:").append(PORT)
                .append("\"\nsubnet = \"").append(SUBNET).append("\"\ntun_name = \"").append(TUN).append("\"\nmtu = 1420\n");
        peers.forEach((name, kv) -> {
            toml.append("\n[[peer]]\nname = \"").append(name).append("\"\npublic_key = \"").append(kv[0])
                    .append("\"\nallowed_ips = [\"").append(kv[1]).append("/32\"]\n");
            if (keepalive > 0) {
                toml.append("persistent_keepalive = ").append(keepalive).append('\n');
            }
        });
        Map<String, String> files = new LinkedHashMap<>();
        files.put(KEY_FILE, key.privateKey() + "\n");
        files.put(CONFIG_FILE, toml.toString());
        return start(lab, key, List.of("--config", CONFIG_FILE), files, clientNets);
    }

    private static ServerContainer start(Lab lab, Keys.Pair key, List<String> args, Map<String, String> files, String... clientNets) {
        Node[] holder = new Node[1];
        lab.onFailureDump(() -> holder[0] == null ? "" : "[ct] ---- server container log ----\n" + tail(holder[0].logs(), 60));
        try {
            holder[0] = lab.start("server", ContainerEnv.SERVER_IMAGE, "wan", HOST, c -> {
                c.withPrivilegedMode(true)
                        .withCommand(args.toArray(String[]::new))
                        .waitingFor(Wait.forLogMessage(".*" + LISTENING + ".*\\n", 1).withStartupTimeout(Duration.ofSeconds(45)));
                files.forEach((path, content) -> c.withCopyToContainer(Transferable.of(content, 0600), path));
            });
        } catch (RuntimeException e) {
            throw new AssertionError("the server container did not log '" + LISTENING + "': " + e
                    + "\n(docker run --privileged " + ContainerEnv.SERVER_IMAGE + " " + String.join(" ", args) + ")", e);
        }
        ServerContainer s = new ServerContainer(holder[0], key);
        for (String net : clientNets) {
            s.node.connect(lab.net(net), HOST);
        }
        String wanIf = s.node.interfaceOf(s.node.ip("wan"));
        System.out.printf("[ct] server container %s (wan %s on %s): %s%n", s.node.name, s.node.ip("wan"), wanIf,
                s.listeningLine().replaceAll(".*INFO\\s+\\S+ - ", ""));
        s.compareJarOnce();
        if (!s.listeningLine().contains("NAT out " + wanIf)) {
            throw new AssertionError("the server should NAT out " + wanIf + " (the wan network, its default route): "
                    + s.listeningLine());
        }
        return s;
    }

    /** The address clients on network NET_ROLE send to. */
    String endpoint(String netRole) {
        return node.ip(netRole) + ":" + PORT;
    }

    @Override
    public String publicKey() {
        return key.publicKey();
    }

    @Override
    public ServerStatus status() {
        Result r = node.exec(30, "java", "--enable-native-access=ALL-UNNAMED", "-jar", ContainerEnv.SERVER_JAR_IN_IMAGE,
                "status", "--tun-name", TUN);
        if (!r.ok()) {
            throw new AssertionError("status failed: " + r.describe() + "\nserver log:\n" + tail(logs(), 30));
        }
        return ServerStatus.parse(r.out());
    }

    @Override
    public String logs() {
        return node.logs();
    }

    long countInLog(String s) {
        return logs().lines().filter(l -> l.contains(s)).count();
    }

    /** docker restart (SIGTERM, same container: same key, config and addresses); waits for the new "listening on". */
    long restart() {
        long before = countInLog(LISTENING);
        DockerClient docker = node.lab.docker();
        long t0 = System.nanoTime();
        docker.restartContainerCmd(node.id()).withTimeout(15).exec();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (countInLog(LISTENING) <= before) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server did not log '" + LISTENING + "' within 60 s of the restart:\n" + tail(logs(), 30));
            }
            Boolean running = docker.inspectContainerCmd(node.id()).exec().getState().getRunning();
            if (!Boolean.TRUE.equals(running) && System.nanoTime() - t0 > 5_000_000_000L) {
                throw new AssertionError("the server container is not running after the restart:\n" + tail(logs(), 30));
            }
            Lab.sleep(200);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        node.note("restarted in " + ms + " ms");
        return ms;
    }

    private static boolean jarCompared;

    /**
     * Says once per run whether the image holds the jar java/target has now (bin/test rebuilds the
     * image right before the tests; a plain `mvn verify` uses whatever image was built last).
     * Compared by content (entry names, CRCs and sizes): `mvn verify` repackages the jar after the
     * image was built, with new timestamps but the same classes.
     */
    private void compareJarOnce() {
        synchronized (ServerContainer.class) {
            if (jarCompared) {
                return;
            }
            jarCompared = true;
        }
        String verdict;
        try {
            java.nio.file.Path copy = java.nio.file.Files.createTempFile("ct-image-jar", ".jar");
            try {
                node.container.copyFileFromContainer(ContainerEnv.SERVER_JAR_IN_IMAGE, copy.toString());
                java.nio.file.Path local = java.nio.file.Path.of(System.getProperty("wirecagesrv.jar", "../java/target/wirecagesrv.jar"));
                String inImage = contentDigest(copy);
                String current = contentDigest(local);
                verdict = inImage.equals(current)
                        ? "the same classes and resources as java/target/wirecagesrv.jar"
                        : "NOT the contents of the current java/target/wirecagesrv.jar: run docker/build-images.sh to test the current build";
            } finally {
                java.nio.file.Files.deleteIfExists(copy);
            }
        } catch (Exception e) {
            verdict = "not compared with java/target/wirecagesrv.jar (" + e + ")";
        }
        System.out.printf("[ct] server image %s (jar sha256 %s): %s%n", ContainerEnv.SERVER_IMAGE, jarSha256().substring(0, 16), verdict);
    }

    /** A digest of a jar's entries (name, CRC-32, size), independent of timestamps. */
    static String contentDigest(java.nio.file.Path jar) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar.toFile())) {
            z.stream().filter(e -> !e.isDirectory())
                    .map(e -> e.getName() + " " + Long.toHexString(e.getCrc()) + " " + e.getSize())
                    .sorted()
                    .forEach(l -> md.update((l + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** The sha256 of the jar in the image, to tell which build is under test. */
    String jarSha256() {
        return node.exec(20, "sha256sum", ContainerEnv.SERVER_JAR_IN_IMAGE).check().out().split("\\s+")[0];
    }

    static String tail(String text, int lines) {
        List<String> l = text.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - lines), l.size()));
    }
}
