package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerTableTest {
    private static Peer peer(int index, int keyByte, String... ips) {
        byte[] key = new byte[32];
        key[0] = (byte) keyByte;
        List<Ipv4Prefix> allowed = java.util.Arrays.stream(ips).map(Ipv4Prefix::parseNetwork).toList();
        return new Peer(new PeerSettings("p" + index, Base64Key.of(key), allowed, null, 0), index, null);
    }

    @Test
    void findsPeersByReceiverIndexKeyAndAddress() {
        Peer a = peer(1, 1, "10.200.100.2/32");
        Peer b = peer(7, 2, "10.200.100.3/32", "10.200.101.0/24");
        PeerTable t = new PeerTable(List.of(a, b));

        // boringtun puts the peer index in the upper 24 bits and a session number in the lower 8
        assertThat(t.byReceiverIndex((7 << 8) | 3)).isSameAs(b);
        assertThat(t.byReceiverIndex(1 << 8)).isSameAs(a);
        assertThat(t.byReceiverIndex(5 << 8)).isNull();
        assertThat(t.byReceiverIndex(0xffffffff)).isNull();
        assertThat(t.byPeerIndex(7)).isSameAs(b);
        assertThat(t.byPeerIndex(-1)).isNull();

        byte[] key = new byte[32];
        key[0] = 2;
        assertThat(t.byKey(Base64Key.of(key))).isSameAs(b);
        key[0] = 9;
        assertThat(t.byKey(Base64Key.of(key))).isNull();

        assertThat(t.byAddress(Ipv4Prefix.parseAddress("10.200.100.2"))).isSameAs(a);
        assertThat(t.byAddress(Ipv4Prefix.parseAddress("10.200.101.77"))).isSameAs(b);
        assertThat(t.byAddress(Ipv4Prefix.parseAddress("10.200.100.4"))).isNull();
    }

    @Test
    void rejectsDuplicateIndexesAndKeys() {
        assertThatThrownBy(() -> new PeerTable(List.of(peer(1, 1, "10.0.0.2/32"), peer(1, 2, "10.0.0.3/32"))))
                .hasMessageContaining("index 1 used twice");
        assertThatThrownBy(() -> new PeerTable(List.of(peer(1, 1, "10.0.0.2/32"), peer(2, 1, "10.0.0.3/32"))))
                .hasMessageContaining("appears twice");
        assertThatThrownBy(() -> new PeerTable(List.of(peer(0, 1, "10.0.0.2/32"))))
                .hasMessageContaining("out of range");
    }

    @Test
    void countersSnapshotNamesEveryDropReason() {
        Counters c = new Counters();
        c.droppedSourceNotAllowed.incrementAndGet();
        c.tunnelError(-10);
        assertThat(c.snapshot()).containsEntry("dropped_source_not_allowed", 1L).containsKey("dropped_unknown_peer");
        assertThat(Counters.snake("InvalidAeadTag")).isEqualTo("invalid_aead_tag");
    }
}
