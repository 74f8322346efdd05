package io.wirecage.srv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.ServerSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Flag parsing and the one-line errors, checked without touching the host (all fail before start). */
class CliTest {
    private static final String KEY = "YEocP0e2o1WT5GlvBvQzVF7h/CV4IfNtX5h9uOnIaUg=";
    private static final String PEER1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    private static final String PEER2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";

    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path keyFile(String content) throws Exception {
        Path f = dir.resolve("server.key");
        Files.writeString(f, content);
        return f;
    }

    private static void assertOneLine(CliRun r, String expected) {
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip()).contains(expected).doesNotContain("\n");
    }

    @Test
    void parsesRepeatedPeerPairsAndDefaults() throws Exception {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--private-key-file", keyFile(KEY).toString(),
                "--peer", PEER1, "--peer-ip", "10.200.100.2/32", "--peer", PEER2, "--peer-ip", "10.200.100.3/32");
        ServerSettings s = cmd.settings();
        assertThat(s.peers()).hasSize(2);
        assertThat(s.peers().get(1).allowedIps().get(0).toString()).isEqualTo("10.200.100.3/32");
        assertThat(s.listen().getPort()).isEqualTo(51820);
        assertThat(s.mtu()).isEqualTo(1420);
        assertThat(s.tunName()).isEqualTo("wg-srv");
        assertThat(s.subnet().toString()).isEqualTo("10.200.100.0/24");
        assertThat(s.outboundInterface()).isNull();
    }

    @Test
    void firstRunWithoutKeyFileCreatesConfigAndKeyInTheStateDir() throws Exception {
        Path state = dir.resolve("state");
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs("--state-dir", state.toString());
        ServerSettings s = cmd.settings();
        Path key = state.resolve("server.key");
        assertThat(state.resolve("wirecagesrv.toml")).exists();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("wirecagesrv.toml")))).isEqualTo("rw-------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        assertThat(s.privateKey().bytes()).hasSize(32);
        // the second run reuses the same key
        ServeCommand again = new ServeCommand();
        new CommandLine(again).parseArgs("--state-dir", state.toString());
        assertThat(again.settings().privateKey()).isEqualTo(s.privateKey());
    }

    @Test
    void unreadableKeyFile() {
        assertOneLine(run("--private-key-file", dir.resolve("nope.key").toString()), "cannot read private key file");
    }

    @Test
    void malformedKeyFileDoesNotEchoTheKey() throws Exception {
        CliRun r = run("--private-key-file", keyFile("c2VjcmV0").toString());
        assertOneLine(r, "is not a 32-byte key");
        assertThat(r.err()).doesNotContain("c2VjcmV0");
    }

    @Test
    void badPeerKey() throws Exception {
        assertOneLine(run("--private-key-file", keyFile(KEY).toString(), "--peer", "abc", "--peer-ip", "10.200.100.2/32"),
                "--peer 'abc' is not a 32-byte key");
    }

    @Test
    void peerWithoutIp() throws Exception {
        assertOneLine(run("--private-key-file", keyFile(KEY).toString(), "--peer", PEER1), "--peer-ip");
    }

    @Test
    void overlappingPeers() throws Exception {
        assertOneLine(run("--private-key-file", keyFile(KEY).toString(),
                "--peer", PEER1, "--peer-ip", "10.200.100.2/32", "--peer", PEER2, "--peer-ip", "10.200.100.2/32"),
                "overlapping IPs");
    }

    @Test
    void peerOutsideSubnet() throws Exception {
        assertOneLine(run("--private-key-file", keyFile(KEY).toString(), "--peer", PEER1, "--peer-ip", "10.9.0.2/32"),
                "outside the subnet");
    }

    @Test
    void badListenAndSubnetAndMtu() throws Exception {
        String k = keyFile(KEY).toString();
        assertOneLine(run("--private-key-file", k, "--listen", "0.0.0.0"), "must be ADDRESS:PORT");
        assertOneLine(run("--private-key-file", k, "--listen", "0.0.0.0:70000"), "out of range");
        assertOneLine(run("--private-key-file", k, "--listen", "example.com:51820"), "IP literal");
        assertOneLine(run("--private-key-file", k, "--subnet", "10.0.0.1/24"), "host bits");
        assertOneLine(run("--private-key-file", k, "--mtu", "abc"), "--mtu");
        assertOneLine(run("--private-key-file", k, "--mtu", "100"), "MTU 100");
        assertOneLine(run("--bogus"), "Unknown option");
    }
}
