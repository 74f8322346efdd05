package io.wirecage.srv.nativebridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;

/** Shared helpers: valid IPv4 packets and a handshaken client/server tunnel pair. */
final class TestPackets {
    static final int BUFFER = 2048;
    static final int CLIENT_INDEX = 1;
    static final int SERVER_INDEX = 0x00AB_CDEF;
    /** 127.0.0.2: the client's UDP source address as the server sees it. */
    static final long CLIENT_UDP_ADDR = SourceAddress.ipv4(0x7F00_0002);

    private TestPackets() {
    }

    /** An IPv4/UDP packet of {@code total} bytes with a correct header (boringtun checks length and source). */
    static void ipv4(ByteBuffer b, int src, int dst, int total, int seed) {
        b.clear();
        b.put(0, (byte) 0x45);
        b.putShort(2, (short) total);
        b.putShort(4, (short) seed);
        b.put(8, (byte) 64);
        b.put(9, (byte) 17);
        b.putShort(10, (short) 0);
        b.putInt(12, src);
        b.putInt(16, dst);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += b.getShort(i) & 0xFFFF;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        b.putShort(10, (short) ~sum);
        b.putShort(20, (short) 4000);
        b.putShort(22, (short) 5000);
        b.putShort(24, (short) (total - 20));
        b.putShort(26, (short) 0);
        for (int i = 28; i < total; i++) {
            b.put(i, (byte) (seed * 31 + i));
        }
    }

    static boolean sameBytes(ByteBuffer a, ByteBuffer b, int len) {
        return a.slice(0, len).equals(b.slice(0, len));
    }

    /** Client and server identities, each with one tunnel to the other, after a full handshake. */
    static final class Pair implements AutoCloseable {
        final Identity serverId = Identity.create(Keys.generatePrivateKey(), 100);
        final Identity clientId = Identity.create(Keys.generatePrivateKey(), 100);
        final byte[] psk = Keys.generatePresharedKey();
        final Tunnel client = Tunnel.create(clientId, serverId.publicKey(), psk, 0, CLIENT_INDEX);
        Tunnel server;

        final ByteBuffer wire = ByteBuffer.allocateDirect(BUFFER);
        final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
        final ByteBuffer scratch = ByteBuffer.allocateDirect(BUFFER);

        Pair handshake() {
            long r = client.formatHandshakeInitiation(wire, false);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.WRITE_TO_NETWORK);
            assertThat(TunnelResult.length(r)).isEqualTo(148);
            int n = TunnelResult.length(r);

            // The first, cheap look: mac1 is right and the server is not under load.
            r = serverId.screen(wire, 0, n, 0, CLIENT_UDP_ADDR, SourceAddress.IPV4, out);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.DONE);
            // The server does not know the client yet: classify reveals its key.
            r = serverId.classify(wire, 0, n, out);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.HANDSHAKE_INIT);
            byte[] key = new byte[32];
            out.get(0, key);
            assertThat(key).isEqualTo(clientId.publicKey());
            server = Tunnel.create(serverId, key, psk, 0, SERVER_INDEX);

            r = server.decapsulate(0, CLIENT_UDP_ADDR, SourceAddress.IPV4, wire, 0, n, out);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToNetwork(92)");
            assertThat(TunnelResult.code(server.drain(scratch))).isEqualTo(TunnelResult.DONE);
            copy(out, wire, 92);

            r = clientId.classify(wire, 0, 92, out);
            assertThat(TunnelResult.code(r)).isEqualTo(TunnelResult.BY_INDEX);
            assertThat(TunnelResult.length(r)).isEqualTo(CLIENT_INDEX);
            r = client.decapsulate(0, 0, SourceAddress.NONE, wire, 0, 92, out);
            assertThat(TunnelResult.toString(r)).isEqualTo("WriteToNetwork(32)"); // keepalive
            assertThat(TunnelResult.code(client.drain(scratch))).isEqualTo(TunnelResult.DONE);
            copy(out, wire, 32);

            r = serverId.classify(wire, 0, 32, out);
            assertThat(TunnelResult.length(r)).isEqualTo(SERVER_INDEX);
            r = server.decapsulate(0, CLIENT_UDP_ADDR, SourceAddress.IPV4, wire, 0, 32, out);
            assertThat(r).isEqualTo(TunnelResult.DONE);
            return this;
        }

        @Override
        public void close() {
            client.close();
            if (server != null) {
                server.close();
            }
            clientId.close();
            serverId.close();
        }
    }

    static void copy(ByteBuffer from, ByteBuffer to, int len) {
        to.put(0, from, 0, len);
    }
}
