package io.wirecage.srv.cli;

import io.wirecage.srv.Server;
import io.wirecage.srv.config.AddressPool;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigEditor;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.Ipv6Prefix;
import io.wirecage.srv.config.PeerChanges;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.config.WgQuickFile;
import io.wirecage.srv.ipc.ControlSocket;
import io.wirecage.srv.nativebridge.Keys;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code wirecagesrv peer add|remove|enable|disable|list}: edits the config file safely and tells a
 * running server to apply the change at once (the same path as SIGHUP).
 */
@Command(name = "peer", description = "Add, remove, enable, disable or list peers in the config file.",
        subcommands = {PeerCommand.Add.class, PeerCommand.Remove.class, PeerCommand.Enable.class,
                PeerCommand.Disable.class, PeerCommand.Expire.class, PeerCommand.Rename.class, PeerCommand.ListPeers.class})
final class PeerCommand extends ConfigCommand {
    @Command(name = "add", description = "Add a peer: picks a free address and generates its keys unless given; prints its wg-quick config.")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        PeerCommand parent;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "A name for the peer (unique).")
        String name;

        @Option(names = "--public-key", paramLabel = "KEY", description = "The peer's public key; without it a key pair is generated.")
        String publicKey;

        @Option(names = "--ip", paramLabel = "ADDRESS[,IPV6]",
                description = "The peer's address, and its IPv6 one with IPv6 inside the tunnel (default: the next free ones).")
        String ip;

        @Option(names = "--psk", description = "Also generate a preshared key.")
        boolean psk;

        @Option(names = "--allowed-ips", paramLabel = "CIDRS",
                description = "AllowedIPs of the client config: what the client sends through the VPN (default: 0.0.0.0/0, "
                        + "and ::/0 too with IPv6 inside the tunnel).")
        String clientAllowedIps;

        @Option(names = "--endpoint", paramLabel = "HOST:PORT", description = "Endpoint for the client config (default: [server] endpoint).")
        String endpoint;

        @Option(names = "--qr", description = "Also print the client config as a QR code (for the WireGuard mobile apps).")
        boolean qr;

        @Option(names = "--qr-png", paramLabel = "FILE", description = "Write the client config as a QR code PNG (0600).")
        Path qrPng;

        @Option(names = "--expires", paramLabel = "WHEN",
                description = "Disable the peer by itself at this time: 2026-12-31, 2026-12-31T18:00 (UTC) or with an offset.")
        String expires;

        @Override
        public Integer call() throws IOException {
            PeerChanges.checkName(name);
            java.time.Instant expiry = expires == null ? null : PeerChanges.parseExpiry(expires);
            Base64Key clientPublic;
            String clientPrivate = null;
            if (publicKey != null) {
                try {
                    clientPublic = Base64Key.parse(publicKey);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--public-key " + e.getMessage());
                }
            } else {
                byte[] secret = Keys.generatePrivateKey();
                clientPrivate = Base64.getEncoder().encodeToString(secret);
                clientPublic = Base64Key.of(Keys.publicKey(secret));
            }
            Base64Key presharedKey = psk ? Base64Key.of(Keys.generatePresharedKey()) : null;
            Path file = parent.configFile();
            PeerEntry added;
            try {
                added = PeerChanges.add(file, name, clientPublic, ip, presharedKey, expiry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith("address ") ? "--ip " + e.getMessage().substring(8)
                        : e.getMessage());
            }
            ConfigFile cfg = ConfigFile.load(file);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            err.println("wirecagesrv: added peer '" + name + "' with address " + String.join(", ", added.allowedIpsText()) + " to " + file);
            parent.notifyServer(file, cfg, err);
            if (clientPrivate == null) {
                err.println("wirecagesrv: the peer brought its own key; no client config to print");
                err.flush();
                return 0;
            }
            Ipv6Prefix address6 = added.allowedIps6().isEmpty() ? null : added.allowedIps6().get(0);
            String allowed = clientAllowedIps != null ? clientAllowedIps : cfg.subnet6() != null ? "0.0.0.0/0, ::/0" : "0.0.0.0/0";
            String conf = WgQuickFile.clientConfig(clientPrivate, added.allowedIps().get(0), address6, cfg.server().dns(),
                    cfg.server().mtu() == null ? ServerSettings.DEFAULT_MTU : cfg.server().mtu(), serverPublicKey(cfg),
                    presharedKey, endpoint(cfg, err), allowed, 25);
            out.print(conf);
            if (qr) {
                out.println();
                out.print(Qr.terminal(Qr.encode(conf)));
            }
            if (qrPng != null) {
                try {
                    QrPng.write(Qr.encode(conf), qrPng, 8);
                } catch (NoClassDefFoundError e) {
                    throw new IllegalStateException("--qr-png needs the java.desktop module, which this Java runtime lacks (use --qr)");
                }
                err.println("wirecagesrv: wrote QR code to " + qrPng);
            }
            out.flush();
            err.flush();
            return 0;
        }

        private static String serverPublicKey(ConfigFile cfg) throws IOException {
            Base64Key key = ServeCommand.readPrivateKey(cfg.privateKeyFile());
            return Base64.getEncoder().encodeToString(Keys.publicKey(key.bytes()));
        }

        /** --endpoint, else [server] endpoint, else a guess from the outbound interface (said on stderr). */
        private String endpoint(ConfigFile cfg, PrintWriter err) throws IOException {
            if (endpoint != null) {
                return endpoint;
            }
            if (cfg.server().endpoint() != null) {
                return cfg.server().endpoint();
            }
            String listen = cfg.server().listenAddr() != null ? cfg.server().listenAddr() : "[::]:" + ServerSettings.DEFAULT_PORT;
            String guess = Endpoints.guess(cfg.server().outboundInterface(),
                    Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1)));
            err.println("wirecagesrv: Endpoint guessed as " + guess + "; set [server] endpoint in the config for a public name");
            return guess;
        }
    }

    /** Shared by remove, enable and disable: one locked edit of one peer's block, then a reload. */
    abstract static class Edit implements Callable<Integer> {
        @ParentCommand
        PeerCommand parent;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The peer's name.")
        String name;

        abstract PeerEntry change(PeerEntry current);

        abstract String done();

        @Override
        public Integer call() throws IOException {
            Path file = parent.configFile();
            ConfigFile cfg = PeerChanges.edit(file, name, this::change);
            PrintWriter err = spec.commandLine().getErr();
            err.println("wirecagesrv: " + done() + " peer '" + name + "' in " + file);
            parent.notifyServer(file, cfg, err);
            err.flush();
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove a peer; a running server cuts it off at once.")
    static final class Remove extends Edit {
        @Override
        PeerEntry change(PeerEntry current) {
            return null;
        }

        @Override
        String done() {
            return "removed";
        }
    }

    @Command(name = "enable", description = "Enable a disabled peer.")
    static final class Enable extends Edit {
        @Override
        PeerEntry change(PeerEntry current) {
            return PeerChanges.enable(current, java.time.Instant.now());
        }

        @Override
        String done() {
            return "enabled";
        }
    }

    @Command(name = "disable", description = "Disable a peer without forgetting it.")
    static final class Disable extends Edit {
        @Override
        PeerEntry change(PeerEntry current) {
            return current.withEnabled(false);
        }

        @Override
        String done() {
            return "disabled";
        }
    }

    @Command(name = "expire", description = "Set when a peer is disabled by the server itself (or 'never').")
    static final class Expire extends Edit {
        @Parameters(index = "1", paramLabel = "WHEN",
                description = "2026-12-31 (midnight UTC), 2026-12-31T18:00 (UTC), 2026-12-31T18:00:00+01:00, or never.")
        String when;

        @Override
        PeerEntry change(PeerEntry current) {
            return current.withExpires(PeerChanges.parseExpiry(when));
        }

        @Override
        String done() {
            java.time.Instant t = PeerChanges.parseExpiry(when);
            return t == null ? "cleared the expiry of" : "set the expiry " + t + " on";
        }
    }

    @Command(name = "rename", description = "Give a peer another name.")
    static final class Rename extends Edit {
        @Parameters(index = "1", paramLabel = "NEW-NAME", description = "The new name (unique).")
        String newName;

        @Override
        PeerEntry change(PeerEntry current) {
            return current.withName(newName);
        }

        @Override
        String done() {
            return "renamed to '" + newName + "':";
        }
    }

    @Command(name = "list", description = "List the configured peers.")
    static final class ListPeers implements Callable<Integer> {
        @ParentCommand
        PeerCommand parent;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            ConfigFile cfg = ConfigFile.load(parent.configFile());
            PrintWriter out = spec.commandLine().getOut();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "ADDRESS", "ENABLED", "EXPIRES", "PUBLIC KEY"});
            for (PeerEntry p : cfg.peers()) {
                rows.add(new String[] {p.name() == null ? "-" : p.name(),
                        String.join(",", p.allowedIpsText()),
                        p.enabled() ? "yes" : "no", p.expires() == null ? "never" : p.expires().toString(),
                        p.publicKey().base64()});
            }
            TextTable.print(out, rows);
            out.flush();
            return 0;
        }
    }
}
