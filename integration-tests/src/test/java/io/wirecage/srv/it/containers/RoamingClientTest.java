package io.wirecage.srv.it.containers;

import io.wirecage.srv.it.ServerStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 3: roaming. While a rate-limited 10 MB download runs through the tunnel, the client
 * (1) changes its source port ({@code wg set wgc0 listen-port}: wireguard-go rebinds its socket),
 * then (2) changes its source address: the container joins a second network, "lan2", which the
 * server is on as well, its route to the server's lan address moves there (next hop: the server's
 * lan2 address), and it leaves "lan" (the old address is gone). Neither side gets a new config: the
 * server must follow the authenticated packets (status {@code endpoint=} shows the new address and
 * port each time), and the download must complete with a matching sha256. The server runs as the
 * image's privileged container.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLabOnFailure.class)
class RoamingClientTest {

    static final int NEW_PORT = 41234;

    static Lab lab;
    static ServerContainer server;
    static Target target;
    static WgClient client;

    @BeforeAll
    static void setUp() {
        lab = Lab.open("scenario 3 (roaming client)", 3,
                ContainerEnv.require(ContainerEnv.SERVER_IMAGE, ContainerEnv.CLIENT_IMAGE), "wan", "lan", "lan2");
        target = Target.start(lab, 10);
        Keys.Pair serverKey = Keys.generate();
        Keys.Pair clientKey = Keys.generate();
        server = ServerContainer.startWithFlags(lab, serverKey, Map.of(clientKey.publicKey(), "10.200.100.2"), "lan", "lan2");
        client = WgClient.start(lab, "client", ContainerEnv.CLIENT_IMAGE, "lan", 10, clientKey, "10.200.100.2");
        client.up(server.publicKey(), server.endpoint("lan"), "0.0.0.0/0", 0);
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void serverFollowsNewSourcePortAndAddressMidTransfer() throws Exception {
        String peer = client.key.publicKey();
        assertThat(client.get(target.url("index.html?before-roaming"), 10).ok()).as("GET before roaming").isTrue();
        String first = client.endpointSeenFrom(client.node.ip("lan"));
        ServerStatus s0 = server.awaitEndpoint(peer, first, 10);
        assertThat(s0.endpoint(peer)).as("endpoint before roaming").isEqualTo(first);
        long handshakes0 = s0.peerLong(peer, "handshakes");

        // About 17 s at 600 KB/s: long enough to roam twice in the middle of it.
        long t0 = System.nanoTime();
        CompletableFuture<Result> download = Lab.async(() -> client.download(target.url("big.bin"), "600K", 100));
        Lab.sleep(2000);

        // 1. New source port.
        assertThat(download).as("the download must still run when the port changes").isNotDone();
        client.node.exec(10, "wg", "set", WgClient.IFACE, "listen-port", "" + NEW_PORT).check();
        String second = client.node.ip("lan") + ":" + NEW_PORT;
        ServerStatus s1 = server.awaitEndpoint(peer, second, 15);
        System.out.printf("[ct] roaming 1 (port): client %s -> %s; server endpoint=%s after %.1f s%n", first, second,
                s1.endpoint(peer), (System.nanoTime() - t0) / 1e9);
        assertThat(s1.endpoint(peer)).as("server's endpoint for the client after the port change").isEqualTo(second);

        // 2. New source address: join lan2, send to the server's lan address through its lan2
        //    address, and leave lan (its address disappears, as when a laptop leaves a Wi-Fi).
        //    Leaving matters: wireguard-go keeps sending from the address it last received on
        //    ("sticky" source, IP_PKTINFO) for as long as that address exists.
        assertThat(download).as("the download must still run when the address changes").isNotDone();
        client.node.connect(lab.net("lan2"), 10);
        String lan2If = client.node.interfaceOf(client.node.ip("lan2"));
        client.node.exec(10, "ip", "route", "replace", server.node.ip("lan") + "/32", "via", server.node.ip("lan2"), "dev", lan2If).check();
        client.node.disconnect(lab.net("lan"));
        String third = client.node.ip("lan2") + ":" + NEW_PORT;
        ServerStatus s2 = server.awaitEndpoint(peer, third, 15);
        System.out.printf("[ct] roaming 2 (address): client %s -> %s (left lan); server endpoint=%s after %.1f s%n", second, third,
                s2.endpoint(peer), (System.nanoTime() - t0) / 1e9);
        assertThat(s2.endpoint(peer)).as("server's endpoint for the client after the address change").isEqualTo(third);
        boolean stillRunning = !download.isDone();

        Result dl = download.get(110, TimeUnit.SECONDS);
        System.out.printf("[ct] download across both moves (%s): %s in %.1f s, still running after the moves: %s%n",
                client.implementation(), dl.out().lines().findFirst().orElse("?"), (System.nanoTime() - t0) / 1e9, stillRunning);
        assertThat(dl.ok()).as("download across the roaming:\n%s", dl.describe()).isTrue();
        assertThat(WgClient.sha256Of(dl)).as("sha256 of the download across the roaming").isEqualTo(target.bigSha256);

        Result get = client.get(target.url("index.html?after-roaming"), 10);
        assertThat(get.ok()).as("GET after roaming:\n%s", get.describe()).isTrue();
        assertThat(client.ping(target.ip).ok()).as("ping after roaming").isTrue();
        ServerStatus s3 = server.status();
        assertThat(s3.endpoint(peer)).as("endpoint at the end").isEqualTo(third);
        System.out.printf("[ct] roaming done: server handshakes for the peer %d -> %d (roaming needs none), endpoint %s%n",
                handshakes0, s3.peerLong(peer, "handshakes"), s3.endpoint(peer));
    }
}
