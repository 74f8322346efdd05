package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;

import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import java.nio.ByteBuffer;

/**
 * Drives boringtun's timers: handshake retries, keepalives, rekeys and session expiry all happen inside
 * update_timers, which must run for every peer several times a second. Also resets the handshake rate
 * limiter once a second, as boringtun expects of its owner.
 */
final class Timers implements Runnable {
    static final long TICK_MILLIS = 100;
    private static final int TICKS_PER_RATE_LIMIT_RESET = 10;

    private static final long RETIRE_GRACE_NANOS = 1_000_000_000L;
    private static final int TICKS_PER_SESSION_CHECK = 10;
    /** REJECT_AFTER_TIME: a session without a new handshake for this long is over. */
    static final long SESSION_MILLIS = 180_000;
    private int sessionTicks;

    private final Device device;
    private final Supervisor supervisor;
    private final ByteBuffer out = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);
    private final long[] stats = new long[Tunnel.STATS_LENGTH];
    private final java.util.ArrayDeque<Retired> retiring = new java.util.ArrayDeque<>();

    Timers(Device device) {
        this.device = device;
        this.supervisor = new Supervisor(device, "wg-timers");
    }

    @Override
    public void run() {
        try {
            loop();
        } finally {
            closeRetired(0, true);
        }
    }

    private void loop() {
        int[] tick = {0};
        supervisor.loop(() -> {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return false;
            }
            // the reset first: a failing timer must never leave every handshake needing a cookie
            if (++tick[0] % TICKS_PER_RATE_LIMIT_RESET == 0) {
                device.identity().resetRateLimiter();
                device.handshakeQueue().limiterReset();
            }
            tick();
            return true;
        });
    }

    void tick() {
        long now = System.nanoTime();
        closeRetired(now, false);
        boolean sessionCheck = ++sessionTicks % TICKS_PER_SESSION_CHECK == 0;
        for (Peer peer : device.peers().all()) {
            Tunnel tunnel = peer.tunnel();
            if (tunnel == null) {
                continue; // idle peer: no tunnel, nothing to time
            }
            if (sessionCheck) {
                checkSession(peer, tunnel);
            }
            long r;
            supervisor.current = peer;
            try {
                r = tunnel.updateTimers(out);
            } catch (IllegalStateException e) {
                continue; // removed by a reload meanwhile
            } catch (RuntimeException e) {
                supervisor.unexpected(e); // one peer's timer failed; the others still run
                continue;
            }
            int code = TunnelResult.code(r);
            if (code == TunnelResult.ERR_CONNECTION_EXPIRED) {
                // No session for boringtun's maximum time: free the tunnel until the peer comes back.
                Tunnel old = peer.retireTunnel(stats);
                if (old != null) {
                    retiring.add(new Retired(old, now));
                    if (peer.sessionLive) {
                        Events.expired(peer);
                    }
                    peer.sessionLive = false;
                }
                continue;
            }
            if (code != WRITE_TO_NETWORK) {
                continue;
            }
            Peer.Endpoint to = peer.endpointRecord();
            if (to == null) {
                continue;
            }
            device.send(out, TunnelResult.length(r), to);
        }
    }

    /**
     * Once a second per active peer: a session with no handshake for REJECT_AFTER_TIME (180 s) is over
     * (boringtun drops its keys then, and reports no handshake time); say so once. boringtun frees the
     * tunnel itself only after three times that.
     */
    private void checkSession(Peer peer, Tunnel tunnel) {
        try {
            tunnel.stats(stats);
        } catch (IllegalStateException e) {
            return; // removed by a reload meanwhile
        }
        long since = stats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE];
        if (since >= 0 && since < SESSION_MILLIS) {
            peer.sessionLive = true;
        } else if (peer.sessionLive) {
            peer.sessionLive = false;
            Events.expired(peer);
        }
    }

    /** A dropped tunnel waits a moment before closing: another thread may still be inside a call on it. */
    private record Retired(Tunnel tunnel, long since) {}

    private void closeRetired(long now, boolean all) {
        while (!retiring.isEmpty() && (all || now - retiring.peekFirst().since() > RETIRE_GRACE_NANOS)) {
            retiring.pollFirst().tunnel().close();
        }
    }
}
