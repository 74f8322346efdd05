package io.wirecage.srv.cli;

import io.wirecage.srv.Server;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.ipc.ControlSocket;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A subcommand that sends one request to a running server's control socket and prints the answer. */
abstract class ControlRequest implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tun-name", paramLabel = "NAME", defaultValue = ServerSettings.DEFAULT_TUN,
            description = "The TUN name of the server to ask (default: ${DEFAULT-VALUE}).")
    String tunName;

    /** The control socket operation, e.g. "status=1". */
    abstract String request();

    @Override
    public Integer call() throws IOException {
        spec.commandLine().getOut().print(ControlSocket.request(ControlSocket.clientPath(Server.RUN_DIR, tunName), request()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
