package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-source handshake budget: a burst, then a steady rate; addresses do not share a bucket. */
class SourceBudgetTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aSourceGetsItsBurstThenTheSteadyRate() {
        SourceBudget b = new SourceBudget(64);
        long t = 5 * SECOND;
        int allowed = 0;
        for (int i = 0; i < 100; i++) {
            if (b.allow(4, 0, 0xC000_0201L, t)) {
                allowed++;
            }
        }
        assertThat(allowed).isEqualTo(SourceBudget.BURST);
        // one second later: PER_SECOND more at most (the bucket holds only BURST)
        t += SECOND;
        allowed = 0;
        for (int i = 0; i < 100; i++) {
            if (b.allow(4, 0, 0xC000_0201L, t)) {
                allowed++;
            }
        }
        assertThat(allowed).isEqualTo(SourceBudget.BURST);
        // spread over a second, the steady rate passes
        allowed = 0;
        for (int i = 0; i < 10 * SourceBudget.PER_SECOND; i++) {
            t += SECOND / (10 * SourceBudget.PER_SECOND);
            if (b.allow(4, 0, 0xC000_0201L, t)) {
                allowed++;
            }
        }
        assertThat(allowed).isBetween(SourceBudget.PER_SECOND - 1, SourceBudget.PER_SECOND + 1);
    }

    @Test
    void aFloodingSourceDoesNotUseUpAnotherSourcesBudget() {
        SourceBudget b = new SourceBudget(64);
        long t = SECOND;
        for (int i = 0; i < 10_000; i++) {
            b.allow(4, 0, 0xC633_6407L, t); // 198.51.100.7 floods
        }
        assertThat(b.allow(4, 0, 0xC633_6407L, t)).isFalse();
        assertThat(b.allow(4, 0, 0xC000_0202L, t)).as("another IPv4 source").isTrue();
        assertThat(b.allow(6, 0x2001_0db8_0000_0000L, 0xC633_6407L, t)).as("an IPv6 source with the same low bits").isTrue();
    }

    @Test
    void anIpv6SourceCountsByItsSlash64() {
        SourceBudget b = new SourceBudget(64);
        long t = SECOND;
        long prefix = 0x2001_0db8_0000_0007L;
        int allowed = 0;
        for (int i = 0; i < 100; i++) { // a new address of the same /64 each time
            if (b.allow(6, prefix, 0x1000L + i, t)) {
                allowed++;
            }
        }
        assertThat(allowed).as("100 addresses of one /64").isEqualTo(SourceBudget.BURST);
        assertThat(b.allow(6, prefix + 1, 0x1000L, t)).as("the next /64").isTrue();
    }

    @Test
    void moreSourcesThanSlotsEvictTheIdlestAndNeverGrow() {
        SourceBudget b = new SourceBudget(16);
        long t = SECOND;
        for (int i = 0; i < 1000; i++) { // a spray from 1000 addresses through 16 slots
            assertThat(b.allow(4, 0, 0x0A00_0000L + i, t + i)).isTrue();
        }
        // a source seen just now is still tracked: its burst is used up after BURST more
        long last = 0x0A00_0000L + 999;
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            if (b.allow(4, 0, last, t + 1000)) {
                allowed++;
            }
        }
        assertThat(allowed).isEqualTo(SourceBudget.BURST - 1);
    }
}
