package io.wirecage.srv.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The web console as it will run. {@link #toString()} never shows the hash.
 *
 * @param tlsCert PEM certificate chain, or null for plain HTTP (then tlsKey is null too)
 */
public record WebSettings(InetSocketAddress listen, String passwordHash, Path tlsCert, Path tlsKey) {
    public WebSettings {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("[web] tls_cert and tls_key go together: give both or neither");
        }
        if (passwordHash == null || !WebSection.looksLikeBcrypt(passwordHash)) {
            throw new IllegalArgumentException("[web] password_hash is not a bcrypt hash; set it with `wirecagesrv web-password`");
        }
    }

    public boolean tls() {
        return tlsCert != null;
    }

    @Override
    public String toString() {
        return "WebSettings[listen=" + listen + ", tls=" + tls() + "]";
    }
}
