package io.wirecage.srv.api;

/** A token bucket: {@code capacity} tokens, refilled at {@code perSecond}; not thread-safe (callers lock). */
final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    TokenBucket(double capacity, double perSecond, long nowNanos) {
        this.capacity = capacity;
        this.perNano = perSecond / 1e9;
        this.tokens = capacity;
        this.last = nowNanos;
    }

    private void refill(long now) {
        tokens = Math.min(capacity, tokens + (now - last) * perNano);
        last = now;
    }

    /** Takes one token if there is one. */
    boolean tryTake(long now) {
        refill(now);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** True when at least one token is left (takes none). */
    boolean hasToken(long now) {
        refill(now);
        return tokens >= 1;
    }

    /** Whole seconds until a token is back (at least 1). */
    long secondsUntilToken(long now) {
        refill(now);
        return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e9));
    }

    /** True when the bucket is full again, so it can be forgotten. */
    boolean isFull(long now) {
        refill(now);
        return tokens >= capacity;
    }
}
