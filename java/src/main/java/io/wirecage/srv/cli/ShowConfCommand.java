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

/** {@code wirecagesrv showconf}: the running server as a wg config file, like {@code wg showconf}. */
@Command(name = "showconf", description = "Print the running server's configuration in wg format (includes the private key, like 'wg showconf').")
final class ShowConfCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tun-name", paramLabel = "NAME", defaultValue = ServerSettings.DEFAULT_TUN,
            description = "The TUN name of the server to ask (default: ${DEFAULT-VALUE}).")
    String tunName;

    @Override
    public Integer call() throws IOException {
        spec.commandLine().getOut().print(ControlSocket.request(ControlSocket.pathFor(Server.RUN_DIR, tunName), "showconf"));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
