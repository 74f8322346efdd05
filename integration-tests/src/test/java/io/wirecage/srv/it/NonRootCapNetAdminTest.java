package io.wirecage.srv.it;

import static io.wirecage.srv.it.Topology.INTERNET_ADDR;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The server without root, as the systemd unit runs it: uid/gid 65534 (nobody), CAP_NET_ADMIN as its
 * only capability (permitted, effective, inheritable, ambient and bounding set, via setpriv, no new
 * privileges), $RUNTIME_DIRECTORY pointing at a directory that user owns (systemd's
 * RuntimeDirectory=) and /dev/net/tun mode 0666 as udev leaves it. It must create its TUN, write net.ipv4.ip_forward (allowed with CAP_NET_ADMIN
 * in its network namespace), add its iptables rules (nft backend: netlink needs only CAP_NET_ADMIN,
 * which iptables gets as an ambient capability), carry a real client's traffic, and undo all of it
 * on SIGTERM, ip_forward included.
 *
 * <p>With the legacy iptables backend, iptables also needs CAP_NET_RAW (a raw socket for the table
 * getsockopt) and a lock file it can open (/run/xtables.lock belongs to root): the test then grants
 * exactly that and says so.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@ExtendWith(DumpLogsOnFailure.class)
class NonRootCapNetAdminTest {

    static final int UID = 65534;
    static final long CAP_NET_ADMIN = 1L << 12;
    static final long CAP_NET_RAW = 1L << 13;

    static Topology topo;
    static HttpTarget target;
    static Path userDir;

    @BeforeAll
    static void setUp() throws Exception {
        Require.e2e("setpriv", "unshare", "mknod", "python3");
        topo = Topology.create("NonRoot", 1);
        target = HttpTarget.start(topo);
        // The unprivileged user's own directory (the topology's work dir is root-only).
        userDir = Files.createTempDirectory(Path.of("/tmp"), "wct-nonroot-" + topo.prefix() + "-");
        Cmd.of("chown", UID + ":" + UID, userDir.toString()).check();
        Files.setPosixFilePermissions(userDir, PosixFilePermissions.fromString("rwx------"));
    }

    @AfterAll
    static void tearDown() {
        if (topo != null) {
            topo.close();
        }
        if (userDir != null) {
            Cmd.of("rm", "-rf", "--one-file-system", userDir.toString()).run();
        }
    }

