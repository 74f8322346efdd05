package io.wirecage.srv.conn;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * The UDP socket WireGuard messages arrive on and leave from (wireguard-go's conn/).
 * A blocking NIO channel: close() from another thread wakes the receiver, which is how the device stops.
 */
public final class UdpBind implements AutoCloseable {
    private static final int SOCKET_BUFFER = 4 << 20;
    private final DatagramChannel channel;
    private final InetSocketAddress local;

    private UdpBind(DatagramChannel channel) throws IOException {
        this.channel = channel;
        this.local = (InetSocketAddress) channel.getLocalAddress();
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
        return channel.receive(dst);
    }

    public void send(ByteBuffer src, InetSocketAddress to) throws IOException {
        channel.send(src, to);
    }

    public InetSocketAddress localAddress() {
        return local;
    }

    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
