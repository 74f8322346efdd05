package io.wirecage.srv.web;

import io.wirecage.srv.cli.Qr;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.ForwardChanges;
import io.wirecage.srv.config.PeerChanges;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.PortForward;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.config.WgQuickFile;
import io.wirecage.srv.nativebridge.Keys;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's changes, through the same code as the `peer` commands (PeerChanges: file lock, atomic
 * validated write), then applied to the running server as on SIGHUP. A change the server refuses is
 * reported, never half-applied: the file holds it and the next reload tries again.
 */
final class Actions {
    private static final Logger log = LoggerFactory.getLogger(Actions.class);

    /** A new client: what the page shows once. */
    record NewClient(String name, String address, String config, String qrSvg, String linkToken) {}

    private final Path file;
    private final Live live;
    private final String endpoint;
    private final OneTimeLinks links;
    private final Supplier<Instant> clock;

    Actions(Path file, Live live, String endpoint, OneTimeLinks links, Supplier<Instant> clock) {
        this.file = file;
        this.live = live;
        this.endpoint = endpoint;
        this.links = links;
        this.clock = clock;
    }

    /**
     * Generates the client's key pair here, adds the peer and builds its config. The private key is not
     * stored: it lives in the returned page and in the one-time link's memory until used or expired.
     */
    NewClient create(String name, String address, String expires) throws IOException {
        Instant expiry = expires == null || expires.isBlank() ? null : PeerChanges.parseExpiry(expires);
        byte[] secret = Keys.generatePrivateKey();
        String clientPrivate = Base64.getEncoder().encodeToString(secret);
        Base64Key clientPublic = Base64Key.of(Keys.publicKey(secret));
        java.util.Arrays.fill(secret, (byte) 0);
        PeerEntry added = PeerChanges.add(file, name == null ? null : name.strip(), clientPublic, address, null, expiry);
        apply("added peer '" + added.name() + "' with address " + String.join(", ", added.allowedIpsText()));
        ConfigFile cfg = ConfigFile.load(file);
        io.wirecage.srv.config.Ipv6Prefix address6 = added.allowedIps6().isEmpty() ? null : added.allowedIps6().get(0);
        String conf = WgQuickFile.clientConfig(clientPrivate, added.allowedIps().get(0), address6, cfg.server().dns(),
                cfg.server().mtu() == null ? ServerSettings.DEFAULT_MTU : cfg.server().mtu(), live.publicKey(), null, endpoint,
                address6 == null ? "0.0.0.0/0" : "0.0.0.0/0, ::/0", 25);
        String svg = Qr.svg(Qr.encode(conf), 320, "QR code of the config of " + Html.esc(added.name()));
        String token = links.create(new OneTimeLinks.Download(fileName(added.name()), conf));
        return new NewClient(added.name(), String.join(", ", added.allowedIpsText()), conf, svg, token);
    }

    void enable(String name) throws IOException {
        Instant now = clock.get();
        PeerChanges.edit(file, name, p -> PeerChanges.enable(p, now));
        apply("enabled peer '" + name + "'");
    }

    void disable(String name) throws IOException {
        PeerChanges.edit(file, name, p -> p.withEnabled(false));
        apply("disabled peer '" + name + "'");
    }

    void rename(String name, String newName) throws IOException {
        String n = newName == null ? null : newName.strip();
        PeerChanges.checkName(n);
        PeerChanges.edit(file, name, p -> p.withName(n));
        apply("renamed peer '" + name + "' to '" + n + "'");
    }

    void remove(String name) throws IOException {
        PeerChanges.edit(file, name, p -> null);
        apply("removed peer '" + name + "'");
    }

    /** Sets (or clears, for an empty value) the expiry; the server's expiry watcher disables the peer when it is due. */
    void expire(String name, String when) throws IOException {
        Instant t = PeerChanges.parseExpiry(when);
        PeerChanges.edit(file, name, p -> p.withExpires(t));
        apply((t == null ? "cleared the expiry of" : "set the expiry " + t + " on") + " peer '" + name + "'");
    }

    /** Forwards a public port of the server to {@code targetPort} of the peer (ForwardChanges: the `forward add` rules). */
    void addForward(String name, String protocol, String publicPort, String targetPort) throws IOException {
        PortForward f = ForwardChanges.add(file, name, protocol, port("public port", publicPort), port("target port", targetPort),
                live.ports(), live::portInUse);
        apply("forwarding " + f.protocol() + " port " + f.publicPort() + " to peer '" + name + "' port " + f.targetPort());
    }

    void removeForward(String protocol, String publicPort) throws IOException {
        PortForward f = ForwardChanges.remove(file, protocol, port("public port", publicPort));
        apply("removed the forward of " + f.protocol() + " port " + f.publicPort());
    }

    private static int port(String what, String text) {
        try {
            return Integer.parseInt(text == null ? "" : text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a number 1..65535");
        }
    }

    private void apply(String what) {
        String answer = live.apply();
        if (!answer.startsWith("ok")) {
            throw new IllegalStateException("written to the config file, but the running server did not apply it: " + answer.strip());
        }
        log.info("web: {}", what);
    }

    /** A file name the WireGuard apps accept as a tunnel name: at most 15 safe characters. */
    static String fileName(String peerName) {
        String safe = peerName.replaceAll("[^A-Za-z0-9_=+.-]", "-");
        if (safe.length() > 15) {
            safe = safe.substring(0, 15);
        }
        return (safe.isEmpty() ? "wg-client" : safe) + ".conf";
    }
}
