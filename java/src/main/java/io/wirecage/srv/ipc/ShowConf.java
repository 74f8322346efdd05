package io.wirecage.srv.ipc;

import io.wirecage.srv.conn.EndpointFormat;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.device.Peer;
import java.net.InetSocketAddress;
import java.util.stream.Collectors;

/**
 * The running server as a wg config, like {@code wg showconf}: it includes the private key, because the
 * user asked for the whole config (the control socket is root-only, as wireguard-go's is).
 */
public final class ShowConf {
    private ShowConf() {}

    public static String render(ServerSettings s, Device device) {
        StringBuilder sb = new StringBuilder("[Interface]\n");
        sb.append("# Address = ").append(Ipv4Prefix.format(s.serverAddress())).append('/').append(s.subnet().length());
        if (s.ipv6()) {
            sb.append(", ").append(s.serverAddress6().address()).append('/').append(s.subnet6().length());
        }
        sb.append('\n');
        sb.append("ListenPort = ").append(device.listenPort()).append('\n');
        sb.append("PrivateKey = ").append(s.privateKey().base64()).append('\n');
        for (Peer p : device.peers().all()) {
            sb.append("\n[Peer]\n");
            if (p.settings().name() != null) {
                sb.append("# Name = ").append(p.settings().name()).append('\n');
            }
            sb.append("PublicKey = ").append(p.settings().publicKey().base64()).append('\n');
            if (p.settings().presharedKey() != null) {
                sb.append("PresharedKey = ").append(p.settings().presharedKey().base64()).append('\n');
            }
            sb.append("AllowedIPs = ").append(p.settings().allowedIpsJoined(", ")).append('\n');
            InetSocketAddress ep = p.endpoint();
            if (ep != null) {
                sb.append("Endpoint = ").append(EndpointFormat.format(ep)).append('\n');
            }
            if (p.settings().persistentKeepalive() > 0) {
                sb.append("PersistentKeepalive = ").append(p.settings().persistentKeepalive()).append('\n');
            }
        }
        return sb.toString();
    }
}
