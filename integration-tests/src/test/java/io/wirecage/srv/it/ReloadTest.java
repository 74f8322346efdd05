package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SIGHUP re-reads the config file: a hand-added peer is applied; a file that fails validation is
 * refused with its file:line reason while the running peers keep working; and the time a reload
 * takes with 1,000 peers.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(DumpLogsOnFailure.class)
class ReloadTest {

    static Topology topo;
    static HttpTarget target;
    static WgKeys.KeyPair serverKey;

    @BeforeAll
    static void setUp() {
        Require.e2e("python3");
        topo = Topology.create("Reload", 3);
        target = HttpTarget.start(topo);
        serverKey = WgKeys.generate();
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
    }

    static void sighup(ServerProcess server) {
        Cmd.of("kill", "-HUP", Long.toString(server.pid())).check();
    }

    static void getWorks(WgQuickClient c, String when) {
        Cmd.Result get = c.get(target.url());
        assertThat(get.ok()).as("%s GET %s:\n%s", c, when, get.describe()).isTrue();
        assertThat(get.stdout()).as("%s GET body %s", c, when).isEqualTo(target.content());
    }

    /** The parts of the status a refused reload must not change (counters move with traffic). */
    static Map<String, String> configView(ServerStatus st) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("peers", st.device().get("peers"));
        st.peers().forEach((key, fields) -> {
            for (String f : List.of("name", "allowed_ips", "handshakes", "endpoint", "persistent_keepalive")) {
                m.put(key + "." + f, fields.get(f));
            }
        });
        return m;
    }

    /** One invalid edit: the file's text and the reason the server must log for it. */
    record Invalid(String what, String text, String reason) {}

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void sighupAppliesAHandEditAndRefusesAnInvalidFileWithoutChangingAnything() {
        WgKeys.KeyPair keyA = WgKeys.generate();
        WgKeys.KeyPair keyB = WgKeys.generate();
        TomlConfig.Peer a = TomlConfig.Peer.of("A", keyA.publicKey(), topo.client(1).tunnelAddr() + "/32");
        TomlConfig.Peer b = TomlConfig.Peer.of("B", keyB.publicKey(), topo.client(2).tunnelAddr() + "/32");
        TomlConfig config = TomlConfig.create(topo, serverKey, "wirecagesrv.toml").peer(a);
        Path file = config.write();
        try (ServerProcess server = config.start("server")) {
            server.awaitReady();
            WgQuickClient clientA = WgQuickClient.fullTunnel(topo, topo.client(1), keyA, serverKey.publicKey());
            clientA.up();
            getWorks(clientA, "before any reload");
            long handshakesA = server.status().peerLong(keyA.publicKey(), "handshakes");
            assertThat(handshakesA).as("A's handshakes").isPositive();

            // 1. A peer added by hand, then SIGHUP.
            config.writeText(config.render(List.of(a, b)));
            int reloads = server.findLines(TomlConfig.RELOADED).size();
            sighup(server);
            TomlConfig.Reload added = TomlConfig.Reload.parse(
                    server.awaitNewLogLine(reloads, Duration.ofSeconds(10), TomlConfig.RELOADED));
            System.out.println("[it] server after SIGHUP: " + added.line().strip());
            assertThat(added.counts()).isEqualTo("2 peer(s): 1 added, 0 removed, 0 changed, 1 unchanged");
            WgQuickClient clientB = WgQuickClient.fullTunnel(topo, topo.client(2), keyB, serverKey.publicKey());
            clientB.up();
            getWorks(clientB, "after the SIGHUP that added it");
            getWorks(clientA, "after the SIGHUP that added B");
            server.awaitLogLine(Duration.ofSeconds(5), ServerProcess.HANDSHAKE, "peer B from");

            ServerStatus good = server.status();
            assertThat(good.peerLong(keyA.publicKey(), "handshakes")).as("A kept its session").isEqualTo(handshakesA);
            Map<String, String> view = configView(good);
            System.out.println("[it] running configuration as status shows it: " + view);

            // 2. Invalid files, each refused with the file, line and reason.
            String valid = config.render(List.of(a, b));
            int lineA = config.peerLine(0);
            int lineB = config.peerLine(1);
            String addrB = topo.client(2).tunnelAddr() + "/32";
            String addrX = topo.client(3).tunnelAddr() + "/32";
            List<Invalid> invalid = new ArrayList<>();
            String dupAddr = config.render(List.of(a, b, TomlConfig.Peer.of("X", TomlConfig.randomKey(), addrB)));
            invalid.add(new Invalid("duplicate address", dupAddr, file + ":" + config.peerLine(2)
                    + ": [[peer]] allowed_ips: " + addrB + " overlaps the peer at line " + lineB + " (B)"));
            String dupKey = config.render(List.of(a, b, TomlConfig.Peer.of("X", keyA.publicKey(), addrX)));
            invalid.add(new Invalid("duplicate public key", dupKey, file + ":" + config.peerLine(2)
                    + ": [[peer]] public_key: the same key as the peer at line " + lineA));
            String dupName = config.render(List.of(a, b, TomlConfig.Peer.of("B", TomlConfig.randomKey(), addrX)));
            invalid.add(new Invalid("duplicate name", dupName, file + ":" + config.peerLine(2)
                    + ": [[peer]] name: 'B' is also the name of the peer at line " + lineB));
            String outside = config.render(List.of(a, b, TomlConfig.Peer.of("X", TomlConfig.randomKey(), "10.9.9.9/32")));
            invalid.add(new Invalid("address outside the subnet", outside, file + ":" + config.peerLine(2)
                    + ": [[peer]] allowed_ips: 10.9.9.9/32 is outside the subnet " + Topology.VPN_SUBNET));
            int unknownLine = (int) valid.lines().count() + 5;
            String unknownKey = valid + "\n[[peer]]\nname = \"X\"\npublic_key = \"" + TomlConfig.randomKey()
                    + "\"\nallowed_ip = [\"" + addrX + "\"]\n";
            invalid.add(new Invalid("unknown key", unknownKey, file + ":" + unknownLine + ": [[peer]] unknown key 'allowed_ip'"));
            int syntaxLine = (int) valid.lines().count() + 2;
            invalid.add(new Invalid("TOML syntax error", valid + "\n[[peer]\nname = \"X\"\n", file + ":" + syntaxLine + ": TOML syntax: "));

            int failures = server.findLines(TomlConfig.RELOAD_FAILED).size();
            int reloadsBefore = server.findLines(TomlConfig.RELOADED).size();
            for (Invalid bad : invalid) {
                config.writeText(bad.text());
                sighup(server);
                String line = server.awaitNewLogLine(failures, Duration.ofSeconds(10), TomlConfig.RELOAD_FAILED);
                failures++;
                System.out.println("[it] server after SIGHUP with a " + bad.what() + ": " + line.strip());
                assertThat(line).as("reason logged for the %s", bad.what()).contains(TomlConfig.RELOAD_FAILED + bad.reason());
                assertThat(server.isAlive()).as("server alive after the refused reload").isTrue();
                assertThat(configView(server.status())).as("status after the refused reload (%s)", bad.what()).isEqualTo(view);
                getWorks(clientA, "after the refused reload (" + bad.what() + ")");
                getWorks(clientB, "after the refused reload (" + bad.what() + ")");
            }
            assertThat(server.findLines(TomlConfig.RELOADED)).as("reload lines: none for the refused files").hasSize(reloadsBefore);
            assertThat(configView(server.status())).as("status after all refused reloads").isEqualTo(view);

            // 3. A valid file again (B removed by hand): applied, so the refusals left nothing stuck.
            config.writeText(config.render(List.of(a)));
            sighup(server);
            TomlConfig.Reload removed = TomlConfig.Reload.parse(
                    server.awaitNewLogLine(reloadsBefore, Duration.ofSeconds(10), TomlConfig.RELOADED));
            System.out.println("[it] server after SIGHUP with B removed: " + removed.line().strip());
            assertThat(removed.counts()).isEqualTo("1 peer(s): 0 added, 1 removed, 0 changed, 1 unchanged");
            Cmd.Result cut = clientB.get(target.url());
            assertThat(cut.ok()).as("B's GET after its removal:\n%s", cut.describe()).isFalse();
            getWorks(clientA, "after B's removal");
            assertThat(server.status().peerLong(keyA.publicKey(), "handshakes")).as("A kept its session throughout")
                    .isEqualTo(handshakesA);
            clientA.down();
            clientB.down();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void reloadTimeWithAThousandPeers() {
        int peers = 1000;
        String subnet = "10.201.0.0/20";
        int port = Topology.LISTEN_PORT + 1;
        String tun = topo.name("tk");
        Topology.Client slot = topo.client(3);
        WgKeys.KeyPair real = WgKeys.generate();
        TomlConfig config = TomlConfig.create(topo, serverKey, "thousand.toml")
                .listenAddr("0.0.0.0:" + port).subnet(subnet).tunName(tun)
                .endpoint(slot.serverSideAddr() + ":" + port);
        config.peer(TomlConfig.Peer.of("real", real.publicKey(), address(2) + "/32"));
        for (int i = 1; i < peers; i++) {
            config.peer(TomlConfig.Peer.of(String.format("p%04d", i), TomlConfig.randomKey(), address(2 + i) + "/32"));
        }
        config.write();

        long t0 = System.nanoTime();
        try (ServerProcess server = config.start("server-1000")) {
            server.awaitReady();
            long startMs = (System.nanoTime() - t0) / 1_000_000;
            String ready = server.awaitLogLine(Duration.ofSeconds(1), ServerProcess.READY);
            assertThat(ready).contains(peers + " peer(s)");

            WgQuickClient client = topo.track(new WgQuickClient(topo, slot, real, address(2) + "/32",
                    serverKey.publicKey(), slot.serverSideAddr() + ":" + port, "0.0.0.0/0"));
            client.up();
            getWorks(client, "among 1,000 peers");
            ServerStatus st = ServerProcess.status(topo.server(), tun);
            assertThat(st.device().get("peers")).isEqualTo("" + peers);
            long handshakes = st.peerLong(real.publicKey(), "handshakes");

            // The server's own CPU time while idle with 1,000 peers (its timer thread visits each every 100 ms).
            long idle0 = cpuMillis(server.pid());
            long w0 = System.nanoTime();
            Poll.sleep(Duration.ofSeconds(3));
            double idlePercent = 100.0 * (cpuMillis(server.pid()) - idle0) / ((System.nanoTime() - w0) / 1e6);

            int reloads = server.findLines(TomlConfig.RELOADED).size();
            long cpu0 = cpuMillis(server.pid());
            Cmd.Result add = config.peerCommand("add", "one-more");
            assertThat(add.ok()).as("peer add with 1,000 peers:\n%s", add.describe()).isTrue();
            assertThat(add.stderr()).contains("applied to the running server");
            assertThat(WgQuickClient.field(add.stdout(), "Address")).isEqualTo(address(2 + peers) + "/32");
            TomlConfig.Reload r = TomlConfig.Reload.parse(
                    server.awaitNewLogLine(reloads, Duration.ofSeconds(10), TomlConfig.RELOADED));
            long addCpu = cpuMillis(server.pid()) - cpu0;
            assertThat(r.counts()).isEqualTo((peers + 1) + " peer(s): 1 added, 0 removed, 0 changed, " + peers + " unchanged");

            // Three more reloads without a change (SIGHUP), for a steadier (warm) figure.
            List<Double> noop = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int n = server.findLines(TomlConfig.RELOADED).size();
                sighup(server);
                TomlConfig.Reload x = TomlConfig.Reload.parse(server.awaitNewLogLine(n, Duration.ofSeconds(10), TomlConfig.RELOADED));
                assertThat(x.counts()).isEqualTo((peers + 1) + " peer(s): 0 added, 0 removed, 0 changed, " + (peers + 1) + " unchanged");
                noop.add(x.millis());
            }
            String load = Cmd.of("cat", "/proc/loadavg").run().stdout().strip();
            System.out.printf("[it] MEASURED with %d peers: start-up %d ms from launch to \"%s\"; `peer add` reload %.1f ms "
                            + "(server log: %s; server CPU during the `peer add` command %d ms); `peer add` command %d ms wall; "
                            + "no-op SIGHUP reloads of %d peers: %s ms; server CPU while idle %.1f%% of one core; host load %s%n",
                    peers, startMs, ServerProcess.READY, r.millis(), r.line().strip(), addCpu, add.took().toMillis(),
                    peers + 1, noop, idlePercent, load);
            // Loose bounds only: the host is shared, and wall times there vary several-fold with its load.
            assertThat(r.millis()).as("reload time with 1,000 peers (ms)").isBetween(0.0, 10_000.0);
            assertThat(noop).allSatisfy(ms -> assertThat(ms).isBetween(0.0, 10_000.0));
            assertThat(startMs).as("start-up with 1,000 peers (ms)").isLessThan(ServerProcess.READY_TIMEOUT.toMillis());

            ServerStatus after = ServerProcess.status(topo.server(), tun);
            assertThat(after.device().get("peers")).isEqualTo("" + (peers + 1));
            getWorks(client, "after the reloads with 1,001 peers");
            assertThat(after.peerLong(real.publicKey(), "handshakes")).as("the real client kept its session")
                    .isEqualTo(handshakes);
            client.down();
        }
    }

    /** User + system CPU time of a process so far, from /proc/PID/stat (clock ticks of 10 ms). */
    static long cpuMillis(long pid) {
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
            return ticks * 1000 / CLOCK_TICKS;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static final long CLOCK_TICKS = Long.parseLong(Cmd.of("getconf", "CLK_TCK").check().stdout().strip());

    /** The n-th address of 10.201.0.0/20 as a dotted quad. */
    static String address(int n) {
        int a = (10 << 24) | (201 << 16) | n;
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }
}
