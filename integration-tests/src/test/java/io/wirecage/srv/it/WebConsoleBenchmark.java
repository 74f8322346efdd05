package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The web console's costs, measured in Debian's headless Chromium against a server with 100 peers (one
 * a real wg-quick client sending traffic, the others idle): page weight of the dashboard (bytes
 * transferred, from the browser's Resource Timing), time to first render (first-contentful-paint from
 * the Paint Timing API, cold profile and warm cache), and the server process's CPU time over 60 s with
 * no dashboard open and with 10 open (from /proc/PID/stat). Not part of the test suite (the name does
 * not end in Test): run by bench/web, which writes bench/results/web-latest.md.
 */
class WebConsoleBenchmark {
    static final String PASSWORD = "benchmark password 123";
    static final int PEERS = 100;
    static final int DASHBOARDS = 10;
    static final Duration WINDOW = Duration.ofSeconds(Long.getLong("wcs.bench.seconds", 60));

    @Test
    @Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // longer than the suite's default: two CPU windows
    void pageWeightFirstRenderAndServerCpuOfTenDashboardsWithOneHundredPeers() throws Exception {
        Require.e2e("socat");
        WebBrowser.require();
        try (Topology topo = Topology.create("WebBench", 1)) {
            WgKeys.KeyPair serverKey = WgKeys.generate();
            WgKeys.KeyPair clientKey = WgKeys.generate();
            Topology.Client c1 = topo.client(1);
            TomlConfig config = TomlConfig.create(topo, serverKey, "bench.toml").endpoint(c1.endpoint())
                    .peer(TomlConfig.Peer.of("client-1", clientKey.publicKey(), c1.tunnelAddr() + "/32"));
            for (int i = 2; i <= PEERS; i++) {
                config.peer(TomlConfig.Peer.of("peer-" + i, WgKeys.generate().publicKey(), "10.200.100." + (i + 1) + "/32"));
            }
            config.write();
            Cmd.Result pw = ServerProcess.cli(topo.server(), "web-password", "--config", config.file().toString())
                    .stdin(PASSWORD + "\n").run();
            assertThat(pw.ok()).as(pw.describe()).isTrue();
            ServerProcess server = config.start("bench");
            server.awaitReady();
            server.awaitLogLine(Duration.ofSeconds(10), "web console on");
            LoopbackRelay relay = topo.track(LoopbackRelay.start(topo.server(), 51821, topo.workDir()));
            String base = "http://127.0.0.1:" + relay.port();
            WgQuickClient client = topo.track(new WgQuickClient(topo, c1, clientKey, c1.tunnelAddr() + "/32",
                    serverKey.publicKey(), c1.endpoint(), Topology.VPN_SUBNET));
            client.up();
            List<String[]> rows = new ArrayList<>() {
                @Override
                public boolean add(String[] r) {
                    System.out.println("[bench] " + String.join(" | ", r)); // also when a later step fails
                    return super.add(r);
                }
            };
            try (Background ping = topo.track(new Background(c1.ns().wrap(List.of("ping", "-i", "0.2", "-s", "1000", "-w",
                    String.valueOf(WINDOW.toSeconds() * 3 + 120), "10.200.100.1")), topo.workDir().resolve("ping.log")))) {
                ChromeDriver browser = WebBrowser.start(topo.workDir(), 1280, 1000);
                try {
                    browser.get(base + "/login");
                    browser.findElement(By.id("password")).sendKeys(PASSWORD + Keys.ENTER);
                    Poll.until(Duration.ofSeconds(10), Duration.ofMillis(100), () -> !browser.findElements(By.id("peers")).isEmpty());
                    assertThat(browser.findElements(By.cssSelector("tr[data-key]"))).hasSize(PEERS);
                    // a. page weight of a cold load (the static files not cached yet)
                    browser.executeCdpCommand("Network.enable", Map.of());
                    browser.executeCdpCommand("Network.setCacheDisabled", Map.of("cacheDisabled", true));
                    List<Double> coldPaint = new ArrayList<>();
                    long[] weight = null;
                    for (int i = 0; i < 5; i++) {
                        browser.get(base + "/");
                        weight = weight(browser);
                        coldPaint.add(paint(browser));
                    }
                    rows.add(new String[] {"dashboard page weight, cold (HTML + CSS + JS, 100 peers)", fmt(weight[0]),
                            "bytes transferred (HTML " + weight[1] + ", CSS + JS " + weight[2] + "; body bytes " + weight[3] + ")"});
                    browser.executeCdpCommand("Network.setCacheDisabled", Map.of("cacheDisabled", false));
                    List<Double> warmPaint = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        browser.get(base + "/");
                        warmPaint.add(paint(browser));
                    }
                    long[] warm = weight(browser);
                    rows.add(new String[] {"dashboard page weight, warm cache", fmt(warm[0]), "bytes transferred"});
                    rows.add(new String[] {"time to first render (first-contentful-paint), cold: median of 5",
                            String.format("%.0f", median(coldPaint)), "ms from navigation start"});
                    rows.add(new String[] {"time to first render, warm cache: median of 10", String.format("%.0f", median(warmPaint)),
                            "ms (min " + String.format("%.0f", warmPaint.stream().mapToDouble(d -> d).min().orElse(0)) + ")"});
                    Poll.sleep(Duration.ofSeconds(3));
                    Object poll = browser.executeScript("var e = performance.getEntriesByType('resource').filter(function (r) {"
                            + " return r.name.indexOf('/api/state') >= 0; }); return e.length ? e[e.length - 1].transferSize : -1;");
                    rows.add(new String[] {"one live update (GET /api/state, 100 peers)", fmt(((Number) poll).longValue()),
                            "bytes transferred, every 2 s per open dashboard"});
                    browser.get(base + "/login"); // no dashboard open during the baseline

                    // b. server CPU: baseline, then 10 dashboards
                    Poll.sleep(Duration.ofSeconds(5));
                    double idle = cpuSeconds(server.pid(), WINDOW);
                    for (int i = 0; i < DASHBOARDS; i++) {
                        if (i > 0) {
                            browser.switchTo().newWindow(WindowType.WINDOW);
                        }
                        browser.get(base + "/");
                    }
                    Poll.sleep(Duration.ofSeconds(5));
                    double ten = cpuSeconds(server.pid(), WINDOW);
                    rows.add(new String[] {"server CPU, no dashboard open (" + PEERS + " peers, 1 sending)",
                            String.format("%.2f", idle), "CPU-s in " + WINDOW.toSeconds() + " s (" + pct(idle) + " of one core)"});
                    rows.add(new String[] {"server CPU, " + DASHBOARDS + " dashboards open", String.format("%.2f", ten),
                            "CPU-s in " + WINDOW.toSeconds() + " s (" + pct(ten) + " of one core)"});
                    rows.add(new String[] {"server CPU of the " + DASHBOARDS + " dashboards", String.format("%.2f", ten - idle),
                            "CPU-s in " + WINDOW.toSeconds() + " s (" + pct(ten - idle) + " of one core; "
                                    + String.format("%.2f", (ten - idle) * 1000 / (DASHBOARDS * WINDOW.toSeconds() / 2.0))
                                    + " ms per poll of 100 peers)"});
                } finally {
                    browser.quit();
                }
            }
            String table = report(rows);
            System.out.println(table);
            Path out = Path.of(System.getProperty("wirecagesrv.repo", "..")).resolve("bench/results/web-latest.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, table);
        }
    }

