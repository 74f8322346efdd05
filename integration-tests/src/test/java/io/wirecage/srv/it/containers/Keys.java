package io.wirecage.srv.it.containers;

import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Base64;

/**
 * Curve25519 key pairs from the JDK's X25519 (independent of the server under test and of the
 * host's tools). Both encodings end with the raw 32-byte key, which is what WireGuard's base64 holds.
 */
final class Keys {

    record Pair(String privateKey, String publicKey) {
        /** The first 8 characters: how the server names a peer in its log lines. */
        String shortKey() {
            return publicKey.substring(0, 8);
        }
    }

    private Keys() {
    }

    static Pair generate() {
        try {
            java.security.KeyPair kp = KeyPairGenerator.getInstance("X25519").generateKeyPair();
            return new Pair(last32(kp.getPrivate().getEncoded()), last32(kp.getPublic().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new AssertionError("X25519 not available in this JDK", e);
        }
    }

    private static String last32(byte[] encoded) {
        return Base64.getEncoder().encodeToString(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
    }
}
