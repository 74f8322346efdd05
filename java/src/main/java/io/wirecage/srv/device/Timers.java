package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;

import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import java.net.InetSocketAddress;
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

    private final Device device;
    private final ByteBuffer out = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);
    private final long[] stats = new long[Tunnel.STATS_LENGTH];
    private final java.util.ArrayDeque<Retired> retiring = new java.util.ArrayDeque<>();

    Timers(Device device) {
        this.device = device;
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
        int tick = 0;
        while (device.isRunning()) {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            tick();
            if (++tick % TICKS_PER_RATE_LIMIT_RESET == 0) {
                device.identity().resetRateLimiter();
            }
        }
    }

    void tick() {
        long now = System.nanoTime();
        closeRetired(now, false);
        for (Peer peer : device.peers().all()) {
            Tunnel tunnel = peer.tunnel();
            if (tunnel == null) {
                continue; // idle peer: no tunnel, nothing to time
            }
            long r;
            try {
                r = tunnel.updateTimers(out);
            } catch (IllegalStateException e) {
                continue; // removed by a reload meanwhile
            }
            int code = TunnelResult.code(r);
            if (code == TunnelResult.ERR_CONNECTION_EXPIRED) {
                // No session for boringtun's maximum time: free the tunnel until the peer comes back.
                Tunnel old = peer.retireTunnel(stats);
                if (old != null) {
                    retiring.add(new Retired(old, now));
                    Events.expired(peer);
                }
                continue;
            }
            if (code != WRITE_TO_NETWORK) {
                continue;
            }
            InetSocketAddress to = peer.endpoint();
            if (to == null) {
                continue;
            }
            device.send(out, TunnelResult.length(r), to);
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
