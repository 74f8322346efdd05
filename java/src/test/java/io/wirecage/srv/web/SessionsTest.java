package io.wirecage.srv.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SessionsTest {
    final AtomicLong now = new AtomicLong(1_000);
    final Sessions sessions = new Sessions(now::get);

    @Test
    void aSessionIsFoundByItsIdAndHasItsOwnUnguessableCsrfToken() {
        Sessions.Session s = sessions.create();
        assertThat(sessions.find(s.id)).isSameAs(s);
        assertThat(s.id).hasSize(43).isNotEqualTo(s.csrf());
        assertThat(s.csrf()).hasSize(43);
        assertThat(sessions.find("not-a-session")).isNull();
        assertThat(sessions.find(null)).isNull();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            ids.add(sessions.create().id);
        }
        assertThat(ids).hasSize(50);
    }

    @Test
    void aSessionEndsAfterThirtyIdleMinutesButActivityKeepsItUntilTwelveHours() {
        Sessions.Session s = sessions.create();
        now.addAndGet(Sessions.IDLE_NANOS - 1);
        assertThat(sessions.find(s.id)).as("just within the idle time").isSameAs(s);
        now.addAndGet(Sessions.IDLE_NANOS + 1);
        assertThat(sessions.find(s.id)).as("idle too long").isNull();

        Sessions.Session busy = sessions.create();
        long step = Sessions.IDLE_NANOS / 2;
        for (long t = 0; t + step < Sessions.MAX_AGE_NANOS; t += step) {
            now.addAndGet(step);
            if (now.get() - busy.created <= Sessions.MAX_AGE_NANOS) {
                assertThat(sessions.find(busy.id)).isSameAs(busy);
            }
        }
        now.addAndGet(step * 2);
        assertThat(sessions.find(busy.id)).as("past the absolute lifetime despite activity").isNull();
    }

    @Test
    void logoutRemovesTheSessionAndTheOldestGoWhenFull() {
        Sessions.Session first = sessions.create();
        sessions.remove(first);
        assertThat(sessions.find(first.id)).isNull();
        Sessions.Session oldest = sessions.create();
        for (int i = 0; i < Sessions.MAX; i++) {
            now.addAndGet(1);
            sessions.create();
        }
        assertThat(sessions.size()).isEqualTo(Sessions.MAX);
        assertThat(sessions.find(oldest.id)).isNull();
    }

    @Test
    void csrfTokensMatchOnlyExactlyAndOriginsOnlyThisHost() {
        Sessions.Session s = sessions.create();
        Sessions.Session other = sessions.create();
        assertThat(Csrf.tokenMatches(s, s.csrf())).isTrue();
        assertThat(Csrf.tokenMatches(s, other.csrf())).isFalse();
        assertThat(Csrf.tokenMatches(s, s.csrf().substring(1))).isFalse();
        assertThat(Csrf.tokenMatches(s, "")).isFalse();
        assertThat(Csrf.tokenMatches(s, null)).isFalse();
        assertThat(Csrf.tokenMatches(null, s.csrf())).isFalse();
        assertThat(Csrf.originAllowed(null, "http", "127.0.0.1:51821")).isTrue();
        assertThat(Csrf.originAllowed("http://127.0.0.1:51821", "http", "127.0.0.1:51821")).isTrue();
        assertThat(Csrf.originAllowed("https://evil.example", "http", "127.0.0.1:51821")).isFalse();
        assertThat(Csrf.originAllowed("http://127.0.0.1:51821", "https", "127.0.0.1:51821")).isFalse();
        assertThat(Csrf.originAllowed("null", "http", "127.0.0.1:51821")).isFalse();
    }
}
