package io.wirecage.srv.config;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The [web] table: the operators' web console. It runs only when a password hash is set (by
 * {@code wirecagesrv web-password}); {@link #toString()} never shows the hash.
 *
 * @param listen ADDRESS:PORT, null for {@link #DEFAULT_LISTEN} (loopback: reach it through an SSH tunnel or a proxy)
 * @param passwordHash the bcrypt hash of the admin password, or null (console off)
 * @param tlsCert PEM certificate chain, as for the API; null with tlsKey for plain HTTP
 */
public record WebSection(String listen, String passwordHash, Path tlsCert, Path tlsKey) {
    public static final WebSection EMPTY = new WebSection(null, null, null, null);
    public static final String DEFAULT_LISTEN = "127.0.0.1:51821";
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");

    public static boolean looksLikeBcrypt(String hash) {
        return BCRYPT.matcher(hash).matches();
    }

    @Override
    public String toString() {
        return "WebSection[listen=" + listen + ", passwordHash=" + (passwordHash == null ? "unset" : "(set)") + ", tlsCert="
                + tlsCert + ", tlsKey=" + tlsKey + "]";
    }
}
