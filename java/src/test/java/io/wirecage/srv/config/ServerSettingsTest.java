package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerSettingsTest {
    private static final Ipv4Prefix SUBNET = Ipv4Prefix.parseNetwork("10.200.100.0/24");

    private static Base64Key key(int b) {
        byte[] k = new byte[32];
        k[31] = (byte) b;
        return Base64Key.of(k);
    }

    private static PeerSettings peer(int b, String ip) {
        return new PeerSettings(null, key(b), List.of(Ipv4Prefix.parseNetwork(ip)), null, 0);
    }

    private static ServerSettings settings(List<PeerSettings> peers) {
        return new ServerSettings(key(0), new InetSocketAddress(51820), SUBNET, peers, null, 1420, "wg-srv");
    }

    @Test
    void serverTakesTheFirstAddress() {
        assertThat(Ipv4Prefix.format(settings(List.of()).serverAddress())).isEqualTo("10.200.100.1");
    }

    @Test
    void rejectsOverlappingPeers() {
        assertThatThrownBy(() -> settings(List.of(peer(1, "10.200.100.2/32"), peer(2, "10.200.100.2/32"))))
                .hasMessageContaining("overlapping IPs 10.200.100.2/32 and 10.200.100.2/32");
        assertThatThrownBy(() -> settings(List.of(peer(1, "10.200.100.64/26"), peer(2, "10.200.100.70/32"))))
                .hasMessageContaining("overlapping");
    }

    @Test
    void rejectsPeerOutsideSubnetOrOnTheServerAddress() {
        assertThatThrownBy(() -> settings(List.of(peer(1, "10.9.9.9/32"))))
                .hasMessageContaining("outside the subnet 10.200.100.0/24");
        assertThatThrownBy(() -> settings(List.of(peer(1, "10.200.100.1/32"))))
                .hasMessageContaining("server's own address");
    }

    @Test
    void rejectsDuplicateKeysBadMtuAndBadNames() {
        assertThatThrownBy(() -> settings(List.of(peer(1, "10.200.100.2/32"), peer(1, "10.200.100.3/32"))))
                .hasMessageContaining("configured twice");
        assertThatThrownBy(() -> new ServerSettings(key(0), new InetSocketAddress(1), SUBNET, List.of(), null, 100, "wg0"))
                .hasMessageContaining("MTU 100");
        assertThatThrownBy(() -> new ServerSettings(key(0), new InetSocketAddress(1), SUBNET, List.of(), null, 1420, "a-name-that-is-too-long"))
                .hasMessageContaining("TUN name");
    }

    @Test
    void base64KeysAreCheckedAndNeverPrinted() {
        assertThatThrownBy(() -> Base64Key.parse("not base64!")).hasMessage("is not valid base64");
        assertThatThrownBy(() -> Base64Key.parse("AAAA")).hasMessageContaining("decodes to 3 bytes");
        Base64Key k = Base64Key.parse("YEocP0e2o1WT5GlvBvQzVF7h/CV4IfNtX5h9uOnIaUg=");
        assertThat(k.toString()).doesNotContain("YEocP0");
    }
}
