package io.wirecage.srv.it.containers;

/**
 * A real WireGuard client in a container: wg-quick with the implementation the image selects
 * ({@code WG_QUICK_USERSPACE_IMPLEMENTATION}: wireguard-go in {@value ContainerEnv#CLIENT_IMAGE},
 * boringtun-cli in {@value ContainerEnv#BORINGTUN_IMAGE}; the kernel's where it has WireGuard).
 * Privileged: a full tunnel ({@code AllowedIPs = 0.0.0.0/0}) makes wg-quick write a sysctl.
 */
final class WgClient {

    static final String IFACE = "wgc0";
    static final String CONF = "/etc/wireguard/" + IFACE + ".conf";

    final Node node;
    final Keys.Pair key;
    /** The client's address inside the tunnel. */
    final String tunnelIp;
    private String implementation = "(not up)";

    private WgClient(Node node, Keys.Pair key, String tunnelIp) {
        this.node = node;
        this.key = key;
        this.tunnelIp = tunnelIp;
    }

    /** Starts the container (privileged, on NET_ROLE as .HOST); the tunnel is not up yet. */
    static WgClient start(Lab lab, String name, String image, String netRole, int host, Keys.Pair key, String tunnelIp) {
        Node node = lab.start(name, image, netRole, host, c -> c.withPrivilegedMode(true));
        return new WgClient(node, key, tunnelIp);
    }

    /** Writes the wg-quick config (full tunnel unless ALLOWED_IPS says otherwise) and brings it up. */
    String up(String serverPublicKey, String endpoint, String allowedIps, int keepalive) {
        String conf = "[Interface]\nPrivateKey = " + key.privateKey() + "\nAddress = " + tunnelIp + "/32\n\n"
                + "[Peer]\nPublicKey = " + serverPublicKey + "\nEndpoint = " + endpoint + "\nAllowedIPs = " + allowedIps + "\n"
                + (keepalive > 0 ? "PersistentKeepalive = " + keepalive + "\n" : "");
        node.put(CONF, conf, 0600);
        Result r = node.exec(30, "wg-quick", "up", IFACE).check();
        implementation = detectImplementation();
        System.out.printf("[ct] %s: wg-quick up %s (%s, AllowedIPs %s, endpoint %s) -> WireGuard implementation: %s%n",
                node.name, IFACE, tunnelIp, allowedIps, endpoint, implementation);
        return r.err() + r.out();
    }

    /**
     * Without wg-quick: starts boringtun-cli on {@value #IFACE} (its control socket
     * /var/run/wireguard/wgc0.sock), configures it with {@code wg setconf} through that socket, adds the
     * address and a route for ROUTE_VIA_TUNNEL only (the wan subnet: nothing else changes in the
     * container). Works the same on a host whose kernel has WireGuard.
     */
    String upWithBoringtunSetconf(String serverPublicKey, String endpoint, String routeViaTunnel, int keepalive) {
        String wgConf = "[Interface]\nPrivateKey = " + key.privateKey() + "\n\n[Peer]\nPublicKey = " + serverPublicKey
                + "\nEndpoint = " + endpoint + "\nAllowedIPs = 0.0.0.0/0\n"
                + (keepalive > 0 ? "PersistentKeepalive = " + keepalive + "\n" : "");
        node.put("/etc/wireguard/" + IFACE + ".setconf", wgConf, 0600);
        StringBuilder out = new StringBuilder();
        // WG_SUDO=true (set in the image): boringtun-cli must not drop privileges (no login user in a container).
        out.append(node.exec(20, "boringtun-cli", "--log", "/tmp/boringtun.log", IFACE).check().out());
        for (int i = 0; i < 50 && !node.exec(5, "test", "-S", "/var/run/wireguard/" + IFACE + ".sock").ok(); i++) {
            Lab.sleep(100);
        }
        out.append(node.exec(10, "wg", "setconf", IFACE, "/etc/wireguard/" + IFACE + ".setconf").check().out());
        node.exec(10, "ip", "address", "add", tunnelIp + "/32", "dev", IFACE).check();
        node.exec(10, "ip", "link", "set", "mtu", "1420", "up", "dev", IFACE).check();
        node.exec(10, "ip", "route", "add", routeViaTunnel, "dev", IFACE).check();
        implementation = detectImplementation();
        System.out.printf("[ct] %s: boringtun-cli %s + wg setconf (%s, route %s via the tunnel, endpoint %s) -> WireGuard implementation: %s%n",
                node.name, IFACE, tunnelIp, routeViaTunnel, endpoint, implementation);
        return out.toString();
    }

    /** Which WireGuard serves the interface: the kernel, or the userspace process wg-quick started. */
    String detectImplementation() {
        String link = node.exec(10, "ip", "-d", "link", "show", IFACE).out();
        if (link.contains("wireguard")) {
            return "kernel";
        }
        for (String proc : new String[] {"wireguard-go", "boringtun-cli"}) {
            if (node.exec(10, "pgrep", "-x", proc).ok()) {
                String v = node.sh(10, proc + " --version 2>&1 | head -1").out().strip();
                return proc + " (userspace" + (v.isEmpty() ? "" : ", " + v) + ")";
            }
        }
        return "unknown (no wireguard link, no wireguard-go or boringtun-cli process)";
    }

    String implementation() {
        return implementation;
    }

    Result ping(String addr, int count, int size) {
        return node.exec(20, "ping", "-n", "-c", "" + count, "-i", "0.2", "-W", "2", "-s", "" + size, addr);
    }

    Result ping(String addr) {
        return ping(addr, 3, 56);
    }

    Result get(String url, int maxSeconds) {
        return node.exec(maxSeconds + 5, "curl", "-sS", "--fail", "--max-time", "" + maxSeconds, url);
    }

    /** Downloads URL to /tmp/download (curl limited to RATE if not null); returns the sha256 and speed. */
    Result download(String url, String rate, int maxSeconds) {
        String limit = rate == null ? "" : " --limit-rate " + rate;
        return node.sh(maxSeconds + 10, "rm -f /tmp/download; curl -sS --fail --max-time " + maxSeconds + limit
                + " -o /tmp/download -w '%{size_download} bytes %{speed_download} B/s\\n' '" + url
                + "' && sha256sum /tmp/download");
    }

    /** The sha256 in a {@link #download} result's output. */
    static String sha256Of(Result download) {
        for (String line : download.out().split("\n")) {
            if (line.contains("/tmp/download")) {
                return line.split("\\s+")[0];
            }
        }
        return "(none)";
    }

    String show() {
        return node.exec(10, "wg", "show", IFACE).out();
    }

    long latestHandshake() {
        String out = node.exec(10, "wg", "show", IFACE, "latest-handshakes").check().out().strip();
        return out.isEmpty() ? 0 : Long.parseLong(out.split("\\s+")[1]);
    }

    long rxBytes() {
        String out = node.exec(10, "wg", "show", IFACE, "transfer").check().out().strip();
        return out.isEmpty() ? 0 : Long.parseLong(out.split("\\s+")[1]);
    }

    int listenPort() {
        return Integer.parseInt(node.exec(10, "wg", "show", IFACE, "listen-port").check().out().strip());
    }

    /** The endpoint the server should see for this client: ADDRESS:listen-port. */
    String endpointSeenFrom(String address) {
        return address + ":" + listenPort();
    }
}
