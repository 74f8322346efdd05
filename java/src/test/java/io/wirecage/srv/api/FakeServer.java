package io.wirecage.srv.api;

import io.wirecage.srv.config.ApiSettings;
import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.ServerSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * For unit tests of the API's logic: a config file in a temp dir, and a stand-in for the running
 * server whose "apply" loads that file (what a reload does with it, minus the data path).
 */
final class FakeServer implements Registrar.Live {
    static final String TOKEN = "correct-horse-battery-staple";
    static final Base64Key SERVER_KEY = key(65000);

    final Path file;
    final Map<Base64Key, Ipv4Prefix> running = new ConcurrentHashMap<>();
    final Map<Base64Key, io.wirecage.srv.config.Ipv6Prefix> running6 = new ConcurrentHashMap<>();
    final AtomicInteger applies = new AtomicInteger();
    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    volatile boolean portsInUse;
    volatile long applyDelayMillis;

    FakeServer(Path dir, String subnet, String extraToml) {
        file = dir.resolve("wirecagesrv.toml");
        try {
            Files.writeString(dir.resolve("server.key"), "unused\n");
            Files.writeString(file, """
                    [server]
                    private_key_file = "server.key"
                    listen_addr = "0.0.0.0:51820"
                    subnet = "%s"
                    endpoint = "vpn.example.com:51820"
                    """.formatted(subnet) + extraToml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        apply();
        applies.set(0);
    }

    static Base64Key key(int i) {
        byte[] k = new byte[32];
        k[0] = (byte) i;
        k[1] = (byte) (i >> 8);
        k[31] = 9;
        return Base64Key.of(k);
    }

    ApiSettings apiSettings(int port, int newPeersPerMinute) {
        return new ApiSettings(new InetSocketAddress("127.0.0.1", port), TOKEN, "vpn.example.com:51820", null, null,
                newPeersPerMinute);
    }

    Registrar registrar(int newPeersPerMinute) {
        ConfigFile cfg = load();
        ServerSettings s = new ServerSettings(SERVER_KEY, new InetSocketAddress(51820), cfg.subnet(), List.of(), null, 1420,
                "wg-test", List.of(), apiSettings(8443, newPeersPerMinute), cfg.subnet6());
        return new Registrar(file, SERVER_KEY, s, this, (proto, port) -> portsInUse, clock::get);
    }

    ConfigFile load() {
        try {
            return ConfigFile.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Ipv4Prefix runningAddress(Base64Key key) {
        return running.get(key);
    }

    @Override
    public io.wirecage.srv.config.Ipv6Prefix runningAddress6(Base64Key key) {
        return running6.get(key);
    }

    @Override
    public List<io.wirecage.srv.config.Ipv6Prefix> runningAddresses6() {
        return new ArrayList<>(running6.values());
    }

    @Override
    public List<Ipv4Prefix> runningAddresses() {
        return new ArrayList<>(running.values());
    }

    @Override
    public synchronized String apply() {
        applies.incrementAndGet();
        if (applyDelayMillis > 0) {
            try {
                Thread.sleep(applyDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
        running6.clear();
        for (PeerEntry p : load().peers()) {
            if (p.enabled()) {
                running.put(p.publicKey(), p.allowedIps().get(0));
                if (!p.allowedIps6().isEmpty()) {
                    running6.put(p.publicKey(), p.allowedIps6().get(0));
                }
            }
        }
        return "ok=1\n";
    }
}
