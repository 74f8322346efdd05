package io.wirecage.srv.web;

import io.wirecage.srv.config.PortForward;
import java.util.List;

/**
 * The server-rendered pages. Every value is escaped; the only script is /static/app.js (the Content
 * Security Policy allows nothing inline), and every form works without it.
 */
final class Pages {
    private Pages() {}

    private static String head(String title) {
        return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>" + Html.esc(title) + " \u2013 wirecagesrv</title>"
                + "<link rel=\"stylesheet\" href=\"/static/app.css\"></head>";
    }

    static String login(String message) {
        return head("Log in") + "<body><main class=\"login\"><h1>wirecagesrv</h1>"
                + (message == null ? "" : "<p class=\"error\" role=\"alert\" id=\"login-error\">" + Html.esc(message) + "</p>")
                + "<form method=\"post\" action=\"/login\"><label for=\"password\">Admin password</label>"
                + "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus>"
                + "<button type=\"submit\" id=\"login\">Log in</button></form></main></body></html>";
    }

    private static String csrfField(String csrf) {
        return "<input type=\"hidden\" name=\"csrf\" value=\"" + Html.esc(csrf) + "\">";
    }

    private static String top(String csrf) {
        return "<header><h1><a href=\"/\">wirecagesrv</a></h1><form method=\"post\" action=\"/logout\">" + csrfField(csrf)
                + "<button type=\"submit\" id=\"logout\">Log out</button></form></header>";
    }

    static String dashboard(Dashboard.ServerCard s, List<Dashboard.Row> rows, String csrf, String message, boolean error) {
        StringBuilder sb = new StringBuilder(4096 + rows.size() * 1500);
        sb.append(head("Dashboard")).append("<body><meta name=\"csrf\" content=\"").append(Html.esc(csrf)).append("\">")
                .append(top(csrf)).append("<main>");
        if (message != null) {
            sb.append("<p class=\"").append(error ? "error" : "note").append("\" role=\"status\" id=\"flash\">")
                    .append(Html.esc(message)).append("</p>");
        }
        sb.append("<section class=\"card\" aria-labelledby=\"server-h\"><h2 id=\"server-h\">Server</h2><dl class=\"server\">")
                .append(dd("Public key", "<code>" + Html.esc(s.publicKey()) + "</code>", "srv-key"))
                .append(dd("Endpoint", Html.esc(s.endpoint()), "srv-endpoint"))
                .append(dd("Listen port", String.valueOf(s.listenPort()), "srv-port"))
                .append(dd("Uptime", Html.duration(s.uptimeSeconds()), "srv-uptime"))
                .append(dd("Peers online", s.online() + " of " + s.peers(), "srv-online"))
                .append(dd("Received", Html.bytes(s.rxBytes()), "srv-rx"))
                .append(dd("Sent", Html.bytes(s.txBytes()), "srv-tx"))
                .append(dd("Dropped packets", String.valueOf(s.dropped()), "srv-dropped"))
                .append("</dl></section>");
        sb.append("<section class=\"card\" aria-labelledby=\"new-h\"><h2 id=\"new-h\">New client</h2>")
                .append("<form method=\"post\" action=\"/peers\" class=\"new\">").append(csrfField(csrf))
                .append("<div class=\"field\"><label for=\"new-name\">Name</label><input id=\"new-name\" name=\"name\" required "
                        + "maxlength=\"64\"></div>")
                .append("<div class=\"field\"><label for=\"new-address\">Address (optional)</label><input id=\"new-address\" "
                        + "name=\"address\" placeholder=\"next free\" inputmode=\"decimal\"></div>")
                .append("<div class=\"field\"><label for=\"new-expires\">Expires (optional, UTC)</label><input id=\"new-expires\" "
                        + "name=\"expires\" type=\"date\"></div>")
                .append("<button type=\"submit\" id=\"create\">Create client</button></form></section>");
        sb.append("<section aria-labelledby=\"peers-h\"><h2 id=\"peers-h\">Peers</h2>")
                .append("<p><label for=\"window\">Chart</label> <select id=\"window\"><option value=\"short\">last 2 minutes</option>"
                        + "<option value=\"hour\">last hour</option></select> <span id=\"updated\" aria-live=\"off\"></span></p>")
                .append("<table id=\"peers\"><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Address</th>"
                        + "<th scope=\"col\">Status</th><th scope=\"col\">Endpoint</th><th scope=\"col\">Latest handshake</th>"
                        + "<th scope=\"col\">Received</th><th scope=\"col\">Sent</th><th scope=\"col\">Rate (in / out)</th>"
                        + "<th scope=\"col\">Expires</th><th scope=\"col\">Forwards</th><th scope=\"col\">Actions</th></tr></thead><tbody>");
        for (Dashboard.Row r : rows) {
            row(sb, r, csrf);
        }
        if (rows.isEmpty()) {
            sb.append("<tr><td colspan=\"11\">No peers yet: create a client above.</td></tr>");
        }
        sb.append("</tbody></table></section></main><script src=\"/static/app.js\"></script></body></html>");
        return sb.toString();
    }

