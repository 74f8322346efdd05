package io.wirecage.srv.web;

import java.util.HashMap;
import java.util.Map;

/**
 * The last hour of each peer's receive and send rates, one sample a second, in memory: a reload of the
 * page shows the same history. Two fixed int arrays of 3600 slots per peer (28 KB), allocated only once
 * a peer has moved a byte, so thousands of idle peers cost a few dozen bytes each. Written by one
 * sampler thread, read by the web threads (one lock; a tick of 100 peers takes microseconds).
 */
public final class RateHistory {
    public static final int SECONDS = 3600;

    /** Last totals of one peer, and its ring of rates once it had traffic. */
    private static final class Track {
        long rxTotal;
        long txTotal;
        long seenTick;
        int[] rx;
        int[] tx;
        int rxNow;
        int txNow;
    }

    private final Map<Object, Track> tracks = new HashMap<>();
    /** Ticks so far; the slot of tick t is t % SECONDS. */
    private long tick;
    private long lastTickNanos;

    /** Starts a sampling round at this time (System.nanoTime()). */
    public synchronized void beginTick(long nowNanos) {
        tick++;
        elapsedNanos = lastTickNanos == 0 ? 1_000_000_000L : Math.max(1, nowNanos - lastTickNanos);
        lastTickNanos = nowNanos;
    }

    private long elapsedNanos = 1_000_000_000L;

    /** Records a peer's byte totals in this round (totals only grow; a drop means the counters were reset). */
    public synchronized void record(Object peerKey, long rxTotal, long txTotal) {
        Track t = tracks.get(peerKey);
        if (t == null) {
            t = new Track();
            t.rxTotal = rxTotal;
            t.txTotal = txTotal;
            t.seenTick = tick;
            tracks.put(peerKey, t);
            return; // no rate from a first sample
        }
        int rxRate = rate(rxTotal - t.rxTotal);
        int txRate = rate(txTotal - t.txTotal);
        t.rxTotal = rxTotal;
        t.txTotal = txTotal;
        if (t.rx == null && (rxRate != 0 || txRate != 0)) {
            t.rx = new int[SECONDS];
            t.tx = new int[SECONDS];
        }
        if (t.rx != null) {
            int slot = (int) (tick % SECONDS);
            // slots of rounds this peer missed (it was briefly gone) read as zero
            for (long missed = t.seenTick + 1; missed < tick && missed > tick - SECONDS; missed++) {
                t.rx[(int) (missed % SECONDS)] = 0;
                t.tx[(int) (missed % SECONDS)] = 0;
            }
            t.rx[slot] = rxRate;
            t.tx[slot] = txRate;
        }
        t.rxNow = rxRate;
        t.txNow = txRate;
        t.seenTick = tick;
    }

    /** Forgets peers not recorded in this round (removed from the server). */
    public synchronized void endTick() {
        tracks.values().removeIf(t -> t.seenTick != tick);
    }

    private int rate(long delta) {
        if (delta <= 0) {
            return 0;
        }
        double perSecond = delta * 1e9 / elapsedNanos;
        return perSecond >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.round(perSecond);
    }

    /** The latest {receive, send} rates in bytes per second. */
    public synchronized int[] current(Object peerKey) {
        Track t = tracks.get(peerKey);
        return t == null ? new int[2] : new int[] {t.rxNow, t.txNow};
    }

    /**
     * The last {@code points * secondsPerPoint} seconds (at most an hour) as {@code points} averages,
     * oldest first, for receive [0] and send [1]; zeros where there was no traffic or no sample yet.
     */
    public synchronized int[][] series(Object peerKey, int points, int secondsPerPoint) {
        if (points < 1 || secondsPerPoint < 1 || (long) points * secondsPerPoint > SECONDS) {
            throw new IllegalArgumentException("a series covers at most " + SECONDS + " seconds");
        }
        int[][] out = new int[2][points];
        Track t = tracks.get(peerKey);
        if (t == null || t.rx == null) {
            return out;
        }
        long newest = t.seenTick;
        long stale = tick - newest; // rounds since this peer's last sample (normally 0)
        for (int p = 0; p < points; p++) {
            long rx = 0;
            long tx = 0;
            for (int s = 0; s < secondsPerPoint; s++) {
                long ago = (long) (points - 1 - p) * secondsPerPoint + s; // seconds before the newest round
                long at = tick - ago;
                if (at <= 0 || ago < stale || tick - at >= SECONDS) {
                    continue;
                }
                int slot = (int) (at % SECONDS);
                rx += t.rx[slot];
                tx += t.tx[slot];
            }
            out[0][p] = (int) (rx / secondsPerPoint);
            out[1][p] = (int) (tx / secondsPerPoint);
        }
        return out;
    }

    /** Peers that have a ring allocated (for tests and the memory note). */
    public synchronized int allocated() {
        return (int) tracks.values().stream().filter(t -> t.rx != null).count();
    }
}
