package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Soak (issue 9): {@value #DEFAULT_SECONDS} s of traffic through one session, long enough for three
 * rekeys (an initiator that sends rekeys 120 s after each handshake), once with a wg-quick client
 * (wireguard-go) and once with Cloudflare's boringtun-cli as the client. All along: one HTTP GET per
 * second to the target in the internet namespace, and a ping every 0.1 s. Zero failed requests, no
 * request slower than 1 s, no gap longer than 1 s between two echo replies, at least three rekeys
 * seen by the client, and a server without internal errors. boringtun 0.7.1 (the server's protocol
 * engine and boringtun-cli) has a report of sessions going one-way deaf 15-30 s after a handshake
 * (cloudflare/boringtun#495, a 0.7.1 client with a 25 s persistent keepalive, as the boringtun-cli
 * client here has); with a handshake every 120 s, this would show as failed requests and echo gaps
 * after each rekey.
 *
 * <p>Tagged {@code soak}: not in the default suite (too long for CI). Run it with {@code bin/soak},
 * i.e. {@code mvn -B -ntp verify -pl integration-tests -Psoak}; {@code -Dwirecagesrv.soak.seconds=N}
 * changes the duration (the rekey count it expects follows), {@code -Dwirecagesrv.boringtun=PATH} the
 * boringtun-cli binary.
 */
@Tag("soak")
@ExtendWith(DumpLogsOnFailure.class)
class SoakTest {
    static final int DEFAULT_SECONDS = 390;
    static final int SECONDS = Integer.getInteger("wirecagesrv.soak.seconds", DEFAULT_SECONDS);
    /** An initiator rekeys on the first send 120 s after a handshake (REKEY_AFTER_TIME). */
    static final int REKEYS_EXPECTED = Math.max(0, (SECONDS - 15) / 125);
    static final double MAX_REQUEST_SECONDS = 1.0;
    static final double MAX_GAP_SECONDS = 1.0;
    static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)] \\d+ bytes from .*icmp_seq=(\\d+)");

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void wgQuickClient() {
        try (Topology topo = Topology.create("SoakWgQuick", 1)) {
            Setup s = Setup.start(topo);
            WgQuickClient client = WgQuickClient.fullTunnel(topo, topo.client(1), s.clientKey, s.serverKey.publicKey());
            client.up();
            soak(topo, s, "wg-quick (" + client.implementation() + ")", client.interfaceName());
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void boringtunClient() {
        Path boringtun = boringtunCli();
        try (Topology topo = Topology.create("SoakBoringtun", 1)) {
            Setup s = Setup.start(topo);
            Topology.Client slot = topo.client(1);
            String iface = slot.wgInterface();
            Netns ns = slot.ns();
            String version = Cmd.of(boringtun.toString(), "--version").run().stdout().strip();
            topo.track(new Background(ns.wrap(List.of(boringtun.toString(), "--foreground", "--disable-drop-privileges",
                    "--verbosity", "info", "--log", topo.workDir().resolve("boringtun-client.log").toString(), iface)),
                    topo.workDir().resolve("boringtun-cli.out")));
            Path sock = Path.of("/var/run/wireguard", iface + ".sock");
            assertThat(Poll.until(Duration.ofSeconds(10), Duration.ofMillis(100), () -> Files.exists(sock)))
                    .as("boringtun-cli's control socket %s", sock).isTrue();
            Path conf = topo.writeSecret(iface + ".setconf", "[Interface]\nPrivateKey = " + s.clientKey.privateKey()
                    + "\n\n[Peer]\nPublicKey = " + s.serverKey.publicKey() + "\nEndpoint = " + slot.endpoint()
                    + "\nAllowedIPs = 0.0.0.0/0\nPersistentKeepalive = 25\n");
            ns.exec("wg", "setconf", iface, conf.toString());
            ns.exec("ip", "address", "add", slot.tunnelAddr() + "/32", "dev", iface);
            ns.exec("ip", "link", "set", "mtu", "1420", "up", "dev", iface);
            ns.exec("ip", "route", "add", Topology.INTERNET_ADDR + "/32", "dev", iface);
            soak(topo, s, version, iface);
        }
    }

    /** Server, target and keys of one soak. */
    record Setup(HttpTarget target, WgKeys.KeyPair serverKey, WgKeys.KeyPair clientKey, ServerProcess server) {
        static Setup start(Topology topo) {
            Require.e2e("curl", "ping");
            HttpTarget target = HttpTarget.start(topo);
            WgKeys.KeyPair serverKey = WgKeys.generate();
            WgKeys.KeyPair clientKey = WgKeys.generate();
            ServerProcess server = ServerProcess.config(topo, serverKey)
                    .peer(clientKey.publicKey(), topo.client(1).tunnelAddr() + "/32").start("server");
            server.awaitReady();
            return new Setup(target, serverKey, clientKey, server);
        }
    }

    /** boringtun-cli: -Dwirecagesrv.boringtun, else the binary docker/build-images.sh caches. */
    static Path boringtunCli() {
        Path p = Path.of(System.getProperty("wirecagesrv.boringtun", "/var/cache/wirecagesrv/bin/boringtun-cli"));
        if (!Files.isExecutable(p)) {
            throw new AssertionError("the boringtun soak needs boringtun-cli at " + p + " (bin/soak builds it with "
                    + "cargo install boringtun-cli; or pass -Dwirecagesrv.boringtun=PATH)");
        }
        return p;
    }

    static void soak(Topology topo, Setup s, String clientName, String iface) {
        Topology.Client slot = topo.client(1);
        Netns ns = slot.ns();
        // the first handshake, and the target reachable through it
        Cmd.Result first = HttpTarget.curl(ns, s.target.url());
        assertThat(first.ok()).as("first GET through the tunnel:\n%s", first.describe()).isTrue();
        long handshakesBefore = s.server.status().counter("handshakes_completed");

        Path pingLog = topo.workDir().resolve("ping.log");
        Background ping = topo.track(new Background(ns.wrap(List.of("ping", "-n", "-D", "-i", "0.1", "-W", "1",
                "-c", "" + SECONDS * 10, Topology.INTERNET_ADDR)), pingLog));

        List<String> failures = new ArrayList<>();
        List<Long> handshakeTimes = new ArrayList<>();
        int requests = 0;
        double slowest = 0;
        long start = System.nanoTime();
        long startEpoch = System.currentTimeMillis() / 1000;
        for (int i = 0; i < SECONDS; i++) {
            long due = start + TimeUnit.SECONDS.toNanos(i);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Poll.sleep(Duration.ofNanos(wait));
            }
            Cmd.Result r = ns.cmd("curl", "--noproxy", "*", "-sS", "-o", "/dev/null", "--connect-timeout", "5", "--max-time", "10",
                    "-w", "%{http_code} %{size_download} %{time_total}", s.target.url()).timeout(Duration.ofSeconds(20)).run();
            requests++;
            String[] f = r.stdout().strip().split(" ");
            boolean ok = r.ok() && f.length == 3 && f[0].equals("200") && Long.parseLong(f[1]) == s.target.content().length();
            double took = f.length == 3 ? Double.parseDouble(f[2]) : Double.NaN;
            if (!ok) {
                failures.add(String.format(Locale.ROOT, "t=%d s: %s", i, r.describe()));
            } else {
                slowest = Math.max(slowest, took);
                if (took > MAX_REQUEST_SECONDS) {
                    failures.add(String.format(Locale.ROOT, "t=%d s: took %.3f s", i, took));
                }
            }
            long hs = handshakeEpochSeconds(ns, iface, s.serverKey.publicKey());
            if (hs != 0 && (handshakeTimes.isEmpty() || Math.abs(handshakeTimes.get(handshakeTimes.size() - 1) - hs) > 2)) {
                handshakeTimes.add(hs);
            }
        }
        ping.awaitExit(Duration.ofSeconds(30));
        Gaps gaps = Gaps.of(ping.log());
        ServerStatus after = s.server.status();
        long handshakes = after.counter("handshakes_completed") - handshakesBefore;
        int rekeys = handshakeTimes.size() - 1;
        List<Long> handshakeOffsets = handshakeTimes.stream().map(t -> t - startEpoch).toList();
        System.out.printf(Locale.ROOT, "[it] soak with %s: %d s, %d requests, %d failed, slowest %.3f s; %d echo requests, "
                        + "%d replies, longest gap between replies %.3f s (at %s); client handshakes at %s s (%d rekeys), "
                        + "server handshakes_completed +%d%n",
                clientName, SECONDS, requests, failures.size(), slowest, SECONDS * 10, gaps.replies, gaps.max, gaps.maxAt,
                handshakeOffsets, rekeys, handshakes);

        assertThat(s.server.isAlive()).as("the server after the soak").isTrue();
        assertThat(after.counter("internal_errors")).as("exceptions on the data path").isZero();
        assertThat(failures).as("failed or slow (> %.1f s) requests out of %d", MAX_REQUEST_SECONDS, requests).isEmpty();
        assertThat(gaps.replies).as("echo replies (of %d requests)", SECONDS * 10).isGreaterThan(SECONDS * 9);
        assertThat(gaps.max).as("longest gap between two echo replies (s), at %s", gaps.maxAt).isLessThanOrEqualTo(MAX_GAP_SECONDS);
        assertThat(rekeys).as("rekeys seen by the client (handshakes at %s s)", handshakeOffsets).isGreaterThanOrEqualTo(REKEYS_EXPECTED);
        assertThat(handshakes).as("handshakes the server completed during the soak").isGreaterThanOrEqualTo(REKEYS_EXPECTED);
        assertThat(s.server.terminate()).as("exit code of the server after SIGTERM").isZero();
    }

    /**
     * The client's latest handshake with the server in seconds since the epoch (0: none yet), from its
     * control socket. wireguard-go reports the epoch time, as the protocol says; boringtun-cli 0.7.1
     * reports the seconds since the handshake instead, which are turned into an epoch time here (so
     * successive reads of one handshake differ by a second at most).
     */
    static long handshakeEpochSeconds(Netns ns, String iface, String serverPublicKey) {
        for (String line : ns.exec("wg", "show", iface, "latest-handshakes").stdoutLines()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(serverPublicKey)) {
                long v = Long.parseLong(f[1]);
                return v == 0 || v > 1_000_000_000L ? v : System.currentTimeMillis() / 1000 - v;
            }
        }
        throw new AssertionError("client " + iface + " has no peer " + serverPublicKey);
    }

    /** Echo replies in a {@code ping -D} log and the longest time between two of them. */
    record Gaps(int replies, double max, String maxAt) {
        static Gaps of(String log) {
            int replies = 0;
            double last = -1;
            double max = 0;
            String maxAt = "-";
            for (String line : Cmd.nonBlankLines(log)) {
                Matcher m = REPLY.matcher(line);
                if (!m.find()) {
                    continue;
                }
                replies++;
                double t = Double.parseDouble(m.group(1));
                if (last >= 0 && t - last > max) {
                    max = t - last;
                    maxAt = "icmp_seq=" + m.group(2);
                }
                last = t;
            }
            return new Gaps(replies, max, maxAt);
        }
    }
}
