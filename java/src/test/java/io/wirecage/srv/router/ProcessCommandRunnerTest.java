package io.wirecage.srv.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Host commands are bounded in time even when the child hangs with its output open (issue 9, defect 5). */
class ProcessCommandRunnerTest {
    @Test
    @Timeout(20) // the old runner read the output to its end before waiting: it blocked for the full minute
    void aHungChildIsKilledAfterTheTimeout() {
        ProcessCommandRunner runner = new ProcessCommandRunner(Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> runner.run(List.of("sh", "-c", "echo started; sleep 60")))
                .hasMessageContaining("did not finish within 1 s");
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the runner gave up").isLessThan(10_000);
    }

    @Test
    void outputAndExitCodeOfANormalCommand() throws Exception {
        CommandRunner.Result r = new ProcessCommandRunner().run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.output()).contains("out").contains("err");
    }
}
