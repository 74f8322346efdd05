package io.wirecage.srv;

import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.conn.UdpBind;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.ipc.ControlSocket;
import io.wirecage.srv.ipc.Status;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import io.wirecage.srv.nativebridge.NativeLibrary;
import io.wirecage.srv.router.CommandRunner;
import io.wirecage.srv.router.DefaultRoute;
import io.wirecage.srv.router.Firewall;
import io.wirecage.srv.router.IpForwarding;
import io.wirecage.srv.router.Privileges;
import io.wirecage.srv.tun.LinuxTun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the server up step by step and down in reverse. Each step that changes the host registers its
 * undo before the next step runs, so a failure at any point leaves no TUN device, rule or sysctl behind.
 */
public final class Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Server.class);
    public static final Path STATE_DIR = Path.of("/run/wirecagesrv");
    /** Handshake initiations per second before boringtun answers with cookies (its device default). */
    private static final int HANDSHAKE_RATE_LIMIT = 100;

    private final Deque<AutoCloseable> undo = new ArrayDeque<>();
    private Device device;

    private Server() {}

    public static Server start(ServerSettings s, CommandRunner runner, Path stateDir) throws IOException {
        Privileges.requireNetAdmin();
        NativeLibrary.ensureAvailable();
        String outbound = s.outboundInterface() != null ? s.outboundInterface()
                : DefaultRoute.outboundInterface().orElseThrow(() -> new IOException(
                        "no IPv4 default route to find the outbound interface: pass --outbound-interface"));
        Firewall firewall = new Firewall(runner, "iptables", s.tunName(), s.subnet(), outbound);
        firewall.checkAvailable();

        Server server = new Server();
        try {
            server.bringUp(s, firewall, outbound, stateDir);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void bringUp(ServerSettings s, Firewall firewall, String outbound, Path stateDir) throws IOException {
        byte[] privateKey = s.privateKey().bytes();
        String publicKey = Base64.getEncoder().encodeToString(Keys.publicKey(privateKey));
        Identity identity = Identity.create(privateKey, HANDSHAKE_RATE_LIMIT);
        undo.push(identity);
        java.util.Arrays.fill(privateKey, (byte) 0);

        UdpBind udp = UdpBind.bind(s.listen());
        undo.push(udp);
        LinuxTun tun = LinuxTun.open(s.tunName(), s.serverAddress(), s.subnet(), s.mtu());
        undo.push(tun);
        device = new Device(identity, udp, tun);
        undo.push(device);
        device.updatePeers(s.peers());

        IpForwarding forwarding = IpForwarding.forInstance(stateDir, s.tunName());
        undo.push(forwarding::restore);
        forwarding.enable();
        undo.push(firewall::removeAll);
        firewall.install();

        ControlSocket control = ControlSocket.open(ControlSocket.pathFor(stateDir, s.tunName()),
                command -> command.equals("status") ? Status.render(s.tunName(), publicKey, device)
                        : "error=unknown command '" + command + "'\n");
        undo.push(control);

        device.start();
        log.info("wirecagesrv {} listening on {} (UDP), TUN {} {}/{} mtu {}, NAT out {}, {} peer(s), public key {}",
                Version.get(), udp.localAddress().getAddress().getHostAddress() + ":" + udp.localAddress().getPort(),
                s.tunName(), Ipv4Prefix.format(s.serverAddress()), s.subnet().length(), s.mtu(), outbound,
                s.peers().size(), publicKey);
    }

    public Device device() {
        return device;
    }

    /** Undoes every step that ran, newest first; keeps going when one fails so the rest is still cleaned. */
    @Override
    public void close() {
        while (!undo.isEmpty()) {
            AutoCloseable step = undo.pop();
            try {
                step.close();
            } catch (Exception e) {
                log.error("cleanup step failed: {}", e.getMessage());
            }
        }
    }
}
