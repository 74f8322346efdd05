package io.wirecage.srv.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 7: boringtun as the client, a second independent implementation (the server's own
 * protocol engine is boringtun too, but driven by Java; here Cloudflare's boringtun-cli does its own
 * I/O). boringtun-cli runs in {@value ContainerEnv#BORINGTUN_IMAGE}, configured with
 * {@code wg setconf} through its control socket (no wg-quick: the test picks the implementation,
 * not the kernel), with a route for the wan subnet through the tunnel. Same check as scenario 1.
 * The server runs as the image's privileged container.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLabOnFailure.class)
class BoringtunClientTest {

    static Lab lab;
    static ServerContainer server;
    static Target target;
    static WgClient client;

    @BeforeAll
    static void setUp() {
        lab = Lab.open("scenario 7 (boringtun-cli client)", 7,
                ContainerEnv.require(ContainerEnv.SERVER_IMAGE, ContainerEnv.CLIENT_IMAGE, ContainerEnv.BORINGTUN_IMAGE), "wan", "lan");
        lab.onFailureDump(() -> client == null ? "" : "[ct] ---- boringtun-cli log ----\n" + client.node.exec(10, "tail", "-n", "30", "/tmp/boringtun.log").out());
        target = Target.start(lab, 10);
        Keys.Pair serverKey = Keys.generate();
        Keys.Pair clientKey = Keys.generate();
        server = ServerContainer.startWithFlags(lab, serverKey, Map.of(clientKey.publicKey(), "10.200.100.2"), "lan");
        client = WgClient.start(lab, "client", ContainerEnv.BORINGTUN_IMAGE, "lan", 10, clientKey, "10.200.100.2");
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void boringtunClientPingGetAndDownload() {
        Checks.targetUnreachableDirectly(client, target);
        client.upWithBoringtunSetconf(server.publicKey(), server.endpoint("lan"), lab.net("wan").subnet(), 0);
        assertThat(client.implementation()).as("WireGuard implementation of the client").startsWith("boringtun-cli");
        Checks.pingGetDownload(client, target, server, server.node.ip("wan"));
    }
}
