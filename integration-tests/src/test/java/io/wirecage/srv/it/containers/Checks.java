package io.wirecage.srv.it.containers;

import io.wirecage.srv.it.ServerStatus;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** The traffic checks several scenarios share. */
final class Checks {

    private Checks() {
    }

    /** Before the tunnel is up, the target must be out of the client's reach (else NAT proves nothing). */
    static void targetUnreachableDirectly(WgClient client, Target target) {
        Result direct = client.node.exec(10, "curl", "-sS", "--max-time", "3", target.url("index.html?direct=" + client.node.name));
        assertThat(direct.ok()).as("the target must not be reachable from %s without the tunnel:\n%s",
                client.node.name, direct.describe()).isFalse();
        assertThat(target.requestSources("direct=" + client.node.name)).as("requests that reached the target directly").isEmpty();
    }

    /**
     * Scenario 1's check: ping, an HTTP GET (which the target logs as coming from NAT_SOURCE, the
     * server's address on wan), and a 10 MB download whose sha256 matches; then the server's status
     * shows the peer's handshake and bytes.
     */
    static void pingGetDownload(WgClient client, Target target, VpnServer server, String natSource) {
        Result ping = client.ping(target.ip);
        assertThat(ping.ok()).as("ping through the tunnel:\n%s", ping.describe()).isTrue();
        assertThat(ping.out()).contains(" 0% packet loss");

        String marker = "get=" + client.node.name;
        Result get = client.get(target.url("index.html?" + marker), 10);
        assertThat(get.ok()).as("GET through the tunnel:\n%s", get.describe()).isTrue();
        assertThat(get.out()).contains("hello-from-target");
        List<String> sources = target.requestSources(marker);
        assertThat(sources).as("source address of the GET as the target saw it (the server's NAT)").containsExactly(natSource);

        long t0 = System.nanoTime();
        Result dl = client.download(target.url("big.bin"), null, 60);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(dl.ok()).as("10 MB download:\n%s", dl.describe()).isTrue();
        assertThat(WgClient.sha256Of(dl)).as("sha256 of the downloaded file").isEqualTo(target.bigSha256);

        ServerStatus st = server.status();
        long rx = st.peerLong(client.key.publicKey(), "rx_bytes");
        long tx = st.peerLong(client.key.publicKey(), "tx_bytes");
        System.out.printf("[ct] %s via %s: ping ok (%s), GET ok (target saw %s), %d bytes in %d ms (%.0f Mbit/s), sha256 ok; "
                        + "server: handshakes=%s rx_bytes=%d tx_bytes=%d endpoint=%s%n",
                client.node.name, client.implementation(), rtt(ping), sources.get(0), target.bigBytes, ms,
                target.bigBytes * 8.0 / 1000 / Math.max(1, ms), st.peerField(client.key.publicKey(), "handshakes"), rx, tx,
                st.endpoint(client.key.publicKey()));
        assertThat(st.peerLong(client.key.publicKey(), "handshakes")).as("server-side handshakes of the peer").isGreaterThanOrEqualTo(1);
        assertThat(tx).as("bytes the server sent to the peer (the download went through it)").isGreaterThan(target.bigBytes);
    }

    static String rtt(Result ping) {
        return ping.out().lines().filter(l -> l.startsWith("rtt")).findFirst().orElse("no rtt").replaceAll("^rtt ", "");
    }
}
