package io.wirecage.srv.config;

import java.nio.file.Path;

/** A config problem, with the file and line it is on: "server.toml:12: [[peer]] public_key: is not valid base64". */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(Path file, int line, String message) {
        super(file + (line > 0 ? ":" + line : "") + ": " + message);
    }
}
