package io.wirecage.srv.cli;

import picocli.CommandLine.Command;

/** {@code wirecagesrv status}: asks a running server for its peers and counters over the control socket. */
@Command(name = "status", description = "Show a running server's peers, handshakes and counters (key=value lines).")
final class StatusCommand extends ControlRequest {
    @Override
    String request() {
        return "status=1";
    }
}
