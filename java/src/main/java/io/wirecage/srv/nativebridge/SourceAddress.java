package io.wirecage.srv.nativebridge;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The allocation-free form in which a datagram's source address crosses JNI (decoded by
 * boundary.rs): a family plus two longs. IPv4 sits in the low 32 bits of {@code lo}; IPv6 is
 * {@code hi} = first 8 bytes, {@code lo} = last 8 bytes, big-endian. boringtun uses the address
 * only for cookies when under load; with {@link #NONE} a loaded server drops handshakes (UnderLoad).
 */
public final class SourceAddress {
    public static final int NONE = 0;
    public static final int IPV4 = 4;
    public static final int IPV6 = 6;

    private SourceAddress() {
    }

    public static int family(InetAddress address) {
        if (address instanceof Inet4Address) {
            return IPV4;
        }
        return address instanceof Inet6Address ? IPV6 : NONE;
    }

    public static long hi(InetAddress address) {
        return address instanceof Inet6Address ? readLong(address.getAddress(), 0) : 0L;
    }

    public static long lo(InetAddress address) {
        byte[] b = address.getAddress();
        return b.length == 4 ? readInt(b) & 0xFFFFFFFFL : readLong(b, 8);
    }

    /** lo for an IPv4 address given as a big-endian int (e.g. ByteBuffer.getInt of a header). */
    public static long ipv4(int address) {
        return address & 0xFFFFFFFFL;
    }

    /** The inverse of family/hi/lo: the InetAddress a (family, hi, lo) triple stands for. */
    public static InetAddress toInetAddress(int family, long hi, long lo) {
        byte[] b;
        if (family == IPV4) {
            b = new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        } else if (family == IPV6) {
            b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
        } else {
            throw new IllegalArgumentException("no address for family " + family);
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e); // cannot happen for 4 or 16 bytes
        }
    }

    private static int readInt(byte[] b) {
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    private static long readLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xFF);
        }
        return v;
    }
}
