package io.wirecage.srv.device;

import static io.wirecage.srv.nativebridge.TunnelResult.DONE;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_NETWORK;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_TUNNEL_V4;
import static io.wirecage.srv.nativebridge.TunnelResult.WRITE_TO_TUNNEL_V6;

import io.wirecage.srv.nativebridge.Batch;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.TunIo;
import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import io.wirecage.srv.nativebridge.UdpIo;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP to TUN: one recvmmsg brings up to 64 messages (each, with UDP_GRO, up to 64 KB of equal-sized
 * datagrams; a lone datagram is a batch of one), every data message is decrypted straight into a
 * native arena, checked against the peer's allowed IPs (cryptokey routing stays here in Java), and
 * the batch goes to the TUN in one native call that merges TCP segments (GRO). Control messages get
 * only cheap checks here and wait in the {@link HandshakeQueue} for the handshake workers, so a flood of
 * them cannot take this thread from the data. Nothing here allocates per packet.
 */
final class Receive implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Receive.class);
    /** With GRO one message holds up to ~45 datagrams: fewer messages keep batches (and latency) small. */
    private static final int MESSAGES_WITH_GRO = 8;
    /** Source addresses whose handshake budget is tracked at once. */
    private static final int BUDGET_ADDRESSES = 8192;

    private final Device device;
    private final Supervisor supervisor;
    private final Counters counters;
    private final int udpFd;
    private final int tunFd;
    private final boolean gro;
    private final int maxMessages;
    private final HandshakeQueue queue;
    private final SourceBudget budget = new SourceBudget(BUDGET_ADDRESSES);
    private final Identity identity;
    private final KernelScreen screen;
    private final boolean v6Socket;
    /** Cookie replies are written here. */
    private final ByteBuffer cookie = ByteBuffer.allocateDirect(Identity.MIN_CLASSIFY_OUT);
    private final Ipv6Guard ipv6;
    /** Packets boringtun queued during a handshake are encrypted here when this thread drains them. */
    private final ByteBuffer drainBuffer = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);
    private Batch rx;
    private Batch tun;
    private ByteBuffer tunData;
    private ByteBuffer rxData;
    private int count;
    private int pos;

    Receive(Device device) {
        this.device = device;
        this.counters = device.counters();
        this.supervisor = new Supervisor(device, "wg-receive");
        this.queue = device.handshakeQueue();
        this.identity = device.identity();
        this.screen = device.screen();
        this.v6Socket = device.udp().isV6();
        this.udpFd = device.udp().fd();
        this.tunFd = device.tun().fd();
        this.gro = device.tun().offload();
        this.maxMessages = device.udp().gro() ? MESSAGES_WITH_GRO : UdpIo.MAX_MESSAGES;
        this.ipv6 = new Ipv6Guard(device);
    }

    @Override
    public void run() {
        try (Batch r = new Batch(maxMessages * UdpIo.REGION, maxMessages);
                Batch t = new Batch(1 << 20, 1024)) {
            rx = r;
            tun = t;
            rxData = r.data();
            tunData = t.data();
            loop();
        }
    }

    private void loop() {
        Supervisor.Backoff backoff = new Supervisor.Backoff();
        Supervisor.RateLimitedLog receiveLog = new Supervisor.RateLimitedLog(Supervisor.LOG_INTERVAL_NANOS);
        supervisor.loop(() -> {
            long n = UdpIo.receive(udpFd, rx, maxMessages, Messages.POLL_MILLIS);
            if (n < 0) {
                if (!device.isRunning()) {
                    return false;
                }
                counters.receiveErrors.incrementAndGet();
                long held = receiveLog.tryLog();
                if (held >= 0) {
                    log.warn("UDP receive failed: errno {} ({} more since the last report; retrying with a pause)", -n, held);
                }
                backoff.failed();
                return true;
            }
            backoff.succeeded();
            screen.maintain(System.nanoTime());
            for (int m = 0; m < n; m++) {
                int off = rx.off(m);
                int len = rx.len(m);
                int seg = rx.aux(m);
                if (seg < 0) {
                    counters.droppedTruncated.incrementAndGet();
                    continue;
                }
                if (seg == 0) {
                    seg = len;
                }
                int family = rx.family(m);
                int port = rx.port(m);
                long hi = rx.hi(m);
                long lo = rx.lo(m);
                for (int o = off, end = off + len; o < end; o += seg) {
                    try {
                        datagram(o, Math.min(seg, end - o), family, port, hi, lo);
                    } catch (IllegalStateException e) {
                        counters.droppedPeerRemoved.incrementAndGet(); // removed by a reload meanwhile
                    } catch (RuntimeException e) {
                        supervisor.unexpected(e); // this datagram is lost, the rest of the batch is not
                    }
                }
            }
            flush();
            return true;
        });
    }

    private void datagram(int o, int len, int family, int port, long hi, long lo) {
        int type = len >= 4 ? Messages.type(rxData.getInt(o)) : 0;
        if (type != Messages.DATA || len < Messages.DATA_MIN_SIZE) {
            controlMessage(type, o, len, family, port, hi, lo);
            return;
        }
        PeerTable table = device.peers();
        Peer peer = table.byReceiverIndex(Integer.reverseBytes(rxData.getInt(o + 4)));
        if (peer == null) {
            counters.droppedUnknownIndex.incrementAndGet();
            return;
        }
        if (pos + Math.max(len, Tunnel.MIN_DST_CAPACITY) > tun.capacity() || count == tun.maxEntries()) {
            flush();
        }
        Tunnel tunnel = peer.tunnel();
        if (tunnel == null) {
            counters.droppedUnknownIndex.incrementAndGet(); // the peer is idle: a stale session's packet
            return;
        }
        supervisor.current = peer;
        long r = tunnel.decapsulate(hi, lo, family, rx, o, len, tun, pos);
        int code = TunnelResult.code(r);
        int n = TunnelResult.length(r);
        switch (code) {
            case WRITE_TO_TUNNEL_V4 -> {
                peer.updateEndpoint(family, port, hi, lo);
                // Cryptokey routing: a peer may only speak from the addresses it owns.
                if (n < 20 || table.byAddress(tunData.getInt(pos + 12)) != peer) {
                    peer.droppedSourceNotAllowed.incrementAndGet();
                    counters.droppedSourceNotAllowed.incrementAndGet();
                    return;
                }
                peer.rxPackets.incrementAndGet();
                tun.set(count++, pos, n, 0, 0, 0, 0);
                pos = Batch.align(pos + n);
                Handshakes.drainIfQueued(device, peer, drainBuffer);
            }
            case DONE -> {
                peer.updateEndpoint(family, port, hi, lo); // an authenticated keepalive
                Handshakes.drainIfQueued(device, peer, drainBuffer);
            }
            case WRITE_TO_TUNNEL_V6 -> {
                peer.updateEndpoint(family, port, hi, lo);
                if (!ipv6.admit(peer, tunData, pos, n)) { // cryptokey routing for IPv6 (counted, maybe answered)
                    return;
                }
                peer.rxPackets.incrementAndGet();
                tun.set(count++, pos, n, 0, 0, 0, 0);
                pos = Batch.align(pos + n);
                Handshakes.drainIfQueued(device, peer, drainBuffer);
            }
            case WRITE_TO_NETWORK -> {
                if (n > 0 && tunData.get(pos) == Messages.COOKIE_REPLY) {
                    counters.cookieRepliesSent.incrementAndGet(); // unauthenticated: the endpoint stays
                } else {
                    peer.updateEndpoint(family, port, hi, lo);
                }
                if (UdpIo.sendTo(udpFd, tunData, pos, n, family, port, hi, lo, device.udp().isV6()) < 0) {
                    counters.droppedSendFailed.incrementAndGet();
                }
            }
            default -> counters.tunnelError(code);
        }
    }

    /**
     * Handshakes and cookies, cheapest check first: garbage is dropped by type and size; under load a
     * source over its budget is dropped (no crypto at all); boringtun's limiter checks mac1 and, while it
     * demands cookies, mac2 (a few hashes, no X25519) and its cookie reply is sent from here; what passes
     * waits for a handshake worker, in the first lane when it passed with a valid mac2.
     */
    private void controlMessage(int type, int o, int len, int family, int port, long hi, long lo) {
        if (!Messages.controlSizeFits(type, len) || family == 0) {
            counters.droppedMalformed.incrementAndGet();
            return;
        }
        long now = System.nanoTime();
        if (queue.underLoad(now) && !budget.allow(family, hi, lo, now)) {
            counters.droppedHandshakeOverBudget.incrementAndGet();
            screen.block(family, hi, lo, now); // the kernel drops its next handshakes for a while
            return;
        }
        boolean proven = queue.demandingCookies(); // then a message that passes carried a valid mac2
        long r = identity.screen(rxData, o, len, hi, lo, family, cookie);
        int code = TunnelResult.code(r);
        if (code == WRITE_TO_NETWORK) {
            queue.cookieDemanded(now);
            if (UdpIo.sendTo(udpFd, cookie, 0, TunnelResult.length(r), family, port, hi, lo, v6Socket) < 0) {
                counters.droppedSendFailed.incrementAndGet();
                return;
            }
            counters.cookieRepliesSent.incrementAndGet();
            Events.cookieReply(family, port, hi, lo);
            return;
        }
        if (code != DONE) {
            counters.tunnelError(code);
            if (code == TunnelResult.ERR_INVALID_MAC) {
                Events.handshakeFailed(family, port, hi, lo, "invalid_mac");
            }
            return;
        }
        if (!queue.offer(rxData, o, len, family, port, hi, lo, proven, now)) {
            counters.droppedHandshakeQueueFull.incrementAndGet();
        }
    }

    private void flush() {
        if (count == 0) {
            return;
        }
        long r = TunIo.write(tunFd, tun, count, gro);
        int failed = TunIo.dropped(r);
        if (failed != 0) {
            counters.droppedSendFailed.addAndGet(failed);
        }
        count = 0;
        pos = 0;
    }
}
