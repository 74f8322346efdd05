package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;

import io.wirecage.srv.nativebridge.TunnelResult;
import java.io.IOException;
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

    private final Device device;
    private final ByteBuffer out = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);

    Timers(Device device) {
        this.device = device;
    }

    @Override
    public void run() {
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
        for (Peer peer : device.peers().all()) {
            long r;
            try {
                r = peer.tunnel().updateTimers(out);
            } catch (IllegalStateException e) {
                continue; // removed by a reload meanwhile
            }
            if (TunnelResult.code(r) != WRITE_TO_NETWORK) {
                continue; // DONE, or an expired connection boringtun already reset
            }
            InetSocketAddress to = peer.endpoint();
            if (to == null) {
                continue;
            }
            out.limit(TunnelResult.length(r)).position(0);
            try {
                device.udp().send(out, to);
            } catch (IOException e) {
                device.counters().droppedSendFailed.incrementAndGet();
            }
        }
    }
}
