package io.wirecage.srv.api;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Counts failed requests (bad token, malformed body, unknown path...) per source address with a token
 * bucket each, so nobody can guess the token: {@code burst} failures, then one more per
 * {@code secondsPerFailure}. IPv6 sources are counted per /64, since anyone gets a whole /64. The map is
 * bounded: when full, sources whose bucket has refilled are dropped first, then the oldest.
 */
public final class SourceLimiter {
    private final int burst;
    private final double perSecond;
    private final int maxSources;
    private final LongSupplier clock;
    private final LinkedHashMap<String, TokenBucket> buckets = new LinkedHashMap<>(256, 0.75f, true);

    public SourceLimiter(int burst, double secondsPerFailure, int maxSources, LongSupplier clock) {
        this.burst = burst;
        this.perSecond = 1 / secondsPerFailure;
        this.maxSources = maxSources;
        this.clock = clock;
    }

    /** True when this source may still try (its bucket is not empty). */
    public synchronized boolean allowed(InetAddress source) {
        TokenBucket b = buckets.get(key(source));
        return b == null || b.hasToken(clock.getAsLong());
    }

    /** Records a failure; returns false when the source has used up its budget with it. */
    public synchronized boolean fail(InetAddress source) {
        long now = clock.getAsLong();
        String k = key(source);
        TokenBucket b = buckets.get(k);
        if (b == null) {
            makeRoom(now);
            b = new TokenBucket(burst, perSecond, now);
            buckets.put(k, b);
        }
        b.tryTake(now);
        return b.hasToken(now);
    }

    /** Seconds until this source may try again (for Retry-After). */
    public synchronized long retryAfterSeconds(InetAddress source) {
        TokenBucket b = buckets.get(key(source));
        return b == null ? 1 : b.secondsUntilToken(clock.getAsLong());
    }

    synchronized int size() {
        return buckets.size();
    }

    private void makeRoom(long now) {
        if (buckets.size() < maxSources) {
            return;
        }
        buckets.values().removeIf(b -> b.isFull(now));
        Iterator<Map.Entry<String, TokenBucket>> it = buckets.entrySet().iterator();
        while (buckets.size() >= maxSources && it.hasNext()) {
            it.next();
            it.remove(); // least recently used first
        }
    }

    static String key(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            if (isV4Mapped(b)) {
                return (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                sb.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
            }
            return sb.append(":/64").toString();
        }
        return a.getHostAddress();
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }
}
