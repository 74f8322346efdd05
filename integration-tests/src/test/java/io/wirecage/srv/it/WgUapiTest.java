package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stock {@code wg} tool against the server's UAPI socket ({@code /var/run/wireguard/TUN.sock}):
 * {@code wg show} and its dump (public key, port, endpoint, allowed ips, a handshake seconds ago, byte
 * counters that match the pings sent), {@code wg set} adding a peer that then passes traffic, changing
 * its allowed ips (the old source is dropped) and removing it (its session ends at once), malformed set
 * requests that change nothing, {@code wg showconf} fed back with {@code wg setconf} and {@code wg
 * syncconf} (unchanged peers keep their session), and the server stopping when its socket is deleted.
 * The server's private key is read by {@code wg} but never printed by this test.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WgUapiTest {
    static final int PING_COUNT = 40;
    /** ping -s 1372: a 1400-byte IPv4 packet each way. */
    static final int PING_PAYLOAD = 1372;
    static final int PACKET = PING_PAYLOAD + 28;

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair keyA;
    static WgKeys.KeyPair keyB;
    static TomlConfig config;
    static ServerProcess server;
    static WgQuickClient clientA;
    static Path socket;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("WgUapi", 2);
        target = HttpTarget.start(topo);
        serverKey = WgKeys.generate();
        keyA = WgKeys.generate();
        keyB = WgKeys.generate();
        config = TomlConfig.create(topo, serverKey, "wirecagesrv.toml")
                .peer(TomlConfig.Peer.of("A", keyA.publicKey(), topo.client(1).tunnelAddr() + "/32"));
        config.write();
        server = config.start("server");
        server.awaitReady();
        socket = Path.of("/var/run/wireguard", topo.tunName() + ".sock");
        clientA = WgQuickClient.fullTunnel(topo, topo.client(1), keyA, serverKey.publicKey());
        clientA.up();
        assertThat(clientA.get(target.url()).check().stdout()).isEqualTo(target.content());
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    /** `wg ARGS` in the server namespace (the socket directory is shared, the namespace is the natural one). */
    static Cmd.Result wg(String... args) {
        List<String> argv = new ArrayList<>(List.of("wg"));
        argv.addAll(List.of(args));
        return topo.server().cmd(argv).timeout(Duration.ofSeconds(20)).run();
    }

    /** `wg show TUN dump`: the interface line (without the private key) and the peer lines by public key. */
    record Dump(String publicKey, int listenPort, Map<String, String[]> peers) {
        static Dump read() {
            Cmd.Result r = wg("show", topo.tunName(), "dump");
            if (!r.ok()) {
                throw new AssertionError("wg show dump failed: exit " + r.exitCode() + ", stderr " + r.stderr());
            }
            List<String> lines = r.stdoutLines();
            String[] dev = lines.get(0).split("\t");
            assertThat(dev).as("fields of the interface line of wg show dump").hasSize(4);
            Map<String, String[]> peers = new LinkedHashMap<>();
            for (String l : lines.subList(1, lines.size())) {
                String[] f = l.split("\t");
                assertThat(f).as("fields of a peer line of wg show dump: " + l).hasSize(8);
                peers.put(f[0], f);
            }
            return new Dump(dev[1], Integer.parseInt(dev[2]), peers);
        }

        String[] peer(String key) {
            String[] f = peers.get(key);
            if (f == null) {
                throw new AssertionError("wg show dump has no peer " + key + "; peers " + peers.keySet());
            }
            return f;
        }

        long rx(String key) {
            return Long.parseLong(peer(key)[5]);
        }

        long tx(String key) {
            return Long.parseLong(peer(key)[6]);
        }
    }

    @Test
    @Order(1)
    void wgShowReportsTheRunningServer() {
        Dump before = Dump.read();
        assertThat(before.publicKey()).as("interface public key").isEqualTo(serverKey.publicKey());
        assertThat(before.listenPort()).isEqualTo(Topology.LISTEN_PORT);
        String[] a = before.peer(keyA.publicKey());
        assertThat(a[1]).as("preshared key").isEqualTo("(none)");
        assertThat(a[2]).as("endpoint").isEqualTo(topo.client(1).clientSideAddr() + ":" + clientEndpointPort());
        assertThat(a[3]).as("allowed ips").isEqualTo(topo.client(1).tunnelAddr() + "/32");
        long handshake = Long.parseLong(a[4]);
        long now = System.currentTimeMillis() / 1000;
        assertThat(handshake).as("latest handshake as Unix time").isBetween(now - 120, now + 1);
        assertThat(a[7]).as("keepalive").isEqualTo("off");

        clientA.ns().cmd("ping", "-n", "-c", "" + PING_COUNT, "-i", "0.2", "-W", "2", "-s", "" + PING_PAYLOAD,
                Topology.INTERNET_ADDR).timeout(Duration.ofSeconds(PING_COUNT + 10)).run().check();
        Dump after = Dump.read();
        long rx = after.rx(keyA.publicKey()) - before.rx(keyA.publicKey());
        long tx = after.tx(keyA.publicKey()) - before.tx(keyA.publicKey());
        long sent = (long) PING_COUNT * PACKET;
        System.out.println("[it] " + PING_COUNT + " pings of " + PACKET + " bytes: server rx +" + rx + ", tx +" + tx
                + " (IP bytes inside the tunnel: " + sent + " each way)");
        assertThat((double) rx).as("rx bytes vs the echo requests sent").isBetween(sent * 0.99, sent * 1.01);
        assertThat((double) tx).as("tx bytes vs the echo replies").isBetween(sent * 0.99, sent * 1.01);
        // The client's wireguard-go counts encrypted UDP payloads: 32 bytes and padding more per packet.
        long clientTx = clientA.txBytes();
        assertThat((double) clientTx).as("client tx vs server rx (encrypted vs inner bytes)")
                .isBetween(after.rx(keyA.publicKey()) * 1.0, after.rx(keyA.publicKey()) * 1.06 + 2000);

        Cmd.Result show = wg("show", topo.tunName());
        assertThat(show.ok()).as("wg show: " + show.stderr()).isTrue();
        String out = show.stdout();
        assertThat(out).contains("interface: " + topo.tunName())
                .contains("public key: " + serverKey.publicKey())
                .contains("private key: (hidden)")
                .contains("listening port: " + Topology.LISTEN_PORT)
                .contains("peer: " + keyA.publicKey())
                .contains("allowed ips: " + topo.client(1).tunnelAddr() + "/32")
                .containsPattern("latest handshake: ((\\d+ minutes?, )?\\d+ seconds? ago|Now)")
                .containsPattern("transfer: [0-9.]+ [KMG]?i?B received, [0-9.]+ [KMG]?i?B sent")
                .doesNotContain("years");
        System.out.println("[it] wg show " + topo.tunName() + ":\n" + out);

        // `wg show all dump` covers every userspace interface on the host; each line must parse.
        Cmd.Result all = wg("show", "all", "dump");
        assertThat(all.ok()).as("wg show all dump: " + all.stderr()).isTrue();
        boolean ours = false;
        for (String l : all.stdoutLines()) {
            String[] f = l.split("\t");
            assertThat(f.length).as("fields in a line of wg show all dump").isIn(5, 9);
            ours |= f[0].equals(topo.tunName()) && f.length == 9 && f[1].equals(keyA.publicKey());
        }
        assertThat(ours).as("our peer in wg show all dump").isTrue();
    }

    static String clientEndpointPort() {
        // the client's listen port as the client itself reports it
        List<String> lines = clientA.ns().exec("wg", "show", clientA.interfaceName(), "listen-port").stdoutLines();
        return lines.get(0).strip();
    }

    @Test
    @Order(2)
    void wgSetAddsChangesAndRemovesAPeer() {
        String ipB = topo.client(2).tunnelAddr();
        wg("set", topo.tunName(), "peer", keyB.publicKey(), "allowed-ips", ipB + "/32").check();
        assertThat(Dump.read().peer(keyB.publicKey())[3]).isEqualTo(ipB + "/32");
        WgQuickClient clientB = WgQuickClient.fullTunnel(topo, topo.client(2), keyB, serverKey.publicKey());
        clientB.up();
        assertThat(clientB.get(target.url()).check().stdout()).as("a peer added by wg set passes traffic").isEqualTo(target.content());
        assertThat(config.read()).as("wg set does not write the config file").doesNotContain(keyB.publicKey());

        // New allowed ips: the client's address is no longer its own, its packets are dropped and counted.
        long dropped = server.status().counter("dropped_source_not_allowed");
        wg("set", topo.tunName(), "peer", keyB.publicKey(), "allowed-ips", "10.200.100.50/32").check();
        assertThat(Dump.read().peer(keyB.publicKey())[3]).isEqualTo("10.200.100.50/32");
        assertThat(clientB.ping(Topology.INTERNET_ADDR, 3, null).ok()).as("ping from the old range").isFalse();
        assertThat(server.status().counter("dropped_source_not_allowed")).as("drops of the old range").isGreaterThanOrEqualTo(dropped + 3);

        // Removal ends the session at once: even the address it had again gets nothing through.
        wg("set", topo.tunName(), "peer", keyB.publicKey(), "allowed-ips", ipB + "/32").check();
        assertThat(clientB.ping(Topology.INTERNET_ADDR, 2, null).ok()).as("ping after the range was given back").isTrue();
        wg("set", topo.tunName(), "peer", keyB.publicKey(), "remove").check();
        assertThat(Dump.read().peers()).doesNotContainKey(keyB.publicKey());
        assertThat(clientB.ping(Topology.INTERNET_ADDR, 3, null).ok()).as("ping after wg set remove").isFalse();
        clientB.down();
        // A's session was never touched.
        clientA.ping(Topology.INTERNET_ADDR, 2, null).check();
    }

    @Test
    @Order(3)
    void malformedSetRequestsChangeNothing() throws Exception {
        Dump before = Dump.read();
        String hexA = hex(keyA.publicKey());
        String hexNew = hex(TomlConfig.randomKey());
        List<String> bad = List.of(
                // a valid change of A followed by a bad line: the whole request is refused
                "set=1\npublic_key=" + hexA + "\nreplace_allowed_ips=true\nallowed_ip=10.200.100.77/32\nallowed_ip=10.200.100.300/32\n\n",
                "set=1\npublic_key=" + hexA + "\nremove=true\npublic_key=" + hexNew + "\npersistent_keepalive_interval=abc\n\n",
                "set=1\npublic_key=zz" + hexA.substring(2) + "\n\n",
                "set=1\npublic_key=" + hexNew + "\nallowed_ip=10.200.100.60/33\n\n",
                "set=1\npublic_key=" + hexNew + "\nendpoint=example.com:51820\n\n",
                "set=1\npublic_key=" + hexNew + "\nprotocol_version=2\n\n",
                "set=1\nlisten_port=1\n\n",
                "set=1\nprivate_key=" + hexNew + "\n\n",
                "set=1\nno_such_key=1\n\n");
        for (String req : bad) {
            String answer = uapi(req);
            assertThat(answer).as("answer to " + req.replace("\n", "\\n")).matches("errno=-\\d+\n\n").isNotEqualTo("errno=0\n\n");
        }
        Dump after = Dump.read();
        assertThat(after.peers().keySet()).isEqualTo(before.peers().keySet());
        assertThat(after.peer(keyA.publicKey())[3]).isEqualTo(before.peer(keyA.publicKey())[3]);
        assertThat(after.peer(keyA.publicKey())[4]).as("A's handshake").isEqualTo(before.peer(keyA.publicKey())[4]);
        // An unknown operation and a request without its blank line get errors too; the server stays up.
        assertThat(uapi("frobnicate=1\n\n")).isEqualTo("errno=-22\n\n");
        assertThat(uapi("get=1\n")).isEqualTo("errno=71\n\n");
        clientA.ping(Topology.INTERNET_ADDR, 2, null).check();
    }

    @Test
    @Order(4)
    void showconfSetconfAndSyncconf() throws Exception {
        Dump before = Dump.read();
        int handshakes = server.findLines(ServerProcess.HANDSHAKE).size();
        Path conf = topo.workDir().resolve("showconf.conf");
        Cmd.Result sc = wg("showconf", topo.tunName());
        assertThat(sc.ok()).as("wg showconf: " + sc.stderr()).isTrue();
        Files.writeString(conf, sc.stdout());
        Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

        // syncconf with the same config: nothing changes, A keeps its session
        wg("syncconf", topo.tunName(), conf.toString()).check();
        // setconf after A was removed brings it back with the same settings
        wg("set", topo.tunName(), "peer", keyA.publicKey(), "remove").check();
        assertThat(Dump.read().peers()).doesNotContainKey(keyA.publicKey());
        wg("setconf", topo.tunName(), conf.toString()).check();
        Dump back = Dump.read();
        assertThat(back.peers().keySet()).isEqualTo(before.peers().keySet());
        assertThat(back.peer(keyA.publicKey())[3]).isEqualTo(before.peer(keyA.publicKey())[3]);
        assertThat(back.peer(keyA.publicKey())[2]).as("endpoint from the config").isEqualTo(before.peer(keyA.publicKey())[2]);
        // A's client gets through again (a new handshake: the removal ended its session)
        assertThat(Poll.until(Duration.ofSeconds(45), Duration.ofMillis(500),
                () -> clientA.ping(Topology.INTERNET_ADDR, 1, null).ok())).as("A after setconf").isTrue();

        // syncconf now leaves A's new session alone: no handshake, same counters going up
        String[] a1 = Dump.read().peer(keyA.publicKey());
        int handshakesAfter = server.findLines(ServerProcess.HANDSHAKE).size();
        assertThat(handshakesAfter).isGreaterThan(handshakes);
        wg("syncconf", topo.tunName(), conf.toString()).check();
        clientA.ping(Topology.INTERNET_ADDR, 3, null).check();
        String[] a2 = Dump.read().peer(keyA.publicKey());
        assertThat(a2[4]).as("handshake time after syncconf").isEqualTo(a1[4]);
        assertThat(Long.parseLong(a2[5])).as("rx keeps counting").isGreaterThan(Long.parseLong(a1[5]));
        assertThat(server.findLines(ServerProcess.HANDSHAKE)).hasSize(handshakesAfter);

        // The same config on another implementation: a wireguard-go interface in a namespace of its own.
        String iface = topo.name("go");
        try (Netns other = Netns.create(Netns.PREFIX + ProcessHandle.current().pid() + "-" + topo.prefix().substring(5) + "-go")) {
            other.cmd("wireguard-go", iface).timeout(Duration.ofSeconds(20)).run().check();
            try {
                Cmd.Result stripped = other.cmd("wg", "setconf", iface, conf.toString()).run();
                assertThat(stripped.ok()).as("wg setconf on wireguard-go: " + stripped.stderr()).isTrue();
                List<String> lines = other.exec("wg", "show", iface, "dump").stdoutLines();
                assertThat(lines.get(0).split("\t")[1]).isEqualTo(serverKey.publicKey());
                Map<String, String> goPeers = new LinkedHashMap<>();
                for (String l : lines.subList(1, lines.size())) {
                    String[] f = l.split("\t");
                    goPeers.put(f[0], f[3]);
                }
                Map<String, String> ours = new LinkedHashMap<>();
                Dump.read().peers().forEach((k, f) -> ours.put(k, f[3]));
                assertThat(goPeers).as("wireguard-go's peers after setconf of our showconf").isEqualTo(ours);
            } finally {
                other.tryExec("ip", "link", "del", iface);
                Files.deleteIfExists(Path.of("/var/run/wireguard", iface + ".sock"));
            }
        }
    }

    @Test
    @Order(5)
    void statusAndShowconfGoThroughTheSameSocket() {
        assertThat(Files.exists(socket)).as("UAPI socket " + socket).isTrue();
        assertThat(server.status().peerField(keyA.publicKey(), "allowed_ips")).isEqualTo(topo.client(1).tunnelAddr() + "/32");
        assertThat(config.showconf()).contains("PublicKey = " + keyA.publicKey());
        assertThat(Path.of("/run/wirecagesrv", topo.tunName() + ".sock")).as("no second control socket").doesNotExist();
        // peer commands reach the server with reload=1 over the same socket
        Cmd.Result r = config.peerCommand("add", "C", "--public-key", TomlConfig.randomKey());
        assertThat(r.exitCode()).isZero();
        assertThat(r.stderr()).contains("applied to the running server");
    }

    @Test
    @Order(6)
    void deletingTheSocketStopsTheServer() throws Exception {
        Files.delete(socket);
        int exit = server.awaitExit(Duration.ofSeconds(15));
        assertThat(exit).as("exit code after the socket was deleted").isZero();
        assertThat(server.log()).contains("was deleted: stopping").contains("stopped: TUN");
        assertThat(topo.server().hasLink(topo.tunName())).isFalse();
    }

    static String hex(String base64) {
        return HexFormat.of().formatHex(java.util.Base64.getDecoder().decode(base64));
    }

    /** One raw UAPI request over the socket, with python3 (bounded by a 10 s timeout); returns the answer. */
    static String uapi(String request) {
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM); s.settimeout(10); s.connect(sys.argv[1])\n"
                + "s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)\n"
                + "out=b''\n"
                + "while True:\n"
                + "    b=s.recv(65536)\n"
                + "    if not b: break\n"
                + "    out+=b\n"
                + "sys.stdout.write(out.decode())\n";
        return Cmd.of(Require.python(), "-c", py, socket.toString()).stdin(request).timeout(Duration.ofSeconds(15)).check().stdout();
    }
}
