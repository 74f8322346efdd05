package io.wirecage.srv.cli;

import io.wirecage.srv.Server;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.ipc.ControlSocket;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The parent of the commands that edit the config file ({@code peer}, {@code forward}): which file,
 * and how a running server is told to apply the edit (the same path as SIGHUP).
 */
abstract class ConfigCommand {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Config file (default: /var/lib/wirecagesrv/wirecagesrv.toml).")
    Path config;

    @Option(names = "--tun-name", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "The running server to notify (default: the one running this config file).")
    String tunName;

    @Spec
    CommandSpec spec;

    Path configFile() {
        Path f = config != null ? config : StateDir.config(Path.of(StateDir.DEFAULT));
        if (!Files.exists(f)) {
            throw new IllegalArgumentException(f + ": no such config file (start the server once to create it, or pass --config)");
        }
        return f;
    }

    /**
     * Asks the server(s) running this config to reload; says on stderr what happened. A server is found
     * by --tun-name, by the record a server keeps of its config file, or by the file's tun_name.
     */
    void notifyServer(Path file, ConfigFile cfg, PrintWriter err) {
        Set<String> tuns = new LinkedHashSet<>();
        if (tunName != null) {
            tuns.add(tunName);
        } else {
            tuns.addAll(RunningConfigs.tunsUsing(Server.RUN_DIR, file));
            tuns.add(cfg.server().tunName() != null ? cfg.server().tunName() : ServerSettings.DEFAULT_TUN);
        }
        boolean reached = false;
        for (String tun : tuns) {
            Path socket = ControlSocket.clientPath(Server.RUN_DIR, tun);
            if (!Files.exists(socket)) {
                continue;
            }
            String answer;
            try {
                answer = ControlSocket.request(socket, "reload=1");
            } catch (ControlSocket.Refused e) {
                answer = e.getMessage();
            } catch (IOException e) {
                continue; // a stale socket of a crashed server: try the next candidate
            }
            err.println(answer.startsWith("ok") ? "wirecagesrv: applied to the running server (" + tun + ")"
                    : "wirecagesrv: the running server (" + tun + ") refused the change: " + answer.strip());
            reached = true;
        }
        if (!reached) {
            err.println("wirecagesrv: no running server uses " + file + "; the change applies at its next start");
        }
    }
}
