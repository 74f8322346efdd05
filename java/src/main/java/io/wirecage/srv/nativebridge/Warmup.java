package io.wirecage.srv.nativebridge;

import java.nio.ByteBuffer;

/**
 * Runs a few complete handshakes and data messages between two throwaway identities before the
 * server serves anyone, so the first real clients do not pay for first calls: the JIT's first
 * compilations of these wrappers, the native library's lazy symbol binding, first-touch page faults
 * of boringtun's and the crypto code. Keys are fresh and dropped; nothing leaves the process.
 */
public final class Warmup {
    private static final long LOOPBACK = SourceAddress.ipv4(0x7F00_0001);

    private Warmup() {}

    /** @return how many handshakes completed (all of them, unless the bridge is broken) */
    public static int handshakes(int rounds) {
        Identity server = Identity.create(Keys.generatePrivateKey(), 1_000_000);
        Identity client = Identity.create(Keys.generatePrivateKey(), 1_000_000);
        ByteBuffer wire = ByteBuffer.allocateDirect(2048);
        ByteBuffer out = ByteBuffer.allocateDirect(2048);
        int done = 0;
        for (int i = 0; i < rounds; i++) {
            try (Tunnel c = Tunnel.create(client, server.publicKey(), null, 0, 1);
                    Tunnel s = Tunnel.create(server, client.publicKey(), null, 0, 2)) {
                int n = TunnelResult.length(c.formatHandshakeInitiation(wire, false));
                server.screen(wire, 0, n, 0, LOOPBACK, SourceAddress.IPV4, out);
                server.classify(wire, 0, n, out);
                long r = s.decapsulate(0, LOOPBACK, SourceAddress.IPV4, wire, 0, n, out);
                r = c.decapsulate(0, LOOPBACK, SourceAddress.IPV4, out, 0, TunnelResult.length(r), wire);
                r = s.decapsulate(0, LOOPBACK, SourceAddress.IPV4, wire, 0, TunnelResult.length(r), out);
                if (TunnelResult.code(r) == TunnelResult.DONE) {
                    done++; // the initiator's keepalive confirmed the session
                }
            }
        }
        return done;
    }
}
