package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forward rules shared by `forward add|remove`, the registration API and the web console. */
class ForwardChangesTest {
    static final ForwardChanges.ServerPorts PORTS = new ForwardChanges.ServerPorts(51821, 8443);
    static final ForwardChanges.PortProbe FREE = (proto, port) -> false;

    @TempDir
    Path dir;

    private Path config() throws Exception {
        return ConfigFileTest.writeGood(dir);
    }

    @Test
    void addWritesAForwardTableForThePeerByNameOrKeyAndRemoveDeletesIt() throws Exception {
        Path f = config();
        PortForward added = ForwardChanges.add(f, "laptop", "TCP", 8080, 80, PORTS, FREE);
        assertThat(added.protocol()).isEqualTo("tcp");
        assertThat(Files.readString(f)).contains("[[forward]]").contains("public_port = 8080").contains("target_port = 80");
        ConfigFile cfg = ConfigFile.load(f);
        assertThat(cfg.forward("tcp", 8080).peerKey()).isEqualTo(cfg.peer("laptop").publicKey());
        ForwardChanges.add(f, cfg.peer("laptop").publicKey().base64(), "udp", 8080, 53, PORTS, FREE);
        assertThat(ConfigFile.load(f).forwards()).hasSize(2);

        assertThat(ForwardChanges.remove(f, "tcp", 8080).targetPort()).isEqualTo(80);
        assertThat(ConfigFile.load(f).forward("tcp", 8080)).isNull();
        ForwardChanges.remove(f, "UDP", 8080);
        assertThat(Files.readString(f)).doesNotContain("[[forward]]");
        assertThatThrownBy(() -> ForwardChanges.remove(f, "tcp", 8080)).hasMessageContaining("no forward of tcp port 8080");
    }

    @Test
    void badProtocolPortsOrPeerAreRefusedAndNothingIsWritten() throws Exception {
        Path f = config();
        String before = Files.readString(f);
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "sctp", 8080, 80, PORTS, FREE))
                .hasMessage("protocol must be 'tcp' or 'udp', not 'sctp'");
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "tcp", 0, 80, PORTS, FREE)).hasMessage("ports must be 1..65535");
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "tcp", 8080, 65536, PORTS, FREE)).hasMessage("ports must be 1..65535");
        assertThatThrownBy(() -> ForwardChanges.add(f, "nobody", "tcp", 8080, 80, PORTS, FREE))
                .hasMessageContaining("no peer named 'nobody'");
        assertThat(Files.readString(f)).isEqualTo(before);
    }

    @Test
    void takenServerAndLocallyUsedPortsAreRefusedWithTheirReason() throws Exception {
        Path f = config();
        ForwardChanges.add(f, "laptop", "tcp", 8080, 80, PORTS, FREE);
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "tcp", 8080, 81, PORTS, FREE))
                .isInstanceOfSatisfying(ForwardChanges.Refused.class, e -> assertThat(e.reason()).isEqualTo(ForwardChanges.Reason.TAKEN))
                .hasMessage("tcp port 8080 is already forwarded");
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "udp", 51821, 1, PORTS, FREE))
                .isInstanceOfSatisfying(ForwardChanges.Refused.class,
                        e -> assertThat(e.reason()).isEqualTo(ForwardChanges.Reason.SERVER_PORT))
                .hasMessage("cannot forward udp port 51821 is the server's WireGuard port");
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "tcp", 8443, 1, PORTS, FREE))
                .isInstanceOfSatisfying(ForwardChanges.Refused.class,
                        e -> assertThat(e.reason()).isEqualTo(ForwardChanges.Reason.SERVER_PORT));
        // the same ports with the other protocol are free
        ForwardChanges.add(f, "laptop", "tcp", 51821, 1, PORTS, FREE);
        ForwardChanges.PortProbe only2222 = (proto, port) -> proto.equals("tcp") && port == 2222;
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "tcp", 2222, 22, PORTS, only2222))
                .isInstanceOfSatisfying(ForwardChanges.Refused.class,
                        e -> assertThat(e.reason()).isEqualTo(ForwardChanges.Reason.LOCAL_PROGRAM))
                .hasMessageContaining("in use by a program on this host");
        ForwardChanges.add(f, "laptop", "udp", 2222, 22, PORTS, only2222);
        assertThat(ConfigFile.load(f).forwards()).hasSize(3);
    }

    @Test
    void aPeerHoldsAtMostSixteenForwards() throws Exception {
        Path f = config();
        for (int p = 30000; p < 30000 + ForwardChanges.MAX_PER_PEER; p++) {
            ForwardChanges.add(f, "laptop", "tcp", p, 80, PORTS, FREE);
        }
        String before = Files.readString(f);
        assertThatThrownBy(() -> ForwardChanges.add(f, "laptop", "udp", 40000, 80, PORTS, FREE))
                .isInstanceOfSatisfying(ForwardChanges.Refused.class, e -> assertThat(e.reason()).isEqualTo(ForwardChanges.Reason.TOO_MANY))
                .hasMessage("too many port forwards for this peer (at most 16)");
        assertThat(Files.readString(f)).isEqualTo(before);
        ForwardChanges.remove(f, "tcp", 30000);
        ForwardChanges.add(f, "laptop", "udp", 40000, 80, PORTS, FREE);
    }
}
