package io.wirecage.srv.api;

import io.wirecage.srv.config.AddressPool;
import io.wirecage.srv.config.ApiSettings;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigEditor;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.PortForward;
import io.wirecage.srv.config.ServerSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the registration API does, without HTTP: a wirecage client's key becomes a peer of the config
 * file (the same locked, atomic, validated edit as `peer add`), a port forward becomes a [[forward]]
 * table, and the running server applies the file as on SIGHUP before the answer goes out, so the
 * client's first handshake already finds its peer.
 */
public final class Registrar {
    private static final Logger log = LoggerFactory.getLogger(Registrar.class);
    /** Name prefix of peers created by the API (the rest is the start of the key, in hex). */
    public static final String NAME_PREFIX = "wirecage-";
    static final int MAX_FORWARDS_PER_PEER = 16;
    static final int MIN_PUBLIC_PORT = 1024;

    /** An answer: HTTP status and JSON body, plus Retry-After seconds for a 429 (0: none). */
    public record Reply(int status, Map<String, Object> body, long retryAfterSeconds) {
        static Reply of(int status, Map<String, Object> body) {
            return new Reply(status, body, 0);
        }

        static Reply error(int status, String message) {
            return of(status, Map.of("error", message));
        }
    }

    /** The running server, as the registrar needs it. */
    public interface Live {
        /** The address of an enabled, running peer with this key, or null (a lock-free look-up). */
        Ipv4Prefix runningAddress(Base64Key key);

        /** Addresses of all running peers (flag peers are not in the file, but their addresses are taken). */
        List<Ipv4Prefix> runningAddresses();

        /** Applies the config file now (a reload); returns the reload's answer, "ok=1..." or "error=...". */
        String apply();
    }

    /** Whether something on this host already listens on a port (a forward would hide it from outside). */
    @FunctionalInterface
    public interface PortProbe {
        boolean inUse(String protocol, int port);
    }

    private final Path configFile;
    private final String serverPublicKey;
    private final Base64Key serverKey;
    private final InetSocketAddress wgListen;
    private final ApiSettings api;
    private final int prefixLength;
    private final Live live;
    private final PortProbe probe;
    private final LongSupplier clock;
    private final TokenBucket newPeers;

    public Registrar(Path configFile, Base64Key serverPublicKey, ServerSettings settings, Live live, PortProbe probe,
                     LongSupplier clock) {
        this.configFile = configFile;
        this.serverKey = serverPublicKey;
        this.serverPublicKey = serverPublicKey.base64();
        this.wgListen = settings.listen();
        this.api = settings.api();
        this.prefixLength = settings.subnet().length();
        this.live = live;
        this.probe = probe;
        this.clock = clock;
        this.newPeers = new TokenBucket(api.newPeersPerMinute(), api.newPeersPerMinute() / 60.0, clock.getAsLong());
    }

    /** POST /v1/register: the same key always gets the same address; a new key the next free one. */
    public Reply register(String clientKey) throws IOException {
        Base64Key key = clientKey(clientKey);
        if (key == null) {
            return Reply.error(400, "invalid client public key");
        }
        Ipv4Prefix running = live.runningAddress(key);
        if (running != null) {
            return registered(running);
        }
        Reply[] refused = new Reply[1];
        PeerEntry peer = ConfigEditor.locked(configFile, cfg -> {
            PeerEntry known = cfg.peerByKey(key);
            if (known != null) {
                if (!known.enabled()) {
                    refused[0] = Reply.error(403, "peer is disabled");
                }
                return known;
            }
            List<Ipv4Prefix> taken = new ArrayList<>(live.runningAddresses());
            cfg.peers().forEach(p -> taken.addAll(p.allowedIps()));
            Ipv4Prefix address;
            try {
                address = AddressPool.nextFree(cfg.subnet(), cfg.subnet().network() + 1, taken);
            } catch (IllegalArgumentException e) {
                refused[0] = Reply.error(503, "no IPs available");
                return null;
            }
            synchronized (newPeers) {
                long now = clock.getAsLong();
                if (!newPeers.tryTake(now)) {
                    refused[0] = new Reply(429, Map.of("error", "too many new registrations, try again later"),
                            newPeers.secondsUntilToken(now));
                    return null;
                }
            }
            PeerEntry entry = new PeerEntry(uniqueName(cfg, key), key, null, List.of(address), 0, true, 0);
            ConfigEditor.appendPeer(cfg, entry);
            log.info("api: registered a new peer '{}' ({}) with address {}", entry.name(), key.shortForm(), address);
            return entry;
        });
        if (refused[0] != null) {
            return refused[0];
        }
        Reply failed = apply();
        return failed != null ? failed : registered(peer.allowedIps().get(0));
    }

