package io.wirecage.srv.web;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One-time download links for a new client's config (with its private key): an unguessable 256-bit
 * token that works once, and for 24 hours at most. Kept in memory only, never written anywhere: a
 * restart invalidates every link, and a used or expired link forgets the config at once.
 */
public final class OneTimeLinks {
    static final long LIFETIME_NANOS = 24L * 3600 * 1_000_000_000L;
    static final int MAX = 256;

    /** What a link hands out. */
    public record Download(String fileName, String text) {}

    private record Entry(Download download, long created) {}

    private final LongSupplier clock;
    private final LinkedHashMap<String, Entry> byToken = new LinkedHashMap<>();

    public OneTimeLinks(LongSupplier nanoClock) {
        this.clock = nanoClock;
    }

    /** Stores the download and returns its token (the oldest link goes when {@link #MAX} are open). */
    public synchronized String create(Download d) {
        long now = clock.getAsLong();
        purge(now);
        while (byToken.size() >= MAX) {
            Iterator<Map.Entry<String, Entry>> it = byToken.entrySet().iterator();
            it.next();
            it.remove();
        }
        String token = Sessions.randomToken();
        byToken.put(token, new Entry(d, now));
        return token;
    }

    /** The download of a live link, which stops working with this call; null when unknown, used or expired. */
    public synchronized Download take(String token) {
        if (token == null) {
            return null;
        }
        Entry e = byToken.remove(token);
        if (e == null || clock.getAsLong() - e.created > LIFETIME_NANOS) {
            return null;
        }
        return e.download;
    }

    public synchronized int size() {
        purge(clock.getAsLong());
        return byToken.size();
    }

    private void purge(long now) {
        byToken.values().removeIf(e -> now - e.created > LIFETIME_NANOS);
    }
}
