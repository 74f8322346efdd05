package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The handshake queue: bounded, proven sources first, "under load" as wireguard-go defines it. */
class HandshakeQueueTest {
    private final long NOW = System.nanoTime(); // the queue starts "not loaded" in real time

    private static ByteBuffer message(int tag) {
        ByteBuffer b = ByteBuffer.allocateDirect(Messages.INITIATION_SIZE);
        b.put(0, (byte) Messages.INITIATION);
        b.putInt(4, tag);
        return b;
    }

    @Test
    void provenSourcesAreServedFirstAndSlotsComeBack() throws Exception {
        HandshakeQueue q = new HandshakeQueue(8);
        assertThat(q.offer(message(1), 0, 148, 4, 1000, 0, 1, false, NOW)).isTrue();
        assertThat(q.offer(message(2), 0, 148, 4, 1001, 0, 2, false, NOW)).isTrue();
        assertThat(q.offer(message(3), 0, 148, 4, 1002, 0, 3, true, NOW)).isTrue();
        HandshakeQueue.Slot first = q.take(100);
        assertThat(first.data.getInt(4)).as("the proven one jumps the queue").isEqualTo(3);
        assertThat(first.port).isEqualTo(1002);
        assertThat(first.length).isEqualTo(148);
        assertThat(first.lo).isEqualTo(3);
        q.release(first);
        HandshakeQueue.Slot second = q.take(100);
        assertThat(second.data.getInt(4)).isEqualTo(1);
        q.release(second);
        q.release(q.take(100));
        assertThat(q.take(10)).as("empty: the wait times out").isNull();
        assertThat(q.waiting()).isZero();
    }

    @Test
    void aFullQueueDropsAndCountsAsLoadForASecond() throws Exception {
        HandshakeQueue q = new HandshakeQueue(16);
        assertThat(q.underLoad(NOW)).isFalse();
        for (int i = 0; i < 16; i++) {
            assertThat(q.offer(message(i), 0, 148, 4, 1, 0, i, false, NOW)).isTrue();
            // an eighth full (2 of 16) is load
            assertThat(q.underLoad(NOW)).isEqualTo(i + 1 >= 2);
        }
        assertThat(q.offer(message(99), 0, 148, 4, 1, 0, 99, true, NOW)).as("no free slot").isFalse();
        assertThat(q.waiting()).isEqualTo(16);
        assertThat(q.underLoad(NOW + HandshakeQueue.LOAD_NANOS - 1)).isTrue();
        assertThat(q.underLoad(NOW + HandshakeQueue.LOAD_NANOS + 1)).isFalse();
        for (int i = 0; i < 16; i++) {
            q.release(q.take(10));
        }
        assertThat(q.offer(message(5), 0, 148, 4, 1, 0, 5, false, NOW)).as("slots were given back").isTrue();
    }

    @Test
    void cookiesMeanLoadUntilTheLimiterIsReset() {
        HandshakeQueue q = new HandshakeQueue(16);
        assertThat(q.demandingCookies()).isFalse();
        q.cookieDemanded(NOW);
        assertThat(q.demandingCookies()).isTrue();
        assertThat(q.underLoad(NOW + 1)).isTrue();
        q.limiterReset();
        assertThat(q.demandingCookies()).isFalse();
        assertThat(q.underLoad(NOW + 1)).as("still under load for the rest of the second").isTrue();
        assertThat(q.underLoad(NOW + HandshakeQueue.LOAD_NANOS + 1)).isFalse();
    }
}
