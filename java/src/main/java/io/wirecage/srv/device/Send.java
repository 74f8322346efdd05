package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.DONE;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;

import io.wirecage.srv.conn.UdpBind;
import io.wirecage.srv.nativebridge.Batch;
import io.wirecage.srv.nativebridge.TunIo;
import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import io.wirecage.srv.nativebridge.UdpIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TUN to UDP: one native call reads what the TUN has queued (TSO super-packets already split into
 * MSS-sized packets; a lone packet is a batch of one), each packet finds its peer by destination here
 * in Java (longest-prefix match over allowed IPs) and is encrypted into a native arena, and one
 * sendmmsg sends the lot, equal-sized runs to one peer as UDP GSO messages. Nothing here allocates
 * per packet.
 */
final class Send implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Send.class);

    private final Device device;
    private final Supervisor supervisor;
    private final Counters counters;
    private final UdpBind udp;
    private final int tunFd;
    private Batch in;
    private Batch out;
    private ByteBuffer inData;
    private ByteBuffer outData;
    private int count;
    private int pos;

    Send(Device device) {
        this.device = device;
        this.supervisor = new Supervisor(device, "wg-send");
        this.counters = device.counters();
        this.udp = device.udp();
        this.tunFd = device.tun().fd();
    }

    @Override
    public void run() {
        try (Batch i = new Batch(1 << 20, 1024); Batch o = new Batch((1 << 20) + (1 << 16), 1024)) {
            in = i;
            out = o;
            inData = i.data();
            outData = o.data();
            loop();
        }
    }

    private void loop() {
        supervisor.loop(() -> {
            long r = TunIo.read(tunFd, in, Messages.POLL_MILLIS);
            if (r < 0) {
                if (device.isRunning()) {
                    log.error("TUN read failed, stopping: errno {}", -r);
                    device.fail(new IOException("TUN read failed: errno " + -r));
                }
                return false;
            }
            int n = TunIo.count(r);
            int malformed = TunIo.dropped(r);
            if (malformed != 0) {
                counters.droppedMalformedOffload.addAndGet(malformed);
            }
            for (int i = 0; i < n; i++) {
                try {
                    packet(in.off(i), in.len(i));
                } catch (IllegalStateException e) {
                    counters.droppedPeerRemoved.incrementAndGet(); // removed by a reload meanwhile
                } catch (RuntimeException e) {
                    supervisor.unexpected(e); // this packet is lost, the rest of the batch is not
                }
            }
            flush();
            return true;
        });
    }

    private void packet(int off, int len) {
        int version = InnerRoute.version(inData, off, len);
        if (version == 0) {
            counters.droppedNotIp.incrementAndGet(); // neither a whole IPv4 nor IPv6 header
            return;
        }
        Peer peer = InnerRoute.destination(device.peers(), inData, off, version);
        if (peer == null) {
            counters.droppedNoRoute.incrementAndGet();
            return;
        }
        supervisor.current = peer;
        if (pos + Math.max(len + Tunnel.MAX_PADDING + Tunnel.DATA_OVERHEAD, Tunnel.MIN_DST_CAPACITY) > out.capacity()
                || count == out.maxEntries()) {
            flush();
        }
        if (peer.endpointRecord() == null) {
            // The peer never reached us: without an address the server cannot even start a handshake.
            peer.droppedNoEndpoint.incrementAndGet();
            counters.droppedNoEndpoint.incrementAndGet();
            return;
        }
        long r = peer.activeTunnel().encapsulate(in, off, len, out, pos);
        int code = TunnelResult.code(r);
        if (code == DONE || (code == WRITE_TO_NETWORK && outData.get(pos) == Messages.INITIATION)) {
            peer.mayHaveQueued = true; // no session: boringtun kept the packet for later
        }
        if (code == WRITE_TO_NETWORK) {
            Peer.Endpoint to = peer.endpointRecord(); // set once, never unset: checked above
            int n = TunnelResult.length(r);
            out.set(count++, pos, n, to.family(), to.port(), to.hi(), to.lo());
            pos = Batch.align(pos + n);
            peer.txPackets.incrementAndGet();
        } else if (code != DONE) {
            counters.tunnelError(code);
        }
    }

    private void flush() {
        if (count == 0) {
            return;
        }
        long r = UdpIo.send(udp.fd(), out, count, udp.isV6(), udp.gso());
        int failed = UdpIo.failed(r);
        if (failed != 0) {
            counters.droppedSendFailed.addAndGet(failed);
        }
        if ((r & UdpIo.GSO_FAILED) != 0 && udp.gso()) {
            udp.disableGso();
            log.warn("UDP GSO refused by the kernel (EIO); sending datagrams one by one from now on");
        }
        count = 0;
        pos = 0;
    }
}