    private Reply registered(Ipv4Prefix address) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("client_address", Ipv4Prefix.format(address.network()) + "/" + prefixLength);
        body.put("server_public_key", serverPublicKey);
        body.put("server_endpoint", api.endpoint());
        return Reply.of(200, body);
    }

    /** POST /v1/portforward. */
    public Reply addForward(String clientKey, String protocol, int publicPort, int targetPort) throws IOException {
        Base64Key key = clientKey(clientKey);
        if (key == null) {
            return Reply.error(400, "invalid client public key");
        }
        if (!PortForward.isProtocol(protocol)) {
            return Reply.error(400, "protocol must be 'tcp' or 'udp'");
        }
        if (publicPort < MIN_PUBLIC_PORT) {
            return Reply.error(400, "public port must be >= 1024");
        }
        if (publicPort > 65535) {
            return Reply.error(400, "public port must be <= 65535");
        }
        if (targetPort < 1 || targetPort > 65535) {
            return Reply.error(400, "target port must be 1..65535");
        }
        Reply[] result = new Reply[1];
        boolean changed = ConfigEditor.locked(configFile, cfg -> {
            PeerEntry peer = cfg.peerByKey(key);
            if (peer == null) {
                result[0] = Reply.error(404, "peer not found");
                return false;
            }
            if (!peer.enabled()) {
                result[0] = Reply.error(403, "peer is disabled");
                return false;
            }
            PortForward wanted = new PortForward(protocol, publicPort, targetPort, key, 0);
            PortForward existing = cfg.forward(protocol, publicPort);
            Ipv4Prefix peerIp = peer.allowedIps().get(0);
            if (existing != null) {
                result[0] = existing.sameAs(wanted) ? forwarded(wanted, peerIp) : Reply.error(409, "port already in use");
                return false;
            }
            String own = ServerSettings.portUsedByServer(protocol, publicPort, wgListen.getPort(), api.listen().getPort());
            if (own != null || probe.inUse(protocol, publicPort)) {
                log.info("api: refused a forward of {} port {}: {}", protocol, publicPort,
                        own != null ? own : "a local program listens on it");
                result[0] = Reply.error(409, "port already in use");
                return false;
            }
            if (cfg.forwards().stream().filter(f -> f.peerKey().equals(key)).count() >= MAX_FORWARDS_PER_PEER) {
                result[0] = Reply.error(403, "too many port forwards for this peer (at most " + MAX_FORWARDS_PER_PEER + ")");
                return false;
            }
            ConfigEditor.appendForward(cfg, wanted);
            log.info("api: forwarding {} port {} to peer '{}' {}:{}", protocol, publicPort, peer.name(),
                    Ipv4Prefix.format(peerIp.network()), targetPort);
            result[0] = forwarded(wanted, peerIp);
            return true;
        });
        if (changed) {
            Reply failed = apply();
            if (failed != null) {
                return failed;
            }
        }
        return result[0];
    }

    private static Reply forwarded(PortForward f, Ipv4Prefix peerIp) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("public_port", f.publicPort());
        body.put("protocol", f.protocol());
        body.put("target_port", f.targetPort());
        body.put("peer_ip", Ipv4Prefix.format(peerIp.network()));
        return Reply.of(201, body);
    }

    /** DELETE /v1/portforward. */
    public Reply removeForward(String protocol, int publicPort) throws IOException {
        if (!PortForward.isProtocol(protocol)) {
            return Reply.error(400, "protocol must be 'tcp' or 'udp'");
        }
        boolean removed = ConfigEditor.locked(configFile, cfg -> {
            PortForward f = cfg.forward(protocol, publicPort);
            if (f == null) {
                return false;
            }
            ConfigEditor.removeForward(cfg, f);
            log.info("api: removed the forward of {} port {}", protocol, publicPort);
            return true;
        });
        if (!removed) {
            return Reply.error(404, "port forward not found");
        }
        Reply failed = apply();
        return failed != null ? failed : Reply.of(200, Map.of("status", "removed"));
    }

    /** Applies the file; null when that worked, else a 500 (the reason is logged by the reload). */
    private Reply apply() {
        String answer = live.apply();
        if (answer.startsWith("ok")) {
            return null;
        }
        log.error("api: the running server did not apply the config file: {}", answer.strip());
        return Reply.error(500, "the server could not apply the change");
    }

    /** A 32-byte key in standard base64, not all zeros and not the server's own; else null. */
    private Base64Key clientKey(String text) {
        if (text == null) {
            return null;
        }
        Base64Key key;
        try {
            key = Base64Key.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
        boolean zero = true;
        for (byte b : key.bytes()) {
            zero &= b == 0;
        }
        return zero || key.equals(serverKey) ? null : key;
    }

    private static String uniqueName(ConfigFile cfg, Base64Key key) {
        String base = NAME_PREFIX + HexFormat.of().formatHex(key.bytes(), 0, 4);
        String name = base;
        for (int i = 2; cfg.peer(name) != null; i++) {
            name = base + "-" + i;
        }
        return name;
    }
}
