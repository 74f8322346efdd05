package io.wirecage.srv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The runtime directory: systemd's $RUNTIME_DIRECTORY when set, else /run/wirecagesrv. */
class ServerRunDirTest {
    @Test
    void usesSystemdRuntimeDirectoryWhenSet() {
        assertThat(Server.runDir(null)).isEqualTo(Path.of("/run/wirecagesrv"));
        assertThat(Server.runDir("")).isEqualTo(Path.of("/run/wirecagesrv"));
        assertThat(Server.runDir("relative/dir")).isEqualTo(Path.of("/run/wirecagesrv"));
        assertThat(Server.runDir("/run/wirecagesrv")).isEqualTo(Path.of("/run/wirecagesrv"));
        assertThat(Server.runDir("/tmp/x:/run/other")).isEqualTo(Path.of("/tmp/x"));
    }
}
