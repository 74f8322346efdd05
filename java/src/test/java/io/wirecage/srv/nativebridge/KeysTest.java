package io.wirecage.srv.nativebridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class KeysTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void rfc7748PublicKeys() {
        // RFC 7748 section 6.1 (Alice and Bob).
        assertThat(HEX.formatHex(Keys.publicKey(
                HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))))
                .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(HEX.formatHex(Keys.publicKey(
                HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))))
                .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    }

    @Test
    void base64KeysRoundTripLikeWg() {
        byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        String b64 = Keys.toBase64(Keys.publicKey(alice));
        assertThat(b64).isEqualTo("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
        assertThat(Keys.fromBase64(b64)).isEqualTo(Keys.publicKey(alice));
        assertThatThrownBy(() -> Keys.fromBase64("AAAA")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void generatedPrivateKeysAreClampedAndDistinct() {
        byte[] a = Keys.generatePrivateKey();
        byte[] b = Keys.generatePrivateKey();
        assertThat(a).hasSize(32).isNotEqualTo(b);
        for (byte[] k : new byte[][] {a, b}) {
            assertThat(k[0] & 7).isZero();
            assertThat(k[31] & 0x80).isZero();
            assertThat(k[31] & 0x40).isEqualTo(0x40);
        }
        assertThat(Keys.publicKey(a)).hasSize(32).isNotEqualTo(Keys.publicKey(b));
        assertThat(Keys.generatePresharedKey()).hasSize(32).isNotEqualTo(Keys.generatePresharedKey());
    }

    @Test
    void wrongKeyLengthIsIllegalArgument() {
        assertThatThrownBy(() -> Keys.publicKey(new byte[31]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> Keys.publicKey(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identity.create(new byte[33], 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void identityPublicKeyMatchesKeys() {
        byte[] priv = Keys.generatePrivateKey();
        try (Identity id = Identity.create(priv, 10)) {
            assertThat(id.publicKey()).isEqualTo(Keys.publicKey(priv));
        }
    }
}
