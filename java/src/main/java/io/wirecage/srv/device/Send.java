package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.DONE;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;

import io.wirecage.srv.nativebridge.TunnelResult;
import io.wirecage.srv.tun.LinuxTun;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TUN to UDP: read an IP packet the kernel routed into the VPN, find the peer that owns its destination
 * (longest-prefix match over allowed IPs), let boringtun encrypt it, and send it to the peer's endpoint.
 */
final class Send implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Send.class);
    private static final byte HANDSHAKE_INITIATION = 1;

    private final Device device;
    private final Supervisor supervisor;
    private final Counters counters;
    private final ByteBuffer in = ByteBuffer.allocateDirect(Device.BUFFER_SIZE);
    private final ByteBuffer out = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);

    Send(Device device) {
        this.device = device;
        this.supervisor = new Supervisor(device, "wg-send");
        this.counters = device.counters();
    }

    @Override
    public void run() {
        try (LinuxTun.Reader reader = device.tun().newReader(in)) {
            supervisor.loop(() -> {
                int n;
                try {
                    n = reader.read();
                } catch (IOException e) {
                    if (device.isRunning()) {
                        log.error("TUN read failed, stopping: {}", e.getMessage());
                        device.fail(e);
                    }
                    return false;
                }
                if (n < 0) {
                    return false;
                }
                try {
                    handle(n);
                } catch (IllegalStateException e) {
                    counters.droppedPeerRemoved.incrementAndGet(); // removed by a reload meanwhile
                }
                return true;
            });
        }
    }

    /** Handles one IP packet held in {@code in} at [0, length). */
    void handle(int length) {
        int version = InnerRoute.version(in, 0, length);
        if (version == 0) {
            counters.droppedNotIpv4.incrementAndGet(); // neither a whole IPv4 nor IPv6 header
            return;
        }
        Peer peer = InnerRoute.destination(device.peers(), in, 0, version);
        if (peer == null) {
            counters.droppedNoRoute.incrementAndGet();
            return;
        }
        if (peer.endpointRecord() == null) {
            // The peer never reached us: without an address the server cannot even start a handshake.
            peer.droppedNoEndpoint.incrementAndGet();
            counters.droppedNoEndpoint.incrementAndGet();
            return;
        }
        long r = peer.activeTunnel().encapsulate(in, 0, length, out);
        int code = TunnelResult.code(r);
        if (code == DONE || (code == WRITE_TO_NETWORK && out.get(0) == HANDSHAKE_INITIATION)) {
            peer.mayHaveQueued = true; // no session: boringtun kept the packet for later
        }
        if (code == WRITE_TO_NETWORK) {
            InetSocketAddress to = peer.endpoint(); // set once, never unset: checked above
            if (device.send(out, TunnelResult.length(r), to)) {
                peer.txPackets.incrementAndGet();
            }
        } else if (code != DONE) {
            counters.tunnelError(code);
        }
    }
}
