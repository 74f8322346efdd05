package io.wirecage.srv.ipc;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;

import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;

/**
 * Any bytes on the control socket: the request reader either returns requests or refuses with a
 * ProtocolException, and `set` answers with an errno line, all-or-nothing; nothing else escapes.
 */
class UapiFuzzTest {
    private static final byte[] PRIVATE = Keys.generatePrivateKey();
    private static final Device DEVICE = new Device(Identity.create(PRIVATE, 100), null, null);
    private static final Uapi UAPI = new Uapi(new Uapi.Host() {
        @Override
        public Device device() {
            return DEVICE;
        }

        @Override
        public Base64Key privateKey() {
            return Base64Key.of(PRIVATE);
        }

        @Override
        public int listenPort() {
            return 51820;
        }

        @Override
        public String applyPeers(List<PeerSettings> peers, Map<Base64Key, InetSocketAddress> endpoints) {
            try {
                DEVICE.updatePeers(peers);
            } catch (RuntimeException e) {
                return e.getMessage();
            }
            endpoints.forEach(DEVICE::setEndpoint);
            return null;
        }
    });

    @FuzzTest(maxDuration = "10s")
    void requests(byte[] bytes) throws IOException {
        ControlSocket.LineReader in = new ControlSocket.LineReader(Channels.newChannel(new ByteArrayInputStream(bytes)));
        for (int i = 0; i < 16; i++) {
            ControlSocket.Request req;
            try {
                req = ControlSocket.readRequest(in);
            } catch (ControlSocket.ProtocolException expected) {
                return;
            }
            if (req == null) {
                return;
            }
            if (req.op().equals("set")) {
                String answer = UAPI.set(req.pairs());
                if (!answer.startsWith("errno=") || !answer.endsWith("\n\n")) {
                    throw new AssertionError("set answered without an errno line: " + answer);
                }
            }
        }
    }
}
