package io.wirecage.srv.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.device.Peer;
import io.wirecage.srv.nativebridge.Tunnel;
import io.wirecage.srv.nativebridge.TunnelResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The Prometheus metrics of a running server, with the official Java client. Everything is read at
 * scrape time from counters the data path keeps anyway (the peers' and the device's atomics, boringtun's
 * per-tunnel byte counts): a scrape adds no work and no allocation to the data path.
 *
 * <p>Per peer, the names and labels of prometheus_wireguard_exporter, so its dashboards work:
 * {@code wireguard_sent_bytes_total}, {@code wireguard_received_bytes_total},
 * {@code wireguard_latest_handshake_seconds} (Unix time, 0 = never) with {@code interface},
 * {@code public_key}, {@code allowed_ips} and {@code friendly_name}. Server-wide {@code wirecagesrv_*}
 * series, and the client's JVM and process metrics.
 */
public final class Metrics {
    /** boringtun ends a session after this long without a new handshake (REJECT_AFTER_TIME). */
    static final long SESSION_MILLIS = 180_000;
    /** Handshake messages rejected, by boringtun's reason; "unknown_peer" comes from the device counter. */
    private static final int[] HANDSHAKE_FAILURES = {
        TunnelResult.ERR_INVALID_MAC, TunnelResult.ERR_WRONG_KEY, TunnelResult.ERR_INVALID_TAI64N_TIMESTAMP,
        TunnelResult.ERR_WRONG_TAI64N_TIMESTAMP, TunnelResult.ERR_WRONG_INDEX,
    };

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public Metrics(String interfaceName, Device device) {
        registry.register(new DeviceCollector(interfaceName, device));
        JvmMetrics.builder().register(registry); // includes process_* (CPU, memory, open files)
    }

    public String contentType() {
        return writer.getContentType();
    }

