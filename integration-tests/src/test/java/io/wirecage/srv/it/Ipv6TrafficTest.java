package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static io.wirecage.srv.it.Topology.INTERNET_ADDR6;
import static io.wirecage.srv.it.Topology.SERVER_UPLINK_ADDR;
import static io.wirecage.srv.it.Topology.SERVER_UPLINK_ADDR6;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IPv6 end to end (issue 11), with IPv6 on every link and one server listening on [::]:51820 with
 * IPv6 inside the tunnel (subnet6 fdc8:7a3e:51f0::/64, NAT66 out of the uplink): a client that reaches
 * the server only over IPv6, a dual-stack client, a client that roams from an IPv4 to an IPv6 outer
 * address in the middle of a download, spoofed inner IPv6 sources, and a client configured like the
 * wirecage client (fd42:42:42::2/64, which it does not own, and an IPv6 default route).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class Ipv6TrafficTest {
    static final String SUBNET6 = "fdc8:7a3e:51f0::/64";
    static final String BOTH_NAME = "both.test";

    static Topology topo;
    static HttpTarget target4;
    static HttpTarget target6;
    static WgKeys.KeyPair serverKey;
    static final List<WgKeys.KeyPair> keys = new ArrayList<>();
    static ServerProcess server;

    /** Client N's tunnel addresses as the server has them: 10.200.100.(N+1) and fdc8:7a3e:51f0::(N+1). */
    static String address6(int n) {
        return "fdc8:7a3e:51f0::" + (n + 1);
    }

    @BeforeAll
    static void setUp() {
        Require.e2e("python3", "dnsmasq", "tcpdump", "ip6tables");
        topo = Topology.create("Ipv6Traffic", 4);
        target4 = HttpTarget.start(topo);
        target6 = topo.track(HttpTarget.start(topo.internet(), INTERNET_ADDR6, 80, topo.workDir().resolve("v6")));
        DnsServer.start(topo, topo.internet(), INTERNET_ADDR, BOTH_NAME, INTERNET_ADDR, BOTH_NAME, INTERNET_ADDR6);
        for (Topology.Client c : topo.clients()) {
            topo.track(NetnsFiles.of(c.ns()).write("resolv.conf", "nameserver " + INTERNET_ADDR + "\noptions timeout:2 attempts:2\n"));
        }
        serverKey = WgKeys.generate();
        ServerProcess.Config config = ServerProcess.config(topo, serverKey);
        for (Topology.Client c : topo.clients()) {
            WgKeys.KeyPair k = WgKeys.generate();
            keys.add(k);
            config.peer(k.publicKey(), c.tunnelAddr() + "/32," + address6(c.index()) + "/128");
        }
        List<String> args = new ArrayList<>(config.args());
        args.set(args.indexOf("0.0.0.0:" + Topology.LISTEN_PORT), "[::]:" + Topology.LISTEN_PORT);
        args.addAll(List.of("--subnet6", SUBNET6));
        server = topo.track(ServerProcess.start(topo.server(), args, topo.tunName(), topo.workDir().resolve("server.log")));
        server.awaitReady();
        server.awaitLogLine(Duration.ofSeconds(5), "IPv6 inside the tunnel: TUN", "fdc8:7a3e:51f0::1/64");
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    static WgQuickClient client(int n, String address, String endpoint) {
        Topology.Client slot = topo.client(n);
        return topo.track(new WgQuickClient(topo, slot, keys.get(n - 1), address, serverKey.publicKey(), endpoint,
                "0.0.0.0/0, ::/0"));
    }

    static WgQuickClient dualStackClient(int n, String endpoint) {
        Topology.Client slot = topo.client(n);
        return client(n, slot.tunnelAddr() + "/32, " + address6(n) + "/128", endpoint);
    }

    static void assertGets(WgQuickClient client, HttpTarget target) {
        Cmd.Result get = client.get(target.url());
        assertThat(get.ok()).as("%s: GET %s through the tunnel:\n%s", client, target.url(), get.describe()).isTrue();
        assertThat(get.stdout()).isEqualTo(target.content());
    }

    @Test
    void clientReachingTheServerOnlyOverIpv6GetsToIpv4AndIpv6Hosts() {
        Topology.Client slot = topo.client(1);
        // no IPv4 on its link at all: the only way to the server is IPv6
        slot.ns().exec("ip", "-4", "addr", "flush", "dev", slot.clientVeth());
        WgQuickClient client = dualStackClient(1, slot.endpoint6());
        client.up();
        int mark4 = target4.requestCount();
        int mark6 = target6.requestCount();
        assertGets(client, target4);
        assertGets(client, target6);
        assertThat(target4.requestSourcesSince(mark4)).containsExactly(SERVER_UPLINK_ADDR);
        assertThat(target6.requestSourcesSince(mark6)).as("NAT66: the IPv6 host sees the server's address")
                .containsExactly(SERVER_UPLINK_ADDR6);
        String endpoint = server.status().peerField(client.key().publicKey(), "endpoint");
        assertThat(endpoint).as("the server knows the client by its IPv6 outer address, in brackets")
                .startsWith("[" + slot.clientSideAddr6() + "]:");
        System.out.println("[it] IPv6-only outer client: endpoint at the server " + endpoint);
    }

    @Test
    void dualStackClientReachesAnIpv6HostThroughNat66() {
        Topology.Client slot = topo.client(2);
        WgQuickClient client = dualStackClient(2, slot.endpoint());
        client.up();
        int mark = target6.requestCount();
        assertGets(client, target6);
        assertGets(client, target4);
        assertThat(target6.requestSourcesSince(mark)).as("the IPv6 host sees the server's address, not the client's")
                .containsExactly(SERVER_UPLINK_ADDR6);
        Cmd.Result ping = client.ping(INTERNET_ADDR6, 3, address6(2));
        assertThat(ping.ok()).as("ping6 from the client's own IPv6 address:\n%s", ping.describe()).isTrue();
    }

    /**
     * @param spoofed an inner IPv6 source client 3 may not use: an unassigned address of the IPv6 subnet,
     *                and the IPv6 address of client 4
     */
    @ParameterizedTest(name = "inner IPv6 source {0} is dropped, counted and answered")
    @ValueSource(strings = {"fdc8:7a3e:51f0::99", "fdc8:7a3e:51f0::5"})
    void spoofedInnerIpv6SourceIsDroppedAndCounted(String spoofed) {
        WgQuickClient client = upOnce(3);
        String pub = client.key().publicKey();
        client.ns().exec("ip", "-6", "addr", "add", spoofed + "/128", "dev", client.interfaceName(), "nodad");
        try {
            ServerStatus before = server.status();
            Tcpdump atTarget = Tcpdump.start(topo.internet(), topo.name("in"), "icmp6 and ip6[40] == 128",
                    topo.workDir().resolve("tcpdump-target-" + spoofed.replace(':', '_') + ".log"));
            Cmd.Result spoof = client.ping(INTERNET_ADDR6, 3, spoofed);
            List<String> targetSaw = atTarget.stop();
            ServerStatus after = server.status();

            assertThat(spoof.ok()).as("ping6 from %s must fail:\n%s", spoofed, spoof.describe()).isFalse();
            assertThat(targetSaw).as("echo requests from %s seen in the internet namespace", spoofed).isEmpty();
            assertThat(spoof.stdout()).as("the server's ICMPv6 answer reaches the sender")
                    .containsIgnoringCase("Administratively prohibited");
            long deviceDelta = after.counter("dropped_source_not_allowed") - before.counter("dropped_source_not_allowed");
            long peerDelta = after.peerLong(pub, "dropped_source_not_allowed") - before.peerLong(pub, "dropped_source_not_allowed");
            long answered = after.counter("icmp6_prohibited_sent") - before.counter("icmp6_prohibited_sent");
            System.out.printf("[it] spoofed IPv6 source %s: dropped_source_not_allowed +%d (peer +%d), icmp6_prohibited_sent +%d%n",
                    spoofed, deviceDelta, peerDelta, answered);
            assertThat(deviceDelta).isGreaterThanOrEqualTo(3);
            assertThat(peerDelta).isGreaterThanOrEqualTo(3);
            assertThat(answered).isGreaterThanOrEqualTo(3);
        } finally {
            client.ns().exec("ip", "-6", "addr", "del", spoofed + "/128", "dev", client.interfaceName());
        }
        Cmd.Result ping = client.ping(INTERNET_ADDR6, 3, address6(3));
        assertThat(ping.ok()).as("ping6 from the client's own IPv6 address:\n%s", ping.describe()).isTrue();
    }

    private static final WgQuickClient[] upClients = new WgQuickClient[5];

    private static synchronized WgQuickClient upOnce(int n) {
        if (upClients[n] == null) {
            upClients[n] = dualStackClient(n, topo.client(n).endpoint());
            upClients[n].up();
        }
        return upClients[n];
    }

    @Test
    void clientRoamsFromIpv4ToIpv6DuringADownload() throws Exception {
        WgQuickClient client = upOnce(3);
        Topology.Client slot = topo.client(3);
        String pub = client.key().publicKey();
        assertGets(client, target4);
        assertThat(server.status().peerField(pub, "endpoint")).startsWith(slot.clientSideAddr() + ":");
        long handshakesBefore = server.status().peerLong(pub, "handshakes");
        int failuresBefore = server.findLines("handshake failed").size();

        // 2 MB at 500 KB/s: the download runs about 4 s; after 1.5 s the client moves to its IPv6 address
        // and loses its IPv4 one (a phone leaving Wi-Fi for an IPv6-only mobile network)
        byte[] big = new byte[2 << 20];
        new java.util.Random(11).nextBytes(big);
        java.nio.file.Files.write(topo.workDir().resolve("www").resolve("big.bin"), big);
        java.nio.file.Path downloaded = topo.workDir().resolve("roam-download.bin");
        Background download = new Background(slot.ns().wrap(List.of("curl", "--noproxy", "*", "-sS", "--fail",
                "--limit-rate", "500K", "--max-time", "30", "-o", downloaded.toString(),
                "-w", "%{size_download}", "http://" + INTERNET_ADDR + "/big.bin")), topo.workDir().resolve("roam-curl.log"));
        byte[] body;
        int exit;
        try {
            Thread.sleep(1500);
            assertThat(download.isAlive()).as("the download still runs when the client roams").isTrue();
            client.ns().exec("wg", "set", client.interfaceName(), "peer", serverKey.publicKey(), "endpoint", slot.endpoint6());
            slot.ns().exec("ip", "-4", "addr", "flush", "dev", slot.clientVeth());
            // A roaming client speaks first from its new address (mobile clients send on a network change);
            // a pure TCP receiver whose last ACKs left before the switch would otherwise send nothing, and
            // the server, which only follows authenticated packets, would keep sending to the dead address.
            slot.ns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "1", INTERNET_ADDR);
            exit = download.awaitExit(Duration.ofSeconds(40));
            body = java.nio.file.Files.readAllBytes(downloaded);
        } finally {
            slot.ns().tryExec("ip", "addr", "add", slot.clientSideAddr() + "/24", "dev", slot.clientVeth());
        }

        assertThat(exit).as("curl across the roam: %s", download.log()).isZero();
        assertThat(body).as("the downloaded file").isEqualTo(big);
        String endpoint = server.status().peerField(pub, "endpoint");
        assertThat(endpoint).as("the server follows the client to its IPv6 address").startsWith("[" + slot.clientSideAddr6() + "]:");
        assertThat(server.findLines("handshake failed")).as("handshake failures logged across the roam").hasSize(failuresBefore);
        long handshakesAfter = server.status().peerLong(pub, "handshakes");
        System.out.printf("[it] roamed to %s during a %d-byte download; handshakes %d -> %d%n", endpoint, body.length,
                handshakesBefore, handshakesAfter);
        assertGets(client, target6);
    }

    @Test
    void wirecageLikeClientFallsBackToIpv4AtOnce() {
        Topology.Client slot = topo.client(4);
        // the wirecage client's cage: its IPv4 address with /24, fd42:42:42::2/64 (not its own), IPv6 default route
        WgQuickClient client = client(4, slot.tunnelAddr() + "/24, " + WirecageClient.CAGE_V6, slot.endpoint());
        client.up();
        assertThat(slot.ns().exec("ip", "-6", "route", "get", INTERNET_ADDR6).stdout()).contains(client.interfaceName());
        long answeredBefore = server.status().counter("icmp6_prohibited_sent");

        String url = "http://" + BOTH_NAME + "/" + HttpTarget.FILE_NAME;
        Cmd.Result byName = slot.ns().cmd("curl", "--noproxy", "*", "-sS", "--fail", "--max-time", "10",
                "-o", "/dev/null", "-w", "%{time_total} %{remote_ip}", url).timeout(Duration.ofSeconds(20)).run();
        assertThat(byName.ok()).as("curl %s:\n%s", url, byName.describe()).isTrue();
        String[] w = byName.stdout().strip().split(" ");
        double seconds = Double.parseDouble(w[0]);
        System.out.printf("[it] wirecage-like client: curl by name took %.3f s over %s%n", seconds, w[1]);
        assertThat(seconds).as("curl of a name with AAAA and A").isLessThan(1.0);
        assertThat(w[1]).isEqualTo(INTERNET_ADDR);

        // what makes the fallback immediate: an IPv6 connection attempt fails at once instead of timing out
        Cmd.Result v6 = slot.ns().cmd("curl", "--noproxy", "*", "-sS", "-6", "--connect-timeout", "5", "-o", "/dev/null",
                "-w", "%{time_total}", url).timeout(Duration.ofSeconds(20)).run();
        assertThat(v6.ok()).as("IPv6 from an address the client does not own must fail:\n%s", v6.describe()).isFalse();
        assertThat(v6.took()).as("time until the IPv6 attempt failed").isLessThan(Duration.ofSeconds(1));
        assertThat(v6.stderr()).as("curl -6 error").doesNotContainIgnoringCase("timed out");
        long answered = server.status().counter("icmp6_prohibited_sent") - answeredBefore;
        assertThat(answered).as("ICMPv6 administratively prohibited answers").isGreaterThanOrEqualTo(1);
        System.out.printf("[it] curl -6 failed after %d ms: %s%n", v6.took().toMillis(), v6.stderr().strip());
    }
}
