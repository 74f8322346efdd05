package io.wirecage.srv.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waiting: every loop in the tests ends by time. */
public final class Poll {

    private Poll() {
    }

    /** Polls until the condition holds or the timeout passes; returns whether it held. */
    public static boolean until(Duration timeout, Duration interval, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            sleep(interval);
        }
    }

    public static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