    /** {total transferred, HTML transferred, CSS+JS transferred, decoded body bytes} of the current page. */
    static long[] weight(ChromeDriver browser) {
        Poll.until(Duration.ofSeconds(10), Duration.ofMillis(50), () -> ((Number) browser.executeScript(
                "var n = performance.getEntriesByType('navigation')[0]; return n ? n.loadEventEnd : 0;")).doubleValue() > 0);
        @SuppressWarnings("unchecked")
        List<Number> w = (List<Number>) browser.executeScript("var n = performance.getEntriesByType('navigation')[0];"
                + " var r = performance.getEntriesByType('resource').filter(function (e) { return e.name.indexOf('/static/') >= 0; });"
                + " var rt = 0, rb = 0; r.forEach(function (e) { rt += e.transferSize; rb += e.decodedBodySize; });"
                + " return [n.transferSize + rt, n.transferSize, rt, n.decodedBodySize + rb];");
        return new long[] {w.get(0).longValue(), w.get(1).longValue(), w.get(2).longValue(), w.get(3).longValue()};
    }

    static double paint(ChromeDriver browser) {
        double[] fcp = {0};
        Poll.until(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
            Object v = browser.executeScript("var p = performance.getEntriesByName('first-contentful-paint');"
                    + " return p.length ? p[0].startTime : 0;");
            fcp[0] = ((Number) v).doubleValue();
            return fcp[0] > 0;
        });
        assertThat(fcp[0]).as("first-contentful-paint").isPositive();
        return fcp[0];
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    /** utime + stime of the process over {@code d}, in CPU seconds. */
    static double cpuSeconds(long pid, Duration d) throws Exception {
        long before = ticks(pid);
        Thread.sleep(d.toMillis());
        return (ticks(pid) - before) / 100.0; // USER_HZ is 100 on Linux
    }

    static long ticks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
    }

    static String pct(double cpuSeconds) {
        return String.format("%.1f%%", cpuSeconds * 100 / WINDOW.toSeconds());
    }

    static String fmt(long n) {
        return String.format("%,d", n);
    }

    static String report(List<String[]> rows) throws Exception {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 2)).orElse("?");
        String chromium = Cmd.of(WebBrowser.CHROMIUM, "--version").run().stdout().strip();
        StringBuilder sb = new StringBuilder("# Web console benchmark\n\n");
        sb.append(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).append(" - ").append(cpu).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs\n\n");
        sb.append("Server: wirecagesrv (this tree) with ").append(PEERS).append(" peers in its config, one of them a wg-quick "
                + "client pinging through the tunnel (5 packets/s), the rest idle. Browser: ").append(chromium)
                .append(" headless, through a loopback relay (socat) into the server's namespace, on the same 2 cores. "
                        + "Reproduce: `bench/web` (flock /tmp/wcs-net.lock).\n\n");
        sb.append("| figure | value | unit / note |\n|---|---|---|\n");
        for (String[] r : rows) {
            sb.append("| ").append(r[0]).append(" | ").append(r[1]).append(" | ").append(r[2]).append(" |\n");
        }
        return sb.toString();
    }
}
