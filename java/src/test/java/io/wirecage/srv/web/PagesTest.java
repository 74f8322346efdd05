package io.wirecage.srv.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PagesTest {
    static Dashboard.Row row(String name, boolean enabled, boolean online) {
        return new Dashboard.Row(name, "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "10.200.100.2/32", enabled, null,
                "198.51.100.7:4242", online, online ? 12_000 : -1, 1536, 10, 100, 0, List.of("tcp 8080 \u2192 80"));
    }

    @Test
    void everyValueIsEscapedAndNoScriptIsInline() {
        String html = Pages.dashboard(new Dashboard.ServerCard("K", "vpn.example.com:51820", 51820, 3700, 0, 0, 0, 1, 0),
                List.of(row("<script>alert(1)</script>\"", true, true)), "tok\"en", "<b>done</b>", false);
        assertThat(html).doesNotContain("<script>alert").contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;")
                .contains("&lt;b&gt;done&lt;/b&gt;").contains("value=\"tok&quot;en\"");
        assertThat(html.split("<script").length - 1).as("only the one script file").isEqualTo(1);
        assertThat(html).contains("<script src=\"/static/app.js\"></script>");
    }

    @Test
    void statusIsTextAndSymbolNotColourAlone() {
        String html = Pages.dashboard(new Dashboard.ServerCard("K", "e:1", 1, 0, 0, 0, 0, 3, 1), List.of(row("a", true, true),
                row("b", true, false), row("c", false, false)), "t", null, false);
        assertThat(html).contains("\u25cf online", "\u25cb offline", "\u2298 disabled", "12 s ago", "never", "1.5 KiB",
                "tcp 8080 \u2192 80");
        assertThat(html).contains("aria-label=\"Disable a\"").contains("aria-label=\"Enable c\"");
    }

    @Test
    void theNewClientPageEscapesTheConfigAndOffersItAsADownload() {
        String conf = "[Interface]\nPrivateKey = abc+/=\n";
        String html = Pages.newClient("phone", "10.200.100.3/32", conf, "<svg/>", "phone.conf", "http://h/d/t", "t");
        assertThat(html).contains("<pre id=\"client-config\">[Interface]\nPrivateKey = abc+/=\n</pre>")
                .contains("download=\"phone.conf\"").contains("data:text/plain;charset=utf-8,%5BInterface%5D%0APrivateKey%20%3D%20abc%2B%2F%3D%0A");
        assertThat(Actions.fileName("my laptop (work)")).isEqualTo("my-laptop--work.conf");
        assertThat(Actions.fileName("<>")).isEqualTo("--.conf");
    }
}
