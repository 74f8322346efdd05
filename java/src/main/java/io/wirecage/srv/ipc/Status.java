package io.wirecage.srv.ipc;

import io.wirecage.srv.conn.EndpointFormat;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.device.Peer;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The status answer: key=value lines, device first, then one block per peer starting with peer=,
 * in the spirit of wireguard-go's UAPI "get" (but never with the private key).
 */
public final class Status {
    private Status() {}

    public static String render(String tunName, String publicKey, Device device) {
        StringBuilder sb = new StringBuilder();
        sb.append("interface=").append(tunName).append('\n');
        sb.append("public_key=").append(publicKey).append('\n');
        sb.append("listen_port=").append(device.listenPort()).append('\n');
        sb.append("peers=").append(device.peers().size()).append('\n');
        for (Map.Entry<String, Long> e : device.counters().snapshot().entrySet()) {
            sb.append("counter.").append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        long[] stats = new long[5];
        device.forEachPeer(p -> renderPeer(sb, p, stats));
        return sb.toString();
    }

    private static void renderPeer(StringBuilder sb, Peer p, long[] stats) {
        p.stats(stats);
        InetSocketAddress ep = p.endpoint();
        sb.append("peer=").append(p.settings().publicKey().base64()).append('\n');
        if (p.settings().name() != null) {
            sb.append("name=").append(p.settings().name()).append('\n');
        }
        sb.append("endpoint=").append(ep == null ? "(none)" : EndpointFormat.format(ep)).append('\n');
        sb.append("allowed_ips=").append(p.settings().allowedIpsJoined(",")).append('\n');
        sb.append("latest_handshake_ms_ago=").append(stats[0]).append('\n');
        sb.append("handshakes=").append(p.handshakes()).append('\n');
        sb.append("rx_bytes=").append(stats[2]).append('\n');
        sb.append("tx_bytes=").append(stats[1]).append('\n');
        sb.append("rx_packets=").append(p.rxPackets()).append('\n');
        sb.append("tx_packets=").append(p.txPackets()).append('\n');
        sb.append("dropped_source_not_allowed=").append(p.droppedSourceNotAllowed()).append('\n');
        sb.append("dropped_no_endpoint=").append(p.droppedNoEndpoint()).append('\n');
        sb.append("persistent_keepalive=").append(p.settings().persistentKeepalive()).append('\n');
    }
}
