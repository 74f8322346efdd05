package io.wirecage.srv.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The port-forward edits that the `forward` commands, the registration API and the web console share:
 * one set of rules for which forwards are allowed, and one locked, atomic write of the config file
 * (ConfigEditor); the caller then has a running server apply it.
 */
public final class ForwardChanges {
    private ForwardChanges() {}

    /** A peer may hold at most this many forwards: one client cannot take every public port. */
    public static final int MAX_PER_PEER = 16;

    /** Whether something on this host already listens on a port (a forward would hide it from outside). */
    @FunctionalInterface
    public interface PortProbe {
        boolean inUse(String protocol, int port);
    }

    /** The running server's own ports, which a forward may not take; api is 0 without an API. */
    public record ServerPorts(int wireGuard, int api) {}

    /** Why a forward was refused; the API answers each with its own status code. */
    public enum Reason { TAKEN, SERVER_PORT, LOCAL_PROGRAM, TOO_MANY }

    /** A refused forward: one line for the operator, and the reason for callers that map it. */
    public static final class Refused extends IllegalArgumentException {
        private final Reason reason;

        Refused(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    /** The forward of {@code protocol} (any case) and {@code publicPort} to {@code targetPort}; fails with one line. */
    public static PortForward forward(String protocol, int publicPort, int targetPort, Base64Key peerKey) {
        String proto = protocol == null ? "" : protocol.toLowerCase(Locale.ROOT);
        if (!PortForward.isProtocol(proto)) {
            throw new IllegalArgumentException("protocol must be 'tcp' or 'udp', not '" + protocol + "'");
        }
        return new PortForward(proto, publicPort, targetPort, peerKey, 0); // checks the port ranges
    }

    /**
     * Fails with {@link Refused} unless {@code wanted} may be added to {@code cfg}: its public port is not
     * forwarded yet, is not one of the server's own, no local program listens on it, and its peer holds
     * fewer than {@link #MAX_PER_PEER} forwards.
     */
    public static void check(ConfigFile cfg, PortForward wanted, ServerPorts ports, PortProbe probe) {
        String proto = wanted.protocol();
        int port = wanted.publicPort();
        if (cfg.forward(proto, port) != null) {
            throw new Refused(Reason.TAKEN, proto + " port " + port + " is already forwarded");
        }
        String own = ServerSettings.portUsedByServer(proto, port, ports.wireGuard(), ports.api());
        if (own != null) {
            throw new Refused(Reason.SERVER_PORT, "cannot forward " + own);
        }
        if (probe.inUse(proto, port)) {
            throw new Refused(Reason.LOCAL_PROGRAM, proto + " port " + port
                    + " is in use by a program on this host; a forward would hide it from outside");
        }
        if (cfg.forwards().stream().filter(f -> f.peerKey().equals(wanted.peerKey())).count() >= MAX_PER_PEER) {
            throw new Refused(Reason.TOO_MANY, "too many port forwards for this peer (at most " + MAX_PER_PEER + ")");
        }
    }

    /** The peer named {@code nameOrKey}, else the one with that public key; fails with one line. */
    public static PeerEntry findPeer(ConfigFile cfg, String nameOrKey) {
        PeerEntry p = nameOrKey == null ? null : cfg.peer(nameOrKey);
        if (p == null && nameOrKey != null) {
            try {
                p = cfg.peerByKey(Base64Key.parse(nameOrKey));
            } catch (IllegalArgumentException e) {
                // not a key either
            }
        }
        if (p == null) {
            throw new IllegalArgumentException("no peer named '" + nameOrKey + "' (or with that key) in " + cfg.file());
        }
        return p;
    }

    /** Adds a forward to the peer named (or keyed) {@code peer} in one locked, checked write; returns it as written. */
    public static PortForward add(Path file, String peer, String protocol, int publicPort, int targetPort, ServerPorts ports,
                                  PortProbe probe) throws IOException {
        return ConfigEditor.locked(file, cfg -> {
            PeerEntry p = findPeer(cfg, peer);
            PortForward f = forward(protocol, publicPort, targetPort, p.publicKey());
            check(cfg, f, ports, probe);
            ConfigEditor.appendForward(cfg, f);
            return f;
        });
    }

    /** Removes the forward of {@code protocol} {@code publicPort} in one locked write; returns it as it was. */
    public static PortForward remove(Path file, String protocol, int publicPort) throws IOException {
        String proto = protocol == null ? "" : protocol.toLowerCase(Locale.ROOT);
        return ConfigEditor.locked(file, cfg -> {
            PortForward f = cfg.forward(proto, publicPort);
            if (f == null) {
                throw new IllegalArgumentException("no forward of " + proto + " port " + publicPort + " in " + file);
            }
            ConfigEditor.removeForward(cfg, f);
            return f;
        });
    }
}
