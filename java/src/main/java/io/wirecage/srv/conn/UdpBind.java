package io.wirecage.srv.conn;

import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.UdpIo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The UDP socket WireGuard messages arrive on and leave from (wireguard-go's conn/). The bridge
 * creates and binds it ({@link UdpIo#open}) so its fd can be used for recvmmsg/sendmmsg with GSO/GRO;
 * this class configures it, owns the fd and closes it once.
 */
public final class UdpBind implements AutoCloseable {
    /** Room for several 64 KB GRO messages per direction (wireguard-go uses 7 MB). */
    private static final int SOCKET_BUFFER = 8 << 20;
    private final int fd;
    private final boolean v6;
    private final boolean gro;
    private volatile boolean gso;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final InetSocketAddress local;

    private UdpBind(int fd, boolean v6, boolean gso, boolean gro, InetSocketAddress local) {
        this.fd = fd;
        this.v6 = v6;
        this.gso = gso;
        this.gro = gro;
        this.local = local;
    }

    private static final int EAFNOSUPPORT = 97;

    /**
     * Creates and binds the socket: buffers forced to 8 MB as root (a network namespace cannot raise
     * rmem_max), UDP_GRO on when the kernel has it (5.0+), UDP_SEGMENT probed (4.18+). An IPv6 (or
     * wildcard IPv6) address gives a dual-stack socket.
     */
    public static UdpBind bind(InetSocketAddress listen) throws IOException {
        InetAddress a = listen.getAddress();
        int family = SourceAddress.family(a);
        long r = UdpIo.open(family, listen.getPort(), SourceAddress.hi(a), SourceAddress.lo(a), SOCKET_BUFFER);
        if (r == -EAFNOSUPPORT && family == SourceAddress.IPV6 && a.isAnyLocalAddress()) {
            // a kernel without IPv6 (ipv6.disable=1): the default [::] becomes 0.0.0.0, IPv4 clients only
            a = java.net.InetAddress.getByAddress(new byte[4]);
            family = SourceAddress.IPV4;
            r = UdpIo.open(family, listen.getPort(), 0, 0, SOCKET_BUFFER);
        }
        if (r < 0) {
            throw new IOException("UDP port " + listen.getPort() + " on " + a.getHostAddress()
                    + " is already in use (or the address is not local): " + UdpIo.describe((int) -r));
        }
        int fd = (int) r;
        long port = UdpIo.localPort(fd);
        if (port < 0) {
            UdpIo.close(fd);
            throw new IOException("cannot read the bound UDP port: " + UdpIo.describe((int) -port));
        }
        boolean gso = UdpIo.probeGso(fd) == 0;
        boolean gro = UdpIo.enableGro(fd) == 0;
        return new UdpBind(fd, family == SourceAddress.IPV6, gso, gro, new InetSocketAddress(a, (int) port));
    }

    /** The socket's fd for {@link UdpIo}. */
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

    /**
     * Sends src[position, limit) of a direct buffer as one datagram (handshakes, cookies, timers) to an
     * address in SourceAddress form (family, port, hi, lo), as peers keep their endpoint: no InetAddress
     * and no byte[] of its bytes per datagram.
     */
    public void send(ByteBuffer src, int family, int port, long hi, long lo) throws IOException {
        if (closed.get()) {
            throw new ClosedChannelException();
        }
        long r = UdpIo.sendTo(fd, src, src.position(), src.remaining(), family, port, hi, lo, v6);
        if (r < 0) {
            throw new IOException("send to " + new InetSocketAddress(SourceAddress.toInetAddress(family, hi, lo), port)
                    + " failed: " + UdpIo.describe((int) -r));
        }
        src.position(src.limit());
    }

    public InetSocketAddress localAddress() {
        return local;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Closes once; the caller has stopped every thread that uses the fd. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            UdpIo.close(fd);
        }
    }
}
