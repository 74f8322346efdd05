package io.wirecage.srv.it;

import java.time.Duration;
import java.util.List;

/**
 * A real DNS server (dnsmasq) in the internet namespace that answers only for names it is given and
 * forwards nothing: a client can resolve through it only if its DNS query crossed the tunnel and NAT.
 */
public final class DnsServer implements AutoCloseable {
    private final Background process;

    private DnsServer(Background process) {
        this.process = process;
    }

    /** Serves {@code name -> address} for each pair on {@code listenAddr}:53 in {@code ns}. */
    public static DnsServer start(Topology topo, Netns ns, String listenAddr, String... nameAddressPairs) {
        Require.tools(List.of("dnsmasq"));
        List<String> argv = new java.util.ArrayList<>(List.of("dnsmasq", "--keep-in-foreground", "--no-daemon",
                "--log-queries", "--log-facility=-", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
                "--listen-address=" + listenAddr, "--port=53", "--user=root", "--pid-file="));
        for (int i = 0; i + 1 < nameAddressPairs.length; i += 2) {
            argv.add("--address=/" + nameAddressPairs[i] + "/" + nameAddressPairs[i + 1]);
        }
        DnsServer dns = topo.track(new DnsServer(new Background(ns.wrap(argv), topo.workDir().resolve("dnsmasq.log"))));
        dns.process.awaitLog("started, version", Duration.ofSeconds(10));
        return dns;
    }

    /** Names the server was asked for so far (from its query log). */
    public String log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
