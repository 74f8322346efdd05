package io.wirecage.srv.cli;

import io.wirecage.srv.nativebridge.Keys;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code wirecagesrv genpsk}: a new preshared key on stdout, as {@code wg genpsk} prints it. */
@Command(name = "genpsk", description = "Print a new preshared key (base64), like 'wg genpsk'.")
final class GenPskCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(Base64.getEncoder().encodeToString(Keys.generatePresharedKey()));
        return 0;
    }
}
