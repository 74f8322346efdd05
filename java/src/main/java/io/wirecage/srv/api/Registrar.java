package io.wirecage.srv.api;

import io.wirecage.srv.config.AddressPool;
import io.wirecage.srv.config.ApiSettings;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigEditor;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.Ipv6Prefix;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.ForwardChanges;
import io.wirecage.srv.config.PortForward;
import io.wirecage.srv.config.ServerSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the registration API does, without HTTP: a wirecage client's key becomes a peer of the config
 * file (the same locked, atomic, validated edit as `peer add`), a port forward becomes a [[forward]]
 * table, and the running server applies the file as on SIGHUP before the answer goes out, so the
 * client's first handshake already finds its peer.
 */
public final class Registrar implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Registrar.class);
    /** Name prefix of peers created by the API (the rest is the start of the key, in hex). */
    public static final String NAME_PREFIX = "wirecage-";
    static final int MAX_FORWARDS_PER_PEER = ForwardChanges.MAX_PER_PEER;
    static final int MIN_PUBLIC_PORT = 1024;
    /** Changes waiting for the writer; beyond this a request gets 503 at once instead of waiting. */
    static final int MAX_PENDING = 4096;
    static final int MAX_BATCH = 256;

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

        /** The IPv6 address of an enabled, running peer with this key, or null (none, or IPv6 inside off). */
        default Ipv6Prefix runningAddress6(Base64Key key) {
            return null;
        }

        /** IPv6 addresses of all running peers. */
        default List<Ipv6Prefix> runningAddresses6() {
            return List.of();
        }

        /** Applies the config file now (a reload); returns the reload's answer, "ok=1..." or "error=...". */
        String apply();
    }

    private final Path configFile;
    private final String serverPublicKey;
    private final Base64Key serverKey;
    private final ApiSettings api;
    private final int prefixLength;
    /** The IPv6 subnet's prefix length, 0 with IPv6 inside the tunnel off. */
    private final int prefixLength6;
    private final Live live;
    private final ForwardChanges.PortProbe probe;
    private final ForwardChanges.ServerPorts ports;
    private final LongSupplier clock;
    private final TokenBucket newPeers;
    private final BlockingQueue<Change> queue = new ArrayBlockingQueue<>(MAX_PENDING);
    private final Thread writer;
    private volatile boolean closed;

    public Registrar(Path configFile, Base64Key serverPublicKey, ServerSettings settings, Live live, ForwardChanges.PortProbe probe,
                     LongSupplier clock) {
        this.configFile = configFile;
        this.serverKey = serverPublicKey;
        this.serverPublicKey = serverPublicKey.base64();
        this.api = settings.api();
        this.prefixLength = settings.subnet().length();
        this.prefixLength6 = settings.ipv6() ? settings.subnet6().length() : 0;
        this.live = live;
        this.probe = probe;
        this.ports = new ForwardChanges.ServerPorts(settings.listen().getPort(), settings.api().listen().getPort());
        this.clock = clock;
        this.newPeers = new TokenBucket(api.newPeersPerMinute(), api.newPeersPerMinute() / 60.0, clock.getAsLong());
        this.writer = Thread.ofPlatform().name("api-writer").daemon().start(this::writeLoop);
    }

    /**
     * POST /v1/register: the same key always gets the same address; a new key the next free one. A
     * running peer is answered at once from memory; anything that may write the file goes to the writer.
     */
    public CompletableFuture<Reply> register(String clientKey) {
        Base64Key key = clientKey(clientKey);
        if (key == null) {
            return done(Reply.error(400, "invalid client public key"));
        }
        Ipv4Prefix running = live.runningAddress(key);
        if (running != null) {
            return done(registered(running, live.runningAddress6(key)));
        }
        return enqueue(new Register(key, new CompletableFuture<>()));
    }

    /** POST /v1/portforward. */
    public CompletableFuture<Reply> addForward(String clientKey, String protocol, int publicPort, int targetPort) {
        Base64Key key = clientKey(clientKey);
        if (key == null) {
            return done(Reply.error(400, "invalid client public key"));
        }
        if (!PortForward.isProtocol(protocol)) {
            return done(Reply.error(400, "protocol must be 'tcp' or 'udp'"));
        }
        if (publicPort < MIN_PUBLIC_PORT) {
            return done(Reply.error(400, "public port must be >= 1024"));
        }
        if (publicPort > 65535) {
            return done(Reply.error(400, "public port must be <= 65535"));
        }
        if (targetPort < 1 || targetPort > 65535) {
            return done(Reply.error(400, "target port must be 1..65535"));
        }
        return enqueue(new AddForward(key, protocol, publicPort, targetPort, new CompletableFuture<>()));
    }

    /** DELETE /v1/portforward. */
    public CompletableFuture<Reply> removeForward(String protocol, int publicPort) {
        if (!PortForward.isProtocol(protocol)) {
            return done(Reply.error(400, "protocol must be 'tcp' or 'udp'"));
        }
        return enqueue(new RemoveForward(protocol, publicPort, new CompletableFuture<>()));
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }

    private CompletableFuture<Reply> enqueue(Change c) {
        if (closed || !queue.offer(c)) {
            return done(Reply.error(503, "server busy, try again"));
        }
        return c.reply();
    }

    /** A change waiting for the writer. */
    private sealed interface Change permits Register, AddForward, RemoveForward {
        CompletableFuture<Reply> reply();
    }

    private record Register(Base64Key key, CompletableFuture<Reply> reply) implements Change {}

    private record AddForward(Base64Key key, String protocol, int publicPort, int targetPort,
                              CompletableFuture<Reply> reply) implements Change {}

    private record RemoveForward(String protocol, int publicPort, CompletableFuture<Reply> reply) implements Change {}

    /**
     * The writer: takes what is queued (up to {@link #MAX_BATCH}), makes it one locked edit of the
     * file (all new peers in one write and fsync) and one reload, then answers every request of the
     * batch. Concurrent registrations cost one write and one reload per batch, not per key.
     */
    private void writeLoop() {
        List<Change> batch = new ArrayList<>(MAX_BATCH);
        while (!closed) {
            try {
                Change first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                runBatch(batch);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                log.error("api: the writer failed a batch: {}", e.toString());
                batch.forEach(c -> c.reply().complete(Reply.error(500, "internal error")));
            } finally {
                batch.clear();
            }
        }
        Change c;
        while ((c = queue.poll()) != null) {
            c.reply().complete(Reply.error(503, "server shutting down"));
        }
    }

    private void runBatch(List<Change> batch) {
        Map<Change, Reply> replies = new HashMap<>();
        boolean changed;
        try {
            changed = ConfigEditor.locked(configFile, cfg -> {
                boolean any = registerAll(cfg, batch, replies);
                for (Change c : batch) {
                    if (c instanceof AddForward f) {
                        any |= addForward(ConfigFile.load(configFile), f, replies);
                    } else if (c instanceof RemoveForward r) {
                        any |= removeForward(ConfigFile.load(configFile), r, replies);
                    }
                }
                return any;
            });
        } catch (IOException | RuntimeException e) {
            log.error("api: could not edit {}: {}", configFile, e.getMessage());
            batch.forEach(c -> c.reply().complete(Reply.error(500, "internal error")));
            return;
        }
        boolean needApply = changed;
        for (Change c : batch) {
            Reply r = replies.get(c);
            // a peer of the file that the server does not run yet (a hand edit not yet reloaded)
            needApply |= c instanceof Register reg && r != null && r.status() == 200 && live.runningAddress(reg.key()) == null;
        }
        boolean unapplied = needApply && apply() != null;
        for (Change c : batch) {
            Reply r = replies.getOrDefault(c, Reply.error(500, "internal error"));
            c.reply().complete(unapplied && r.status() < 300 ? Reply.error(500, "the server could not apply the change") : r);
        }
    }

    /** Decides every registration of the batch against the file; writes all new peers at once. */
    private boolean registerAll(ConfigFile cfg, List<Change> batch, Map<Change, Reply> replies) throws IOException {
        List<PeerEntry> added = new ArrayList<>();
        Map<Base64Key, PeerEntry> inBatch = new HashMap<>();
        List<Ipv4Prefix> taken = new ArrayList<>();
        List<Ipv6Prefix> taken6 = new ArrayList<>();
        Set<String> names = new HashSet<>();
        boolean takenKnown = false;
        for (Change c : batch) {
            if (!(c instanceof Register r)) {
                continue;
            }
            PeerEntry known = cfg.peerByKey(r.key());
            if (known == null) {
                known = inBatch.get(r.key());
            }
            if (known != null) {
                replies.put(c, known.enabled() ? registered(known.allowedIps().get(0), first6(known)) : Reply.error(403, "peer is disabled"));
                continue;
            }
            if (!takenKnown) {
                takenKnown = true;
                taken.addAll(live.runningAddresses());
                taken6.addAll(live.runningAddresses6());
                cfg.peers().forEach(p -> {
                    taken.addAll(p.allowedIps());
                    taken6.addAll(p.allowedIps6());
                    names.add(p.name());
                });
            }
            Ipv4Prefix address;
            Ipv6Prefix address6 = null;
            try {
                address = AddressPool.nextFree(cfg.subnet(), cfg.subnet().network() + 1, taken);
                if (prefixLength6 != 0 && cfg.subnet6() != null) {
                    address6 = AddressPool.nextFree6(cfg.subnet6(), taken6);
                }
            } catch (IllegalArgumentException e) {
                replies.put(c, Reply.error(503, "no IPs available"));
                continue;
            }
            long now = clock.getAsLong();
            if (!newPeers.tryTake(now)) {
                replies.put(c, new Reply(429, Map.of("error", "too many new registrations, try again later"),
                        newPeers.secondsUntilToken(now)));
                continue;
            }
            PeerEntry entry = new PeerEntry(uniqueName(names, r.key()), r.key(), null, List.of(address), 0, true, 0,
                    address6 == null ? List.of() : List.of(address6));
            names.add(entry.name());
            taken.add(address);
            if (address6 != null) {
                taken6.add(address6);
            }
            added.add(entry);
            inBatch.put(r.key(), entry);
            replies.put(c, registered(address, address6));
        }
        if (added.isEmpty()) {
            return false;
        }
        ConfigEditor.appendPeers(cfg, added);
        for (PeerEntry e : added) {
            log.info("api: registered a new peer '{}' ({}) with address {}", e.name(), e.publicKey().shortForm(), String.join(", ", e.allowedIpsText()));
        }
        return true;
    }

    /**
     * The answer to a registration. client_address6 (the client's IPv6 address with the IPv6 subnet's
     * length) is an extra field that only appears with IPv6 inside the tunnel; clients that do not know it
     * (the wirecage client) ignore it.
     */
    private Reply registered(Ipv4Prefix address, Ipv6Prefix address6) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("client_address", Ipv4Prefix.format(address.network()) + "/" + prefixLength);
        body.put("server_public_key", serverPublicKey);
        body.put("server_endpoint", api.endpoint());
        if (address6 != null && prefixLength6 != 0) {
            body.put("client_address6", address6.address() + "/" + prefixLength6);
        }
        return Reply.of(200, body);
    }

    private static Ipv6Prefix first6(PeerEntry p) {
        return p.allowedIps6().isEmpty() ? null : p.allowedIps6().get(0);
    }

    private boolean addForward(ConfigFile cfg, AddForward a, Map<Change, Reply> replies) throws IOException {
        PeerEntry peer = cfg.peerByKey(a.key());
        if (peer == null) {
            replies.put(a, Reply.error(404, "peer not found"));
            return false;
        }
        if (!peer.enabled()) {
            replies.put(a, Reply.error(403, "peer is disabled"));
            return false;
        }
        PortForward wanted = new PortForward(a.protocol(), a.publicPort(), a.targetPort(), a.key(), 0);
        PortForward existing = cfg.forward(a.protocol(), a.publicPort());
        Ipv4Prefix peerIp = peer.allowedIps().get(0);
        if (existing != null && existing.sameAs(wanted)) {
            replies.put(a, forwarded(wanted, peerIp)); // asked again: the same answer
            return false;
        }
        try {
            ForwardChanges.check(cfg, wanted, ports, probe);
        } catch (ForwardChanges.Refused e) {
            if (e.reason() == ForwardChanges.Reason.TOO_MANY) {
                replies.put(a, Reply.error(403, e.getMessage()));
            } else {
                // whose port it is (the server's, a local program's) is the operator's business, not the client's
                log.info("api: refused a forward of {} port {}: {}", a.protocol(), a.publicPort(), e.getMessage());
                replies.put(a, Reply.error(409, "port already in use"));
            }
            return false;
        }
        ConfigEditor.appendForward(cfg, wanted);
        log.info("api: forwarding {} port {} to peer '{}' {}:{}", a.protocol(), a.publicPort(), peer.name(),
                Ipv4Prefix.format(peerIp.network()), a.targetPort());
        replies.put(a, forwarded(wanted, peerIp));
        return true;
    }

    private static Reply forwarded(PortForward f, Ipv4Prefix peerIp) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("public_port", f.publicPort());
        body.put("protocol", f.protocol());
        body.put("target_port", f.targetPort());
        body.put("peer_ip", Ipv4Prefix.format(peerIp.network()));
        return Reply.of(201, body);
    }

    private boolean removeForward(ConfigFile cfg, RemoveForward r, Map<Change, Reply> replies) throws IOException {
        PortForward f = cfg.forward(r.protocol(), r.publicPort());
        if (f == null) {
            replies.put(r, Reply.error(404, "port forward not found"));
            return false;
        }
        ConfigEditor.removeForward(cfg, f);
        log.info("api: removed the forward of {} port {}", r.protocol(), r.publicPort());
        replies.put(r, Reply.of(200, Map.of("status", "removed")));
        return true;
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

    /** Stops the writer; what is still queued is answered 503. */
    @Override
    public void close() {
        closed = true;
        writer.interrupt();
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    private static String uniqueName(Set<String> taken, Base64Key key) {
        String base = NAME_PREFIX + HexFormat.of().formatHex(key.bytes(), 0, 4);
        String name = base;
        for (int i = 2; taken.contains(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }
}
