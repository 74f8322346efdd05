package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.nativebridge.TunnelResult;
import org.junit.jupiter.api.Test;

class CountersTest {

    @Test
    void unknownPeerFromTheTableAndFromTheBridgeAddUpUnderOneName() {
        Counters c = new Counters();
        c.droppedUnknownPeer.addAndGet(2); // the key decrypted but is not in the peer table
        c.tunnelError(TunnelResult.ERR_UNKNOWN_PEER); // the bridge could not decrypt the sender key
        c.tunnelError(TunnelResult.ERR_UNKNOWN_PEER);
        c.tunnelError(TunnelResult.ERR_UNKNOWN_PEER);
        assertThat(c.snapshot()).containsEntry("dropped_unknown_peer", 5L);
    }

    @Test
    void everyTunnelErrorHasItsOwnCounter() {
        Counters c = new Counters();
        c.tunnelError(TunnelResult.ERR_INVALID_MAC);
        c.tunnelError(TunnelResult.ERR_INVALID_PACKET);
        c.tunnelError(TunnelResult.ERR_INVALID_PACKET);
        c.tunnelError(-999); // unknown code
        assertThat(c.snapshot()).containsEntry("dropped_invalid_mac", 1L).containsEntry("dropped_invalid_packet", 2L)
                .containsEntry("dropped_other_error", 1L);
    }
}
