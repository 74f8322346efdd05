package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HandshakeWarmupTest {
    @Test
    void everyWarmUpHandshakeCompletesThroughTheServersOwnHandshakeCodeAndPrintsNothing() throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        HandshakeWarmup.Result result;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            result = HandshakeWarmup.run(40);
        } finally {
            System.setOut(stdout);
        }
        assertThat(result.handshakes()).isEqualTo(40);
        assertThat(result.logLines()).isPositive();
        // neither the throwaway device's handshakes nor the warmed log lines reach the console
        assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("handshake completed", "peer connected", "warm-up");
        assertThat(HandshakeWarmup.run(0).handshakes()).isZero();
    }
}
