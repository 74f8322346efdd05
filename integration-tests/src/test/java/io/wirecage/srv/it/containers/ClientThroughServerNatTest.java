package io.wirecage.srv.it.containers;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario 1: one wg-quick client container (full tunnel) -> the server container -> a target
 * container reachable only through the server's NAT: ping, an HTTP GET (the target sees the
 * server's wan address), a 10 MB download with a matching sha256.
 *
 * <p>Like scenarios 2-5 and 7, this runs the server image {@value ContainerEnv#SERVER_IMAGE} as a
 * privileged container; scenario 6 ({@link HostServerContainerClientTest}) runs the host-built jar
 * on the host instead.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLabOnFailure.class)
class ClientThroughServerNatTest {

    static Lab lab;
    static ServerContainer server;
    static Target target;
    static WgClient client;

    @BeforeAll
    static void setUp() {
        lab = Lab.open("scenario 1 (one client through NAT)", 1,
                ContainerEnv.require(ContainerEnv.SERVER_IMAGE, ContainerEnv.CLIENT_IMAGE), "wan", "lan");
        target = Target.start(lab, 10);
        Keys.Pair serverKey = Keys.generate();
        Keys.Pair clientKey = Keys.generate();
        server = ServerContainer.startWithFlags(lab, serverKey, Map.of(clientKey.publicKey(), "10.200.100.2"), "lan");
        client = WgClient.start(lab, "client", ContainerEnv.CLIENT_IMAGE, "lan", 10, clientKey, "10.200.100.2");
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void pingGetAndDownloadThroughTheServersNat() {
        Checks.targetUnreachableDirectly(client, target);
        client.up(server.publicKey(), server.endpoint("lan"), "0.0.0.0/0", 0);
        Checks.pingGetDownload(client, target, server, server.node.ip("wan"));
    }
}
