package io.wirecage.srv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunningConfigsTest {
    @TempDir
    Path dir;

    @Test
    void findsTheTunNamesOfServersRunningAConfig() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Path config = Files.writeString(dir.resolve("a.toml"), "");
        Files.writeString(run.resolve("wg-flag.config"), config.toAbsolutePath() + "\n");
        Files.writeString(run.resolve("other.config"), dir.resolve("b.toml").toAbsolutePath() + "\n");
        Files.writeString(run.resolve("wg-flag.sock"), "");
        assertThat(RunningConfigs.tunsUsing(run, dir.resolve("./a.toml"))).containsExactly("wg-flag");
        assertThat(RunningConfigs.tunsUsing(run, dir.resolve("c.toml"))).isEmpty();
        assertThat(RunningConfigs.tunsUsing(dir.resolve("missing"), config)).isEmpty();
    }
}
