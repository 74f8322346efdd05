package io.wirecage.srv.cli;

import io.wirecage.srv.Server;
import io.wirecage.srv.config.ApiSettings;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.ForwardChanges;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.PortForward;
import io.wirecage.srv.config.ServerSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code wirecagesrv forward add|remove|list}: port forwards in the config file, the same [[forward]]
 * tables the registration API writes; a running server applies them at once.
 */
@Command(name = "forward", description = "Add, remove or list port forwards (public port of the server -> a peer's port).",
        subcommands = {ForwardCommand.Add.class, ForwardCommand.Remove.class, ForwardCommand.ListForwards.class})
final class ForwardCommand extends ConfigCommand {

    @Command(name = "add", description = "Forward PUBLIC_PORT of the server's public address to TARGET_PORT of a peer; "
            + "the peer sees the caller's real address.")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        ForwardCommand parent;

        @Parameters(index = "0", paramLabel = "PEER", description = "The peer's name or public key.")
        String peer;

        @Parameters(index = "1", paramLabel = "tcp|udp")
        String protocol;

        @Parameters(index = "2", paramLabel = "PUBLIC_PORT")
        int publicPort;

        @Parameters(index = "3", paramLabel = "TARGET_PORT")
        int targetPort;

        @Override
        public Integer call() throws IOException {
            Path file = parent.configFile();
            ConfigFile before = ConfigFile.load(file);
            PortForward added = ForwardChanges.add(file, peer, protocol, publicPort, targetPort,
                    new ForwardChanges.ServerPorts(wgListen(before).getPort(), apiPort(before)), Server::portInUse);
            ConfigFile cfg = ConfigFile.load(file);
            PrintWriter err = parent.spec.commandLine().getErr();
            err.println("wirecagesrv: forwarding " + added.protocol() + " port " + added.publicPort() + " to peer '" + peer
                    + "' port " + added.targetPort() + " (" + file + ")");
            parent.notifyServer(file, cfg, err);
            err.flush();
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove the forward of a public port.")
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        ForwardCommand parent;

        @Parameters(index = "0", paramLabel = "tcp|udp")
        String protocol;

        @Parameters(index = "1", paramLabel = "PUBLIC_PORT")
        int publicPort;

        @Override
        public Integer call() throws IOException {
            String proto = protocol.toLowerCase(Locale.ROOT);
            Path file = parent.configFile();
            ForwardChanges.remove(file, proto, publicPort);
            PrintWriter err = parent.spec.commandLine().getErr();
            err.println("wirecagesrv: removed the forward of " + proto + " port " + publicPort + " from " + file);
            parent.notifyServer(file, ConfigFile.load(file), err);
            err.flush();
            return 0;
        }
    }

    @Command(name = "list", description = "List the port forwards.")
    static final class ListForwards implements Callable<Integer> {
        @ParentCommand
        ForwardCommand parent;

        @Override
        public Integer call() throws IOException {
            ConfigFile cfg = ConfigFile.load(parent.configFile());
            PrintWriter out = parent.spec.commandLine().getOut();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"PROTO", "PUBLIC", "TARGET", "PEER", "ACTIVE"});
            for (PortForward f : cfg.forwards()) {
                PeerEntry p = cfg.peerByKey(f.peerKey());
                String target = Ipv4Prefix.format(p.allowedIps().get(0).network()) + ":" + f.targetPort();
                rows.add(new String[] {f.protocol(), Integer.toString(f.publicPort()), target,
                        p.name() != null ? p.name() : p.publicKey().base64(), p.enabled() ? "yes" : "no (peer disabled)"});
            }
            TextTable.print(out, rows);
            out.flush();
            return 0;
        }
    }

    private static InetSocketAddress wgListen(ConfigFile cfg) {
        String l = cfg.server().listenAddr() != null ? cfg.server().listenAddr() : "0.0.0.0:" + ServerSettings.DEFAULT_PORT;
        return ServeCommand.parseListen(l);
    }

    private static int apiPort(ConfigFile cfg) {
        String l = cfg.api().listen() != null ? cfg.api().listen() : ApiSettings.DEFAULT_LISTEN;
        return ServeCommand.parseListen("[api] listen", l).getPort();
    }
}
