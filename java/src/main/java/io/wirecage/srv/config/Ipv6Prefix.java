package io.wirecage.srv.config;

import io.wirecage.srv.conn.EndpointFormat;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv6 network in CIDR form, kept as two longs (the address's first and last 8 bytes, big-endian)
 * so lookups on the data path never allocate. The IPv6 twin of {@link Ipv4Prefix}.
 */
public record Ipv6Prefix(long hi, long lo, int length) {

    public Ipv6Prefix {
        if (length < 0 || length > 128) {
            throw new IllegalArgumentException("prefix length " + length + " is not between 0 and 128");
        }
    }

    /** Whether the text looks like an IPv6 address or prefix (has a colon), to tell it from IPv4 before parsing. */
    public static boolean isIpv6(String text) {
        return text.indexOf(':') >= 0;
    }

    /** Parses "addr/len" and requires the host bits to be zero. */
    public static Ipv6Prefix parseNetwork(String text) {
        Ipv6Prefix p = parseHost(text);
        Ipv6Prefix net = new Ipv6Prefix(p.hi & maskHi(p.length), p.lo & maskLo(p.length), p.length);
        if (!net.equals(p)) {
            throw new IllegalArgumentException("'" + text + "' has host bits set; did you mean " + net + "?");
        }
        return p;
    }

    /** Parses "addr/len" (or a bare address as /128) without checking the host bits. */
    public static Ipv6Prefix parseHost(String text) {
        PrefixText t = PrefixText.split(text, 128);
        byte[] b = parseAddress(t.address());
        return new Ipv6Prefix(readLong(b, 0), readLong(b, 8), t.length());
    }

    /** Parses an IPv6 literal into 16 bytes; never a DNS lookup (only hex digits, ':' and '.' get through). */
    public static byte[] parseAddress(String s) {
        if (!isIpv6(s) || !s.matches("[0-9A-Fa-f:.]{2,45}")) {
            throw new IllegalArgumentException("'" + s + "' is not an IPv6 address");
        }
        try {
            InetAddress a = InetAddress.getByName(s); // a literal with ':' is parsed, never looked up
            if (!(a instanceof Inet6Address)) {
                throw new IllegalArgumentException("'" + s + "' is an IPv4-mapped address, not an IPv6 one");
            }
            return a.getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + s + "' is not an IPv6 address");
        }
    }

    /** The short form (RFC 5952) of an address given as two longs. */
    public static String format(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return EndpointFormat.shortForm(b);
    }

    static long maskHi(int length) {
        return length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    static long maskLo(int length) {
        return length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
    }

    public long networkHi() {
        return hi & maskHi(length);
    }

    public long networkLo() {
        return lo & maskLo(length);
    }

    public boolean contains(long ipHi, long ipLo) {
        return (ipHi & maskHi(length)) == networkHi() && (ipLo & maskLo(length)) == networkLo();
    }

    public boolean contains(Ipv6Prefix other) {
        return other.length >= length && contains(other.hi, other.lo);
    }

    public boolean overlaps(Ipv6Prefix other) {
        return contains(other.hi, other.lo) || other.contains(hi, lo);
    }

    /**
     * Two owners' prefixes that overlap, or null: sorted by network then length, a prefix that is inside
     * another is inside the one just before it (or that one is inside the other too), so one pass finds it.
     */
    public static <T> java.util.Map.Entry<T, T> firstOverlap(java.util.List<java.util.Map.Entry<Ipv6Prefix, T>> owned) {
        java.util.List<java.util.Map.Entry<Ipv6Prefix, T>> sorted = new java.util.ArrayList<>(owned);
        sorted.sort(java.util.Comparator.<java.util.Map.Entry<Ipv6Prefix, T>, Long>comparing(e -> e.getKey().networkHi(), Long::compareUnsigned)
                .thenComparing(e -> e.getKey().networkLo(), Long::compareUnsigned)
                .thenComparingInt(e -> e.getKey().length()));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i - 1).getKey().contains(sorted.get(i).getKey())) {
                return java.util.Map.entry(sorted.get(i - 1).getValue(), sorted.get(i).getValue());
            }
        }
        return null;
    }

    public String address() {
        return format(hi, lo);
    }

    @Override
    public String toString() {
        return format(hi, lo) + "/" + length;
    }

    private static long readLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xFF);
        }
        return v;
    }
}
