package io.wirecage.srv.cli;

import io.wirecage.srv.config.ConfigEditor;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.nativebridge.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The state directory (0700): a first run creates its config file and server key (0600) there. */
final class StateDir {
    static final String DEFAULT = "/var/lib/wirecagesrv";
    static final String CONFIG = "wirecagesrv.toml";
    static final String KEY = "server.key";
    private static final Logger log = LoggerFactory.getLogger(StateDir.class);

    private StateDir() {}

    static Path config(Path dir) {
        return dir.resolve(CONFIG);
    }

    /** Returns DIR/wirecagesrv.toml, creating the directory, a fresh key and a default config when absent. */
    static Path ensureConfig(Path dir) throws IOException {
        Path config = config(dir);
        if (Files.exists(config)) {
            return config;
        }
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path key = dir.resolve(KEY);
        if (!Files.exists(key)) {
            ConfigEditor.writeAtomically(key, Base64.getEncoder().encodeToString(Keys.generatePrivateKey()) + "\n");
        }
        String publicKey = Base64.getEncoder().encodeToString(Keys.publicKey(Base64.getDecoder().decode(Files.readString(key).strip())));
        ConfigEditor.writeAtomically(config, """
                # wirecagesrv configuration (created on first run). Reload a running server with SIGHUP;
                # `wirecagesrv peer add NAME` adds a client and prints its config.
                [server]
                private_key_file = "%s"
                listen_addr = "0.0.0.0:%d"
                subnet = "%s"
                # outbound_interface = "eth0"        # default: the interface of the default route
                # endpoint = "vpn.example.com:%d"    # what generated client configs connect to
                # dns = ["1.1.1.1"]                  # DNS servers for generated client configs

                # The registration API of wirecage clients: on when a token is set (here, --auth-token or $AUTH_TOKEN).
                # [api]
                # listen = "0.0.0.0:8443"
                # auth_token_file = "api.token"      # (umask 077; openssl rand -base64 24 > api.token)
                # endpoint = "vpn.example.com:%d"    # told to clients as server_endpoint
                """.formatted(KEY, ServerSettings.DEFAULT_PORT, ServerSettings.DEFAULT_SUBNET, ServerSettings.DEFAULT_PORT, ServerSettings.DEFAULT_PORT));
        log.info("first run: created {} and server key {} (public key {})", config, key, publicKey);
        log.info("add the first client with: wirecagesrv peer add NAME   (prints the client's config; --qr for a QR code)");
        return config;
    }
}
