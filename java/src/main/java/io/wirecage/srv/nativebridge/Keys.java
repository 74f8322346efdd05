package io.wirecage.srv.nativebridge;

import java.security.SecureRandom;
import java.util.Base64;

/** WireGuard Curve25519 keys, byte-for-byte as {@code wg genkey}, {@code wg pubkey}, {@code wg genpsk} (mirrors keys.rs). */
public final class Keys {
    public static final int KEY_LENGTH = 32;

    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        NativeLibrary.ensureAvailable();
    }

    private Keys() {
    }

    /** 32 random bytes, clamped like {@code wg genkey}. */
    public static byte[] generatePrivateKey() {
        return generatePrivateKey0();
    }

    /** The public key of a 32-byte private key; IllegalArgumentException for null or another length. */
    public static byte[] publicKey(byte[] privateKey) {
        return publicKey0(privateKey);
    }

    /** 32 random bytes, like {@code wg genpsk}. */
    public static byte[] generatePresharedKey() {
        byte[] key = new byte[KEY_LENGTH];
        RANDOM.nextBytes(key);
        return key;
    }

    public static String toBase64(byte[] key) {
        requireLength(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Decodes a base64 key as found in wg configs; IllegalArgumentException unless it is 32 bytes. */
    public static byte[] fromBase64(String base64) {
        if (base64 == null) {
            throw new IllegalArgumentException("key is null");
        }
        byte[] key = Base64.getDecoder().decode(base64.trim());
        requireLength(key);
        return key;
    }

    private static void requireLength(byte[] key) {
        if (key == null || key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("a key must be " + KEY_LENGTH + " bytes, got "
                    + (key == null ? "null" : key.length));
        }
    }

    static native byte[] generatePrivateKey0();

    static native byte[] publicKey0(byte[] privateKey);
}
