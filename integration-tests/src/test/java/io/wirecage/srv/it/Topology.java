package io.wirecage.srv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The network of one test class, all in namespaces it creates and deletes:
 *
 * <pre>
 *   internet ns           server ns                          client ns N (N = 1..)
 *   198.18.0.1/24 ---- 198.18.0.2/24 (uplink, NAT out)
 *   (HTTP target,         198.19.N.1/24 ---------------------- 198.19.N.2/24
 *    no route to          (server endpoint 198.19.N.1:51820)    only route to 198.18.0.0/24:
 *    10.200.100.0/24)                                           through the WireGuard tunnel
 * </pre>
 *
 * Every link carries IPv6 too: 2001:db8::1/64 (internet) and 2001:db8::2/64 (server uplink), and
 * 2001:db8:1:N::1/64 (server) and 2001:db8:1:N::2/64 (client N) on the client links; again the only
 * way from a client to the internet is the tunnel.
 *
 * 198.18.0.0/15 is the RFC 2544 benchmarking range and 2001:db8::/32 the documentation range; no
 * packet leaves these namespaces.
 */
public final class Topology implements AutoCloseable {

    public static final String INTERNET_ADDR = "198.18.0.1";
    public static final String SERVER_UPLINK_ADDR = "198.18.0.2";
    public static final String INTERNET_ADDR6 = "2001:db8::1";
    public static final String SERVER_UPLINK_ADDR6 = "2001:db8::2";
    public static final String VPN_SUBNET = "10.200.100.0/24";
    public static final int LISTEN_PORT = 51820;

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Set<Topology> OPEN = ConcurrentHashMap.newKeySet();

    private final String label;
    private final String prefix;
    private final Path workDir;
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Netns internet;
    private Netns server;
    private final List<Client> clients = new ArrayList<>();

    /** One client slot: its namespace and the veth link to the server namespace. */
    public record Client(int index, Netns ns, String serverVeth, String clientVeth, String wgInterface) {
        public String serverSideAddr() {
            return "198.19." + index + ".1";
        }

        public String clientSideAddr() {
            return "198.19." + index + ".2";
        }

        public String serverSideAddr6() {
            return "2001:db8:1:" + index + "::1";
        }

        public String clientSideAddr6() {
            return "2001:db8:1:" + index + "::2";
        }

        /** The server endpoint as this client reaches it over IPv6. */
        public String endpoint6() {
            return "[" + serverSideAddr6() + "]:" + LISTEN_PORT;
        }

        /** The server endpoint as this client reaches it. */
        public String endpoint() {
            return serverSideAddr() + ":" + LISTEN_PORT;
        }

        /** The tunnel address the server assigns to peer N: 10.200.100.(N+1). */
        public String tunnelAddr() {
            return "10.200.100." + (index + 1);
        }
    }

    private Topology(String label) {
        this.label = label;
        long pid = ProcessHandle.current().pid();
        int seq = SEQ.incrementAndGet();
        // wc + 3 digits of the pid + one base-36 char: 6 chars, leaving 9 for the role suffix.
        this.prefix = String.format("wc%03d%s", pid % 1000, Integer.toString(seq % 36, 36));
        this.workDir = Path.of("target", "it-work", label + "-" + prefix).toAbsolutePath();
        try {
            Files.createDirectories(workDir);
            Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds internet + server namespaces and {@code clientCount} client namespaces. */
    public static Topology create(String label, int clientCount) {
        Topology t = new Topology(label);
        OPEN.add(t);
        try {
            t.build(clientCount);
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    private void build(int clientCount) {
        long pid = ProcessHandle.current().pid();
        String nsPrefix = Netns.PREFIX + pid + "-" + prefix.substring(5) + "-";
        internet = ns(nsPrefix + "inet");
        server = ns(nsPrefix + "srv");
        Netns.veth(internet, name("in"), server, uplink());
        internet.addAddress(name("in"), INTERNET_ADDR + "/24");
        server.addAddress(uplink(), SERVER_UPLINK_ADDR + "/24");
        internet.addAddress6(name("in"), INTERNET_ADDR6 + "/64");
        server.addAddress6(uplink(), SERVER_UPLINK_ADDR6 + "/64");
        for (int i = 1; i <= clientCount; i++) {
            addClient(nsPrefix, i);
        }
        // The internet must not be able to reach the VPN subnet except as NAT replies.
        Cmd.Result r = internet.tryExec("ip", "route", "get", "10.200.100.2");
        if (r.ok()) {
            throw new AssertionError("topology error: internet namespace has a route to the VPN subnet:\n" + r.describe());
        }
        System.out.println("[it] topology " + label + ": namespaces " + namespaces + ", work dir " + workDir);
    }

    private void addClient(String nsPrefix, int i) {
        Netns c = ns(nsPrefix + "c" + i);
        Client client = new Client(i, c, name("s" + i), name("c" + i), name("w" + i));
        Netns.veth(server, client.serverVeth(), c, client.clientVeth());
        server.addAddress(client.serverVeth(), client.serverSideAddr() + "/24");
        c.addAddress(client.clientVeth(), client.clientSideAddr() + "/24");
        server.addAddress6(client.serverVeth(), client.serverSideAddr6() + "/64");
        c.addAddress6(client.clientVeth(), client.clientSideAddr6() + "/64");
        // Before any tunnel, the client has no way to the internet.
        for (String target : List.of(INTERNET_ADDR, INTERNET_ADDR6)) {
            Cmd.Result r = c.tryExec("ip", "route", "get", target);
            if (r.ok()) {
                throw new AssertionError("topology error: client namespace reaches the internet without a tunnel:\n" + r.describe());
            }
        }
        clients.add(client);
    }

    private Netns ns(String name) {
        Netns n = Netns.create(name);
        namespaces.add(n);
        return n;
    }

    /** An interface name unique to this topology (at most 15 characters). */
    public String name(String role) {
        String n = prefix + role;
        if (n.length() > 15) {
            throw new IllegalArgumentException("interface name too long: " + n);
        }
        return n;
    }

    public String prefix() {
        return prefix;
    }

    public Path workDir() {
        return workDir;
    }

    public Netns internet() {
        return internet;
    }

    public Netns server() {
        return server;
    }

    /** The server namespace's interface towards the internet (the --outbound-interface). */
    public String uplink() {
        return name("up");
    }

    /** The TUN name for the server under test. */
    public String tunName() {
        return name("tun");
    }

    public Client client(int index) {
        return clients.get(index - 1);
    }

    public List<Client> clients() {
        return List.copyOf(clients);
    }

    /** Registers something to close (in reverse order) before the namespaces go. */
    public <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    /** A file in the work dir, readable by root only. */
    public Path writeSecret(String fileName, String content) {
        try {
            Path p = workDir.resolve(fileName);
            Files.deleteIfExists(p);
            Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(p, content);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Topologies not yet closed (for dumping their logs when a test fails). */
    public static Set<Topology> open() {
        return Set.copyOf(OPEN);
    }

    @Override
    public void close() {
        OPEN.remove(this);
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.out.println("[it] cleanup of " + resources.get(i) + " failed: " + e);
            }
        }
        resources.clear();
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            try {
                namespaces.get(i).close();
            } catch (RuntimeException | Error e) {
                System.out.println("[it] deleting namespace " + namespaces.get(i) + " failed: " + e);
            }
        }
        namespaces.clear();
    }
}
