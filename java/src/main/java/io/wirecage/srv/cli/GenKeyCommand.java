package io.wirecage.srv.cli;

import io.wirecage.srv.nativebridge.Keys;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code wirecagesrv genkey}: a new private key on stdout, as {@code wg genkey} prints it. */
@Command(name = "genkey", description = "Print a new private key (base64), like 'wg genkey'.")
final class GenKeyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(Base64.getEncoder().encodeToString(Keys.generatePrivateKey()));
        return 0;
    }
}
