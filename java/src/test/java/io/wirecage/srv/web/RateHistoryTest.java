package io.wirecage.srv.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateHistoryTest {
    static final long SECOND = 1_000_000_000L;
    final RateHistory h = new RateHistory();
    long clock = 10 * SECOND;

    /** One sampling round in which peer "a" has these totals. */
    void tick(long rx, long tx) {
        clock += SECOND;
        h.beginTick(clock);
        h.record("a", rx, tx);
        h.endTick();
    }

    @Test
    void ratesAreTheDifferencesOfTheTotalsPerSecond() {
        tick(0, 0);
        tick(1000, 10);
        tick(3000, 10);
        assertThat(h.current("a")).containsExactly(2000, 0);
        int[][] s = h.series("a", 3, 1);
        assertThat(s[0]).containsExactly(0, 1000, 2000);
        assertThat(s[1]).containsExactly(0, 10, 0);
        assertThat(h.series("a", 1, 3)[0]).as("one point of 3 s: the average").containsExactly(1000);
    }

    @Test
    void idlePeersHaveNoRingUntilTheyMoveAByte() {
        for (int i = 0; i < 5; i++) {
            tick(0, 0);
        }
        assertThat(h.allocated()).isZero();
        assertThat(h.series("a", 10, 1)[0]).containsOnly(0);
        tick(500, 0);
        assertThat(h.allocated()).isEqualTo(1);
    }

    @Test
    void theHistoryCoversTheLastHourAndOlderSamplesAreOverwritten() {
        tick(0, 0);
        long total = 0;
        for (int i = 0; i < RateHistory.SECONDS; i++) {
            total += 7;
            tick(total, 0); // an hour of 7 B/s
        }
        for (int i = 0; i < 60; i++) {
            total += 100;
            tick(total, 0); // then a minute of 100 B/s
        }
        int[] hour = h.series("a", 60, 60)[0];
        assertThat(hour[59]).isEqualTo(100);
        assertThat(hour[0]).isEqualTo(7);
        assertThat(h.series("a", 120, 30)[0]).hasSize(120);
        assertThatThrownBy(() -> h.series("a", 61, 60)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLateSamplerRoundIsScaledToBytesPerSecondAndCounterResetsAreNotNegative() {
        tick(0, 0);
        clock += SECOND; // the next round comes 2 s after the last
        h.beginTick(clock + SECOND);
        h.record("a", 4000, 0);
        h.endTick();
        clock += SECOND;
        assertThat(h.current("a")[0]).isEqualTo(2000);
        tick(100, 0); // totals went down (a re-created peer): no negative rate
        assertThat(h.current("a")[0]).isZero();
    }

    @Test
    void removedPeersAreForgotten() {
        tick(0, 0);
        tick(100, 0);
        clock += SECOND;
        h.beginTick(clock);
        h.record("b", 0, 0);
        h.endTick();
        assertThat(h.current("a")).containsExactly(0, 0);
        assertThat(h.allocated()).isZero();
    }
}
