package io.wirecage.srv.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts the packets matching a filter on one interface of a namespace, while it runs: start,
 * generate traffic, {@link #stop()} returns the matching packet lines. The capture is ready
 * (tcpdump printed "listening on") before {@link #start} returns.
 */
public final class Tcpdump implements AutoCloseable {

    private final Background process;
    private List<String> packets;

    private Tcpdump(Background process) {
        this.process = process;
    }

    public static Tcpdump start(Netns ns, String iface, String filter, Path log) {
        List<String> argv = new ArrayList<>(List.of("tcpdump", "-i", iface, "-n", "-l", "-p", "--immediate-mode"));
        argv.addAll(List.of(filter.split("\\s+")));
        Tcpdump t = new Tcpdump(new Background(ns.wrap(argv), log));
        t.process.awaitLog("listening on", Duration.ofSeconds(10));
        // tcpdump says "listening" just before the capture loop starts; give it a moment.
        Poll.sleep(Duration.ofMillis(200));
        return t;
    }

    /** Stops the capture (SIGTERM, tcpdump flushes) and returns the captured packet lines. */
    public List<String> stop() {
        if (packets == null) {
            Poll.sleep(Duration.ofMillis(300)); // let the last packets reach the capture
            process.terminate(Duration.ofSeconds(10));
            packets = new ArrayList<>();
            for (String line : Cmd.nonBlankLines(process.log())) {
                // packet lines start with a timestamp such as 12:34:56.789012
                if (line.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d+ .*")) {
                    packets.add(line);
                }
            }
        }
        return packets;
    }

    public String log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
