package io.wirecage.srv.it.containers;

import io.wirecage.srv.it.ServerStatus;

/** The server under test: the image in a container ({@link ServerContainer}) or the jar on the host ({@link HostServer}). */
interface VpnServer {

    String LISTENING = "listening on";
    String HANDSHAKE = "handshake completed: peer ";

    String publicKey();

    /** {@code wirecagesrv status} of the running server. */
    ServerStatus status();

    /** Everything the server printed so far. */
    String logs();

    /** What the log says about the server: version, NAT interface, ... (its "listening on" line). */
    default String listeningLine() {
        return logs().lines().filter(l -> l.contains(LISTENING)).reduce((a, b) -> b).orElse("(no listening line)");
    }

    /** Polls the status until PEER's endpoint is EXPECTED; returns the last status. */
    default ServerStatus awaitEndpoint(String peer, String expected, int seconds) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        ServerStatus s = status();
        while (!expected.equals(s.endpoint(peer)) && System.nanoTime() < deadline) {
            Lab.sleep(300);
            s = status();
        }
        return s;
    }
}
