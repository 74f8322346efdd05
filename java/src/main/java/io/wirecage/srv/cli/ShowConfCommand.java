package io.wirecage.srv.cli;

import picocli.CommandLine.Command;

/** {@code wirecagesrv showconf}: the running server as a wg config file, like {@code wg showconf}. */
@Command(name = "showconf", description = "Print the running server's configuration in wg format (includes the private key, like 'wg showconf').")
final class ShowConfCommand extends ControlRequest {
    @Override
    String request() {
        return "showconf=1";
    }
}
