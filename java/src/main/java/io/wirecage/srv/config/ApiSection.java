package io.wirecage.srv.config;

import java.nio.file.Path;

/**
 * The [api] table: the HTTP registration API of wirecage clients. Null fields were not set (defaults
 * apply, or flags and environment variables override them). {@link #toString()} never shows the token.
 *
 * @param authToken the shared token, when written in the file itself
 * @param authTokenFile a file holding the token (relative paths from the config file's directory)
 * @param endpoint the WireGuard endpoint advertised to clients as {@code server_endpoint}
 * @param newPeersPerMinute how many new keys may register per minute (also the burst)
 */
public record ApiSection(String listen, String authToken, Path authTokenFile, String endpoint, Path tlsCert, Path tlsKey,
                         Integer newPeersPerMinute) {
    public static final ApiSection EMPTY = new ApiSection(null, null, null, null, null, null, null);

    @Override
    public String toString() {
        return "ApiSection[listen=" + listen + ", authToken=" + (authToken == null ? "unset" : "(set)") + ", authTokenFile="
                + authTokenFile + ", endpoint=" + endpoint + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey
                + ", newPeersPerMinute=" + newPeersPerMinute + "]";
    }
}
