package io.wirecage.srv.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OneTimeLinksTest {
    final AtomicLong now = new AtomicLong(5);
    final OneTimeLinks links = new OneTimeLinks(now::get);
    final OneTimeLinks.Download conf = new OneTimeLinks.Download("phone.conf", "[Interface]\nPrivateKey = x\n");

    @Test
    void aLinkWorksExactlyOnce() {
        String token = links.create(conf);
        assertThat(token).matches("[A-Za-z0-9_-]{43}");
        assertThat(links.take(token)).isEqualTo(conf);
        assertThat(links.take(token)).isNull();
        assertThat(links.size()).isZero();
        assertThat(links.take("guess")).isNull();
        assertThat(links.take(null)).isNull();
    }

    @Test
    void aLinkStopsWorkingAfterTwentyFourHoursAndIsForgotten() {
        String early = links.create(conf);
        now.addAndGet(OneTimeLinks.LIFETIME_NANOS);
        String late = links.create(conf);
        assertThat(links.take(early)).as("exactly 24 h old").isEqualTo(conf);
        now.addAndGet(1);
        String another = links.create(conf);
        now.addAndGet(OneTimeLinks.LIFETIME_NANOS);
        assertThat(links.take(late)).as("older than 24 h").isNull();
        assertThat(links.size()).as("expired links hold no config").isEqualTo(1);
        assertThat(links.take(another)).isEqualTo(conf);
    }

    @Test
    void atMostMaxLinksAreKeptTheOldestGoesFirst() {
        String first = links.create(conf);
        for (int i = 0; i < OneTimeLinks.MAX; i++) {
            links.create(conf);
        }
        assertThat(links.size()).isEqualTo(OneTimeLinks.MAX);
        assertThat(links.take(first)).isNull();
    }
}
