package io.wirecage.srv.device;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Control messages waiting for a handshake worker: a fixed number of slots, filled by the receive
 * thread (copying the message, at most 148 bytes) and emptied by the workers. Two lanes: messages from
 * sources that proved their address with a valid cookie (mac2) while the server demanded one are
 * served first. When no slot is free the message is dropped: data messages never wait for handshakes,
 * and a flood can fill the queue but not grow it. Nothing is allocated after construction.
 *
 * <p>"Under load" (as in wireguard-go: the queue is an eighth full, and for one second after) is
 * when the per-source budget applies; {@link #demandingCookies} says that boringtun's own limiter
 * answered with cookies in the current second, so a message that passed it carried a valid mac2.
 */
final class HandshakeQueue {
    static final long LOAD_NANOS = 1_000_000_000L;

    /** One message and where it came from (SourceAddress form). */
    static final class Slot {
        final ByteBuffer data;
        int length;
        int family;
        int port;
        long hi;
        long lo;

        Slot(ByteBuffer data) {
            this.data = data;
        }
    }

    private final int capacity;
    private final ArrayBlockingQueue<Slot> free;
    private final ArrayBlockingQueue<Slot> proven;
    private final ArrayBlockingQueue<Slot> unproven;
    private final Semaphore ready = new Semaphore(0);
    private volatile long loadUntilNanos = System.nanoTime() - LOAD_NANOS;
    private volatile boolean demandingCookies;

    HandshakeQueue(int capacity) {
        this.capacity = capacity;
        free = new ArrayBlockingQueue<>(capacity);
        proven = new ArrayBlockingQueue<>(capacity);
        unproven = new ArrayBlockingQueue<>(capacity);
        ByteBuffer all = ByteBuffer.allocateDirect(capacity * Messages.INITIATION_SIZE);
        for (int i = 0; i < capacity; i++) {
            free.add(new Slot(all.slice(i * Messages.INITIATION_SIZE, Messages.INITIATION_SIZE)));
        }
    }

    /**
     * Copies src[off, off+length) into a free slot for the workers; false (drop it) when none is free.
     * Producer side: one thread.
     */
    boolean offer(ByteBuffer src, int off, int length, int family, int port, long hi, long lo, boolean fromProven,
            long nowNanos) {
        Slot s = free.poll();
        if (s == null) {
            loadUntilNanos = nowNanos + LOAD_NANOS;
            return false;
        }
        s.data.put(0, src, off, length);
        s.length = length;
        s.family = family;
        s.port = port;
        s.hi = hi;
        s.lo = lo;
        (fromProven ? proven : unproven).add(s);
        ready.release();
        if (capacity - free.size() >= capacity / 8) {
            loadUntilNanos = nowNanos + LOAD_NANOS;
        }
        return true;
    }

    /** The next message, proven sources first, waiting up to {@code timeoutMillis}; null if none came. */
    Slot take(long timeoutMillis) throws InterruptedException {
        if (!ready.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
            return null;
        }
        Slot s = proven.poll();
        return s != null ? s : unproven.poll();
    }

    /** Gives a slot back once its message was handled. */
    void release(Slot s) {
        free.add(s);
    }

    boolean underLoad(long nowNanos) {
        return nowNanos - loadUntilNanos < 0;
    }

    /**
     * boringtun answered a handshake message with a cookie reply: it demands mac2 until the next reset,
     * and the server counts as under load for a second.
     */
    void cookieDemanded(long nowNanos) {
        if (!demandingCookies) {
            demandingCookies = true;
        }
        loadUntilNanos = nowNanos + LOAD_NANOS;
    }

    boolean demandingCookies() {
        return demandingCookies;
    }

    /** The limiter was reset (once a second): messages pass without mac2 again until it fills. */
    void limiterReset() {
        demandingCookies = false;
    }

    int waiting() {
        return capacity - free.size();
    }
}
