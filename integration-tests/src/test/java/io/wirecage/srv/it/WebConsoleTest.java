package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The operators' web console in a real browser (Debian's headless Chromium through Selenium) against a
 * running server in its namespace, with real wg-quick clients (wireguard-go where the kernel has no
 * WireGuard). The steps build on each other (one server, one browser), in this order: no session or a
 * bad CSRF token changes nothing; log in; a client comes online and its received bytes rise while it
 * sends; create a client, decode its QR code from a screenshot, compare it with the shown config and
 * bring a real client up with it; disable it and see its traffic stop within 2 s; add a
 * port forward (its [[forward]] table and tagged DNAT rule appear) and remove it again; an expiry in the past
 * disables a peer; 10 wrong passwords are rate-limited. It also writes docs/web-dashboard.png and
 * docs/web-new-client.png.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebConsoleTest {
    static final String PASSWORD = "correct horse battery staple";
    static final String SERVER_TUN_ADDR = "10.200.100.1";
    static final Pattern PING_REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)\\] \\d+ bytes from");

    static Topology topo;
    static WgKeys.KeyPair serverKey;
    static WgKeys.KeyPair laptopKey;
    static TomlConfig config;
    static ServerProcess server;
    static LoopbackRelay relay;
    static ChromeDriver browser;
    static String base;
    static WgQuickClient laptop;
    static WgQuickClient phone;
    static String phoneConfig;

    @BeforeAll
    static void setUp() {
        Require.e2e("socat");
        WebBrowser.require();
        topo = Topology.create("WebConsole", 2);
        serverKey = WgKeys.generate();
        laptopKey = WgKeys.generate();
        Topology.Client c1 = topo.client(1);
        // configs made by the console point at client 2's side of the server
        config = TomlConfig.create(topo, serverKey, "web.toml").endpoint(topo.client(2).endpoint())
                .peer(TomlConfig.Peer.of("laptop", laptopKey.publicKey(), c1.tunnelAddr() + "/32"));
        config.write();
        Cmd.Result pw = ServerProcess.cli(topo.server(), "web-password", "--config", config.file().toString())
                .stdin(PASSWORD + "\n").run();
        assertThat(pw.ok()).as("web-password:\n%s", pw.describe()).isTrue();
        assertThat(config.read()).as("only the bcrypt hash is written").contains("[web]").containsPattern(
                "password_hash = \"\\$2a\\$12\\$").doesNotContain(PASSWORD);
        server = config.start("web");
        server.awaitReady();
        server.awaitLogLine(Duration.ofSeconds(10), "web console on http://127.0.0.1:51821");
        relay = topo.track(LoopbackRelay.start(topo.server(), 51821, topo.workDir()));
        base = "http://127.0.0.1:" + relay.port();
        browser = WebBrowser.start(topo.workDir(), 1280, 1000);
    }

    @AfterAll
    static void tearDown() {
        if (browser != null) {
            browser.quit();
        }
        if (topo != null) {
            topo.close();
        }
    }

    /** curl from the root namespace through the relay: "STATUS\nBODY". */
    static String curl(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}"));
        argv.addAll(List.of(args));
        Cmd.Result r = Cmd.of(argv).run();
        assertThat(r.ok()).as("curl:\n%s", r.describe()).isTrue();
        String out = r.stdout();
        int nl = out.lastIndexOf('\n');
        return out.substring(nl + 1) + "\n" + out.substring(0, nl);
    }

    static WebElement row(String name) {
        return browser.findElement(By.cssSelector("tr[data-name='" + name + "']"));
    }

    static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        boolean ok = Poll.until(timeout, Duration.ofMillis(200), () -> {
            try {
                return condition.getAsBoolean();
            } catch (RuntimeException e) {
                return false; // the page was being replaced
            }
        });
        assertThat(ok).as("%s within %d ms; server log:\n%s", what, timeout.toMillis(), Background.tail(server.log(), 30)).isTrue();
    }

    static Path docs(String name) throws Exception {
        Path dir = Path.of(System.getProperty("wirecagesrv.repo", "..")).resolve("docs");
        Files.createDirectories(dir);
        return dir.resolve(name);
    }

    @Test
    @Order(1)
    void withoutASessionOrWithABadCsrfTokenNothingChanges() {
        String before = config.read();
        assertThat(curl(base + "/")).startsWith("303\n");
        assertThat(curl(base + "/api/state")).startsWith("401\n");
        assertThat(curl("-d", "name=intruder", base + "/peers")).startsWith("403\n");
        assertThat(curl("-d", "name=laptop", base + "/peer/remove")).startsWith("403\n");
        // a real session, but no or a wrong CSRF token
        String login = Cmd.of("curl", "-sS", "--max-time", "10", "-D", "-", "-o", "/dev/null", "--data-urlencode",
                "password=" + PASSWORD, base + "/login").run().stdout();
        Matcher m = Pattern.compile("wcs_session=([^;]+);").matcher(login);
        assertThat(m.find()).as("login by curl:\n%s", login).isTrue();
        assertThat(login).contains("HttpOnly").containsIgnoringCase("SameSite=Strict");
        String cookie = "wcs_session=" + m.group(1);
        assertThat(curl("-b", cookie, base + "/api/state")).startsWith("200\n").contains("\"laptop\"");
        assertThat(curl("-b", cookie, "-d", "name=intruder", base + "/peers")).startsWith("403\n");
        assertThat(curl("-b", cookie, "-d", "csrf=forged&name=laptop", base + "/peer/remove")).startsWith("403\n");
        assertThat(curl("-b", cookie, "-H", "X-CSRF-Token: forged", "-d", "name=laptop", base + "/peer/disable")).startsWith("403\n");
        assertThat(config.read()).as("the config file after refused requests").isEqualTo(before);
        assertThat(server.findLines("reloaded:")).as("no reload was triggered").isEmpty();
    }

    @Test
    @Order(2)
    void logInWithTheKeyboardAndSeeTheDashboard() {
        browser.get(base + "/");
        assertThat(browser.getCurrentUrl()).endsWith("/login");
        // the password field has focus: type and press Enter, no mouse
        browser.switchTo().activeElement().sendKeys(PASSWORD + Keys.ENTER);
        await("the dashboard after login", Duration.ofSeconds(10), () -> !browser.findElements(By.id("peers")).isEmpty());
        assertThat(row("laptop").findElement(By.cssSelector(".status")).getText()).isEqualTo("\u25cb offline");
        assertThat(browser.findElement(By.id("srv-key")).getText()).isEqualTo(serverKey.publicKey());
        Cookie session = browser.manage().getCookieNamed("wcs_session");
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getSameSite()).isEqualTo("Strict");
        // every control has a label (a <label>, aria-label, or its own text)
        Object unlabeled = browser.executeScript("return Array.from(document.querySelectorAll("
                + "'input:not([type=hidden]), select, button, a')).filter(function (e) {"
                + " return !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim(); })"
                + ".map(function (e) { return e.outerHTML; });");
        assertThat((List<?>) unlabeled).as("controls without a label").isEmpty();
        // Tab walks the new-client form in order
        browser.findElement(By.id("new-name")).click();
        browser.switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("new-address");
        browser.switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("new-expires");
        // a phone-sized screen: nothing wider than the viewport
        browser.manage().window().setSize(new Dimension(390, 844));
        browser.navigate().refresh();
        Object overflow = browser.executeScript("return document.documentElement.scrollWidth - window.innerWidth;");
        Object wide = browser.executeScript("return Array.from(document.querySelectorAll('body *')).filter(function (e) {"
                + " return e.getBoundingClientRect().right > window.innerWidth + 1; }).slice(0, 5).map(function (e) {"
                + " return e.outerHTML.slice(0, 120); });");
        browser.manage().window().setSize(new Dimension(1280, 1000));
        assertThat(((Number) overflow).longValue()).as("horizontal overflow at 390 px; too wide: %s", wide).isLessThanOrEqualTo(0);
    }

    @Test
    @Order(3)
    void aClientComesOnlineAndItsReceivedBytesRiseWhileItSends() {
        Topology.Client c1 = topo.client(1);
        laptop = topo.track(new WgQuickClient(topo, c1, laptopKey, c1.tunnelAddr() + "/32", serverKey.publicKey(),
                c1.endpoint(), Topology.VPN_SUBNET));
        laptop.up();
        System.out.println("[it] laptop runs " + laptop.implementation());
        try (Background ping = new Background(c1.ns().wrap(List.of("ping", "-i", "0.2", "-s", "1000", "-w", "40", SERVER_TUN_ADDR)),
                topo.workDir().resolve("laptop-ping.log"))) {
            browser.get(base + "/");
            await("laptop online on the page without a reload", Duration.ofSeconds(15),
                    () -> row("laptop").findElement(By.cssSelector(".status")).getText().equals("\u25cf online"));
            long first = Long.parseLong(row("laptop").findElement(By.cssSelector(".rx")).getAttribute("data-bytes"));
            await("laptop's received bytes rising on the page", Duration.ofSeconds(10), () ->
                    Long.parseLong(row("laptop").findElement(By.cssSelector(".rx")).getAttribute("data-bytes")) > first + 10_000);
            assertThat(row("laptop").findElement(By.cssSelector(".hs")).getText()).matches("\\d+ s ago");
            await("a rate chart with points", Duration.ofSeconds(10), () ->
                    row("laptop").findElement(By.cssSelector("svg.spark path.in")).getAttribute("d").chars().filter(ch -> ch == 'L').count() > 2);
            // the history is the server's: a reload of the page shows it again at once
            browser.navigate().refresh();
            await("the rate history after a reload", Duration.ofSeconds(5), () ->
                    row("laptop").findElement(By.cssSelector("svg.spark path.in")).getAttribute("d").length() > 20);
            String json = curl("-b", "wcs_session=" + browser.manage().getCookieNamed("wcs_session").getValue(),
                    base + "/api/state?series=short");
            assertThat(json).startsWith("200\n").containsPattern("\"rxRate\":[1-9]");
        }
    }

    @Test
    @Order(4)
    void createAClientScanItsQrCodeAndBringItUp() throws Exception {
        browser.manage().window().setSize(new Dimension(1280, 1400));
        browser.get(base + "/");
        browser.findElement(By.id("new-name")).sendKeys("phone");
        browser.findElement(By.id("create")).click();
        await("the new client page", Duration.ofSeconds(15), () -> !browser.findElements(By.id("client-config")).isEmpty());
        phoneConfig = browser.findElement(By.id("client-config")).getAttribute("textContent");
        assertThat(phoneConfig).contains("[Interface]", "PrivateKey = ", "Address = 10.200.100.", "PublicKey = " + serverKey.publicKey(),
                "Endpoint = " + topo.client(2).endpoint());
        byte[] shot = browser.findElement(By.id("qr")).getScreenshotAs(OutputType.BYTES);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(shot));
        String decoded = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(new BufferedImageLuminanceSource(img))),
                Map.of(DecodeHintType.TRY_HARDER, Boolean.TRUE)).getText();
        assertThat(decoded).as("the QR code read from a screenshot").isEqualTo(phoneConfig);
        Files.write(docs("web-new-client.png"), browser.getScreenshotAs(OutputType.BYTES));
        String privateKey = WgQuickClient.field(phoneConfig, "PrivateKey");
        assertThat(server.log()).as("the server log never has the private key").doesNotContain(privateKey);
        assertThat(config.read()).as("the config file never has the private key").doesNotContain(privateKey)
                .contains(WgKeys.publicKeyOf(privateKey));
        // the one-time link: the same config once, then never again
        String link = browser.findElement(By.id("link")).getAttribute("value");
        assertThat(link).matches("http://127\\.0\\.0\\.1:\\d+/d/[A-Za-z0-9_-]{43}");
        assertThat(curl(link)).isEqualTo("200\n" + phoneConfig);
        assertThat(curl(link)).startsWith("404\n");
        // a real client with exactly that config
        Topology.Client c2 = topo.client(2);
        phone = WgQuickClient.fromConfig(topo, c2, phoneConfig);
        phone.up();
        Cmd.Result ping = phone.ping(SERVER_TUN_ADDR, 3, null);
        assertThat(ping.ok()).as("phone pings the server through the tunnel:\n%s", ping.describe()).isTrue();
        // the dashboard with both clients sending, for the README
        try (Background p1 = new Background(topo.client(1).ns().wrap(List.of("ping", "-i", "0.2", "-s", "1200", "-w", "20",
                SERVER_TUN_ADDR)), topo.workDir().resolve("laptop-ping2.log"));
             Background p2 = new Background(c2.ns().wrap(List.of("ping", "-i", "0.3", "-s", "600", "-w", "20", SERVER_TUN_ADDR)),
                     topo.workDir().resolve("phone-ping.log"))) {
            browser.manage().window().setSize(new Dimension(1280, 900));
            browser.get(base + "/");
            await("both online", Duration.ofSeconds(15), () -> row("phone").findElement(By.cssSelector(".status")).getText()
                    .equals("\u25cf online") && row("laptop").findElement(By.cssSelector(".status")).getText().equals("\u25cf online"));
            Poll.sleep(Duration.ofSeconds(8)); // some chart to show
            Files.write(docs("web-dashboard.png"), browser.getScreenshotAs(OutputType.BYTES));
        }
    }

    @Test
    @Order(5)
    void disablingAClientStopsItsTrafficWithinTwoSeconds() throws Exception {
        assertThat(phone).as("the client of the previous step").isNotNull();
        Path log = topo.workDir().resolve("phone-disable-ping.log");
        try (Background ping = new Background(topo.client(2).ns().wrap(List.of("ping", "-D", "-i", "0.05", "-w", "15",
                SERVER_TUN_ADDR)), log)) {
            await("replies before the click", Duration.ofSeconds(5), () -> lastReply(log) > 0);
            browser.get(base + "/");
            WebElement disable = row("phone").findElement(By.cssSelector("button.disable"));
            double clicked = System.currentTimeMillis() / 1000.0;
            disable.click();
            await("the page saying it was disabled", Duration.ofSeconds(10), () -> browser.findElement(By.id("flash")).getText()
                    .equals("Disabled phone"));
            assertThat(row("phone").findElement(By.cssSelector(".status")).getText()).isEqualTo("\u2298 disabled");
            Poll.sleep(Duration.ofSeconds(4));
            double last = lastReply(log);
            System.out.printf("[it] last reply %.3f s after the click%n", last - clicked);
            assertThat(last - clicked).as("seconds from the click to the last reply").isLessThanOrEqualTo(2.0);
            long rx = phone.rxBytes();
            Poll.sleep(Duration.ofSeconds(2));
            assertThat(phone.rxBytes()).as("the phone receives nothing more").isEqualTo(rx);
        }
        assertThat(peerBlock("phone")).contains("\nenabled = false\n");
    }

    /** The [[peer]] table of this name in the config file, up to the next table. */
    static String peerBlock(String name) {
        String text = config.read();
        int start = text.indexOf("name = \"" + name + "\"");
        assertThat(start).as("peer %s in the config file:\n%s", name, text).isNotNegative();
        int end = text.indexOf("\n[", start);
        return text.substring(start, end < 0 ? text.length() : end + 1);
    }

    static double lastReply(Path log) {
        double last = 0;
        try {
            for (String line : Files.readAllLines(log)) {
                Matcher m = PING_REPLY.matcher(line);
                if (m.find()) {
                    last = Double.parseDouble(m.group(1));
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return last;
    }

    /** The server namespace's nat table rules with this server's tag and a DNAT to {@code port}'s forward. */
    static List<String> taggedDnat(int publicPort) {
        Cmd.Result nat = topo.server().exec("iptables", "-t", "nat", "-S");
        String tag = ServerProcess.ruleTag(server.tunName());
        return nat.stdoutLines().stream().filter(l -> l.contains(tag) && l.contains("-j DNAT")
                && l.contains("--dport " + publicPort + " ")).toList();
    }

    @Test
    @Order(6)
    void addAndRemoveAPortForwardThroughTheBrowser() {
        int publicPort = 48080;
        assertThat(taggedDnat(publicPort)).as("no DNAT rule before").isEmpty();
        browser.get(base + "/");
        WebElement forwards = row("laptop").findElement(By.cssSelector("td.forwards"));
        assertThat(forwards.getText()).startsWith("none");
        forwards.findElement(By.cssSelector("details summary")).click();
        WebElement form = forwards.findElement(By.cssSelector("form.forward-add"));
        new org.openqa.selenium.support.ui.Select(form.findElement(By.name("protocol"))).selectByValue("tcp");
        form.findElement(By.name("public_port")).sendKeys(Integer.toString(publicPort));
        form.findElement(By.name("target_port")).sendKeys("8000");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        await("the forward added", Duration.ofSeconds(10), () -> browser.findElement(By.id("flash")).getText()
                .equals("Added a port forward to laptop"));
        assertThat(row("laptop").findElement(By.cssSelector("li[data-forward='tcp/" + publicPort + "']")).getText())
                .startsWith("tcp " + publicPort + " \u2192 8000");
        assertThat(config.read()).contains("[[forward]]\nprotocol = \"tcp\"\npublic_port = " + publicPort + "\ntarget_port = 8000\n")
                .contains("public_key = \"" + laptopKey.publicKey() + "\"");
        List<String> rules = taggedDnat(publicPort);
        assertThat(rules).as("the tagged DNAT rule of the forward").hasSize(1);
        assertThat(rules.get(0)).contains("-p tcp").contains("--to-destination " + topo.client(1).tunnelAddr() + ":8000");

        // a refused forward (the same port again) shows the reason like every other action and changes nothing
        WebElement again = row("laptop").findElement(By.cssSelector("td.forwards"));
        again.findElement(By.cssSelector("details summary")).click();
        WebElement form2 = again.findElement(By.cssSelector("form.forward-add"));
        form2.findElement(By.name("public_port")).sendKeys(Integer.toString(publicPort));
        form2.findElement(By.name("target_port")).sendKeys("9000");
        form2.findElement(By.cssSelector("button[type=submit]")).click();
        await("the refusal", Duration.ofSeconds(10), () -> browser.findElement(By.id("flash")).getText()
                .equals("tcp port " + publicPort + " is already forwarded"));
        assertThat(config.read()).doesNotContain("target_port = 9000");

        row("laptop").findElement(By.cssSelector("li[data-forward='tcp/" + publicPort + "'] form.forward-remove button")).click();
        await("the forward removed", Duration.ofSeconds(10), () -> browser.findElement(By.id("flash")).getText()
                .equals("Removed a port forward of laptop"));
        assertThat(row("laptop").findElement(By.cssSelector("td.forwards")).getText()).startsWith("none");
        assertThat(config.read()).doesNotContain("[[forward]]");
        assertThat(taggedDnat(publicPort)).as("the DNAT rule is gone").isEmpty();
    }

    @Test
    @Order(7)
    void anExpiryInThePastDisablesThePeer() {
        browser.get(base + "/");
        row("laptop").findElement(By.cssSelector("td.actions details summary")).click();
        WebElement input = row("laptop").findElement(By.cssSelector("input.expires-input"));
        input.sendKeys("2020-01-01T00:00");
        row("laptop").findElement(By.cssSelector("button.set-expiry")).click();
        await("the expiry set", Duration.ofSeconds(10), () -> browser.findElement(By.id("flash")).getText()
                .equals("Set the expiry of laptop"));
        // the server's expiry watcher disables it by itself (the form only set the time)
        await("laptop disabled by its expiry", Duration.ofSeconds(8),
                () -> row("laptop").findElement(By.cssSelector(".status")).getText().equals("\u2298 disabled"));
        assertThat(row("laptop").findElement(By.cssSelector(".expires")).getText()).isEqualTo("2020-01-01T00:00:00Z");
        server.awaitLogLine(Duration.ofSeconds(5), "[laptop] expired");
        assertThat(peerBlock("laptop")).contains("\nenabled = false\nexpires = 2020-01-01T00:00:00Z\n");
        assertThat(laptop.ping(SERVER_TUN_ADDR, 2, null).ok()).as("the expired laptop cannot reach the server").isFalse();
        // and it cannot be switched back on by accident while the expiry has passed
        browser.navigate().refresh(); // the page offers Enable now
        row("laptop").findElement(By.cssSelector("button.enable")).click();
        await("the refusal", Duration.ofSeconds(10), () -> browser.findElement(By.id("flash")).getText().contains("expired"));
        assertThat(row("laptop").findElement(By.cssSelector(".status")).getText()).isEqualTo("\u2298 disabled");
        Cmd.Result list = config.peerCommand("list");
        assertThat(list.stdout()).containsPattern("laptop .* no +2020-01-01T00:00:00Z");
    }

    @Test
    @Order(8)
    void tenWrongPasswordsGetRateLimited() {
        browser.manage().deleteAllCookies();
        for (int i = 1; i <= 10; i++) {
            browser.get(base + "/login");
            browser.findElement(By.id("password")).sendKeys("wrong password " + i + Keys.ENTER);
            String expected = i < 10 ? "Wrong password." : "Too many failed logins from your address: try again later.";
            int attempt = i;
            await("answer to wrong password " + attempt, Duration.ofSeconds(10), () -> browser.findElement(By.id("login-error"))
                    .getText().equals(expected));
        }
        // now even the right password is refused, without being checked
        browser.get(base + "/login");
        browser.findElement(By.id("password")).sendKeys(PASSWORD + Keys.ENTER);
        await("the rate-limited answer", Duration.ofSeconds(10), () -> browser.findElement(By.id("login-error")).getText()
                .startsWith("Too many failed logins"));
        assertThat(browser.manage().getCookieNamed("wcs_session")).isNull();
        String answer = Cmd.of("curl", "-sS", "--max-time", "10", "-D", "-", "-o", "/dev/null", "--data-urlencode",
                "password=" + PASSWORD, base + "/login").run().stdout();
        assertThat(answer).startsWith("HTTP/1.1 429").containsIgnoringCase("Retry-After:").doesNotContain("wcs_session");
    }
}
