package io.wirecage.srv.router;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@link CommandRunner}: a child process with a bounded wait. Its output is collected on a
 * separate thread while this one waits with a timeout, so a child that hangs (or leaves a grandchild
 * holding the pipe open) cannot block the caller: it is killed after the timeout. Output beyond 1 MiB
 * is dropped.
 */
public final class ProcessCommandRunner implements CommandRunner {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_OUTPUT = 1 << 20;

    private final Duration timeout;

    public ProcessCommandRunner() {
        this(DEFAULT_TIMEOUT);
    }

    public ProcessCommandRunner(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public Result run(List<String> argv) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(argv.get(0) + " could not be run: " + e.getMessage(), e);
        }
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().name("output-of-" + argv.get(0)).start(() -> collect(p.getInputStream(), out));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + " did not finish within " + timeout.toSeconds() + " s (killed)");
            }
            reader.join(Math.min(timeout.toMillis(), 5000)); // the rest of the output, unless a grandchild holds the pipe
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.get(0), e);
        }
        String text;
        synchronized (out) {
            text = out.toString(StandardCharsets.UTF_8);
        }
        return new Result(p.exitValue(), text);
    }

    private static void collect(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (out) {
                    if (out.size() + n <= MAX_OUTPUT) {
                        out.write(buf, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            // the process was killed or closed its output: what was read is kept
        }
    }
}
