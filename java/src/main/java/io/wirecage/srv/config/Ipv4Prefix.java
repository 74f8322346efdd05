package io.wirecage.srv.config;

/**
 * An IPv4 network in CIDR form, kept as two ints so lookups on the data path never allocate.
 * The host bits below the prefix length must be zero for a network (e.g. a subnet);
 * {@link #parseHost} accepts an address with a length (10.200.100.1/24) and keeps the host.
 */
public record Ipv4Prefix(int address, int length) {

    public Ipv4Prefix {
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("prefix length " + length + " is not between 0 and 32");
        }
    }

    /** Parses "a.b.c.d/len" and requires the host bits to be zero. */
    public static Ipv4Prefix parseNetwork(String text) {
        Ipv4Prefix p = parseHost(text);
        if ((p.address & ~p.mask()) != 0) {
            throw new IllegalArgumentException("'" + text + "' has host bits set; did you mean "
                    + new Ipv4Prefix(p.address & p.mask(), p.length) + "?");
        }
        return p;
    }

    /** Parses "a.b.c.d/len" (or a bare address as /32) without checking the host bits. */
    public static Ipv4Prefix parseHost(String text) {
        PrefixText t = PrefixText.split(text, 32);
        return new Ipv4Prefix(parseAddress(t.address()), t.length());
    }

    /** Parses a dotted-quad IPv4 address; no DNS lookups, unlike InetAddress.getByName. */
    public static int parseAddress(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
        }
        int addr = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("'" + s + "' is not an IPv4 address");
            }
            addr = (addr << 8) | octet;
        }
        return addr;
    }

    public static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "."
                + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    public int mask() {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    public int network() {
        return address & mask();
    }

    public boolean contains(int ip) {
        return (ip & mask()) == network();
    }

    public boolean contains(Ipv4Prefix other) {
        return other.length >= length && contains(other.address);
    }

    public boolean overlaps(Ipv4Prefix other) {
        return contains(other.address) || other.contains(address);
    }

    /** Number of addresses in the prefix, as a long so /0 fits. */
    public long size() {
        return 1L << (32 - length);
    }

    @Override
    public String toString() {
        return format(address) + "/" + length;
    }
}
