package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HandshakeWarmupTest {
    @Test
    void everyWarmUpHandshakeCompletesThroughTheServersOwnHandshakeCode() throws Exception {
        assertThat(HandshakeWarmup.run(40).handshakes()).isEqualTo(40);
        assertThat(HandshakeWarmup.run(0).handshakes()).isZero();
    }
}
