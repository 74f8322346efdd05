package io.wirecage.srv.it;

/** Curve25519 key pairs made with the real `wg` tool (independent of the server under test). */
public final class WgKeys {

    public record KeyPair(String privateKey, String publicKey) {
        /** The first 8 characters, enough to recognise the key in a log line. */
        public String shortKey() {
            return publicKey.substring(0, 8);
        }
    }

    private WgKeys() {
    }

    public static KeyPair generate() {
        String priv = Cmd.of("wg", "genkey").check().stdout().strip();
        return new KeyPair(priv, publicKeyOf(priv));
    }

    public static String publicKeyOf(String privateKey) {
        return Cmd.of("wg", "pubkey").stdin(privateKey + "\n").check().stdout().strip();
    }
}
