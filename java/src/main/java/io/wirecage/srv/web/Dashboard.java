package io.wirecage.srv.web;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.PortForward;
import io.wirecage.srv.conn.EndpointFormat;
import io.wirecage.srv.device.Peer;
import io.wirecage.srv.nativebridge.Tunnel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the dashboard shows: every peer of the config file (disabled ones too) joined with its live
 * counters, and the server card. The same rows feed the HTML page and the JSON the page polls.
 */
final class Dashboard {
    /** A handshake within this time means online (boringtun's session lifetime). */
    static final long ONLINE_MILLIS = 180_000;

    /** One peer as shown. handshakeAgoMillis is -1 for never; endpoint null for none. */
    record Row(String name, String publicKey, String address, boolean enabled, String expires, String endpoint,
               boolean online, long handshakeAgoMillis, long rxBytes, long txBytes, int rxRate, int txRate,
               List<PortForward> forwards) {
        String status() {
            return !enabled ? "disabled" : online ? "online" : "offline";
        }
    }

    /** The server card. */
    record ServerCard(String publicKey, String endpoint, int listenPort, long uptimeSeconds, long rxBytes, long txBytes,
                      long dropped, int peers, int online) {}

    private final Live live;
    private final ConfigView config;
    private final RateHistory history;
    private final String endpoint;
    private final long startedNanos;

    Dashboard(Live live, ConfigView config, RateHistory history, String endpoint, long startedNanos) {
        this.live = live;
        this.config = config;
        this.history = history;
        this.endpoint = endpoint;
        this.startedNanos = startedNanos;
    }

    List<Row> rows() throws IOException {
        ConfigFile cfg = config.current();
        long[] stats = new long[Tunnel.STATS_LENGTH];
        List<Row> rows = new ArrayList<>(cfg.peers().size());
        for (PeerEntry p : cfg.peers()) {
            Peer running = p.enabled() ? live.device().peers().byKey(p.publicKey()) : null;
            long ago = -1;
            long rx = 0;
            long tx = 0;
            String ep = null;
            if (running != null) {
                running.stats(stats);
                ago = stats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE];
                rx = stats[Tunnel.STAT_RX_BYTES];
                tx = stats[Tunnel.STAT_TX_BYTES];
                InetSocketAddress e = running.endpoint();
                ep = e == null ? null : EndpointFormat.format(e);
            }
            int[] rate = running == null ? new int[2] : history.current(p.publicKey());
            List<PortForward> forwards = cfg.forwards().stream().filter(f -> f.peerKey().equals(p.publicKey())).toList();
            rows.add(new Row(p.name() != null ? p.name() : p.publicKey().shortForm(), p.publicKey().base64(),
                    String.join(", ", p.allowedIpsText()), p.enabled(),
                    p.expires() == null ? null : p.expires().toString(), ep, ago >= 0 && ago < ONLINE_MILLIS, ago, rx, tx,
                    rate[0], rate[1], forwards));
        }
        return rows;
    }

    ServerCard server(List<Row> rows) {
        long rx = 0;
        long tx = 0;
        int online = 0;
        for (Row r : rows) {
            rx += r.rxBytes();
            tx += r.txBytes();
            online += r.online() ? 1 : 0;
        }
        long dropped = live.device().counters().snapshot().entrySet().stream()
                .filter(e -> e.getKey().startsWith("dropped_")).mapToLong(Map.Entry::getValue).sum();
        return new ServerCard(live.publicKey(), endpoint, live.device().listenPort(),
                (System.nanoTime() - startedNanos) / 1_000_000_000L, rx, tx, dropped, rows.size(), online);
    }

    /**
     * The JSON the page polls; with {@code points > 0} each peer carries its rate history too
     * ({@code points} averages of {@code secondsPerPoint} seconds each).
     */
    Map<String, Object> state(int points, int secondsPerPoint) throws IOException {
        List<Row> rows = rows();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("server", server(rows));
        List<Map<String, Object>> peers = new ArrayList<>(rows.size());
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("key", r.publicKey());
            m.put("address", r.address());
            m.put("status", r.status());
            m.put("endpoint", r.endpoint());
            m.put("handshakeAgoSeconds", r.handshakeAgoMillis() < 0 ? null : r.handshakeAgoMillis() / 1000);
            m.put("rx", r.rxBytes());
            m.put("tx", r.txBytes());
            m.put("rxRate", r.rxRate());
            m.put("txRate", r.txRate());
            m.put("expires", r.expires());
            if (points > 0) {
                int[][] s = history.series(Base64Key.parse(r.publicKey()), points, secondsPerPoint);
                m.put("rxSeries", s[0]);
                m.put("txSeries", s[1]);
            }
            peers.add(m);
        }
        out.put("peers", peers);
        return out;
    }

    static String describe(PortForward f) {
        return f.protocol() + " " + f.publicPort() + " \u2192 " + f.targetPort();
    }
}
