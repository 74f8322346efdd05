package io.wirecage.srv.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wirecage.srv.api.SourceLimiter;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.FormFields;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's routes. Without a session only the login page, its two static files and a one-time
 * download link (whose 256-bit token is the credential) answer; everything else redirects to the login
 * page (pages), answers 401 (JSON) or 403 (changes), before anything is read or changed. Every POST
 * needs the session's CSRF token and, when the browser sends one, this console's Origin.
 */
final class WebHandler extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(WebHandler.class);
    static final String COOKIE = "wcs_session";
    static final int MAX_FORM_FIELDS = 16;
    static final int MAX_FORM_BYTES = 8192;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final Sessions sessions;
    private final SourceLimiter logins;
    private final Supplier<String> passwordHash;
    private final Dashboard dashboard;
    private final Actions actions;
    private final OneTimeLinks links;
    private final boolean tls;
    private final Map<String, byte[]> assets;

    WebHandler(Sessions sessions, SourceLimiter logins, Supplier<String> passwordHash, Dashboard dashboard, Actions actions,
               OneTimeLinks links, boolean tls) {
        this.sessions = sessions;
        this.logins = logins;
        this.passwordHash = passwordHash;
        this.dashboard = dashboard;
        this.actions = actions;
        this.links = links;
        this.tls = tls;
        this.assets = Map.of("/static/app.css", asset("app.css"), "/static/app.js", asset("app.js"));
    }

    private static byte[] asset(String name) {
        try (InputStream in = WebHandler.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("web asset " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read web asset " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        HttpFieldsHelper.secure(response);
        try {
            byte[] asset = assets.get(path);
            if (asset != null && "GET".equals(method)) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, path.endsWith(".css") ? "text/css" : "text/javascript");
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "max-age=3600");
                response.write(true, ByteBuffer.wrap(asset), callback);
                return true;
            }
            if ("/login".equals(path)) {
                if ("GET".equals(method)) {
                    return html(response, callback, 200, Pages.login(null));
                }
                if ("POST".equals(method)) {
                    return login(request, response, callback);
                }
                return plain(response, callback, 405, "method not allowed");
            }
            if (path.startsWith("/d/") && "GET".equals(method)) {
                return download(path.substring(3), response, callback);
            }
            Sessions.Session session = sessions.find(cookie(request));
            if (session == null) {
                if ("GET".equals(method) && !path.startsWith("/api/")) {
                    return redirect(request, response, callback, "/login");
                }
                return "GET".equals(method) ? json(response, callback, 401, Map.of("error", "log in first"))
                        : plain(response, callback, 403, "log in first: nothing was changed");
            }
            if ("GET".equals(method)) {
                return switch (path) {
                    case "/" -> dashboardPage(request, response, callback, session);
                    case "/api/state" -> state(request, response, callback);
                    case "/peer/remove" -> {
                        String name = Request.extractQueryParameters(request).getValue("name");
                        yield name == null ? plain(response, callback, 404, "no peer named")
                                : html(response, callback, 200, Pages.confirmRemove(name, session.csrf()));
                    }
                    default -> plain(response, callback, 404, "not found");
                };
            }
            if (!"POST".equals(method)) {
                return plain(response, callback, 405, "method not allowed");
            }
            Fields form = FormFields.getFields(request, MAX_FORM_FIELDS, MAX_FORM_BYTES);
            String origin = request.getHeaders().get(HttpHeader.ORIGIN);
            String token = form.getValue("csrf") != null ? form.getValue("csrf") : request.getHeaders().get("X-CSRF-Token");
            if (!Csrf.tokenMatches(session, token)
                    || !Csrf.originAllowed(origin, tls ? "https" : "http", request.getHeaders().get(HttpHeader.HOST))) {
                log.warn("web: refused a {} {} from {} with a bad CSRF token or origin", method, path, Request.getRemoteAddr(request));
                return plain(response, callback, 403, "bad or missing CSRF token: nothing was changed");
            }
            return post(path, form, session, request, response, callback);
        } catch (RuntimeException | IOException e) {
            if (isBadForm(e)) {
                return plain(response, callback, 413, "form too large");
            }
            log.error("web: {} {} failed: {}", method, path, e.toString());
            return plain(response, callback, 500, "internal error");
        }
    }

    private static boolean isBadForm(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().startsWith("Too many")
                    || t instanceof org.eclipse.jetty.http.BadMessageException) {
                return true;
            }
        }
        return false;
    }

    private boolean post(String path, Fields form, Sessions.Session session, Request request, Response response,
                         Callback callback) {
        String name = form.getValue("name");
        try {
            switch (path) {
                case "/logout" -> {
                    sessions.remove(session);
                    Response.addCookie(response, cookie("", 0));
                    return redirect(request, response, callback, "/login");
                }
                case "/peers" -> {
                    Actions.NewClient c = actions.create(name, form.getValue("address"), form.getValue("expires"));
                    String scheme = tls ? "https" : "http";
                    String link = scheme + "://" + request.getHeaders().get(HttpHeader.HOST) + "/d/" + c.linkToken();
                    return html(response, callback, 200, Pages.newClient(c.name(), c.address(), c.config(), c.qrSvg(),
                            Actions.fileName(c.name()), link, session.csrf()));
                }
                case "/peer/enable" -> actions.enable(name);
                case "/peer/disable" -> actions.disable(name);
                case "/peer/rename" -> actions.rename(name, form.getValue("new_name"));
                case "/peer/remove" -> actions.remove(name);
                case "/peer/expire" -> actions.expire(name, form.getValue("expires"));
                case "/forward/add" -> actions.addForward(name, form.getValue("protocol"), form.getValue("public_port"),
                        form.getValue("target_port"));
                case "/forward/remove" -> actions.removeForward(form.getValue("protocol"), form.getValue("public_port"));
                default -> {
                    return plain(response, callback, 404, "not found");
                }
            }
            return redirect(request, response, callback, "/?msg=" + URLEncoder.encode(done(path, name), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            // a refused change (bad name, taken address, expired peer...): nothing was written
            return redirect(request, response, callback, "/?err=" + URLEncoder.encode(
                    e.getMessage() == null ? e.toString() : e.getMessage(), StandardCharsets.UTF_8));
        }
    }

    private static String done(String path, String name) {
        return switch (path) {
            case "/peer/enable" -> "Enabled " + name;
            case "/peer/disable" -> "Disabled " + name;
            case "/peer/rename" -> "Renamed " + name;
            case "/peer/remove" -> "Removed " + name;
            case "/forward/add" -> "Added a port forward to " + name;
            case "/forward/remove" -> "Removed a port forward of " + name;
            default -> "Set the expiry of " + name;
        };
    }

    private boolean login(Request request, Response response, Callback callback) throws IOException {
        InetAddress source = source(request);
        if (source != null && !logins.allowed(source)) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, logins.retryAfterSeconds(source));
            return html(response, callback, 429, Pages.login("Too many failed logins from your address: try again later."));
        }
        Fields form;
        try {
            form = FormFields.getFields(request, MAX_FORM_FIELDS, MAX_FORM_BYTES);
        } catch (RuntimeException e) {
            return plain(response, callback, 413, "form too large");
        }
        String password = form.getValue("password");
        String hash = passwordHash.get();
        if (password != null && hash != null && PasswordHash.verify(password.toCharArray(), hash)) {
            Sessions.Session s = sessions.create();
            Response.addCookie(response, cookie(s.id, -1));
            log.info("web: login from {}", Request.getRemoteAddr(request));
            return redirect(request, response, callback, "/");
        }
        boolean left = source == null || logins.fail(source);
        log.warn("web: failed login from {}{}", Request.getRemoteAddr(request), left ? "" : " (now rate-limited)");
        if (!left) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, logins.retryAfterSeconds(source));
            return html(response, callback, 429, Pages.login("Too many failed logins from your address: try again later."));
        }
        return html(response, callback, 401, Pages.login("Wrong password."));
    }

    private HttpCookie cookie(String value, int maxAge) {
        HttpCookie.Builder b = HttpCookie.build(COOKIE, value).path("/").httpOnly(true).secure(tls)
                .sameSite(HttpCookie.SameSite.STRICT);
        if (maxAge >= 0) {
            b.maxAge(maxAge);
        }
        return b.build();
    }

    private static String cookie(Request request) {
        for (HttpCookie c : Request.getCookies(request)) {
            if (COOKIE.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    private boolean download(String token, Response response, Callback callback) {
        OneTimeLinks.Download d = links.take(token);
        if (d == null) {
            return plain(response, callback, 404, "this link was used already, has expired, or never existed");
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_DISPOSITION, "attachment; filename=\"" + d.fileName() + "\"");
        Content.Sink.write(response, true, d.text(), callback);
        return true;
    }

    private boolean dashboardPage(Request request, Response response, Callback callback, Sessions.Session session)
            throws IOException {
        Fields q = Request.extractQueryParameters(request);
        String err = q.getValue("err");
        String msg = err != null ? err : q.getValue("msg");
        var rows = dashboard.rows();
        return html(response, callback, 200, Pages.dashboard(dashboard.server(rows), rows, session.csrf(), msg, err != null));
    }

    /** GET /api/state[?series=short|hour]: short = 60 points of 2 s, hour = 120 points of 30 s. */
    private boolean state(Request request, Response response, Callback callback) throws IOException {
        String series = Request.extractQueryParameters(request).getValue("series");
        int points = 0;
        int step = 0;
        if ("short".equals(series)) {
            points = 60;
            step = 2;
        } else if ("hour".equals(series)) {
            points = 120;
            step = 30;
        }
        return json(response, callback, 200, dashboard.state(points, step));
    }

    private static InetAddress source(Request request) {
        return request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    }

    private static boolean html(Response response, Callback callback, int status, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
        Content.Sink.write(response, true, body, callback);
        return true;
    }

    private static boolean plain(Response response, Callback callback, int status, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        Content.Sink.write(response, true, body + "\n", callback);
        return true;
    }

    private static boolean json(Response response, Callback callback, int status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            return plain(response, callback, 500, "internal error");
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(bytes), callback);
        return true;
    }

    private static boolean redirect(Request request, Response response, Callback callback, String location) {
        Response.sendRedirect(request, response, callback, 303, location, true);
        return true;
    }

    /** Headers on every answer: no caching of pages with keys, no framing, no inline script. */
    static final class HttpFieldsHelper {
        private HttpFieldsHelper() {}

        static void secure(Response response) {
            var h = response.getHeaders();
            h.put("Content-Security-Policy", CSP);
            h.put("X-Content-Type-Options", "nosniff");
            // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on form posts
            h.put("Referrer-Policy", "same-origin");
            h.put("X-Frame-Options", "DENY");
            h.put(HttpHeader.CACHE_CONTROL, "no-store");
        }
    }
}
