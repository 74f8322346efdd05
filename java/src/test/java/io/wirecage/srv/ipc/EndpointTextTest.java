package io.wirecage.srv.ipc;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.conn.EndpointFormat;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IPv6 endpoints are written as [address]:port wherever the server prints one (issue 9, defect 7). */
class EndpointTextTest {
    @Test
    void ipv6EndpointsHaveBracketsInStatusAndShowconf() {
        assertThat(EndpointFormat.format(new InetSocketAddress("2001:db8::7", 51820))).isEqualTo("[2001:db8::7]:51820");
        assertThat(EndpointFormat.format(new InetSocketAddress("192.0.2.7", 51820))).isEqualTo("192.0.2.7:51820");
        assertThat(EndpointFormat.format(new InetSocketAddress("::1", 1))).isEqualTo("[::1]:1");
        assertThat(EndpointFormat.format(new InetSocketAddress("2001:db8:0:1:0:0:0:0", 1))).isEqualTo("[2001:db8:0:1::]:1");
        assertThat(EndpointFormat.format(new InetSocketAddress("fe80:0:0:0:1:0:0:1", 1))).isEqualTo("[fe80::1:0:0:1]:1");

        byte[] secret = Keys.generatePrivateKey();
        Device device = new Device(Identity.create(secret, 100), null, null);
        PeerSettings peer = new PeerSettings("v6", Base64Key.of(Keys.publicKey(Keys.generatePrivateKey())),
                List.of(Ipv4Prefix.parseNetwork("10.0.0.2/32")), null, 0);
        device.updatePeers(List.of(peer));
        device.peers().all().get(0).useEndpointForTest(new InetSocketAddress("2001:db8::7", 40000));
        ServerSettings s = new ServerSettings(Base64Key.of(secret), new InetSocketAddress(51820),
                Ipv4Prefix.parseNetwork("10.0.0.0/24"), List.of(peer), null, 1420, "wg-test");
        assertThat(Status.render("wg-test", "pub", device)).contains("endpoint=[2001:db8::7]:40000\n");
        assertThat(ShowConf.render(s, device)).contains("Endpoint = [2001:db8::7]:40000\n");
    }
}
