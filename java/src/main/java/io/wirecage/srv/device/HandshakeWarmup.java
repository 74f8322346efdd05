package io.wirecage.srv.device;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.conn.UdpBind;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the server's own handshake code (the receive thread's screen, then {@link Handshakes}: classify,
 * peer lookup, tunnel creation, the response, the peer's bookkeeping) a few hundred times on a
 * throwaway device before the real one serves, so that the first real clients meet JIT-compiled code
 * and bound native symbols instead of the interpreter (measured: the interpreter cost as much per
 * handshake as the X25519 work). The throwaway device has its own identity, peers and socket on
 * 127.0.0.1, answers only to another socket of this process there, logs nothing and is closed afterwards.
 */
public final class HandshakeWarmup {
    /** Initiators take turns, so each one's TAI64N timestamps keep increasing (no replay drops). */
    private static final int INITIATORS = 8;
    /**
     * Rounds of a new session's two log lines ({@link LogWarmup}): the lines' code is compiled after about
     * 1,500 of each.
     */
    private static final int LOG_ROUNDS = 1_500;
    /** How long to wait at most for the JIT to finish what the warm-up gave it. */
    private static final long JIT_WAIT_NANOS = 500_000_000L;

    private HandshakeWarmup() {}

    /**
     * What the warm-up did and how long each part took.
     *
     * @param handshakes how many handshakes the throwaway device completed (all, unless something is broken)
     * @param logLines how many log lines went to the discarding stream
     */
    public record Result(int handshakes, long handshakeMillis, int logLines, long logMillis, long jitWaitMillis) {
        @Override
        public String toString() {
            return handshakes + " handshakes in " + handshakeMillis + " ms, " + logLines + " log lines in " + logMillis
                    + " ms, then " + jitWaitMillis + " ms for the JIT";
        }
    }

    /** Runs {@code rounds} handshakes, then the log lines, then waits for the JIT. */
    public static Result run(int rounds) throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        List<Tunnel> initiators = new ArrayList<>();
        List<Identity> clients = new ArrayList<>();
        try (Identity server = Identity.create(Keys.generatePrivateKey(), 1_000_000);
                UdpBind udp = UdpBind.bind(new InetSocketAddress(loopback, 0));
                DatagramSocket sink = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            Device device = new Device(server, udp, null);
            device.quiet = true;
            List<PeerSettings> peers = new ArrayList<>();
            for (int i = 0; i < INITIATORS; i++) {
                Identity id = Identity.create(Keys.generatePrivateKey(), 1_000_000);
                clients.add(id);
                initiators.add(Tunnel.create(id, server.publicKey(), null, 0, i + 1));
                peers.add(new PeerSettings("warm-up-" + i, Base64Key.of(id.publicKey()), List.of(), null, 0));
            }
            device.updatePeers(peers);
            Supervisor supervisor = new Supervisor(device, "wg-warm-up");
            Handshakes handshakes = new Handshakes(device, supervisor);
            ByteBuffer in = ByteBuffer.allocateDirect(Device.OUT_BUFFER_SIZE);
            ByteBuffer cookie = ByteBuffer.allocateDirect(Identity.MIN_CLASSIFY_OUT);
            InetSocketAddress from = (InetSocketAddress) sink.getLocalSocketAddress();
            long lo = SourceAddress.lo(loopback);
            long before = device.counters().handshakesCompleted.get();
            long t0 = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                Tunnel initiator = initiators.get(i % INITIATORS);
                int n = TunnelResult.length(initiator.formatHandshakeInitiation(in, true));
                long r = server.screen(in, 0, n, 0, lo, SourceAddress.IPV4, cookie);
                if (TunnelResult.code(r) == TunnelResult.DONE) {
                    handshakes.handle(in, n, from, SourceAddress.IPV4, 0, lo);
                }
            }
            int done = (int) (device.counters().handshakesCompleted.get() - before);
            device.close(); // no threads ran; closes the socket and the server side's tunnels
            long t1 = System.nanoTime();
            int lines = rounds == 0 ? 0 : LogWarmup.run(LOG_ROUNDS);
            long t2 = System.nanoTime();
            awaitJitQuiet();
            long t3 = System.nanoTime();
            return new Result(done, (t1 - t0) / 1_000_000, lines, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
        } finally {
            initiators.forEach(Tunnel::close);
            clients.forEach(Identity::close);
        }
    }

    /**
     * Waits (at most {@link #JIT_WAIT_NANOS}) until the JIT's total compilation time stops growing, so the
     * compilations the warm-up triggered run now and not while the first clients arrive.
     */
    private static void awaitJitQuiet() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long deadline = System.nanoTime() + JIT_WAIT_NANOS;
        long last = jit.getTotalCompilationTime();
        for (int quiet = 0; quiet < 3 && System.nanoTime() < deadline; ) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long t = jit.getTotalCompilationTime();
            quiet = t == last ? quiet + 1 : 0;
            last = t;
        }
    }
}
