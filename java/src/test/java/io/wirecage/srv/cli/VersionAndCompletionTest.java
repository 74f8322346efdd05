package io.wirecage.srv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `--version` names the boringtun version from Cargo.lock; `generate-completion` prints a bash script. */
class VersionAndCompletionTest {

    private static String stdout(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(new StringWriter()));
        assertThat(cl.execute(args)).as("exit code of %s", String.join(" ", args)).isZero();
        return out.toString();
    }

    @Test
    void versionNamesTheBoringtunVersionOfCargoLock() throws Exception {
        String lock = Files.readString(Path.of("..", "Cargo.lock"));
        int at = lock.indexOf("name = \"boringtun\"\nversion = \"");
        assertThat(at).as("boringtun in Cargo.lock").isPositive();
        String locked = lock.substring(at).split("\n")[1].replace("version = ", "").replace("\"", "");
        String v = stdout("--version");
        assertThat(v).startsWith("wirecagesrv ").contains("boringtun " + locked + " ").contains("Java ");
    }

    @Test
    void generatesABashCompletionScriptThatKnowsTheSubcommandsAndFlags() {
        String script = stdout("generate-completion");
        assertThat(script).contains("complete -F").contains("wirecagesrv")
                .contains("peer").contains("status").contains("--tun-name").contains("--config");
    }
}
