package io.wirecage.srv.ipc;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.wirecage.srv.nativebridge.Keys;
import java.io.ByteArrayInputStream;
import java.io.IOException;

import java.nio.channels.Channels;

/**
 * Any bytes on the control socket: the request reader either returns requests or refuses with a
 * ProtocolException, and `set` answers with an errno line, all-or-nothing; nothing else escapes.
 */
class UapiFuzzTest {
    private static final Uapi UAPI = new Uapi(new DeviceHost(Keys.generatePrivateKey()));

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
