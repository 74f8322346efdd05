package io.wirecage.srv.web;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Logged-in sessions, in memory only (a restart logs everyone out): a random 256-bit id for the cookie
 * and a separate random CSRF token per session. A session ends after 30 minutes without a request, 12
 * hours after login, or on logout; at most {@link #MAX} exist (the oldest goes first).
 */
public final class Sessions {
    static final long IDLE_NANOS = 30L * 60 * 1_000_000_000L;
    static final long MAX_AGE_NANOS = 12L * 3600 * 1_000_000_000L;
    static final int MAX = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A session: its CSRF token is compared in constant time by {@link Csrf}. */
    public static final class Session {
        final String id;
        final String csrf;
        final long created;
        long lastSeen;

        Session(String id, String csrf, long now) {
            this.id = id;
            this.csrf = csrf;
            this.created = now;
            this.lastSeen = now;
        }

        public String csrf() {
            return csrf;
        }
    }

    private final LongSupplier clock;
    private final LinkedHashMap<String, Session> byId = new LinkedHashMap<>();

    public Sessions(LongSupplier nanoClock) {
        this.clock = nanoClock;
    }

    /** A new session; its id goes into the cookie. */
    public synchronized Session create() {
        long now = clock.getAsLong();
        expire(now);
        while (byId.size() >= MAX) {
            Iterator<Map.Entry<String, Session>> it = byId.entrySet().iterator();
            it.next();
            it.remove();
        }
        Session s = new Session(randomToken(), randomToken(), now);
        byId.put(s.id, s);
        return s;
    }

    /** The live session with this cookie value (and it counts as activity), or null. */
    public synchronized Session find(String id) {
        if (id == null) {
            return null;
        }
        long now = clock.getAsLong();
        Session s = byId.get(id);
        if (s == null) {
            return null;
        }
        if (now - s.lastSeen > IDLE_NANOS || now - s.created > MAX_AGE_NANOS) {
            byId.remove(id);
            return null;
        }
        s.lastSeen = now;
        return s;
    }

    public synchronized void remove(Session s) {
        byId.remove(s.id);
    }

    public synchronized int size() {
        return byId.size();
    }

    private void expire(long now) {
        byId.values().removeIf(s -> now - s.lastSeen > IDLE_NANOS || now - s.created > MAX_AGE_NANOS);
    }

    /** 32 random bytes, URL-safe base64 without padding (43 characters). */
    static String randomToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
