package io.wirecage.srv.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.wirecage.srv.config.ConfigException;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.WgQuickFile;
import java.nio.file.Path;

/**
 * The parsers that read text someone else may have written: the TOML config (hand edits) and wg-quick
 * files (`import`). Any input either parses or fails with a ConfigException naming file and line;
 * nothing else escapes (no NullPointerException, no index error, no hang). Without JAZZER_FUZZ this
 * replays the seeds in src/test/resources/io/wirecage/srv/fuzz/ParserFuzzTestInputs; with
 * JAZZER_FUZZ=1 it fuzzes (see the README).
 */
class ParserFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void tomlConfig(String text) {
        if (text == null) {
            return; // a file read is never null
        }
        try {
            ConfigFile.parse(Path.of("fuzz.toml"), text);
        } catch (ConfigException expected) {
            // a clear line for the operator: fine
        }
    }

    @FuzzTest(maxDuration = "10s")
    void wgQuickFile(String text) {
        if (text == null) {
            return;
        }
        try {
            WgQuickFile.parse(Path.of("wg0.conf"), text);
        } catch (ConfigException expected) {
            // fine
        }
    }
}
