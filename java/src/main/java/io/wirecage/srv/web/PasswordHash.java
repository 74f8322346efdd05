package io.wirecage.srv.web;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.charset.StandardCharsets;

/**
 * The admin password as a bcrypt hash (at.favre.lib:bcrypt: pure Java, no native code, constant-time
 * comparison, rejects rather than silently truncates passwords over bcrypt's 72-byte limit).
 */
public final class PasswordHash {
    /** 2^12 rounds: about a quarter of a second per check here, which also slows guessing down. */
    public static final int COST = 12;
    public static final int MIN_LENGTH = 10;
    /** bcrypt uses at most 72 bytes of a password. */
    public static final int MAX_BYTES = 72;

    private PasswordHash() {}

    /** Fails with one line when the password is too short or too long for bcrypt. */
    public static void checkStrength(char[] password) {
        if (password.length < MIN_LENGTH) {
            throw new IllegalArgumentException("the password must have at least " + MIN_LENGTH + " characters");
        }
        if (utf8Length(password) > MAX_BYTES) {
            throw new IllegalArgumentException("the password must be at most " + MAX_BYTES + " bytes (bcrypt's limit)");
        }
    }

    public static String hash(char[] password, int cost) {
        checkStrength(password);
        return BCrypt.withDefaults().hashToString(cost, password);
    }

    /** True when the password matches; false for a wrong, overlong or empty one (never throws for input). */
    public static boolean verify(char[] password, String hash) {
        if (hash == null || password.length == 0 || utf8Length(password) > MAX_BYTES) {
            return false;
        }
        try {
            return BCrypt.verifyer().verify(password, hash.toCharArray()).verified;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int utf8Length(char[] password) {
        return StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password)).remaining();
    }
}
