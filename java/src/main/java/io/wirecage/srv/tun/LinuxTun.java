package io.wirecage.srv.tun;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.nativebridge.Offload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Linux TUN device (layer 3, no packet-info header) opened and configured through JNA:
 * the server address, MTU and link state are set with ioctls, without shelling out to ip(8).
 * The device is not persistent: it disappears when the file descriptor is closed or the process dies.
 */
public final class LinuxTun implements AutoCloseable {
    private static final String CLONE_DEVICE = "/dev/net/tun";
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCSIFFLAGS = 0x8914;
    private static final long SIOCSIFADDR = 0x8916;
    private static final long SIOCGIFINDEX = 0x8933;
    private static final long SIOCSIFNETMASK = 0x891c;
    private static final long SIOCSIFMTU = 0x8922;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_UP = 0x1;
    private static final short IFF_RUNNING = 0x40;
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;
    
    private final String name;
    private final int fd;
    private int mtu;
    private boolean offload;
    private volatile boolean closed;

    private LinuxTun(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /**
     * Creates the device, assigns {@code address} with the prefix's netmask, sets the MTU and brings it up.
     * On any failure the device is closed again, so nothing is left behind. Every read and write carries
     * a struct virtio_net_hdr (IFF_VNET_HDR), and TUNSETOFFLOAD asks for checksum offload and IPv4 TSO, so
     * reads may return 64 KB TCP super-packets (see {@link #offload()}: false when the kernel refused, then
     * packets come one by one, still behind a header).
     */
    public static LinuxTun open(String name, int address, Ipv4Prefix subnet, int mtu) throws IOException {
        if (!Files.exists(Path.of(CLONE_DEVICE))) {
            throw new IOException(CLONE_DEVICE + " does not exist: the kernel needs TUN support (modprobe tun), "
                    + "and a container needs --device /dev/net/tun");
        }
        int fd = LibC.open(CLONE_DEVICE, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            int errno = Native.getLastError();
            throw new IOException("cannot open " + CLONE_DEVICE + ": " + describe(errno)
                    + (errno == LibC.EACCES && !"root".equals(System.getProperty("user.name"))
                    ? " (its file mode does not let user " + System.getProperty("user.name") + " open it: udev makes it 0666 "
                            + "on most systems; chmod 0666 " + CLONE_DEVICE + ", or run as root)"
                    : errno == LibC.EPERM || errno == LibC.EACCES ? " (run as root or with CAP_NET_ADMIN)" : ""));
        }
        LinuxTun tun = new LinuxTun(name, fd);
        try {
            try (Memory ifr = ifreq(name)) {
                ifr.setShort(IFNAMSIZ, (short) (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR));
                if (LibC.ioctl(fd, TUNSETIFF, ifr) < 0) {
                    int errno = Native.getLastError();
                    throw new IOException("cannot create TUN device " + name + ": " + describe(errno)
                            + (errno == LibC.EBUSY ? " (another process has it open: is another server running with this --tun-name?)"
                            : errno == LibC.EPERM ? " (run as root or with CAP_NET_ADMIN)" : ""));
                }
            }
            // The argument is the flag word itself, not a pointer to it.
            tun.offload = LibC.ioctl(fd, TUNSETOFFLOAD,
                    Pointer.createConstant(Offload.TUN_F_CSUM | Offload.TUN_F_TSO4)) == 0;
            tun.disableIpv6();
            tun.configure(address, subnet, mtu);
            tun.mtu = mtu;
            return tun;
        } catch (IOException | RuntimeException e) {
            tun.close();
            throw e;
        }
    }

    /**
     * Gives the device an IPv6 address (IPv6 inside the tunnel): IPv6 is switched back on for it, and
     * the address with its prefix length goes on by ioctl (struct in6_ifreq on an AF_INET6 socket).
     */
    public void addIpv6(byte[] address, int prefixLength) throws IOException {
        Path sysctl = Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6");
        if (!Files.exists(sysctl)) {
            throw new IOException("this kernel has no IPv6 (no " + sysctl + "): turn IPv6 inside the tunnel off (ipv6 = false)");
        }
        try {
            Files.writeString(sysctl, "0\n");
        } catch (IOException e) {
            throw new IOException("cannot turn IPv6 on for " + name + " (read-only /proc/sys? run privileged): " + e.getMessage(), e);
        }
        int sock = LibC.socket(LibC.AF_INET6, LibC.SOCK_DGRAM, 0);
        if (sock < 0) {
            throw new IOException("socket(AF_INET6) failed: " + describe(Native.getLastError()));
        }
        try (Memory ifr = ifreq(name); Memory in6 = new Memory(24)) {
            ioctl(sock, SIOCGIFINDEX, ifr, "read the interface index");
            in6.clear();
            in6.write(0, address, 0, 16);
            in6.setInt(16, prefixLength);
            in6.setInt(20, ifr.getInt(IFNAMSIZ));
            if (LibC.ioctl(sock, SIOCSIFADDR, in6) < 0) {
                throw new IOException("cannot set IPv6 address on " + name + ": " + describe(Native.getLastError()));
            }
        } finally {
            LibC.close(sock);
        }
    }

    /**
     * The VPN is IPv4; without this the kernel sends IPv6 router solicitations into the TUN that no peer
     * could take. The setting belongs to this interface and goes away with it.
     */
    private void disableIpv6() {
        Path sysctl = Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6");
        try {
            if (Files.exists(sysctl)) {
                Files.writeString(sysctl, "1\n");
            }
        } catch (IOException e) {
            // read-only /proc/sys (unprivileged container): harmless, those packets are counted and dropped
        }
    }

    private void configure(int address, Ipv4Prefix subnet, int mtu) throws IOException {
        int sock = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM, 0);
        if (sock < 0) {
            throw new IOException("socket(AF_INET) failed: " + describe(Native.getLastError()));
        }
        try (Memory ifr = ifreq(name)) {
            putSockaddrIn(ifr, address);
            ioctl(sock, SIOCSIFADDR, ifr, "set address " + Ipv4Prefix.format(address));
            putSockaddrIn(ifr, subnet.mask());
            ioctl(sock, SIOCSIFNETMASK, ifr, "set netmask /" + subnet.length());
            clearUnion(ifr);
            ifr.setInt(IFNAMSIZ, mtu);
            ioctl(sock, SIOCSIFMTU, ifr, "set MTU " + mtu);
            clearUnion(ifr);
            ioctl(sock, SIOCGIFFLAGS, ifr, "read flags");
            ifr.setShort(IFNAMSIZ, (short) (ifr.getShort(IFNAMSIZ) | IFF_UP | IFF_RUNNING));
            ioctl(sock, SIOCSIFFLAGS, ifr, "bring up");
        } finally {
            LibC.close(sock);
        }
    }