    /** One scrape in the Prometheus text format. */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    private static final class DeviceCollector implements MultiCollector {
        private final String iface;
        private final Device device;

        DeviceCollector(String iface, Device device) {
            this.iface = iface;
            this.device = device;
        }

        @Override
        public MetricSnapshots collect() {
            List<Peer> peers = device.peers().all();
            CounterSnapshot.Builder sent = CounterSnapshot.builder().name("wireguard_sent_bytes")
                    .help("Bytes sent to the peer (IP packets inside the tunnel)");
            CounterSnapshot.Builder received = CounterSnapshot.builder().name("wireguard_received_bytes")
                    .help("Bytes received from the peer (IP packets inside the tunnel)");
            GaugeSnapshot.Builder handshake = GaugeSnapshot.builder().name("wireguard_latest_handshake_seconds")
                    .help("Unix time of the latest handshake with the peer, 0 if none");
            long[] stats = new long[Tunnel.STATS_LENGTH];
            long now = System.currentTimeMillis();
            long rxPackets = 0;
            long txPackets = 0;
            long rxBytes = 0;
            long txBytes = 0;
            int live = 0;
            for (Peer p : peers) {
                p.stats(stats);
                String allowed = p.settings().allowedIpsJoined(",");
                String name = p.settings().name();
                Labels labels = Labels.of("interface", iface, "public_key", p.settings().publicKey().base64(),
                        "allowed_ips", allowed, "friendly_name", name == null ? "" : name);
                sent.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(stats[Tunnel.STAT_TX_BYTES]).build());
                received.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(stats[Tunnel.STAT_RX_BYTES]).build());
                long ago = stats[Tunnel.STAT_MILLIS_SINCE_HANDSHAKE];
                handshake.dataPoint(GaugeDataPointSnapshot.builder().labels(labels)
                        .value(ago < 0 ? 0 : (now - ago) / 1000).build());
                if (ago >= 0 && ago < SESSION_MILLIS && p.tunnel() != null) {
                    live++;
                }
                rxPackets += p.rxPackets();
                txPackets += p.txPackets();
                rxBytes += stats[Tunnel.STAT_RX_BYTES];
                txBytes += stats[Tunnel.STAT_TX_BYTES];
            }
            Map<String, Long> c = device.counters().snapshot();
            List<MetricSnapshot> out = new ArrayList<>();
            out.add(sent.build());
            out.add(received.build());
            out.add(handshake.build());
            Labels dev = Labels.of("interface", iface);
            out.add(gauge("wirecagesrv_peers", "Peers configured", dev, peers.size()));
            out.add(gauge("wirecagesrv_peers_with_session", "Peers with a session (a handshake in the last 180 s)", dev, live));
            out.add(counter("wirecagesrv_handshakes_completed", "Handshakes completed (initiations answered)", dev,
                    c.getOrDefault("handshakes_completed", 0L)));
            out.add(counter("wirecagesrv_cookie_replies_sent", "Cookie replies sent instead of a handshake (under load)", dev,
                    c.getOrDefault("cookie_replies_sent", 0L)));
            CounterSnapshot.Builder failed = CounterSnapshot.builder().name("wirecagesrv_handshakes_failed")
                    .help("Handshake messages rejected, by reason");
            failed.dataPoint(point(dev.add("reason", "unknown_peer"), c.getOrDefault("dropped_unknown_peer", 0L)));
            for (int code : HANDSHAKE_FAILURES) {
                failed.dataPoint(point(dev.add("reason", reason(code)), device.counters().tunnelErrors(code)));
            }
            out.add(failed.build());
            CounterSnapshot.Builder dropped = CounterSnapshot.builder().name("wirecagesrv_dropped_packets")
                    .help("Packets dropped, by reason (decrypt failure: invalid_aead_tag)");
            boolean aead = false;
            for (Map.Entry<String, Long> e : c.entrySet()) {
                if (e.getKey().startsWith("dropped_")) {
                    String r = e.getKey().substring("dropped_".length());
                    aead |= r.equals("invalid_aead_tag");
                    dropped.dataPoint(point(dev.add("reason", r), e.getValue()));
                }
            }
            if (!aead) {
                dropped.dataPoint(point(dev.add("reason", "invalid_aead_tag"), 0));
            }
            out.add(dropped.build());
            out.add(CounterSnapshot.builder().name("wirecagesrv_data_packets").help("Data packets through the tunnel")
                    .dataPoint(point(dev.add("direction", "rx"), rxPackets))
                    .dataPoint(point(dev.add("direction", "tx"), txPackets)).build());
            out.add(CounterSnapshot.builder().name("wirecagesrv_data_bytes").help("Bytes of IP packets through the tunnel")
                    .dataPoint(point(dev.add("direction", "rx"), rxBytes))
                    .dataPoint(point(dev.add("direction", "tx"), txBytes)).build());
            long overflows = UdpDrops.of(device.listenPort());
            if (overflows >= 0) {
                out.add(counter("wirecagesrv_udp_receive_queue_drops",
                        "Datagrams the kernel dropped because the UDP receive queue was full (sk_drops, as SO_RXQ_OVFL reports)",
                        dev, overflows));
            }
            return new MetricSnapshots(out);
        }
    }

    static String reason(int code) {
        return TunnelResult.name(code).replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static CounterDataPointSnapshot point(Labels labels, long value) {
        return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static CounterSnapshot counter(String name, String help, Labels labels, long value) {
        return CounterSnapshot.builder().name(name).help(help).dataPoint(point(labels, value)).build();
    }

    private static GaugeSnapshot gauge(String name, String help, Labels labels, long value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build()).build();
    }

    /** The kernel's drop count of our UDP socket from /proc/net/udp{,6} (this network namespace). */
    static final class UdpDrops {
        private UdpDrops() {}

        /** The summed drops of the sockets bound to this local port, or -1 when unreadable. */
        static long of(int port) {
            String hexPort = String.format(":%04X", port);
            long total = -1;
            for (String f : new String[] {"/proc/net/udp", "/proc/net/udp6"}) {
                List<String> lines;
                try {
                    lines = Files.readAllLines(Path.of(f));
                } catch (IOException e) {
                    continue;
                }
                for (int i = 1; i < lines.size(); i++) {
                    String[] cols = lines.get(i).trim().split("\\s+");
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                    if (cols.length >= 13 && cols[1].endsWith(hexPort) && cols[3].equals("07")) {
                        total = Math.max(total, 0) + Long.parseLong(cols[12]);
                    }
                }
            }
            return total;
        }
    }
}
