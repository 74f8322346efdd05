package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A captured handshake initiation sent again later is refused, also after the peer's boringtun tunnel
 * was replaced (here by a reload that changes its keepalive; idle peers lose theirs the same way), which
 * took boringtun's own timestamp check with it: the peer's endpoint stays, no handshake completes with
 * the replayer, and the replay is counted (issue 9, defect 2).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class ReplayedInitiationTest {
    /** Prints the UDP payload (hex) of the first WireGuard initiation sent to port 51820 on IFACE. */
    static final String SNIFF = """
            import socket, struct, sys, time
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
            s.bind((sys.argv[1], 0)); s.settimeout(1)
            print("sniffing", flush=True)
            end = time.time() + 60
            while time.time() < end:
                try:
                    frame = s.recv(4096)
                except socket.timeout:
                    continue
                ip = frame[14:]
                if ip[9] != 17:
                    continue
                udp = ip[(ip[0] & 15) * 4:]
                if struct.unpack("!H", udp[2:4])[0] == 51820 and udp[8] == 1:
                    print("initiation " + udp[8:].hex(), flush=True); break
            """;
    static final String REPLAY = """
            import socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for _ in range(3):
                s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[1], int(sys.argv[2]))); time.sleep(0.2)
            """;

    static Topology topo;
    static HttpTarget target;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("ReplayedInit", 2);
        target = HttpTarget.start(topo);
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    @Test
    void aReplayedInitiationToAFreshTunnelIsRefused() throws Exception {
        WgKeys.KeyPair serverKey = WgKeys.generate();
        WgKeys.KeyPair peerKey = WgKeys.generate();
        TomlConfig.Peer a = TomlConfig.Peer.of("A", peerKey.publicKey(), topo.client(1).tunnelAddr() + "/32");
        TomlConfig config = TomlConfig.create(topo, serverKey, "replay.toml").peer(a);
        config.write();
        ServerProcess server = config.start("server");
        server.awaitReady();

        Path sniff = topo.workDir().resolve("sniff.py");
        Files.writeString(sniff, SNIFF);
        Background sniffer = topo.track(new Background(topo.server().wrap(List.of(Require.python(), "-u", sniff.toString(),
                topo.client(1).serverVeth())), topo.workDir().resolve("sniff.log")));
        sniffer.awaitLog("sniffing", Duration.ofSeconds(10));
        WgQuickClient client = WgQuickClient.fullTunnel(topo, topo.client(1), peerKey, serverKey.publicKey());
        client.up();
        assertThat(client.get(target.url()).ok()).isTrue();
        sniffer.awaitLog("initiation ", Duration.ofSeconds(10));
        String captured = sniffer.log().lines().filter(l -> l.startsWith("initiation ")).findFirst().orElseThrow()
                .substring("initiation ".length());
        String endpoint = server.status().endpoint(peerKey.publicKey());

        // a reload gives the peer a new boringtun tunnel (new keepalive): boringtun's timestamp check is gone
        int before = server.findLines(TomlConfig.RELOADED).size();
        config.writeText(config.render(List.of(a.withKeepalive(25))));
        Cmd.of("kill", "-HUP", Long.toString(server.pid())).check();
        assertThat(server.awaitNewLogLine(before, Duration.ofSeconds(10), TomlConfig.RELOADED)).contains("1 changed");

        Path replay = topo.workDir().resolve("replay.py");
        Files.writeString(replay, REPLAY);
        Topology.Client attacker = topo.client(2);
        attacker.ns().cmd(Require.python(), replay.toString(), attacker.serverSideAddr(), "" + Topology.LISTEN_PORT, captured)
                .timeout(Duration.ofSeconds(20)).check();
        Poll.sleep(Duration.ofMillis(500));

        ServerStatus after = server.status();
        System.out.println("[it] after the replay: endpoint " + after.endpoint(peerKey.publicKey()) + ", replays dropped "
                + after.device().get("counter.dropped_replayed_initiation"));
        assertThat(server.findLines("handshake completed", attacker.clientSideAddr())).as("a handshake with the replayer").isEmpty();
        assertThat(after.endpoint(peerKey.publicKey())).as("the peer's endpoint after the replay").isEqualTo(endpoint);
        assertThat(after.counter("dropped_replayed_initiation")).isGreaterThanOrEqualTo(1);
        client.down();
        assertThat(server.terminate()).isZero();
    }
}
