package io.wirecage.srv.cli;

import io.wirecage.srv.config.ConfigEditor;
import io.wirecage.srv.web.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code wirecagesrv web-password}: sets the web console's admin password. It is read from the
 * terminal (twice, not echoed) or, without one, from the first line of standard input, never from the
 * command line (which other users see in the process list); only its bcrypt hash is written, as
 * [web] password_hash, through the config file's locked atomic write. A running console uses it at
 * the next login; a server started without one needs a restart to open the console.
 */
@Command(name = "web-password", description = "Set the web console's admin password (read from the terminal or stdin).")
final class WebPasswordCommand extends ConfigCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        Path file = configFile();
        char[] password = read();
        try {
            PasswordHash.checkStrength(password);
            String hash = PasswordHash.hash(password, PasswordHash.COST);
            ConfigEditor.locked(file, cfg -> {
                ConfigEditor.setWebPasswordHash(cfg, hash);
                return null;
            });
        } finally {
            Arrays.fill(password, '\0');
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("wirecagesrv: web console password set in " + file + " ([web] password_hash, bcrypt cost "
                + PasswordHash.COST + "); a running console uses it at the next login, a server started without one "
                + "opens the console at its next start");
        err.flush();
        return 0;
    }

    private static char[] read() throws IOException {
        Console console = System.console();
        if (console != null) {
            char[] first = console.readPassword("New web console password: ");
            char[] second = console.readPassword("Again: ");
            if (first == null || second == null) {
                throw new IllegalArgumentException("no password entered");
            }
            boolean same = Arrays.equals(first, second);
            Arrays.fill(second, '\0');
            if (!same) {
                Arrays.fill(first, '\0');
                throw new IllegalArgumentException("the two passwords differ; nothing was changed");
            }
            return first;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        if (line == null) {
            throw new IllegalArgumentException("no password on standard input (give it as the first line, or run in a terminal)");
        }
        return line.toCharArray();
    }
}