    private static String dd(String label, String valueHtml, String id) {
        return "<div><dt>" + label + "</dt><dd id=\"" + id + "\">" + valueHtml + "</dd></div>";
    }

    private static void row(StringBuilder sb, Dashboard.Row r, String csrf) {
        String n = Html.esc(r.name());
        sb.append("<tr data-key=\"").append(Html.esc(r.publicKey())).append("\" data-name=\"").append(n).append("\">")
                .append("<th scope=\"row\" data-label=\"Name\">").append(n).append("</th>")
                .append("<td data-label=\"Address\">").append(Html.esc(r.address())).append("</td>")
                .append("<td data-label=\"Status\" class=\"status ").append(r.status()).append("\">").append(statusText(r.status()))
                .append("</td><td data-label=\"Endpoint\" class=\"endpoint\">").append(r.endpoint() == null ? "\u2013" : Html.esc(r.endpoint()))
                .append("</td><td data-label=\"Latest handshake\" class=\"hs\">").append(Html.ago(r.handshakeAgoMillis()))
                .append("</td><td data-label=\"Received\" class=\"rx\" data-bytes=\"").append(r.rxBytes()).append("\">")
                .append(Html.bytes(r.rxBytes())).append("</td><td data-label=\"Sent\" class=\"tx\" data-bytes=\"").append(r.txBytes())
                .append("\">").append(Html.bytes(r.txBytes())).append("</td><td data-label=\"Rate\" class=\"rate\">")
                .append("<svg class=\"spark\" viewBox=\"0 0 120 30\" width=\"120\" height=\"30\" role=\"img\" aria-label=\"receive and send rate of ")
                .append(n).append("\"><path class=\"in\" d=\"\"/><path class=\"out\" d=\"\"/></svg><span class=\"now\">")
                .append(Html.bytes(r.rxRate())).append("/s in, ").append(Html.bytes(r.txRate())).append("/s out</span></td>")
                .append("<td data-label=\"Expires\" class=\"expires\">").append(r.expires() == null ? "never" : Html.esc(r.expires()))
                .append("</td><td data-label=\"Forwards\" class=\"forwards\">");
        forwards(sb, r, csrf);
        sb.append("</td><td data-label=\"Actions\" class=\"actions\">");
        String toggle = r.enabled() ? "disable" : "enable";
        sb.append(actionForm(csrf, r.name(), toggle, "<button type=\"submit\" class=\"" + toggle + "\" aria-label=\""
                + (r.enabled() ? "Disable " : "Enable ") + n + "\">" + (r.enabled() ? "Disable" : "Enable") + "</button>", ""));
        String id = "p" + Integer.toHexString(r.publicKey().hashCode());
        // rename and expiry folded away (a native disclosure widget: keyboard and screen readers know it)
        sb.append("<details><summary>Rename, expiry</summary>");
        sb.append(actionForm(csrf, r.name(), "rename", "<label for=\"rn-" + id + "\">New name</label><input id=\"rn-" + id
                + "\" name=\"new_name\" required maxlength=\"64\"><button type=\"submit\">Rename</button>", "inline"));
        sb.append(actionForm(csrf, r.name(), "expire", "<label for=\"ex-" + id + "\">Expires (UTC; empty: never)</label><input id=\"ex-"
                + id + "\" name=\"expires\" class=\"expires-input\" placeholder=\"2026-12-31T00:00\"><button type=\"submit\" "
                + "class=\"set-expiry\">Set expiry</button>", "inline"));
        sb.append("</details>");
        sb.append("<a class=\"remove\" href=\"/peer/remove?name=").append(java.net.URLEncoder.encode(r.name(), java.nio.charset.StandardCharsets.UTF_8))
                .append("\">Remove\u2026</a></td></tr>");
    }

