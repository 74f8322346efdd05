package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.wirecage.srv.config.Ipv6Prefix;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class Ipv6GuardTest {
    /** A TCP SYN from src to dst (40-byte IPv6 header + 20-byte TCP header). */
    static ByteBuffer syn(String src, String dst) {
        ByteBuffer b = ByteBuffer.allocate(60);
        Ipv6Prefix s = Ipv6Prefix.parseHost(src);
        Ipv6Prefix d = Ipv6Prefix.parseHost(dst);
        b.putInt(0, 0x60000000).putShort(4, (short) 20).put(6, (byte) 6).put(7, (byte) 64);
        b.putLong(8, s.hi()).putLong(16, s.lo()).putLong(24, d.hi()).putLong(32, d.lo());
        b.putShort(40, (short) 40000).putShort(42, (short) 80).putInt(44, 12345).put(52, (byte) 0x50).put(53, (byte) 0x02);
        return b;
    }

    /** One's complement sum of 16-bit words, folded; written independently of the code under test. */
    static int onesSum(byte[] bytes) {
        long sum = 0;
        for (int i = 0; i < bytes.length; i += 2) {
            int hi = bytes[i] & 0xff;
            int lo = i + 1 < bytes.length ? bytes[i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while (sum > 0xffff) {
            sum = (sum >>> 16) + (sum & 0xffff);
        }
        return (int) sum;
    }

    @Test
    void buildsADestinationUnreachableAdministrativelyProhibitedWithAValidChecksum() {
        ByteBuffer in = syn("fd42:42:42::2", "2001:db8::1");
        ByteBuffer out = ByteBuffer.allocate(Ipv6Guard.MAX_REPLY);
        int n = Ipv6Guard.build(in, 0, 60, out);

        assertThat(n).isEqualTo(40 + 8 + 60);
        assertThat(out.get(0) & 0xf0).isEqualTo(0x60);
        assertThat(out.getShort(4)).isEqualTo((short) (8 + 60));
        assertThat(out.get(6)).isEqualTo((byte) 58);
        assertThat(Ipv6Prefix.format(out.getLong(8), out.getLong(16))).as("from the address the packet was for").isEqualTo("2001:db8::1");
        assertThat(Ipv6Prefix.format(out.getLong(24), out.getLong(32))).as("to its sender").isEqualTo("fd42:42:42::2");
        assertThat(out.get(40)).as("type: destination unreachable").isEqualTo((byte) 1);
        assertThat(out.get(41)).as("code: administratively prohibited").isEqualTo((byte) 1);
        byte[] quoted = new byte[60];
        out.get(48, quoted);
        assertThat(quoted).as("the offending packet, quoted whole").isEqualTo(in.array());

        // checksum over the pseudo-header (src, dst, upper-layer length, next header) and the message
        ByteBuffer pseudo = ByteBuffer.allocate(40 + n - 40);
        byte[] addrs = new byte[32];
        out.get(8, addrs);
        pseudo.put(addrs).putInt(n - 40).putInt(58);
        byte[] msg = new byte[n - 40];
        out.get(40, msg);
        pseudo.put(msg);
        assertThat(onesSum(pseudo.array())).as("a valid checksum sums to 0xffff").isEqualTo(0xffff);
    }

    @Test
    void quotesAtMostWhatFitsInTheMinimumMtu() {
        ByteBuffer big = ByteBuffer.allocate(1500);
        big.put(0, syn("fd42:42:42::2", "2001:db8::1"), 0, 60);
        big.putShort(4, (short) 1460);
        ByteBuffer out = ByteBuffer.allocate(Ipv6Guard.MAX_REPLY);
        assertThat(Ipv6Guard.build(big, 0, 1500, out)).isEqualTo(1280);
        assertThat(out.getShort(4) & 0xffff).isEqualTo(1240);
    }

    @Test
    void neverAnswersErrorsMulticastOrTheUnspecifiedAddress() {
        assertThat(Ipv6Guard.mayAnswer(syn("fd42:42:42::2", "2001:db8::1"), 0)).isTrue();
        assertThat(Ipv6Guard.mayAnswer(syn("::", "2001:db8::1"), 0)).isFalse();
        assertThat(Ipv6Guard.mayAnswer(syn("fd42:42:42::2", "ff02::1"), 0)).isFalse();
        assertThat(Ipv6Guard.mayAnswer(syn("ff05::1", "2001:db8::1"), 0)).isFalse();
        ByteBuffer error = syn("fd42:42:42::2", "2001:db8::1");
        error.put(6, (byte) 58).put(40, (byte) 1); // an ICMPv6 destination unreachable itself
        assertThat(Ipv6Guard.mayAnswer(error, 0)).isFalse();
        ByteBuffer echo = syn("fd42:42:42::2", "2001:db8::1");
        echo.put(6, (byte) 58).put(40, (byte) 128); // an echo request is answered
        assertThat(Ipv6Guard.mayAnswer(echo, 0)).isTrue();
    }

    @Test
    void answersAreRateLimitedPerPeer() {
        Peer peer = new Peer(new io.wirecage.srv.config.PeerSettings(null,
                io.wirecage.srv.config.Base64Key.of(new byte[32]), java.util.List.of(), null, 0), 1, (s, i) -> null);
        long t = 1_000_000_000L;
        int allowed = 0;
        for (int i = 0; i < 100; i++) {
            if (Ipv6Guard.takeBudget(peer, t)) {
                allowed++;
            }
        }
        assertThat(allowed).as("a burst at one instant").isEqualTo((int) Ipv6Guard.BURST);
        assertThat(Ipv6Guard.takeBudget(peer, t + 10_000_000L)).as("10 ms later: a fifth of a token").isFalse();
        assertThat(Ipv6Guard.takeBudget(peer, t + 100_000_000L)).as("100 ms later: two tokens back").isTrue();
        assertThat(Ipv6Guard.takeBudget(peer, t + 100_000_000L)).isTrue();
        assertThat(Ipv6Guard.takeBudget(peer, t + 100_000_000L)).isFalse();
    }
}
