package io.wirecage.srv.device;

import io.wirecage.srv.nativebridge.NativePanicException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a data-path thread alive: one step of its loop (a batch, a packet, a timer tick) that throws
 * an unexpected exception is counted, logged at most once per {@link #LOG_INTERVAL_NANOS} (with how
 * many were not logged), and the loop goes on; a tunnel that a native panic poisoned is discarded, so
 * the peer's next handshake gets a fresh one. An {@link Error} (out of memory, a broken JVM) fails the
 * device: the process stops with a non-zero exit, and a service manager restarts it. No thread dies
 * silently.
 */
final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    /** One step of a loop; {@code false} ends the loop. */
    @FunctionalInterface
    interface Step {
        boolean run() throws Exception;
    }

    private final Device device;
    private final String name;
    private final RateLimitedLog errors;
    /** The peer whose tunnel the step is using, so a native panic can discard that tunnel. */
    Peer current;

    Supervisor(Device device, String name) {
        this.device = device;
        this.name = name;
        this.errors = new RateLimitedLog(LOG_INTERVAL_NANOS);
    }

    /** Runs {@code step} while the device runs and the step says go on. */
    void loop(Step step) {
        while (device.isRunning()) {
            try {
                current = null;
                if (!step.run()) {
                    return;
                }
            } catch (Error e) {
                log.error("{}: {}; stopping the server", name, e.toString());
                device.fail(e);
                return;
            } catch (Exception e) {
                unexpected(e);
            }
        }
    }

    /** Counts and (rate-limited) logs an exception a step did not expect; discards a poisoned tunnel. */
    void unexpected(Exception e) {
        device.counters().internalErrors.incrementAndGet();
        if (e instanceof NativePanicException && current != null) {
            current.discardPoisonedTunnel();
            device.counters().tunnelsDiscarded.incrementAndGet();
        }
        long suppressed = errors.tryLog();
        if (suppressed >= 0) {
            log.error("{}: unexpected {} (the packet is dropped, the thread goes on{}){}", name, e.toString(),
                    suppressed > 0 ? "; " + suppressed + " more since the last report" : "",
                    current != null ? " for peer " + current.label() : "", e); // with its stack trace: a bug to find
        }
    }

    /** Says at most once per interval whether to log, and how many were held back since. */
    static final class RateLimitedLog {
        private final long intervalNanos;
        private long lastNanos = Long.MIN_VALUE;
        private long held;

        RateLimitedLog(long intervalNanos) {
            this.intervalNanos = intervalNanos;
        }

        /** -1: do not log now; otherwise log, with this many held back since the last line. */
        synchronized long tryLog() {
            long now = System.nanoTime();
            if (lastNanos != Long.MIN_VALUE && now - lastNanos < intervalNanos) {
                held++;
                return -1;
            }
            lastNanos = now;
            long h = held;
            held = 0;
            return h;
        }
    }

    /**
     * Waits after a failed receive so a persistent error does not spin a core: 1 ms, doubling up to
     * 1 s, back to nothing after a success.
     */
    static final class Backoff {
        static final long MAX_MILLIS = 1000;
        private long millis;

        void failed() throws InterruptedException {
            millis = millis == 0 ? 1 : Math.min(MAX_MILLIS, millis * 2);
            Thread.sleep(millis);
        }

        void succeeded() {
            millis = 0;
        }

        long currentMillis() {
            return millis;
        }
    }
}
