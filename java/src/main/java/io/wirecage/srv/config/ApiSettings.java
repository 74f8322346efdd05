package io.wirecage.srv.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The registration API as it will run (file values merged with flags and environment variables).
 * {@link #toString()} never shows the token.
 *
 * @param endpoint the WireGuard endpoint told to clients ({@code server_endpoint}), never null
 * @param tlsCert PEM certificate chain, or null for plain HTTP (then tlsKey is null too)
 * @param newPeersPerMinute new keys accepted per minute (a token bucket of that size)
 */
public record ApiSettings(InetSocketAddress listen, String token, String endpoint, Path tlsCert, Path tlsKey,
                          int newPeersPerMinute) {
    public static final String DEFAULT_LISTEN = "0.0.0.0:8443";
    public static final int DEFAULT_NEW_PEERS_PER_MINUTE = 30;
    /** Shorter tokens could be guessed by many sources despite the per-source limit. */
    public static final int MIN_TOKEN_LENGTH = 16;

    public ApiSettings {
        checkToken(token);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both or neither");
        }
        if (newPeersPerMinute < 1) {
            throw new IllegalArgumentException("new peers per minute must be at least 1");
        }
    }

    /** Fails with one line (never echoing the token) when it is too short or has spaces or control characters. */
    public static void checkToken(String token) {
        if (token == null || token.length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("API auth token is too short (" + (token == null ? 0 : token.length())
                    + " characters): use at least " + MIN_TOKEN_LENGTH + ", e.g. from `openssl rand -base64 24`");
        }
        if (token.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            throw new IllegalArgumentException("API auth token must not contain spaces or control characters");
        }
    }

    public boolean tls() {
        return tlsCert != null;
    }

    @Override
    public String toString() {
        return "ApiSettings[listen=" + listen + ", endpoint=" + endpoint + ", tls=" + tls() + ", newPeersPerMinute="
                + newPeersPerMinute + "]";
    }
}
