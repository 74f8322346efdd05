package io.wirecage.srv.nativebridge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The start-up warm-up runs real handshakes through the bridge (each ends in a confirmed session). */
class WarmupTest {
    @Test
    void everyWarmupHandshakeCompletes() {
        assertThat(Warmup.handshakes(5)).isEqualTo(5);
        assertThat(Warmup.handshakes(0)).isZero();
    }
}
