package io.wirecage.srv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** `genkey` and `pubkey` work like wg's: stdin to stdout, and agree with `wg pubkey`. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeyCommandsTest {

    @Test
    void genkeyAndPubkeyAgreeWithWg() {
        Require.tools(java.util.List.of("wg"));
        Cmd.Result gen = ServerProcess.cli("genkey").check();
        String priv = gen.stdout().strip();
        assertThat(priv).as("genkey output").matches("[A-Za-z0-9+/]{43}=");
        String pub = ServerProcess.cli("pubkey").stdin(priv + "\n").check().stdout().strip();
        assertThat(pub).as("pubkey of our key").isEqualTo(WgKeys.publicKeyOf(priv));

        WgKeys.KeyPair wgPair = WgKeys.generate();
        String ours = ServerProcess.cli("pubkey").stdin(wgPair.privateKey() + "\n").check().stdout().strip();
        assertThat(ours).as("pubkey of a key made by wg genkey").isEqualTo(wgPair.publicKey());
    }
}
