package io.wirecage.srv.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wirecage.srv.config.WebSection;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
    @Test
    void aHashVerifiesOnlyItsPasswordAndIsSaltedBcrypt() {
        String hash = PasswordHash.hash("correct horse".toCharArray(), 4); // low cost: fast test
        assertThat(WebSection.looksLikeBcrypt(hash)).isTrue();
        assertThat(hash).startsWith("$2a$04$").doesNotContain("correct horse");
        assertThat(PasswordHash.verify("correct horse".toCharArray(), hash)).isTrue();
        assertThat(PasswordHash.verify("correct horsf".toCharArray(), hash)).isFalse();
        assertThat(PasswordHash.verify(new char[0], hash)).isFalse();
        assertThat(PasswordHash.verify("correct horse".toCharArray(), "garbage")).isFalse();
        assertThat(PasswordHash.verify("correct horse".toCharArray(), null)).isFalse();
        assertThat(PasswordHash.hash("correct horse".toCharArray(), 4)).as("a new salt each time").isNotEqualTo(hash);
    }

    @Test
    void shortAndOverlongPasswordsAreRefused() {
        assertThatThrownBy(() -> PasswordHash.hash("short".toCharArray(), 4)).hasMessageContaining("at least 10");
        char[] longOne = "x".repeat(73).toCharArray();
        assertThatThrownBy(() -> PasswordHash.hash(longOne, 4)).hasMessageContaining("72 bytes");
        String hash = PasswordHash.hash("x".repeat(72).toCharArray(), 4);
        assertThat(PasswordHash.verify(longOne, hash)).as("no silent truncation to 72 bytes").isFalse();
    }
}