    /** The peer's forwards, each with its Remove button, and a folded form to add one (ForwardChanges' rules). */
    private static void forwards(StringBuilder sb, Dashboard.Row r, String csrf) {
        String n = Html.esc(r.name());
        if (r.forwards().isEmpty()) {
            sb.append("none");
        } else {
            sb.append("<ul class=\"forward-list\">");
            for (PortForward f : r.forwards()) {
                String what = Html.esc(Dashboard.describe(f));
                sb.append("<li data-forward=\"").append(f.protocol()).append('/').append(f.publicPort()).append("\">")
                        .append(what).append(" <form method=\"post\" action=\"/forward/remove\" class=\"forward-remove\">")
                        .append(csrfField(csrf)).append("<input type=\"hidden\" name=\"name\" value=\"").append(n)
                        .append("\"><input type=\"hidden\" name=\"protocol\" value=\"").append(f.protocol())
                        .append("\"><input type=\"hidden\" name=\"public_port\" value=\"").append(f.publicPort())
                        .append("\"><button type=\"submit\" aria-label=\"Remove the forward ").append(what).append(" of ").append(n)
                        .append("\">Remove</button></form></li>");
            }
            sb.append("</ul>");
        }
        String id = "f" + Integer.toHexString(r.publicKey().hashCode());
        sb.append("<details><summary>Add forward</summary><form method=\"post\" action=\"/forward/add\" class=\"inline forward-add\">")
                .append(csrfField(csrf)).append("<input type=\"hidden\" name=\"name\" value=\"").append(n).append("\">")
                .append("<label for=\"").append(id).append("-proto\">Protocol</label><select id=\"").append(id)
                .append("-proto\" name=\"protocol\"><option value=\"tcp\">tcp</option><option value=\"udp\">udp</option></select>")
                .append("<label for=\"").append(id).append("-pub\">Public port (of the server)</label><input id=\"").append(id)
                .append("-pub\" name=\"public_port\" type=\"number\" min=\"1\" max=\"65535\" required>")
                .append("<label for=\"").append(id).append("-tgt\">Target port (of ").append(n).append(")</label><input id=\"")
                .append(id).append("-tgt\" name=\"target_port\" type=\"number\" min=\"1\" max=\"65535\" required>")
                .append("<button type=\"submit\">Add forward</button></form></details>");
    }

    private static String actionForm(String csrf, String name, String action, String inner, String cls) {
        return "<form method=\"post\" action=\"/peer/" + action + "\"" + (cls.isEmpty() ? "" : " class=\"" + cls + "\"") + ">"
                + csrfField(csrf) + "<input type=\"hidden\" name=\"name\" value=\"" + Html.esc(name) + "\">" + inner + "</form>";
    }

    static String statusText(String status) {
        return switch (status) {
            case "online" -> "\u25cf online";
            case "offline" -> "\u25cb offline";
            default -> "\u2298 disabled";
        };
    }

    static String confirmRemove(String name, String csrf) {
        return head("Remove " + name) + "<body>" + top(csrf) + "<main><h2>Remove " + Html.esc(name) + "?</h2>"
                + "<p>The peer is cut off at once and its config file entry and port forwards are deleted. This cannot be undone.</p>"
                + "<form method=\"post\" action=\"/peer/remove\">" + csrfField(csrf) + "<input type=\"hidden\" name=\"name\" value=\""
                + Html.esc(name) + "\"><button type=\"submit\" id=\"confirm-remove\" class=\"danger\">Remove " + Html.esc(name)
                + "</button> <a href=\"/\">Cancel</a></form></main></body></html>";
    }

    static String newClient(String name, String address, String config, String qrSvg, String downloadName, String link,
                            String csrf) {
        String dataUri = "data:text/plain;charset=utf-8," + java.net.URLEncoder.encode(config, java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20");
        return head("New client " + name) + "<body>" + top(csrf) + "<main><section class=\"card newclient\" aria-labelledby=\"nc-h\">"
                + "<h2 id=\"nc-h\">Client " + Html.esc(name) + " created (" + Html.esc(address) + ")</h2>"
                + "<p class=\"note\" role=\"status\">This is the only time the private key is shown: the server keeps only the "
                + "public key. Scan the code with the WireGuard app, download the file, or send the one-time link.</p>"
                + "<div class=\"qr\" id=\"qr\">" + qrSvg + "</div>"
                + "<h3>wg-quick config</h3><pre id=\"client-config\">" + Html.esc(config) + "</pre>"
                + "<p><a id=\"download\" class=\"button\" download=\"" + Html.esc(downloadName) + "\" href=\"" + Html.esc(dataUri)
                + "\">Download " + Html.esc(downloadName) + "</a></p>"
                + "<p><label for=\"link\">One-time download link (works once, for 24 hours)</label>"
                + "<input id=\"link\" readonly value=\"" + Html.esc(link) + "\"></p>"
                + "<p><a href=\"/\" id=\"back\">Back to the dashboard</a></p></section></main></body></html>";
    }

    static String message(String title, String text, String csrf) {
        return head(title) + "<body>" + (csrf == null ? "" : top(csrf)) + "<main><h2>" + Html.esc(title) + "</h2><p role=\"alert\">"
                + Html.esc(text) + "</p><p><a href=\"/\">Back</a></p></main></body></html>";
    }
}
