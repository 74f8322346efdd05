package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * release/wirecagesrv.service against systemd's own checker. {@code systemd-analyze verify} exits 0
 * even for unknown keys or bad values (it only prints them), so the test requires an exit code of 0
 * AND no output at all. verify also checks that ExecStart's program exists and is executable: the
 * unit is checked once as shipped (its only complaint may be the absent /opt/wirecagesrv) and once with
 * /opt/wirecagesrv pointed at a directory holding the release launcher.
 */
class SystemdUnitTest {

    @TempDir
    Path dir;

    static Path unit() {
        return ReleaseArchiveTest.repo().resolve("release/wirecagesrv.service");
    }

    @Test
    void systemdAnalyzeVerifyAcceptsTheUnit() throws Exception {
        Require.tools(List.of("systemd-analyze"));
        String text = Files.readString(unit());
        // Installed as documented in INSTALL, only somewhere else.
        Path opt = dir.resolve("opt-wirecagesrv");
        Files.createDirectories(opt.resolve("bin"));
        Files.copy(ReleaseArchiveTest.repo().resolve("release/wirecagesrv"), opt.resolve("bin/wirecagesrv"));
        Files.setPosixFilePermissions(opt.resolve("bin/wirecagesrv"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path installed = dir.resolve("wirecagesrv.service");
        Files.writeString(installed, text.replace("/opt/wirecagesrv", opt.toString()));

        Cmd.Result verify = Cmd.of("systemd-analyze", "verify", installed.toString()).run();
        System.out.println("[it] systemd-analyze verify (" + Cmd.of("systemd-analyze", "--version").run().stdoutLines().get(0)
                + "): exit " + verify.exitCode() + ", output: " + (verify.output().isBlank() ? "(none)" : verify.output().strip()));
        assertThat(verify.exitCode()).as("systemd-analyze verify exit code:\n%s", verify.describe()).isZero();
        assertThat(verify.output().strip()).as("systemd-analyze verify must print nothing (warnings mean ignored lines)").isEmpty();

        Cmd.Result asShipped = Cmd.of("systemd-analyze", "verify", unit().toString()).run();
        for (String line : Cmd.nonBlankLines(asShipped.output())) {
            assertThat(line).as("verify of the unit as shipped: only the not-yet-installed launcher may be missing")
                    .contains("/opt/wirecagesrv/bin/wirecagesrv");
        }

        // What the issue asks of the unit, and what the server relies on.
        assertThat(directives(text, "Type")).containsExactly("simple");
        assertThat(directives(text, "User")).containsExactly("wirecagesrv");
        assertThat(directives(text, "AmbientCapabilities")).containsExactly("CAP_NET_ADMIN");
        assertThat(directives(text, "CapabilityBoundingSet")).containsExactly("CAP_NET_ADMIN");
        assertThat(directives(text, "ExecReload")).containsExactly("/bin/kill -HUP $MAINPID");
        assertThat(directives(text, "Restart")).containsExactly("on-failure");
        assertThat(directives(text, "ProtectSystem")).containsExactly("strict");
        assertThat(directives(text, "StateDirectory")).containsExactly("wirecagesrv");
        assertThat(directives(text, "RuntimeDirectory")).containsExactly("wirecagesrv");
        assertThat(directives(text, "ExecStart")).singleElement().asString()
                .startsWith("/opt/wirecagesrv/bin/wirecagesrv").contains("--state-dir /var/lib/wirecagesrv");
        assertThat(directives(text, "ProtectKernelTunables")).as("the server writes /proc/sys/net/ipv4/ip_forward").isEmpty();
        assertThat(directives(text, "MemoryDenyWriteExecute")).as("the JVM's JIT needs W+X memory").isEmpty();

        Cmd.Result security = Cmd.of("systemd-analyze", "security", "--offline=yes", installed.toString()).run();
        Matcher m = Pattern.compile("Overall exposure level for \\S+: ([0-9.]+)").matcher(security.output());
        assertThat(m.find()).as("systemd-analyze security output:\n%s", security.describe()).isTrue();
        double exposure = Double.parseDouble(m.group(1));
        System.out.println("[it] MEASURED systemd-analyze security --offline=yes: overall exposure " + exposure + " (0 best, 10 worst)");
        assertThat(exposure).as("exposure level").isLessThanOrEqualTo(5.0);
    }

    /** Values of the uncommented KEY= lines. */
    static List<String> directives(String unitText, String key) {
        return unitText.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1).strip()).toList();
    }
}
