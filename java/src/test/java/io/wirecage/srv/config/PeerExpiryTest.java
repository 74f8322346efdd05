package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The `expires` peer attribute: parsing, writing, the rules of PeerChanges, and the ExpiryWatcher's schedule. */
class PeerExpiryTest {
    @TempDir
    Path dir;

    private Path config() throws Exception {
        return ConfigFileTest.writeGood(dir);
    }

    @Test
    void expiresIsReadAsATomlDateTimeAndWrittenBackTheSameWay() throws Exception {
        Path f = config();
        PeerChanges.edit(f, "laptop", p -> p.withExpires(Instant.parse("2026-12-31T00:00:00Z")));
        assertThat(Files.readString(f)).contains("expires = 2026-12-31T00:00:00Z\n");
        assertThat(ConfigFile.load(f).peer("laptop").expires()).isEqualTo(Instant.parse("2026-12-31T00:00:00Z"));
        PeerChanges.edit(f, "laptop", p -> p.withExpires(null));
        assertThat(Files.readString(f)).doesNotContain("expires");
        Files.writeString(f, Files.readString(f).replace("persistent_keepalive = 25", "expires = \"soon\""));
        assertThatThrownBy(() -> ConfigFile.load(f)).hasMessageContaining("expires must be a date and time with an offset");
    }

    @Test
    void expiryTextsAreParsedAsUtcUnlessAnOffsetIsGiven() {
        assertThat(PeerChanges.parseExpiry("2026-12-31")).isEqualTo(Instant.parse("2026-12-31T00:00:00Z"));
        assertThat(PeerChanges.parseExpiry("2026-12-31T18:30")).isEqualTo(Instant.parse("2026-12-31T18:30:00Z"));
        assertThat(PeerChanges.parseExpiry("2026-12-31T18:30:00+01:00")).isEqualTo(Instant.parse("2026-12-31T17:30:00Z"));
        assertThat(PeerChanges.parseExpiry("never")).isNull();
        assertThat(PeerChanges.parseExpiry("  ")).isNull();
        assertThatThrownBy(() -> PeerChanges.parseExpiry("tomorrow")).hasMessageContaining("must be a date");
    }

    @Test
    void anExpiredPeerDoesNotRunAndCannotBeEnabledUntilItsExpiryMoves() throws Exception {
        Path f = config();
        Instant now = Instant.parse("2026-06-01T00:00:00Z");
        PeerChanges.edit(f, "phone", p -> p.withExpires(Instant.parse("2020-01-01T00:00:00Z")));
        assertThatThrownBy(() -> PeerChanges.edit(f, "phone", p -> PeerChanges.enable(p, now)))
                .hasMessageContaining("expired at 2020-01-01T00:00:00Z");
        assertThat(ConfigFile.load(f).peer("phone").enabled()).isFalse();
        PeerChanges.edit(f, "phone", p -> PeerChanges.enable(p.withExpires(Instant.parse("2030-01-01T00:00:00Z")), now));
        assertThat(ConfigFile.load(f).peer("phone").enabled()).isTrue();
        // enabled in the file but past its expiry: not among the peers a server runs
        PeerChanges.edit(f, "laptop", p -> p.withExpires(Instant.parse("2020-01-01T00:00:00Z")));
        assertThat(ConfigFile.load(f).enabledPeers()).extracting(PeerSettings::name).containsExactly("phone");
    }

    @Test
    void theWatcherDisablesPeersWhenTheirTimeComesAndAppliesEachChangeOnce() throws Exception {
        Path f = config();
        PeerChanges.edit(f, "laptop", p -> p.withExpires(Instant.parse("2026-06-01T12:00:00Z")));
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-06-01T11:59:59Z"));
        List<String> applied = new ArrayList<>();
        ExpiryWatcher w = new ExpiryWatcher(f, now::get, () -> {
            applied.add("reload");
            return "ok=1\n";
        });
        assertThat(w.tick()).isEmpty();
        assertThat(applied).isEmpty();
        now.set(Instant.parse("2026-06-01T12:00:00Z"));
        assertThat(w.tick()).containsExactly("laptop");
        assertThat(applied).hasSize(1);
        PeerEntry laptop = ConfigFile.load(f).peer("laptop");
        assertThat(laptop.enabled()).isFalse();
        assertThat(laptop.expires()).as("the expiry stays: it explains why").isEqualTo(Instant.parse("2026-06-01T12:00:00Z"));
        assertThat(w.tick()).as("nothing more to do").isEmpty();
        assertThat(applied).hasSize(1);
        // a later edit by another program (the CLI) is noticed without a restart
        PeerChanges.edit(f, "phone", p -> p.withEnabled(true).withExpires(Instant.parse("2026-06-01T12:00:05Z")));
        assertThat(w.tick()).isEmpty();
        now.set(Instant.parse("2026-06-01T12:00:06Z"));
        assertThat(w.tick()).containsExactly("phone");
        assertThat(applied).hasSize(2);
    }

    @Test
    void aHandEditOfTheFileIsNoticedWithoutARestart() throws Exception {
        Path f = config();
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-06-01T00:00:00Z"));
        ExpiryWatcher w = new ExpiryWatcher(f, now::get, () -> "ok=1\n");
        assertThat(w.tick()).isEmpty();
        // a hand edit that keeps size and time the same would be missed; a real edit changes them
        String text = Files.readString(f).replace("persistent_keepalive = 25", "persistent_keepalive = 25\nexpires = 2026-01-01T00:00:00Z");
        Path tmp = dir.resolve("tmp.toml");
        Files.writeString(tmp, text);
        Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertThat(w.tick()).containsExactly("laptop");
    }

    @Test
    void renameAndNamesFollowTheSameRulesAsAdd() throws Exception {
        Path f = config();
        PeerChanges.edit(f, "laptop", p -> p.withName("work laptop"));
        assertThat(ConfigFile.load(f).peer("work laptop")).isNotNull();
        assertThatThrownBy(() -> PeerChanges.edit(f, "work laptop", p -> p.withName("phone"))).hasMessageContaining("already exists");
        assertThatThrownBy(() -> PeerChanges.edit(f, "phone", p -> p.withName("bad\nname"))).hasMessageContaining("printable");
        assertThatThrownBy(() -> PeerChanges.edit(f, "nobody", p -> p)).hasMessageContaining("no peer named 'nobody'");
    }

    @Test
    void webPasswordHashIsSetInPlaceOrAddedWithTheTable() throws Exception {
        Path f = config();
        String hash = "$2a$04$" + "a".repeat(53);
        ConfigEditor.locked(f, cfg -> {
            ConfigEditor.setWebPasswordHash(cfg, hash);
            return null;
        });
        assertThat(ConfigFile.load(f).web().passwordHash()).isEqualTo(hash);
        String second = "$2a$04$" + "b".repeat(53);
        ConfigEditor.locked(f, cfg -> {
            ConfigEditor.setWebPasswordHash(cfg, second);
            return null;
        });
        assertThat(Files.readString(f)).containsOnlyOnce("[web]").containsOnlyOnce("password_hash").contains(second);
        assertThat(ConfigFile.load(f).peers()).hasSize(2);
        assertThat(ConfigFile.load(f).web().toString()).doesNotContain(second);
        Files.writeString(f, Files.readString(f).replace(second, "plaintext"));
        assertThatThrownBy(() -> ConfigFile.load(f)).hasMessageContaining("password_hash is not a bcrypt hash");
    }
}
