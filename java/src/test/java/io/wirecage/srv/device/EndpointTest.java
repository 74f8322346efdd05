package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.nativebridge.SourceAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The batched path follows roaming peers by raw address fields, allocating only on a change. */
class EndpointTest {
    @Test
    void rawAndSocketAddressFormsAgree() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 40000);
        Peer.Endpoint e = Peer.Endpoint.of(v4);
        assertThat(e.is(SourceAddress.IPV4, 40000, 0, 0xC000_0207L)).isTrue();
        assertThat(Peer.socketAddress(SourceAddress.IPV4, 40000, 0, 0xC000_0207L)).isEqualTo(v4);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1:2"), 51820);
        Peer.Endpoint e6 = Peer.Endpoint.of(v6);
        assertThat(Peer.socketAddress(e6.family(), e6.port(), e6.hi(), e6.lo())).isEqualTo(v6);
    }

    @Test
    void updateByRawFieldsKeepsTheObjectWhileTheAddressStays() {
        Peer p = new Peer(new io.wirecage.srv.config.PeerSettings("p", io.wirecage.srv.config.Base64Key.of(new byte[32]),
                java.util.List.of(io.wirecage.srv.config.Ipv4Prefix.parseNetwork("10.0.0.2/32")), null, 0), 1, null);
        p.updateEndpoint(SourceAddress.IPV4, 1000, 0, 0x0A00_0002L);
        Peer.Endpoint first = p.endpointRecord();
        p.updateEndpoint(SourceAddress.IPV4, 1000, 0, 0x0A00_0002L);
        assertThat(p.endpointRecord()).isSameAs(first);
        p.updateEndpoint(SourceAddress.IPV4, 1001, 0, 0x0A00_0002L);
        assertThat(p.endpoint().getPort()).isEqualTo(1001);
        assertThat(p.endpoint().getAddress().getHostAddress()).isEqualTo("10.0.0.2");
    }
}
