package io.wirecage.srv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Per-namespace /etc files: `ip netns exec NS` bind-mounts /etc/netns/NS/FILE over /etc/FILE, so a
 * client namespace gets its own resolv.conf (a DNS server reachable only through the tunnel) and hosts
 * (the server's name). Removed on close.
 */
public final class NetnsFiles implements AutoCloseable {
    private final Path dir;

    private NetnsFiles(Path dir) {
        this.dir = dir;
    }

    public static NetnsFiles of(Netns ns) {
        Path dir = Path.of("/etc/netns", ns.name());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new NetnsFiles(dir);
    }

    public NetnsFiles write(String fileName, String content) {
        try {
            Files.writeString(dir.resolve(fileName), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.out.println("[it] removing " + dir + " failed: " + e);
        }
    }
}
