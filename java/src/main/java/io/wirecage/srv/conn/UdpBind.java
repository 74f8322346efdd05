package io.wirecage.srv.conn;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.UdpIo;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The UDP socket WireGuard messages arrive on and leave from (wireguard-go's conn/). Two kinds:
 * {@link #bind} gives a blocking NIO channel (the simple data path: close() from another thread wakes
 * the receiver); {@link #bindNative} creates the socket itself so its fd can be handed to
 * {@link UdpIo} for recvmmsg/sendmmsg with GSO/GRO (the batched path). Either way this class
 * creates, configures and closes the socket.
 */
public final class UdpBind implements AutoCloseable {
    private static final int SOCKET_BUFFER = 4 << 20;
    /** Batched path: room for several 64 KB GRO messages per direction (wireguard-go uses 7 MB). */
    private static final int FORCED_SOCKET_BUFFER = 8 << 20;
    private final DatagramChannel channel;
    private final int fd;
    private final boolean v6;
    private final boolean gro;
    private volatile boolean gso;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final InetSocketAddress local;

    private UdpBind(DatagramChannel channel) throws IOException {
        this.channel = channel;
        this.local = (InetSocketAddress) channel.getLocalAddress();
        this.fd = -1;
        this.v6 = false;
        this.gro = false;
    }

    private UdpBind(int fd, boolean v6, boolean gso, boolean gro, InetSocketAddress local) {
        this.channel = null;
        this.fd = fd;
        this.v6 = v6;
        this.gso = gso;
        this.gro = gro;
        this.local = local;
    }

    /**
     * Creates, configures and binds a socket for the batched path: socket buffers forced to 8 MB as
     * root (SO_*BUFFORCE ignores rmem_max, which a network namespace cannot raise), UDP_GRO on when
     * the kernel has it (5.0+), UDP_SEGMENT probed (4.18+).
     */
    public static UdpBind bindNative(InetSocketAddress listen) throws IOException {
        boolean v6 = !(listen.getAddress() instanceof Inet4Address);
        int fd = SocketLibC.socket(v6 ? SocketLibC.AF_INET6 : SocketLibC.AF_INET,
                SocketLibC.SOCK_DGRAM | SocketLibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot create UDP socket: " + describe(Native.getLastError()));
        }
        try (Memory opt = new Memory(4); Memory sa = new Memory(28); Memory len = new Memory(4)) {
            setBuffer(fd, SocketLibC.SO_RCVBUFFORCE, SocketLibC.SO_RCVBUF, opt);
            setBuffer(fd, SocketLibC.SO_SNDBUFFORCE, SocketLibC.SO_SNDBUF, opt);
            if (v6) {
                opt.setInt(0, 0); // dual stack: IPv4 clients arrive as mapped addresses
                SocketLibC.setsockopt(fd, SocketLibC.IPPROTO_IPV6, SocketLibC.IPV6_V6ONLY, opt, 4);
            }
            int saLen = putSockaddr(sa, listen, v6);
            if (SocketLibC.bind(fd, sa, saLen) < 0) {
                int errno = Native.getLastError();
                throw new IOException("UDP port " + listen.getPort() + " on " + listen.getAddress().getHostAddress()
                        + " is already in use (or the address is not local): " + describe(errno));
            }
            sa.clear();
            len.setInt(0, 28);
            SocketLibC.getsockname(fd, sa, len);
            int port = Short.toUnsignedInt(Short.reverseBytes(sa.getShort(2)));
            boolean gso = UdpIo.probeGso(fd) == 0;
            boolean gro = UdpIo.enableGro(fd) == 0;
            return new UdpBind(fd, v6, gso, gro, new InetSocketAddress(listen.getAddress(), port));
        } catch (IOException | RuntimeException | Error e) {
            SocketLibC.close(fd);
            throw e;
        }
    }

    private static void setBuffer(int fd, int forced, int plain, Memory opt) {
        opt.setInt(0, FORCED_SOCKET_BUFFER);
        if (SocketLibC.setsockopt(fd, SocketLibC.SOL_SOCKET, forced, opt, 4) < 0) {
            opt.setInt(0, FORCED_SOCKET_BUFFER); // not root: the kernel caps this at rmem_max/wmem_max
            SocketLibC.setsockopt(fd, SocketLibC.SOL_SOCKET, plain, opt, 4);
        }
    }

    /** struct sockaddr_in / sockaddr_in6; family in host order, port and address in network order. */
    private static int putSockaddr(Memory sa, InetSocketAddress a, boolean v6) {
        sa.clear();
        byte[] addr = a.getAddress().getAddress();
        sa.setShort(0, (short) (v6 ? SocketLibC.AF_INET6 : SocketLibC.AF_INET));
        sa.setShort(2, Short.reverseBytes((short) a.getPort()));
        if (!v6) {
            sa.write(4, addr, 0, 4);
            return 16;
        }
        if (addr.length == 4) {
            sa.setByte(18, (byte) 0xff);
            sa.setByte(19, (byte) 0xff);
            sa.write(20, addr, 0, 4);
        } else {
            sa.write(8, addr, 0, 16);
        }
        return 28;
    }

    private static String describe(int errno) {
        return SocketLibC.strerror(errno) + " (errno " + errno + ")";
    }

    /** Whether this socket is for the batched path (fd known, no NIO channel). */
    public boolean isNative() {
        return channel == null;
    }

    /** The socket's fd for {@link UdpIo}; -1 for a channel. */
    public int fd() {
        return fd;
    }

    public boolean isV6() {
        return v6;
    }

    public boolean gso() {
        return gso;
    }

    public boolean gro() {
        return gro;
    }

    /** After the kernel refused a GSO send (EIO): stop asking for it. */
    public void disableGso() {
        gso = false;
    }

    /** Binds, translating "address in use" into a message that names the port. */
    public static UdpBind bind(InetSocketAddress listen) throws IOException {
        // An IPv4 listen address gets an IPv4 socket: clean addresses in logs, no mapped-address detour.
        DatagramChannel ch = listen.getAddress() instanceof java.net.Inet4Address
                ? DatagramChannel.open(java.net.StandardProtocolFamily.INET) : DatagramChannel.open();
        try {
            // Larger buffers absorb bursts instead of dropping them; the kernel caps at rmem_max.
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            ch.bind(listen);
            return new UdpBind(ch);
        } catch (BindException e) {
            ch.close();
            throw new IOException("UDP port " + listen.getPort() + " on " + listen.getAddress().getHostAddress()
                    + " is already in use (or the address is not local): " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Blocks until a datagram arrives; the JDK reuses the returned address object while the sender stays the same. */
    public SocketAddress receive(ByteBuffer dst) throws IOException {
        if (channel == null) {
            throw new UnsupportedOperationException("a native socket receives through UdpIo");
        }
        return channel.receive(dst);
    }

    /** Sends src[position, limit) (a direct buffer for a native socket) as one datagram. */
    public void send(ByteBuffer src, InetSocketAddress to) throws IOException {
        if (channel != null) {
            channel.send(src, to);
            return;
        }
        if (closed.get()) {
            throw new ClosedChannelException();
        }
        InetAddress a = to.getAddress();
        long r = UdpIo.sendTo(fd, src, src.position(), src.remaining(), SourceAddress.family(a), to.getPort(),
                SourceAddress.hi(a), SourceAddress.lo(a), v6);
        if (r < 0) {
            throw new IOException("send to " + to + " failed: " + describe((int) -r));
        }
        src.position(src.limit());
    }

    public InetSocketAddress localAddress() {
        return local;
    }

    public boolean isOpen() {
        return channel != null ? channel.isOpen() : !closed.get();
    }

    /** Closes once. For a native socket the caller has stopped every thread that uses the fd. */
    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        } else if (closed.compareAndSet(false, true)) {
            SocketLibC.close(fd);
        }
    }
}
