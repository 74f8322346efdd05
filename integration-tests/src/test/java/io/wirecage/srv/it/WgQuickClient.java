package io.wirecage.srv.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real WireGuard client: a wg-quick config (0600, in the topology's work dir) brought up in a
 * client namespace. Where the kernel has no WireGuard module, wg-quick falls back to wireguard-go;
 * {@link #implementation()} says which one ran, and {@link #up()} prints it.
 */
public final class WgQuickClient implements AutoCloseable {

    public static final String KERNEL = "kernel";
    public static final String USERSPACE = "userspace (wireguard-go)";

    private final Topology.Client slot;
    private final WgKeys.KeyPair key;
    private final String address;
    private final String serverPublicKey;
    private final String endpoint;
    private final String allowedIps;
    private final Path config;
    private String implementation;
    private boolean up;

    /**
     * @param address    tunnel address with prefix, e.g. 10.200.100.2/32
     * @param allowedIps what the client routes into the tunnel; 0.0.0.0/0 makes it a full tunnel
     */
    public WgQuickClient(Topology topology, Topology.Client slot, WgKeys.KeyPair key, String address,
                         String serverPublicKey, String endpoint, String allowedIps) {
        this.slot = slot;
        this.key = key;
        this.address = address;
        this.serverPublicKey = serverPublicKey;
        this.endpoint = endpoint;
        this.allowedIps = allowedIps;
        String conf = "[Interface]\n"
                + "PrivateKey = " + key.privateKey() + "\n"
                + "Address = " + address + "\n"
                + "\n[Peer]\n"
                + "PublicKey = " + serverPublicKey + "\n"
                + "Endpoint = " + endpoint + "\n"
                + "AllowedIPs = " + allowedIps + "\n";
        // wg-quick names the interface after the file.
        this.config = topology.writeSecret(slot.wgInterface() + ".conf", conf);
    }

    /** A client from a complete wg-quick config text (e.g. the one `peer add` prints), written as is. */
    private WgQuickClient(Topology topology, Topology.Client slot, String configText) {
        this.slot = slot;
        this.key = new WgKeys.KeyPair(field(configText, "PrivateKey"), WgKeys.publicKeyOf(field(configText, "PrivateKey")));
        this.address = field(configText, "Address");
        this.serverPublicKey = field(configText, "PublicKey");
        this.endpoint = field(configText, "Endpoint");
        this.allowedIps = field(configText, "AllowedIPs");
        this.config = topology.writeSecret(slot.wgInterface() + ".conf", configText);
    }

    /**
     * A client for slot N that uses {@code configText} verbatim as its wg-quick file (tracked by the
     * topology). Keys, address and endpoint are read from the text.
     */
    public static WgQuickClient fromConfig(Topology topology, Topology.Client slot, String configText) {
        return topology.track(new WgQuickClient(topology, slot, configText));
    }

    /** The value of the first {@code Key = value} line of a wg-quick config; fails if there is none. */
    public static String field(String configText, String key) {
        for (String line : configText.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).strip().equalsIgnoreCase(key)) {
                return line.substring(eq + 1).strip();
            }
        }
        throw new AssertionError("no " + key + " line in the wg-quick config:\n" + configText);
    }

    /** A full-tunnel client for slot N with tunnel address 10.200.100.(N+1)/32. */
    public static WgQuickClient fullTunnel(Topology topology, Topology.Client slot, WgKeys.KeyPair key,
                                           String serverPublicKey) {
        return topology.track(new WgQuickClient(topology, slot, key, slot.tunnelAddr() + "/32",
                serverPublicKey, slot.endpoint(), "0.0.0.0/0"));
    }

    /** Runs wg-quick up; returns how long it took. Fails with wg-quick's output if it fails. */
    public Duration up() {
        Cmd.Result r = slot.ns().cmd("wg-quick", "up", config.toString())
                .env("WG_QUICK_USERSPACE_IMPLEMENTATION", "wireguard-go")
                .timeout(Duration.ofSeconds(30))
                .run();
        up = true;
        r.check();
        String out = r.output();
        implementation = out.contains("Falling back to slow userspace") || out.contains("[#] wireguard-go ")
                ? USERSPACE : KERNEL;
        System.out.println("[it] client " + slot.wgInterface() + " in " + slot.ns() + " is up ("
                + r.took().toMillis() + " ms); WireGuard implementation of the client: " + implementation);
        return r.took();
    }

    public String implementation() {
        return implementation;
    }

    public String interfaceName() {
        return slot.wgInterface();
    }

    public Netns ns() {
        return slot.ns();
    }

    public WgKeys.KeyPair key() {
        return key;
    }

    public String address() {
        return address;
    }

    /** Seconds since the epoch of the latest handshake with the server, 0 if none. */
    public long latestHandshakeEpochSeconds() {
        return peerDumpField(4);
    }

    public long rxBytes() {
        return peerDumpField(5);
    }

    public long txBytes() {
        return peerDumpField(6);
    }

    /** `wg show IF dump` peer line: pubkey psk endpoint allowed-ips latest-handshake rx tx keepalive. */
    private long peerDumpField(int index) {
        List<String> lines = slot.ns().exec("wg", "show", slot.wgInterface(), "dump").stdoutLines();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            if (f[0].equals(serverPublicKey)) {
                return Long.parseLong(f[index]);
            }
        }
        throw new AssertionError("client " + slot.wgInterface() + " has no peer " + serverPublicKey + ": " + lines);
    }

    public String show() {
        return slot.ns().tryExec("wg", "show", slot.wgInterface()).output();
    }

    /**
     * ping from the client namespace: exactly {@code count} echo requests 0.2 s apart, each reply
     * awaited at most 2 s (no -w: with -w, ping keeps sending until it has {@code count} replies).
     */
    public Cmd.Result ping(String target, int count, String sourceAddr) {
        List<String> argv = new ArrayList<>(List.of("ping", "-n", "-c", "" + count, "-i", "0.2", "-W", "2"));
        if (sourceAddr != null) {
            argv.addAll(List.of("-I", sourceAddr));
        }
        argv.add(target);
        return slot.ns().cmd(argv).timeout(Duration.ofSeconds(count + 10)).run();
    }

    /** HTTP GET from the client namespace; the body is stdout. */
    public Cmd.Result get(String url) {
        return HttpTarget.curl(slot.ns(), url);
    }

    public void down() {
        if (!up) {
            return;
        }
        up = false;
        slot.ns().cmd("wg-quick", "down", config.toString()).timeout(Duration.ofSeconds(20)).run();
    }

    @Override
    public void close() {
        down();
    }

    @Override
    public String toString() {
        return "client " + slot.wgInterface() + "@" + slot.ns();
    }
}
