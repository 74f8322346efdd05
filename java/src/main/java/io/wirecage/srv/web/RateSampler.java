package io.wirecage.srv.web;

import io.wirecage.srv.device.Device;
import io.wirecage.srv.nativebridge.Tunnel;

/** Once a second, reads every running peer's byte totals into the {@link RateHistory}. */
final class RateSampler implements AutoCloseable {
    private final Thread thread;
    private volatile boolean closed;

    RateSampler(Device device, RateHistory history) {
        long[] stats = new long[Tunnel.STATS_LENGTH];
        thread = Thread.ofPlatform().name("web-rates").daemon().start(() -> {
            long next = System.nanoTime();
            while (!closed) {
                history.beginTick(System.nanoTime());
                device.forEachPeer(p -> {
                    p.stats(stats);
                    history.record(p.settings().publicKey(), stats[Tunnel.STAT_RX_BYTES], stats[Tunnel.STAT_TX_BYTES]);
                });
                history.endTick();
                next += 1_000_000_000L;
                long sleep = next - System.nanoTime();
                if (sleep < 0) {
                    next = System.nanoTime(); // fell behind (a stopped VM): do not catch up in a burst
                    sleep = 1_000_000_000L;
                }
                try {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
