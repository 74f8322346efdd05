package io.wirecage.srv.cli;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.nativebridge.Keys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code wirecagesrv pubkey}: reads a private key on stdin, prints its public key, like {@code wg pubkey}. */
@Command(name = "pubkey", description = "Read a private key on stdin and print its public key, like 'wg pubkey'.")
final class PubKeyCommand implements Callable<Integer> {
    private static final int MAX_INPUT = 1024;

    @Spec
    CommandSpec spec;

    InputStream in = System.in;

    @Override
    public Integer call() throws IOException {
        String text = new String(in.readNBytes(MAX_INPUT), StandardCharsets.US_ASCII);
        Base64Key key;
        try {
            key = Base64Key.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pubkey: the private key on stdin " + e.getMessage());
        }
        spec.commandLine().getOut().println(Base64.getEncoder().encodeToString(Keys.publicKey(key.bytes())));
        return 0;
    }
}
