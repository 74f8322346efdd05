package io.wirecage.srv.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpForwardingTest {
    @TempDir
    Path dir;

    @Test
    void enablesAndRestoresTheOldValue() throws Exception {
        Path sysctl = Files.writeString(dir.resolve("ip_forward"), "0\n");
        IpForwarding f = new IpForwarding(sysctl, dir.resolve("run/wg0.ip_forward"));
        f.enable();
        assertThat(Files.readString(sysctl).strip()).isEqualTo("1");
        f.restore();
        assertThat(Files.readString(sysctl).strip()).isEqualTo("0");
        assertThat(dir.resolve("run/wg0.ip_forward")).doesNotExist();
    }

    @Test
    void afterACrashTheNextRunStillRestoresTheValueFromBeforeTheFirstRun() throws Exception {
        Path sysctl = Files.writeString(dir.resolve("ip_forward"), "0\n");
        Path state = dir.resolve("run/wg0.ip_forward");
        new IpForwarding(sysctl, state).enable(); // then "SIGKILL": no restore
        IpForwarding second = new IpForwarding(sysctl, state);
        second.enable();
        second.restore();
        assertThat(Files.readString(sysctl).strip()).isEqualTo("0");
    }

    @Test
    void alreadyOnIsNotWrittenSoAReadOnlyProcSysWorks() throws Exception {
        Path sysctl = Files.writeString(dir.resolve("ip_forward"), "1\n");
        // root ignores read-only modes, so prove "not written" by the modification time instead
        java.nio.file.attribute.FileTime epoch = java.nio.file.attribute.FileTime.fromMillis(0);
        Files.setLastModifiedTime(sysctl, epoch);
        IpForwarding f = new IpForwarding(sysctl, dir.resolve("run/wg0.ip_forward"));
        f.enable();
        f.restore();
        assertThat(Files.getLastModifiedTime(sysctl)).isEqualTo(epoch);
        assertThat(dir.resolve("run/wg0.ip_forward")).doesNotExist();
    }
}
