package io.wirecage.srv.it.containers;

import io.wirecage.srv.it.ServerStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host-built server (java/target/wirecagesrv.jar, run with the build's JDK) as a process on the
 * host, serving clients in containers: it listens on a lab bridge's address on the host, and NATs
 * out of another lab bridge (the target's). It works in the host's network namespace, where Docker
 * set the FORWARD policy to DROP: the server's own FORWARD rules (inserted first) must carry the
 * traffic. The jar is copied first (other builds may replace it meanwhile).
 */
final class HostServer implements VpnServer, AutoCloseable {

    final Keys.Pair key;
    final String tun;
    final Path dir;
    private final Path jar;
    private final Path log;
    private final Process process;

    private HostServer(Keys.Pair key, String tun, Path dir, Path jar, Path log, Process process) {
        this.key = key;
        this.tun = tun;
        this.dir = dir;
        this.jar = jar;
        this.log = log;
        this.process = process;
    }

    static Path workDir(String name) {
        Path d = Path.of(System.getProperty("wirecagesrv.ct.work", "target/ct-work")).toAbsolutePath().resolve(name);
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    static String java() {
        String j = System.getProperty("wirecagesrv.java");
        return j != null ? j : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Copies the server jar into DIR, retrying for up to 60 s while a concurrent build replaces it. */
    static Path copyJar(Path dir) {
        String prop = System.getProperty("wirecagesrv.jar", "../java/target/wirecagesrv.jar");
        Path src = Path.of(prop).toAbsolutePath();
        Path dst = dir.resolve("wirecagesrv.jar");
        IOException last = null;
        for (int i = 0; i < 60; i++) {
            try {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
                try (var z = new java.util.zip.ZipFile(dst.toFile())) {
                    if (z.getEntry("META-INF/MANIFEST.MF") != null) {
                        return dst;
                    }
                }
            } catch (NoSuchFileException e) {
                last = e;
            } catch (IOException e) {
                last = e; // half-written jar
            }
            Lab.sleep(1000);
        }
        throw new AssertionError("server jar " + src + " not found (build it: mvn -DskipTests package -pl java -am)", last);
    }

    /** Starts the server; ARGS after the key file, e.g. --listen, --subnet, --peer ..., --outbound-interface. */
    static HostServer start(String name, Keys.Pair key, String tun, List<String> args) {
        Path dir = workDir(name);
        Path jar = copyJar(dir);
        Path keyFile = dir.resolve("server.key");
        Path log = dir.resolve("server.log");
        try {
            Files.deleteIfExists(keyFile);
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyFile, key.privateKey() + "\n");
            Files.deleteIfExists(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(java(), "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(),
                "--private-key-file", keyFile.toString(), "--tun-name", tun, "--state-dir", dir.resolve("state").toString()));
        cmd.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HostServer s = new HostServer(key, tun, dir, jar, log, p);
        long deadline = System.nanoTime() + 45_000_000_000L;
        while (!s.logs().contains(LISTENING)) {
            if (!p.isAlive()) {
                throw new AssertionError("the host server exited with " + p.exitValue() + ":\n" + s.logs() + "\n(" + String.join(" ", cmd) + ")");
            }
            if (System.nanoTime() > deadline) {
                s.close();
                throw new AssertionError("the host server did not log '" + LISTENING + "' within 45 s:\n" + s.logs());
            }
            Lab.sleep(100);
        }
        System.out.printf("[ct] host server (pid %d, %s): %s%n", p.pid(), jar, s.listeningLine().replaceAll(".*INFO\\s+\\S+ - ", ""));
        return s;
    }

    @Override
    public String publicKey() {
        return key.publicKey();
    }

    @Override
    public ServerStatus status() {
        Result r = run(java(), "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "status", "--tun-name", tun);
        if (!r.ok()) {
            throw new AssertionError("status failed: " + r.describe() + "\nserver log:\n" + ServerContainer.tail(logs(), 30));
        }
        return ServerStatus.parse(r.out());
    }

    @Override
    public String logs() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** SIGTERM (the server removes its TUN and firewall rules), SIGKILL after 15 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new AssertionError("the host server did not stop within 15 s of SIGTERM:\n" + logs());
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a command on the host, at most 30 s (output through a file: no pipe to block on). */
    static Result run(String... cmd) {
        long t0 = System.nanoTime();
        Path out = null;
        try {
            out = Files.createTempFile("ct-host-cmd", ".out");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean done = p.waitFor(30, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            return new Result("host", String.join(" ", cmd), done ? p.exitValue() : 124, Files.readString(out), "",
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            return new Result("host", String.join(" ", cmd), -1, "", e.toString(), 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }

    int exitCode() {
        return process.exitValue();
    }

    @Override
    public String toString() {
        return "host server " + tun;
    }
}
