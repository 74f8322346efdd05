package io.wirecage.srv.it.containers;

import com.github.dockerjava.api.model.ContainerNetwork;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;

/**
 * One container of a {@link Lab}: its static addresses per network, and commands run in it with a
 * time bound (coreutils {@code timeout} inside the container; Testcontainers' exec has none). Every
 * command and its output go to a transcript that {@link DumpLabOnFailure} prints when a test fails.
 */
class Node {

    final Lab lab;
    final String name;
    final GenericContainer<?> container;
    private final Map<String, String> ips = new LinkedHashMap<>();
    private final List<String> transcript = Collections.synchronizedList(new ArrayList<>());

    Node(Lab lab, String name, GenericContainer<?> container) {
        this.lab = lab;
        this.name = name;
        this.container = container;
    }

    /** The container's static address on the lab network with this role ("wan", "lan", ...). */
    String ip(String netRole) {
        String ip = ips.get(netRole);
        if (ip == null) {
            throw new IllegalStateException(name + " is not on network " + netRole + " (on " + ips.keySet() + ")");
        }
        return ip;
    }

    void recordIp(String netRole, String ip) {
        ips.put(netRole, ip);
    }

    String id() {
        return container.getContainerId();
    }

    /** Runs CMD with at most TIMEOUT_SECONDS (then SIGTERM, 2 s later SIGKILL; exit 124). */
    Result exec(int timeoutSeconds, String... cmd) {
        List<String> full = new ArrayList<>(List.of("timeout", "-k", "2", Integer.toString(timeoutSeconds)));
        full.addAll(List.of(cmd));
        String shown = String.join(" ", cmd);
        long t0 = System.nanoTime();
        Result r;
        try {
            ExecResult e = container.execInContainer(StandardCharsets.UTF_8, full.toArray(String[]::new));
            r = new Result(name, shown, e.getExitCode(), e.getStdout(), e.getStderr(), (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running in " + name + ": " + shown, e);
        } catch (Exception e) {
            r = new Result(name, shown, -1, "", "exec failed: " + e, (System.nanoTime() - t0) / 1_000_000);
        }
        note(r.describe());
        return r;
    }

    /** Runs a shell script (sh -c) with a time bound. */
    Result sh(int timeoutSeconds, String script) {
        return exec(timeoutSeconds, "sh", "-c", script);
    }

    /** Starts a shell script in the background (setsid, output to LOG), returns at once. */
    void background(String script, String log) {
        put("/tmp/bg-" + Math.abs(log.hashCode()) + ".sh", script + "\n", 0755);
        sh(10, "setsid sh /tmp/bg-" + Math.abs(log.hashCode()) + ".sh >" + log + " 2>&1 </dev/null &").check();
    }

    /** Writes a file into the container (parent directories are created). */
    void put(String path, String content, int mode) {
        container.copyFileToContainer(Transferable.of(content.getBytes(StandardCharsets.UTF_8), mode), path);
        note("wrote " + path + " (mode " + Integer.toOctalString(mode) + ", " + content.length() + " bytes)");
    }

    /** Connects the running container to another lab network with a static address. */
    void connect(Lab.Net net, int host) {
        String ip = net.ip(host);
        lab.docker().connectToNetworkCmd().withNetworkId(net.id()).withContainerId(id())
                .withContainerNetwork(new ContainerNetwork().withIpamConfig(new ContainerNetwork.Ipam().withIpv4Address(ip)))
                .exec();
        recordIp(net.role(), ip);
        note("connected to " + net.name() + " as " + ip);
    }

    void disconnect(Lab.Net net) {
        lab.docker().disconnectFromNetworkCmd().withNetworkId(net.id()).withContainerId(id()).exec();
        ips.remove(net.role());
        note("disconnected from " + net.name());
    }

    /** The name of the container's interface that holds IP (eth0, eth1, ...). */
    String interfaceOf(String ip) {
        String out = exec(10, "ip", "-o", "-4", "addr", "show").check().out();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[3].startsWith(ip + "/")) {
                return f[1].replaceAll("@.*", "");
            }
        }
        throw new AssertionError(name + " has no interface with " + ip + ":\n" + out);
    }

    void note(String line) {
        transcript.add(line);
        if (transcript.size() > 400) {
            transcript.remove(0);
        }
    }

    List<String> transcript() {
        synchronized (transcript) {
            return List.copyOf(transcript);
        }
    }

    String logs() {
        try {
            return container.getLogs();
        } catch (RuntimeException e) {
            return "(no logs: " + e + ")";
        }
    }
}
