package io.wirecage.srv.web;

import io.wirecage.srv.config.ForwardChanges;
import io.wirecage.srv.device.Device;

/** The running server, as the web console needs it. */
public interface Live {
    Device device();

    /** The server's public key, base64. */
    String publicKey();

    /** Applies the config file now (a reload); "ok=1..." or "error=...". */
    String apply();

    /** The running server's own ports, which a forward may not take. */
    ForwardChanges.ServerPorts ports();

    /** Whether a program on this host listens on the port (a forward would hide it from outside). */
    boolean portInUse(String protocol, int port);
}
