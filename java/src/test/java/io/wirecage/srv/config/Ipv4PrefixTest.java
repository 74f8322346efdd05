package io.wirecage.srv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Ipv4PrefixTest {
    @Test
    void parsesAndFormats() {
        Ipv4Prefix p = Ipv4Prefix.parseNetwork("10.200.100.0/24");
        assertThat(p.toString()).isEqualTo("10.200.100.0/24");
        assertThat(p.contains(Ipv4Prefix.parseAddress("10.200.100.255"))).isTrue();
        assertThat(p.contains(Ipv4Prefix.parseAddress("10.200.101.0"))).isFalse();
        assertThat(Ipv4Prefix.parseHost("255.255.255.255").address()).isEqualTo(-1);
        assertThat(Ipv4Prefix.parseNetwork("0.0.0.0/0").size()).isEqualTo(1L << 32);
    }

    @Test
    void rejectsMalformedInput() {
        assertThatThrownBy(() -> Ipv4Prefix.parseNetwork("10.0.0.1/24")).hasMessageContaining("host bits");
        assertThatThrownBy(() -> Ipv4Prefix.parseNetwork("10.0.0/24")).hasMessageContaining("not an IPv4 address");
        assertThatThrownBy(() -> Ipv4Prefix.parseNetwork("10.0.0.256/32")).hasMessageContaining("not an IPv4 address");
        assertThatThrownBy(() -> Ipv4Prefix.parseNetwork("10.0.0.0/33")).hasMessageContaining("0..32");
        assertThatThrownBy(() -> Ipv4Prefix.parseNetwork("10.0.0.0/x")).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> Ipv4Prefix.parseNetwork("a.b.c.d/8")).hasMessageContaining("not an IPv4 address");
    }

    @Test
    void overlaps() {
        Ipv4Prefix a = Ipv4Prefix.parseNetwork("10.0.0.0/24");
        assertThat(a.overlaps(Ipv4Prefix.parseNetwork("10.0.0.5/32"))).isTrue();
        assertThat(Ipv4Prefix.parseNetwork("10.0.0.5/32").overlaps(a)).isTrue();
        assertThat(a.overlaps(Ipv4Prefix.parseNetwork("10.0.1.0/24"))).isFalse();
    }
}
