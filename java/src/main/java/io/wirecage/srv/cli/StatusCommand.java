package io.wirecage.srv.cli;

import io.wirecage.srv.Server;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.ipc.ControlSocket;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code wirecagesrv status}: asks a running server for its peers and counters over the control socket. */
@Command(name = "status", description = "Show a running server's peers, handshakes and counters (key=value lines).")
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tun-name", paramLabel = "NAME", defaultValue = ServerSettings.DEFAULT_TUN,
            description = "The TUN name of the server to ask (default: ${DEFAULT-VALUE}).")
    String tunName;

    @Override
    public Integer call() throws IOException {
        spec.commandLine().getOut().print(ControlSocket.request(ControlSocket.pathFor(Server.RUN_DIR, tunName), "status"));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
