package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import io.wirecage.srv.nativebridge.Tunnel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** wg syncconf semantics of Device.updatePeers, with real boringtun tunnels (no sockets needed). */
class PeerUpdateTest {
    private final Identity identity = Identity.create(Keys.generatePrivateKey(), 100);
    private final Device device = new Device(identity, null, null);

    private static PeerSettings peer(int i, String ip, Base64Key psk, int keepalive) {
        return new PeerSettings("p" + i, Base64Key.of(Keys.publicKey(seed(i))), List.of(Ipv4Prefix.parseNetwork(ip)), psk, keepalive);
    }

    private static byte[] seed(int i) {
        byte[] k = new byte[32];
        k[1] = (byte) i; // not byte 0: X25519 clamping clears its low bits
        k[2] = (byte) (i >> 8);
        k[5] = 42;
        return k;
    }

    @Test
    void unchangedPeersKeepTheirTunnelChangedOnesGetNewOnesRemovedOnesAreClosed() {
        Device.PeerUpdate u = device.updatePeers(List.of(peer(1, "10.0.0.2/32", null, 0), peer(2, "10.0.0.3/32", null, 0),
                peer(3, "10.0.0.4/32", null, 0)));
        assertThat(u).isEqualTo(new Device.PeerUpdate(3, 0, 0, 0));
        Peer p1 = device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.2"));
        Peer p2 = device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.3"));
        Peer p3 = device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.4"));
        assertThat(p1.tunnel()).as("idle peers have no tunnel yet").isNull();
        Tunnel t1 = p1.activeTunnel(); // as a handshake would
        Tunnel t2 = p2.activeTunnel();
        Tunnel t3 = p3.activeTunnel();
        assertThat(p1.activeTunnel()).isSameAs(t1);
        java.net.InetSocketAddress p3Endpoint = new java.net.InetSocketAddress("2001:db8::3", 40000);
        p3.updateEndpoint(p3Endpoint);

        // p1 unchanged, p2 moves address (same tunnel), p3 gets a keepalive (new tunnel), p4 is new
        u = device.updatePeers(List.of(peer(1, "10.0.0.2/32", null, 0), peer(2, "10.0.0.9/32", null, 0),
                peer(3, "10.0.0.4/32", null, 25), peer(4, "10.0.0.5/32", null, 0)));
        assertThat(u).isEqualTo(new Device.PeerUpdate(1, 0, 2, 1));
        assertThat(device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.2"))).isSameAs(p1);
        assertThat(device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.9"))).isSameAs(p2);
        assertThat(device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.3"))).isNull();
        Peer p3b = device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.4"));
        assertThat(p3b).isNotSameAs(p3);
        assertThat(p3b.endpoint()).as("a peer re-created for a new keepalive keeps its endpoint").isEqualTo(p3Endpoint);
        ByteBuffer buf = ByteBuffer.allocateDirect(256);
        assertThat(p1.tunnel()).isSameAs(t1);
        assertThat(p2.tunnel()).isSameAs(t2);
        assertThatThrownBy(() -> t3.updateTimers(buf)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(p3::activeTunnel).isInstanceOf(IllegalStateException.class);
        p3b.activeTunnel().updateTimers(buf); // the new peer gets a working tunnel

        // removing p1 closes its tunnel; its index is free for the next new peer
        u = device.updatePeers(List.of(peer(2, "10.0.0.9/32", null, 0), peer(3, "10.0.0.4/32", null, 25),
                peer(4, "10.0.0.5/32", null, 0), peer(5, "10.0.0.6/32", null, 0)));
        assertThat(u).isEqualTo(new Device.PeerUpdate(1, 1, 0, 3));
        assertThatThrownBy(() -> t1.updateTimers(buf)).isInstanceOf(IllegalStateException.class);
        assertThat(p1.tunnel()).isNull();
        assertThat(device.peers().byAddress(Ipv4Prefix.parseAddress("10.0.0.6")).index()).isEqualTo(p1.index());
    }

    @Test
    void anExpiredTunnelIsDroppedAndItsTotalsKept() {
        device.updatePeers(List.of(peer(1, "10.0.0.2/32", null, 0)));
        Peer p = device.peers().all().get(0);
        long[] stats = new long[Tunnel.STATS_LENGTH];
        p.stats(stats);
        assertThat(stats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE]).isEqualTo(-1);
        Tunnel t = p.activeTunnel();
        assertThat(p.retireTunnel(stats)).isSameAs(t);
        assertThat(p.tunnel()).isNull();
        assertThat(p.activeTunnel()).isNotSameAs(t); // comes back on demand
        p.lastHandshakeMillis = System.currentTimeMillis() - 5000;
        p.retireTunnel(stats);
        p.stats(stats);
        assertThat(stats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE]).isBetween(5000L, 60_000L);
    }

    @Test
    void aThousandPeersReloadQuickly() {
        List<PeerSettings> many = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add(peer(i + 10_000, Ipv4Prefix.format(Ipv4Prefix.parseAddress("10.1.0.2") + i) + "/32", null, 0));
        }
        device.updatePeers(many);
        many.add(peer(99, "10.2.0.2/32", null, 0));
        Device.PeerUpdate u = device.updatePeers(many);
        assertThat(u).isEqualTo(new Device.PeerUpdate(1, 0, 0, 1000));
        assertThat(device.peers().size()).isEqualTo(1001);
    }
}
