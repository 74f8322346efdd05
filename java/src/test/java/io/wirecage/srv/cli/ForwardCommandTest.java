package io.wirecage.srv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.ConfigFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `forward add|remove|list` against a config file with no server running: ForwardChanges' rules, one line per refusal. */
class ForwardCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path config() throws Exception {
        Files.writeString(dir.resolve("server.key"), "YEocP0e2o1WT5GlvBvQzVF7h/CV4IfNtX5h9uOnIaUg=\n");
        Path f = dir.resolve("wirecagesrv.toml");
        Files.writeString(f, """
                [server]
                private_key_file = "server.key"
                listen_addr = "0.0.0.0:51820"
                subnet = "10.7.0.0/29"
                endpoint = "vpn.example.com:51820"
                tun_name = "wcs-none-test"

                [[peer]]
                name = "laptop"
                public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
                allowed_ips = ["10.7.0.2/32"]
                """);
        return f;
    }

    @Test
    void addListAndRemoveAForward() throws Exception {
        Path cfg = config();
        CliRun add = run("forward", "add", "laptop", "tcp", "48080", "80", "--config", cfg.toString());
        assertThat(add.exit()).as(add.err()).isZero();
        assertThat(add.err()).contains("forwarding tcp port 48080 to peer 'laptop' port 80");
        assertThat(ConfigFile.load(cfg).forward("tcp", 48080).targetPort()).isEqualTo(80);
        CliRun list = run("forward", "list", "--config", cfg.toString());
        assertThat(list.out()).contains("tcp").contains("48080").contains("10.7.0.2:80").contains("laptop");
        CliRun remove = run("forward", "remove", "tcp", "48080", "--config", cfg.toString());
        assertThat(remove.exit()).as(remove.err()).isZero();
        assertThat(Files.readString(cfg)).doesNotContain("[[forward]]");
    }

    @Test
    void refusalsAreOneLineAndLeaveTheFileAlone() throws Exception {
        Path cfg = config();
        String before = Files.readString(cfg);
        CliRun own = run("forward", "add", "laptop", "udp", "51820", "80", "--config", cfg.toString());
        assertThat(own.exit()).isNotZero();
        assertThat(own.err()).contains("cannot forward udp port 51820 is the server's WireGuard port");
        CliRun proto = run("forward", "add", "laptop", "icmp", "48080", "80", "--config", cfg.toString());
        assertThat(proto.exit()).isNotZero();
        assertThat(proto.err()).contains("protocol must be 'tcp' or 'udp', not 'icmp'");
        CliRun range = run("forward", "add", "laptop", "tcp", "70000", "80", "--config", cfg.toString());
        assertThat(range.exit()).isNotZero();
        assertThat(range.err()).contains("ports must be 1..65535");
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(0));
            CliRun inUse = run("forward", "add", "laptop", "tcp", Integer.toString(busy.getLocalPort()), "80", "--config", cfg.toString());
            assertThat(inUse.exit()).isNotZero();
            assertThat(inUse.err()).contains("is in use by a program on this host");
        }
        CliRun missing = run("forward", "remove", "tcp", "48080", "--config", cfg.toString());
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("no forward of tcp port 48080");
        assertThat(Files.readString(cfg)).isEqualTo(before);
    }
}