    private void ioctl(int sock, long request, Memory ifr, String what) throws IOException {
        if (LibC.ioctl(sock, request, ifr) < 0) {
            throw new IOException("cannot " + what + " on " + name + ": " + describe(Native.getLastError()));
        }
    }

    private static Memory ifreq(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name too long: " + name);
        }
        Memory m = new Memory(IFREQ_SIZE);
        m.clear();
        m.write(0, n, 0, n.length);
        return m;
    }

    /** Zeroes the ifreq union after the name (Memory.clear(n) would clear from offset 0, the name). */
    private static void clearUnion(Memory ifr) {
        ifr.setMemory(IFNAMSIZ, IFREQ_SIZE - IFNAMSIZ, (byte) 0);
    }

    /** struct sockaddr_in at ifr_addr: family in host order, port 0, address in network order. */
    private static void putSockaddrIn(Memory ifr, int address) {
        clearUnion(ifr);
        ifr.setShort(IFNAMSIZ, (short) LibC.AF_INET);
        ifr.setByte(IFNAMSIZ + 4, (byte) (address >>> 24));
        ifr.setByte(IFNAMSIZ + 5, (byte) (address >>> 16));
        ifr.setByte(IFNAMSIZ + 6, (byte) (address >>> 8));
        ifr.setByte(IFNAMSIZ + 7, (byte) address);
    }

    public String name() {
        return name;
    }

    /** The device fd, for {@link io.wirecage.srv.nativebridge.TunIo}; valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    /** The MTU the device was configured with (what a peer's packets are padded up to). */
    public int mtu() {
        return mtu;
    }

    /** Whether the kernel accepted TUNSETOFFLOAD (checksum offload + TSO). */
    public boolean offload() {
        return offload;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    static String describe(int errno) {
        return LibC.strerror(errno) + " (errno " + errno + ")";
    }
}
