package io.wirecage.srv.device;

import io.wirecage.srv.nativebridge.SourceAddress;

/**
 * A handshake budget per source IP address, checked before any crypto: a token bucket of
 * {@value #PER_SECOND} messages per second with a burst of {@value #BURST} (wireguard-go's
 * ratelimiter uses the same figures), applied while the server is under load. It compensates
 * boringtun's one global handshake counter: a few addresses that flood cannot use up the handshakes
 * everyone else needs. The table has a fixed size and never allocates; an address that does not find
 * its entry within a few probes takes over the longest-idle one (with a full bucket, as any new
 * address). An IPv6 source counts by its /64 prefix, as in wireguard-go: one host usually has a whole
 * /64 and could otherwise take a fresh budget from each of its 2^64 addresses. One thread (the receive
 * thread) uses it.
 */
final class SourceBudget {
    static final int PER_SECOND = 20;
    static final int BURST = 5;
    private static final long COST_NANOS = 1_000_000_000L / PER_SECOND;
    private static final long MAX_TOKENS = BURST * COST_NANOS;
    private static final int PROBES = 4;

    private final int mask;
    private final int[] family;
    private final long[] hi;
    private final long[] lo;
    private final long[] tokens;
    private final long[] lastNanos;

    /** @param size the number of addresses tracked at once; a power of two */
    SourceBudget(int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("size must be a power of two: " + size);
        }
        mask = size - 1;
        family = new int[size];
        hi = new long[size];
        lo = new long[size];
        tokens = new long[size];
        lastNanos = new long[size];
    }

    /** Takes one message from the address's budget; false when it has none left (drop the message). */
    boolean allow(int fam, long h, long l, long nowNanos) {
        l = sourceKeyLo(fam, l);
        int start = slot(fam, h, l);
        int victim = start;
        for (int i = 0; i < PROBES; i++) {
            int s = (start + i) & mask;
            if (family[s] == fam && hi[s] == h && lo[s] == l) {
                long t = Math.min(MAX_TOKENS, tokens[s] + (nowNanos - lastNanos[s]));
                lastNanos[s] = nowNanos;
                if (t < COST_NANOS) {
                    tokens[s] = t;
                    return false;
                }
                tokens[s] = t - COST_NANOS;
                return true;
            }
            if (family[s] == 0 || lastNanos[s] - lastNanos[victim] < 0) {
                victim = s;
                if (family[s] == 0) {
                    break;
                }
            }
        }
        family[victim] = fam;
        hi[victim] = h;
        lo[victim] = l;
        lastNanos[victim] = nowNanos;
        tokens[victim] = MAX_TOKENS - COST_NANOS;
        return true;
    }

    /** The low half of a source's key: an IPv6 address counts by its /64 (the high half). */
    static long sourceKeyLo(int fam, long l) {
        return fam == SourceAddress.IPV6 ? 0 : l;
    }

    private int slot(int fam, long h, long l) {
        long x = (h * 0x9E37_79B9_7F4A_7C15L) ^ (l * 0xC2B2_AE3D_27D4_EB4FL) ^ fam;
        x ^= x >>> 29;
        return (int) x & mask;
    }
}
