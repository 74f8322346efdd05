package io.wirecage.srv.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * CSRF checks of state-changing requests: the session's token must come back in the form field
 * {@code csrf} (or the {@code X-CSRF-Token} header of a script), compared in constant time; and when the
 * browser says where the request came from (Origin), it must be this console. The SameSite=Strict
 * cookie is the first line; this is the second.
 */
public final class Csrf {
    private Csrf() {}

    public static boolean tokenMatches(Sessions.Session session, String given) {
        if (session == null || given == null) {
            return false;
        }
        return MessageDigest.isEqual(session.csrf().getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * True when there is no Origin header (not every client sends one) or it names this host; "null" (a
     * sandboxed or privacy-redirected origin) is refused.
     */
    public static boolean originAllowed(String origin, String scheme, String hostHeader) {
        if (origin == null) {
            return true;
        }
        return hostHeader != null && origin.equalsIgnoreCase(scheme + "://" + hostHeader);
    }
}
