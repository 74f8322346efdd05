package io.wirecage.srv.web;

import io.wirecage.srv.device.Device;

/** The running server, as the web console needs it. */
public interface Live {
    Device device();

    /** The server's public key, base64. */
    String publicKey();

    /** Applies the config file now (a reload); "ok=1..." or "error=...". */
    String apply();
}
