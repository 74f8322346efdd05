package io.wirecage.srv.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigEditor;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.PortForward;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistrarTest {
    @TempDir
    Path dir;

    private static Registrar.Reply get(java.util.concurrent.CompletableFuture<Registrar.Reply> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static Map<String, Object> ok(Registrar.Reply r, int status) {
        assertThat(r.status()).as("reply %s", r).isEqualTo(status);
        return r.body();
    }

    @Test
    void sameKeySameAddressNewKeyNextFreeAndBothArePeersOfTheFile() throws Exception {
        FakeServer srv = new FakeServer(dir, "10.200.100.0/24", "");
        Registrar reg = srv.registrar(30);
        Base64Key a = FakeServer.key(1);
        Map<String, Object> first = ok(get(reg.register(a.base64())), 200);
        assertThat(first).containsExactly(Map.entry("client_address", "10.200.100.2/24"),
                Map.entry("server_public_key", FakeServer.SERVER_KEY.base64()),
                Map.entry("server_endpoint", "vpn.example.com:51820"));
        assertThat(srv.applies.get()).isEqualTo(1); // live before the answer
        assertThat(ok(get(reg.register(a.base64())), 200)).isEqualTo(first);
        assertThat(srv.applies.get()).isEqualTo(1); // known and running: no write, no reload
        assertThat(ok(get(reg.register(FakeServer.key(2).base64())), 200)).containsEntry("client_address", "10.200.100.3/24");

        ConfigFile cfg = srv.load();
        PeerEntry p = cfg.peerByKey(a);
        assertThat(p.name()).isEqualTo("wirecage-01000000");
        assertThat(p.presharedKey()).isNull();
        assertThat(p.persistentKeepalive()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(srv.file))).isEqualTo("rw-------");

        // known to the file but not running (e.g. the server was started before a hand edit): applied
        srv.running.clear();
        assertThat(ok(get(reg.register(a.base64())), 200)).isEqualTo(first);
        assertThat(srv.applies.get()).isEqualTo(3); // key 1, key 2, then this one
    }

    @Test
    void withIpv6InsideTheAnswerCarriesAnIpv6AddressInAnExtraField() throws Exception {
        FakeServer srv = new FakeServer(dir, "10.200.100.0/24", "subnet6 = \"fdc8:7a3e:51f0::/64\"\n");
        Registrar reg = srv.registrar(30);
        Base64Key a = FakeServer.key(1);
        Map<String, Object> first = ok(get(reg.register(a.base64())), 200);
        assertThat(first).containsExactly(Map.entry("client_address", "10.200.100.2/24"),
                Map.entry("server_public_key", FakeServer.SERVER_KEY.base64()),
                Map.entry("server_endpoint", "vpn.example.com:51820"),
                Map.entry("client_address6", "fdc8:7a3e:51f0::2/64"));
        assertThat(ok(get(reg.register(a.base64())), 200)).as("known and running: the same answer").isEqualTo(first);
        assertThat(ok(get(reg.register(FakeServer.key(2).base64())), 200))
                .containsEntry("client_address", "10.200.100.3/24").containsEntry("client_address6", "fdc8:7a3e:51f0::3/64");
        assertThat(srv.load().peerByKey(a).allowedIpsText()).containsExactly("10.200.100.2/32", "fdc8:7a3e:51f0::2/128");
        srv.running.clear();
        srv.running6.clear();
        assertThat(ok(get(reg.register(a.base64())), 200)).as("known to the file only: the same answer").isEqualTo(first);
    }

    @Test
    void badKeysAre400AndDisabledPeersAre403AndChangeNothing() throws Exception {
        FakeServer srv = new FakeServer(dir, "10.200.100.0/24", "");
        Registrar reg = srv.registrar(30);
        String before = Files.readString(srv.file);
        for (String bad : new String[] {null, "", "not base64!", "AAAA", Base64Key.of(new byte[32]).base64(),
                FakeServer.SERVER_KEY.base64(), FakeServer.key(1).base64() + "AA"}) {
            assertThat(ok(get(reg.register(bad)), 400)).as("key %s", bad).containsExactly(Map.entry("error", "invalid client public key"));
        }
        assertThat(Files.readString(srv.file)).isEqualTo(before);

        ok(get(reg.register(FakeServer.key(1).base64())), 200);
        ConfigEditor.replacePeer(srv.load(), "wirecage-01000000", srv.load().peer("wirecage-01000000").withEnabled(false));
        srv.apply();
        assertThat(ok(get(reg.register(FakeServer.key(1).base64())), 403)).containsEntry("error", "peer is disabled");
        assertThat(srv.load().peer("wirecage-01000000").enabled()).isFalse(); // an operator's disable sticks
    }

    @Test
    void aFullSubnetAnswers503AndAFreedAddressIsHandedOutAgain() throws Exception {
        FakeServer srv = new FakeServer(dir, "10.9.0.0/29", ""); // .1 server, .2-.6 peers, .7 broadcast
        Registrar reg = srv.registrar(30);
        for (int i = 1; i <= 5; i++) {
            assertThat(ok(get(reg.register(FakeServer.key(i).base64())), 200)).containsEntry("client_address", "10.9.0." + (i + 1) + "/29");
        }
        assertThat(ok(get(reg.register(FakeServer.key(6).base64())), 503)).containsExactly(Map.entry("error", "no IPs available"));
        ConfigEditor.replacePeer(srv.load(), "wirecage-03000000", null); // `peer remove`
        srv.apply();
        assertThat(ok(get(reg.register(FakeServer.key(6).base64())), 200)).containsEntry("client_address", "10.9.0.4/29");
    }

    @Test
    void newKeysAreRateLimitedButKnownKeysAreNot() throws Exception {
        FakeServer srv = new FakeServer(dir, "10.200.100.0/24", "");
        Registrar reg = srv.registrar(3); // 3 per minute, burst 3
        for (int i = 1; i <= 3; i++) {
            ok(get(reg.register(FakeServer.key(i).base64())), 200);
        }
        Registrar.Reply limited = get(reg.register(FakeServer.key(4).base64()));
        assertThat(ok(limited, 429)).containsEntry("error", "too many new registrations, try again later");
        assertThat(limited.retryAfterSeconds()).isBetween(1L, 20L);
        assertThat(srv.load().peers()).hasSize(3);
        ok(get(reg.register(FakeServer.key(1).base64())), 200); // re-registration is free
        srv.clock.addAndGet(TimeUnit.SECONDS.toNanos(21)); // one token back after 20 s
        ok(get(reg.register(FakeServer.key(4).base64())), 200);
        assertThat(get(reg.register(FakeServer.key(5).base64())).status()).isEqualTo(429);
    }

    @Test
    void concurrentRegistrationsGetDistinctAddressesInFewBatches() throws Exception {
        FakeServer srv = new FakeServer(dir, "10.200.0.0/16", "");
        srv.applyDelayMillis = 30; // a reload that takes a while: registrations queue up behind it
        Registrar reg = srv.registrar(10_000);
        List<java.util.concurrent.CompletableFuture<Registrar.Reply>> replies = new java.util.ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            replies.add(reg.register(FakeServer.key(i).base64())); // returns at once: the writer does the work
        }
        Set<Object> addresses = new HashSet<>();
        for (var f : replies) {
            addresses.add(ok(get(f), 200).get("client_address"));
        }
        assertThat(addresses).hasSize(200);
        assertThat(srv.load().peers()).hasSize(200);
        assertThat(srv.applies.get()).as("one reload per batch, not per key").isLessThanOrEqualTo(10);
        reg.close();
        assertThat(ok(get(reg.register(FakeServer.key(999).base64())), 503)).containsEntry("error", "server busy, try again");
    }

    @Test
    void portForwardsFollowTheContract() throws Exception {
        FakeServer srv = new FakeServer(dir, "10.200.100.0/24", "");
        Registrar reg = srv.registrar(30);
        String k = FakeServer.key(1).base64();
        assertThat(ok(get(reg.addForward(k, "tcp", 8080, 80)), 404)).containsExactly(Map.entry("error", "peer not found"));
        ok(get(reg.register(k)), 200);
        assertThat(ok(get(reg.addForward(k, "tcp", 8080, 80)), 201)).containsExactly(Map.entry("public_port", 8080),
                Map.entry("protocol", "tcp"), Map.entry("target_port", 80), Map.entry("peer_ip", "10.200.100.2"));
        assertThat(ok(get(reg.addForward(k, "tcp", 8080, 80)), 201)).containsEntry("peer_ip", "10.200.100.2"); // idempotent
        assertThat(srv.load().forwards()).hasSize(1);
        assertThat(ok(get(reg.addForward(k, "tcp", 8080, 81)), 409)).containsExactly(Map.entry("error", "port already in use"));
        ok(get(reg.register(FakeServer.key(2).base64())), 200);
        assertThat(ok(get(reg.addForward(FakeServer.key(2).base64(), "tcp", 8080, 80)), 409)).containsEntry("error", "port already in use");
        assertThat(ok(get(reg.addForward(k, "udp", 8080, 80)), 201)).containsEntry("protocol", "udp"); // other protocol, other port
        assertThat(ok(get(reg.addForward(k, "tcp", 1023, 80)), 400)).containsExactly(Map.entry("error", "public port must be >= 1024"));
        assertThat(ok(get(reg.addForward(k, "sctp", 9000, 80)), 400)).containsExactly(Map.entry("error", "protocol must be 'tcp' or 'udp'"));
        assertThat(ok(get(reg.addForward(k, null, 9000, 80)), 400)).containsEntry("error", "protocol must be 'tcp' or 'udp'");
        assertThat(ok(get(reg.addForward(k, "tcp", 9000, 0)), 400)).containsEntry("error", "target port must be 1..65535");
        assertThat(ok(get(reg.addForward("junk", "tcp", 9000, 80)), 400)).containsEntry("error", "invalid client public key");
        // the server's own ports, and ports a local program listens on
        assertThat(ok(get(reg.addForward(k, "udp", 51820, 51820)), 409)).containsEntry("error", "port already in use");
        assertThat(ok(get(reg.addForward(k, "tcp", 8443, 443)), 409)).containsEntry("error", "port already in use");
        srv.portsInUse = true;
        assertThat(ok(get(reg.addForward(k, "tcp", 9000, 80)), 409)).containsEntry("error", "port already in use");
        srv.portsInUse = false;
        for (int p = 20000; p < 20000 + Registrar.MAX_FORWARDS_PER_PEER - 2; p++) {
            ok(get(reg.addForward(k, "tcp", p, 80)), 201);
        }
        assertThat(ok(get(reg.addForward(k, "tcp", 30000, 80)), 403)).extractingByKey("error").asString().startsWith("too many port forwards");

        assertThat(ok(get(reg.removeForward("tcp", 8080)), 200)).containsExactly(Map.entry("status", "removed"));
        assertThat(ok(get(reg.removeForward("tcp", 8080)), 404)).containsExactly(Map.entry("error", "port forward not found"));
        assertThat(ok(get(reg.removeForward("icmp", 8080)), 400)).containsEntry("error", "protocol must be 'tcp' or 'udp'");
        assertThat(srv.load().forward("udp", 8080)).isNotNull();
        assertThat(srv.load().forwards()).extracting(PortForward::protocol).doesNotContainNull();
    }
}
