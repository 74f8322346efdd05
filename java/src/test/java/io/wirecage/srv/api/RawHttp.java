package io.wirecage.srv.api;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Sends bytes no HTTP client would (oversized or malformed requests) to a listener on loopback. */
public final class RawHttp {
    private RawHttp() {}

    /** Writes {@code request} as is and returns everything the server sent until it closed (5 s at most per read). */
    public static String exchange(int port, String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