    @Test
    void serverWithOnlyCapNetAdminServesAndCleansUp() throws Exception {
        boolean legacy = Cmd.of("iptables", "--version").check().stdout().contains("legacy");
        String caps = legacy ? "-all,+net_admin,+net_raw" : "-all,+net_admin";
        long expectedCaps = legacy ? CAP_NET_ADMIN | CAP_NET_RAW : CAP_NET_ADMIN;
        System.out.println("[it] iptables backend: " + (legacy ? "legacy (needs CAP_NET_RAW as well, and its own lock file)" : "nft")
                + "; capabilities granted: " + caps);

        Path runDir = userDir.resolve("run");
        Path key = userDir.resolve("server.key");
        WgKeys.KeyPair serverKey = WgKeys.generate();
        WgKeys.KeyPair clientKey = WgKeys.generate();
        Files.createDirectory(runDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, serverKey.privateKey() + "\n");
        Cmd.of("chown", "-R", UID + ":" + UID, runDir.toString(), key.toString()).check();
        // Forwarding off before the start: the server has to turn it on itself, and restore it.
        topo.server().sysctl("net.ipv4.ip_forward", "0");

        // /dev/net/tun is 0666 where udev runs (its default rule; systemd hosts); machines without
        // udev, like this test VM, may have it 0600 root. The server gets a 0666 node of the same
        // device bind-mounted over /dev/net/tun in a private mount namespace, as on such hosts; the
        // host's own node is not touched.
        String hostMode = Cmd.of("stat", "-c", "%a %U", "/dev/net/tun").check().stdout().strip();
        Path tunNode = userDir.resolve("tun");
        Cmd.of("mknod", "-m", "0666", tunNode.toString(), "c", "10", "200").check();
        System.out.println("[it] host /dev/net/tun mode: " + hostMode + "; the server sees a 0666 node (udev's default)");

        List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private",
                "sh", "-c", "mount --bind \"$0\" /dev/net/tun && exec \"$@\"", tunNode.toString(),
                "setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups",
                "--inh-caps=" + caps, "--ambient-caps=" + caps, "--bounding-set=" + caps, "--no-new-privs",
                "env", "RUNTIME_DIRECTORY=" + runDir));
        if (legacy) {
            argv.add("XTABLES_LOCKFILE=" + runDir.resolve("xtables.lock"));
        }
        argv.addAll(ServerProcess.javaCommand(List.of("--private-key-file", key.toString(),
                "--listen", "0.0.0.0:" + Topology.LISTEN_PORT, "--subnet", Topology.VPN_SUBNET,
                "--peer", clientKey.publicKey(), "--peer-ip", topo.client(1).tunnelAddr() + "/32",
                "--outbound-interface", topo.uplink(), "--tun-name", topo.tunName())));
        ServerProcess server = topo.track(ServerProcess.startCommand(topo.server(), argv, topo.tunName(),
                topo.workDir().resolve("nonroot-server.log")));
        server.awaitReady();

        // Who the server runs as.
        String procStatus = Files.readString(Path.of("/proc", "" + server.pid(), "status"));
        assertThat(field(procStatus, "Uid")).as("real/effective/saved/fs uid").isEqualTo(UID + "\t" + UID + "\t" + UID + "\t" + UID);
        assertThat(Long.parseUnsignedLong(field(procStatus, "CapEff"), 16)).as("effective capabilities").isEqualTo(expectedCaps);
        assertThat(Long.parseUnsignedLong(field(procStatus, "CapBnd"), 16)).as("bounding set").isEqualTo(expectedCaps);
        assertThat(field(procStatus, "NoNewPrivs")).isEqualTo("1");

        // What it set up without root.
        assertThat(topo.server().sysctl("net.ipv4.ip_forward")).as("ip_forward written by the server").isEqualTo("1");
        assertThat(topo.server().hasLink(topo.tunName())).as("its TUN").isTrue();
        String tag = ServerProcess.ruleTag(topo.tunName());
        assertThat(topo.server().exec("iptables", "-t", "nat", "-S").stdout()).as("its NAT rule").contains(tag);
        assertThat(runDir.resolve(topo.tunName() + ".sock")).as("control socket in $RUNTIME_DIRECTORY").exists();
        assertThat(Files.getOwner(runDir.resolve(topo.tunName() + ".sock")).getName()).isEqualTo("nobody");

        WgQuickClient client = WgQuickClient.fullTunnel(topo, topo.client(1), clientKey, serverKey.publicKey());
        client.up();
        Cmd.Result get = client.get(target.url());
        assertThat(get.ok()).as("HTTP GET through the non-root server:\n%s", get.describe()).isTrue();
        assertThat(get.stdout()).isEqualTo(target.content());
        assertThat(client.ping(INTERNET_ADDR, 3, null).stdout()).contains("3 packets transmitted, 3 received");

        // root's CLI reaches it through the same runtime directory.
        Cmd.Result status = topo.server().cmd(ReleaseArchiveTest.concat(List.of("env", "RUNTIME_DIRECTORY=" + runDir),
                ServerProcess.javaCommand(List.of("status", "--tun-name", topo.tunName())))).timeout(Duration.ofSeconds(30)).run();
        assertThat(status.ok()).as("status:\n%s", status.describe()).isTrue();
        assertThat(ServerStatus.parse(status.stdout()).peerLong(clientKey.publicKey(), "rx_packets")).isPositive();

        client.down();
        assertThat(server.terminate()).as("exit code after SIGTERM").isZero();
        assertThat(server.log()).contains("stopped: TUN").doesNotContain("cleanup step failed");
        assertThat(topo.server().hasLink(topo.tunName())).as("TUN after the stop").isFalse();
        assertThat(topo.server().exec("sh", "-c", "iptables-save").stdout()).as("rules after the stop").doesNotContain(tag);
        assertThat(topo.server().sysctl("net.ipv4.ip_forward")).as("ip_forward restored by the non-root server").isEqualTo("0");
        assertThat(runDir.resolve(topo.tunName() + ".sock")).as("control socket after the stop").doesNotExist();
    }

    private static String field(String procStatus, String name) {
        for (String line : procStatus.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        throw new AssertionError("no " + name + " in /proc/PID/status:\n" + procStatus);
    }
}
