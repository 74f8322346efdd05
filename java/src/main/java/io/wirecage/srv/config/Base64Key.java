package io.wirecage.srv.config;

import java.util.Arrays;
import java.util.Base64;

/** A 32-byte Curve25519 or preshared key in WireGuard's base64 text form. Value semantics for maps. */
public final class Base64Key {
    public static final int LENGTH = 32;
    private final byte[] bytes;

    private Base64Key(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Base64Key of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a key must be 32 bytes, got " + bytes.length);
        }
        return new Base64Key(bytes.clone());
    }

    /** Parses the base64 text wg uses; the message names what was wrong without echoing the key. */
    public static Base64Key parse(String text) {
        String s = text.trim();
        byte[] b;
        try {
            b = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not valid base64");
        }
        if (b.length != LENGTH) {
            throw new IllegalArgumentException("is not a 32-byte key (decodes to " + b.length + " bytes)");
        }
        return new Base64Key(b);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String base64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** The first characters of the base64 form, for public keys in logs (never call on a private key). */
    public String shortForm() {
        return base64().substring(0, 8) + "…";
    }

    public boolean equalsBytes(byte[] other) {
        return Arrays.equals(bytes, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Base64Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Never prints any of the key: a private key must not reach a log by accident. */
    @Override
    public String toString() {
        return "Base64Key[redacted]";
    }
}
