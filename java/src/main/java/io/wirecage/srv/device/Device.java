package io.wirecage.srv.device;

import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.conn.UdpBind;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.tun.LinuxTun;
import io.wirecage.srv.config.Base64Key;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The running data path: one UDP socket, one TUN device, the peer table, and its threads: UDP to TUN
 * in {@link Receive}, which queues control messages for the {@link HandshakeWorker}s (one per core);
 * TUN to UDP in {@link Send}; timers in {@link Timers}.
 * The peer table is an immutable snapshot behind a volatile field: readers never lock.
 * The device owns the socket and the TUN device from construction on and closes them.
 */
public final class Device implements AutoCloseable {
    static final int BUFFER_SIZE = 65536;
    /** Room for the largest packet plus WireGuard's 32 bytes of overhead. */
    static final int OUT_BUFFER_SIZE = BUFFER_SIZE + 64;
    /** Control messages waiting for a handshake worker (wireguard-go: 4096 at 148 bytes; ours: 1024). */
    static final int HANDSHAKE_QUEUE = 1024;

    private final Identity identity;
    private final UdpBind udp;
    private final LinuxTun tun;
    private final Counters counters = new Counters();
    private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
    private final List<Thread> threads = new ArrayList<>();
    private final HandshakeQueue handshakeQueue = new HandshakeQueue(HANDSHAKE_QUEUE);
    /** One thread, so precomputations run in update order; idle between updates. */
    private final java.util.concurrent.ExecutorService peerSecrets = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("wg-peer-keys").daemon().unstarted(r));
    /** The socket filter; null without a socket (unit tests of the peer logic). */
    private final KernelScreen screen;
    private volatile PeerTable peers = PeerTable.empty();
    private volatile boolean running;
    /** A throwaway device (HandshakeWarmup): completes handshakes without a log line or event. */
    boolean quiet;

    public Device(Identity identity, UdpBind udp, LinuxTun tun) {
        this.identity = identity;
        this.udp = udp;
        this.tun = tun;
        this.screen = udp == null ? null : new KernelScreen(udp.fd());
        if (screen != null) {
            counters.kernelDrops = screen::kernelDrops;
        }
    }

    /** What a peer update did, for the log line. */
    public record PeerUpdate(int added, int removed, int changed, int unchanged) {}

    /**
     * Applies a new peer list with {@code wg syncconf} semantics: a peer whose key, preshared key and
     * keepalive stay the same keeps its tunnel (session, timers, counters), even if its allowed IPs change;
     * new peers get a free index (their tunnel comes with their first handshake); removed peers are closed
     * after the new table is live.
     */
    public synchronized PeerUpdate updatePeers(List<PeerSettings> settings) {
        Map<Base64Key, Peer> old = new HashMap<>();
        peers.all().forEach(p -> old.put(p.settings().publicKey(), p));
        BitSet usedIndexes = new BitSet();
        for (PeerSettings s : settings) {
            Peer p = old.get(s.publicKey());
            if (p != null && sameTunnel(p.settings(), s)) {
                usedIndexes.set(p.index());
            }
        }
        List<Peer> next = new ArrayList<>(settings.size());
        List<Runnable> settingUpdates = new ArrayList<>();
        int added = 0;
        int changed = 0;
        int unchanged = 0;
        int index = 1;
        for (PeerSettings s : settings) {
            Peer p = old.get(s.publicKey());
            if (p != null && sameTunnel(p.settings(), s)) {
                old.remove(s.publicKey());
                if (p.settings().equals(s)) {
                    unchanged++;
                } else {
                    changed++;
                    settingUpdates.add(() -> p.updateSettings(s));
                }
                next.add(p);
                continue;
            }
            if (p != null) {
                changed++; // preshared key or keepalive changed: the old peer and tunnel are closed below
            } else {
                added++;
            }
            index = usedIndexes.nextClearBit(index);
            usedIndexes.set(index);
            Peer fresh = new Peer(s, index, this::createTunnel); // the tunnel comes with the first handshake
            if (p != null) {
                fresh.keepEndpointOf(p); // a new preshared key or keepalive does not make the peer unreachable
            }
            next.add(fresh);
        }
        // The data path routes by the table, not by Peer.settings: update settings, then build and publish.
        settingUpdates.forEach(Runnable::run);
        PeerTable table = new PeerTable(next);
        if (screen != null) {
            screen.indexLimit(table.indexLimit()); // before the table: the kernel must pass the new indexes
        }
        peers = table;
        precomputePeerSecrets(next);
        int removed = 0;
        for (Peer p : old.values()) {
            if (table.byKey(p.settings().publicKey()) == null) {
                removed++; // gone, not merely given a new tunnel
            }
            p.close();
        }
        return new PeerUpdate(added, removed, changed, unchanged);
    }

    /**
     * The bridge precomputes each new peer's static-static X25519 (wireguard-go does the same) on a
     * background thread, in update order: 10,000 new peers take a few hundred ms that neither delay the
     * start nor a reload; until then an initiation simply computes it itself.
     */
    private void precomputePeerSecrets(List<Peer> list) {
        if (identity == null) {
            return; // unit tests of the peer logic
        }
        byte[] keys = new byte[list.size() * Base64Key.LENGTH];
        for (int i = 0; i < list.size(); i++) {
            byte[] k = list.get(i).settings().publicKey().bytes();
            System.arraycopy(k, 0, keys, i * Base64Key.LENGTH, Base64Key.LENGTH);
        }
        peerSecrets.execute(() -> {
            try {
                identity.setPeers(keys);
            } catch (IllegalStateException e) {
                // the server is stopping (identity closed): nothing left to speed up
            }
        });
    }

    private Tunnel createTunnel(PeerSettings s, int index) {
        Tunnel t = Tunnel.create(identity, s.publicKey().bytes(),
                s.presharedKey() == null ? null : s.presharedKey().bytes(), s.persistentKeepalive(), index);
        if (tun != null) {
            t.setPadLimit(tun.mtu()); // padded to 16 bytes up to the MTU: packet sizes do not leak
        }
        return t;
    }

    private static boolean sameTunnel(PeerSettings a, PeerSettings b) {
        return a.publicKey().equals(b.publicKey()) && Objects.equals(a.presharedKey(), b.presharedKey())
                && a.persistentKeepalive() == b.persistentKeepalive();
    }

    /** One line for the log: which data path runs and which offloads the kernel granted. */
    public String ioDescription() {
        return "batched: recvmmsg/sendmmsg, UDP GSO " + onOff(udp.gso()) + ", UDP GRO " + onOff(udp.gro())
                + ", TUN offload (TSO split + TCP GRO) " + onOff(tun.offload());
    }

    private static String onOff(boolean b) {
        return b ? "on" : "off";
    }

    public void start() {
        running = true;
        threads.add(Thread.ofPlatform().name("wg-receive").daemon().start(new Receive(this)));
        threads.add(Thread.ofPlatform().name("wg-send").daemon().start(new Send(this)));
        for (int i = 0; i < handshakeWorkers(); i++) {
            String name = "wg-handshake-" + i;
            threads.add(Thread.ofPlatform().name(name).daemon().start(new HandshakeWorker(this, handshakeQueue, name)));
        }
        threads.add(Thread.ofPlatform().name("wg-timers").daemon().start(new Timers(this)));
    }

    /** One handshake worker per core, as wireguard-go: handshakes are X25519-bound and independent. */
    static int handshakeWorkers() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    HandshakeQueue handshakeQueue() {
        return handshakeQueue;
    }

    /** Completes when a data-path thread hits an error it cannot recover from. */
    public CompletableFuture<Throwable> failure() {
        return failure;
    }

    void fail(Throwable t) {
        failure.complete(t);
    }

    /** Unit tests of the supervision run loops without sockets or threads. */
    void markRunningForTest(boolean on) {
        running = on;
    }

    public boolean isRunning() {
        return running;
    }

    public PeerTable peers() {
        return peers;
    }

    KernelScreen screen() {
        return screen;
    }

    public Counters counters() {
        return counters;
    }

    public Identity identity() {
        return identity;
    }

    UdpBind udp() {
        return udp;
    }

    /** Sends buf[0, length) to a handshake's sender (one Endpoint per handshake, on the control path). */
    boolean send(ByteBuffer buf, int length, InetSocketAddress to) {
        return send(buf, length, Peer.Endpoint.of(to));
    }

    /**
     * Sends buf[0, length) to a peer's endpoint, from its raw fields without allocating (drained packets,
     * timers, ICMPv6 answers); a failure loses this datagram only, and is counted.
     */
    boolean send(ByteBuffer buf, int length, Peer.Endpoint to) {
        buf.limit(length).position(0);
        try {
            udp.send(buf, to.family(), to.port(), to.hi(), to.lo());
            return true;
        } catch (IOException e) {
            counters.droppedSendFailed.incrementAndGet();
            return false;
        } finally {
            // The callers reuse buf with absolute reads of its whole capacity (e.g. the initiator's key and
            // timestamp at 0..44 after classify): a short send (a 32-byte keepalive) must not leave a limit.
            buf.clear();
        }
    }

    LinuxTun tun() {
        return tun;
    }

    /** The TUN device, for the server's start-up steps (addresses) before the threads run. */
    public LinuxTun tunForSetup() {
        return tun;
    }

    public int listenPort() {
        return udp == null ? 0 : udp.localAddress().getPort(); // no socket: unit tests of the peer logic
    }

    /**
     * Stops the threads, then closes the socket, the TUN device and the tunnels (zeroizing their keys).
     * The threads notice within one poll interval; the fds are closed only after they left, so no call
     * can run on a closed, maybe reused, fd number.
     */
    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        peerSecrets.shutdownNow();
        udp.close();
        if (tun != null) {
            tun.close(); // a warm-up device has none
        }
        peers.all().forEach(Peer::close);
    }

    /** Sets where a peer is reached (wg set endpoint=); it still roams to authenticated sources. */
    public void setEndpoint(Base64Key key, InetSocketAddress address) {
        Peer p = peers.byKey(key);
        if (p != null) {
            p.updateEndpoint(address);
        }
    }

    /** For status output: every peer with a consumer, in configuration order. */
    public void forEachPeer(Consumer<Peer> consumer) {
        peers.all().forEach(consumer);
    }
}
