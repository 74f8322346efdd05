package io.wirecage.srv.it.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Network.Ipam;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * The Docker networks and containers of one test class, all removed by {@link #close()} (also when
 * the test failed; every step is tried, and a failed removal fails the test).
 *
 * <p>Networks are user-defined bridges with fixed subnets {@code 172.31.(200+4*index+i).0/24}, so
 * every container gets a static address ({@code .host}) that survives a {@code docker restart}. Docker
 * keeps different bridge networks apart (its isolation chains), so a container reaches a network it
 * is not on only through a router container: the "wan" network holds the server and the "internet"
 * target, client networks hold the server and the clients. Network names carry a sort letter
 * ({@code -a-wan}, {@code -b-lan}) because on a restart Docker attaches networks in name order and
 * takes the default route from the first: the server's eth0 and default route stay on "wan".
 *
 * <p>No traffic leaves these networks: the tests only address lab containers (and, in the
 * host-server scenario, the lab bridges' own addresses on the host).
 */
final class Lab implements AutoCloseable {

    /** Test classes' labs, for {@link DumpLabOnFailure}. */
    static final List<Lab> OPEN = new CopyOnWriteArrayList<>();

    record Net(String role, String name, String bridge, String prefix, String id) {
        String ip(int host) {
            return prefix + "." + host;
        }

        String gateway() {
            return ip(1);
        }

        String subnet() {
            return prefix + ".0/24";
        }
    }

    final String title;
    final int index;
    private final DockerClient docker;
    private final Map<String, Net> nets = new LinkedHashMap<>();
    private final List<Network> tcNetworks = new ArrayList<>();
    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    private final List<Supplier<String>> dumpers = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> extras = new CopyOnWriteArrayList<>();

    private Lab(String title, int index, DockerClient docker) {
        this.title = title;
        this.index = index;
        this.docker = docker;
    }

    /** Creates the networks ROLES (first one sorts first: make it "wan"). INDEX 1..7 picks the subnets. */
    static Lab open(String title, int index, DockerClient docker, String... roles) {
        if (index < 0 || index > 12 || roles.length > 4) {
            throw new IllegalArgumentException("lab index 0..12 with at most 4 networks");
        }
        Lab lab = new Lab(title, index, docker);
        OPEN.add(lab);
        try {
            for (int i = 0; i < roles.length; i++) {
                lab.createNet(roles[i], i);
            }
        } catch (RuntimeException | Error e) {
            try {
                lab.close();
            } catch (RuntimeException | Error suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        System.out.printf("[ct] %s: networks %s%n", title, lab.nets.values().stream()
                .map(n -> n.role() + "=" + n.subnet() + " (" + n.name() + ")").toList());
        return lab;
    }

    private void createNet(String role, int i) {
        String prefix = "172.31." + (200 + 4 * index + i);
        String name = "wct" + ContainerEnv.PID + "-" + index + "-" + (char) ('a' + i) + "-" + role;
        String bridge = "wct" + index + "-" + i + "-" + (ContainerEnv.PID % 100000);
        Network network = Network.builder()
                .createNetworkCmdModifier(cmd -> {
                    Map<String, String> labels = new HashMap<>(cmd.getLabels() == null ? Map.of() : cmd.getLabels());
                    labels.put(ContainerEnv.LABEL, "1");
                    labels.put(ContainerEnv.LABEL_OWNER, ContainerEnv.OWNER);
                    cmd.withName(name)
                            .withDriver("bridge")
                            .withLabels(labels)
                            .withOptions(Map.of("com.docker.network.bridge.name", bridge))
                            .withIpam(new Ipam().withConfig(new Ipam.Config().withSubnet(prefix + ".0/24").withGateway(prefix + ".1")));
                })
                .build();
        tcNetworks.add(network);
        String id = network.getId(); // creates it
        nets.put(role, new Net(role, name, bridge, prefix, id));
    }

    Net net(String role) {
        Net n = nets.get(role);
        if (n == null) {
            throw new IllegalArgumentException("no network " + role + " in lab " + title);
        }
        return n;
    }

    Network tcNetwork(String role) {
        Net n = net(role);
        return tcNetworks.stream().filter(t -> t.getId().equals(n.id())).findFirst().orElseThrow();
    }

    DockerClient docker() {
        return docker;
    }

    /**
     * Starts a container from IMAGE on network NET_ROLE with address .HOST; CUSTOMIZE adds
     * privileges, command, files and wait strategy before the start.
     */
    Node start(String nodeName, String image, String netRole, int host, Consumer<GenericContainer<?>> customize) {
        Net net = net(netRole);
        String containerName = "wct" + ContainerEnv.PID + "-" + index + "-" + nodeName;
        String ip = net.ip(host);
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withImagePullPolicy(ContainerEnv.NEVER_PULL)
                .withLabel(ContainerEnv.LABEL, "1")
                .withLabel(ContainerEnv.LABEL_OWNER, ContainerEnv.OWNER)
                .withNetwork(tcNetwork(netRole))
                .withCreateContainerCmdModifier(cmd -> cmd.withName(containerName).withHostName(nodeName).withIpv4Address(ip));
        customize.accept(c);
        Node node = new Node(this, containerName, c);
        node.recordIp(netRole, ip);
        nodes.add(node);
        long t0 = System.nanoTime();
        c.start();
        node.note("started " + image + " on " + net.name() + " as " + ip + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        return node;
    }

    /** Something printed with the lab when a test fails (server log, target log, ...). */
    void onFailureDump(Supplier<String> dumper) {
        dumpers.add(dumper);
    }

    /** Closed before the containers (host processes, ...). */
    void closeFirst(AutoCloseable c) {
        extras.add(c);
    }

    void dump(String why) {
        System.out.println("[ct] ==== " + title + ": " + why + " ====");
        for (Supplier<String> d : dumpers) {
            try {
                System.out.println(d.get());
            } catch (RuntimeException e) {
                System.out.println("[ct] (dump failed: " + e + ")");
            }
        }
        for (Node n : nodes) {
            List<String> t = n.transcript();
            System.out.println("[ct] ---- " + n.name + ": last commands ----");
            t.subList(Math.max(0, t.size() - 40), t.size()).forEach(l -> System.out.println("  " + l.replace("\n", "\n  ")));
        }
    }

    @Override
    public void close() {
        List<String> failures = new ArrayList<>();
        for (AutoCloseable c : extras.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                failures.add("closing " + c + ": " + e);
            }
        }
        for (Node n : nodes.reversed()) {
            try {
                n.container.stop();
            } catch (RuntimeException e) {
                failures.add("stopping " + n.name + ": " + e);
            }
            try {
                docker.removeContainerCmd(n.name).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException expected) {
                // stop() removed it
            } catch (RuntimeException e) {
                failures.add("removing " + n.name + ": " + e);
            }
        }
        for (Net n : nets.values().stream().toList().reversed()) {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 10; attempt++) {
                try {
                    docker.removeNetworkCmd(n.id()).exec();
                    last = null;
                    break;
                } catch (NotFoundException gone) {
                    last = null;
                    break;
                } catch (RuntimeException e) {
                    last = e;
                    sleep(500);
                }
            }
            if (last != null) {
                failures.add("removing network " + n.name() + ": " + last);
            }
        }
        OPEN.remove(this);
        if (!failures.isEmpty()) {
            throw new AssertionError("clean-up of " + title + " failed: " + failures);
        }
    }

    /**
     * Runs TASK on its own daemon thread (not the common pool: with 2 cores its parallelism is 1, and
     * tasks that should run side by side would run one after the other).
     */
    static <T> CompletableFuture<T> async(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(task.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "ct-async");
        t.setDaemon(true);
        t.start();
        return f;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
