package io.wirecage.srv.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.PortForward;
import java.util.List;
import org.junit.jupiter.api.Test;

class PagesTest {
    static final Base64Key KEY = Base64Key.parse("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=");

    static Dashboard.Row row(String name, boolean enabled, boolean online) {
        return new Dashboard.Row(name, "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "10.200.100.2/32", enabled, null,
                "198.51.100.7:4242", online, online ? 12_000 : -1, 1536, 10, 100, 0, List.of(new PortForward("tcp", 8080, 80, KEY, 0)));
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
    void eachForwardHasARemoveFormAndThePeerAnAddFormWithLabelsAndTheCsrfToken() {
        Dashboard.Row none = new Dashboard.Row("b", "yTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "10.200.100.3/32", true, null,
                null, false, -1, 0, 0, 0, 0, List.of());
        String html = Pages.dashboard(new Dashboard.ServerCard("K", "e:1", 1, 0, 0, 0, 0, 2, 0), List.of(row("a<", true, true), none),
                "tok", null, false);
        String remove = "<form method=\"post\" action=\"/forward/remove\" class=\"forward-remove\"><input type=\"hidden\" "
                + "name=\"csrf\" value=\"tok\"><input type=\"hidden\" name=\"name\" value=\"a&lt;\"><input type=\"hidden\" "
                + "name=\"protocol\" value=\"tcp\"><input type=\"hidden\" name=\"public_port\" value=\"8080\">"
                + "<button type=\"submit\" aria-label=\"Remove the forward tcp 8080 \u2192 80 of a&lt;\">Remove</button></form>";
        assertThat(html).contains("<li data-forward=\"tcp/8080\">tcp 8080 \u2192 80 " + remove + "</li>");
        assertThat(html.split("action=\"/forward/remove\"").length - 1).as("one Remove per forward").isEqualTo(1);
        assertThat(html.split("action=\"/forward/add\"").length - 1).as("one add form per peer").isEqualTo(2);
        // every control of the add form has a label pointing at it
        for (String control : List.of("-proto", "-pub", "-tgt")) {
            int at = html.indexOf(control + "\" name=");
            assertThat(at).as(control).isPositive();
            String id = html.substring(html.lastIndexOf("id=\"", at) + 4, at + control.length());
            assertThat(html).contains("<label for=\"" + id + "\">");
        }
        assertThat(html).contains("name=\"protocol\"><option value=\"tcp\">tcp</option><option value=\"udp\">udp</option></select>")
                .contains("name=\"public_port\" type=\"number\" min=\"1\" max=\"65535\" required")
                .contains("name=\"target_port\" type=\"number\" min=\"1\" max=\"65535\" required");
        int addB = html.lastIndexOf("action=\"/forward/add\"");
        assertThat(html.substring(addB, html.indexOf("</form>", addB)))
                .contains("name=\"csrf\" value=\"tok\"").contains("name=\"name\" value=\"b\"");
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
