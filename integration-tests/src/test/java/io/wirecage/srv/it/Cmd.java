package io.wirecage.srv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external command with a hard timeout and captures its output.
 *
 * <p>Output goes to temporary files rather than pipes: a command that leaves a daemon behind
 * (wg-quick starting wireguard-go) must not keep us waiting for the pipe's end. A command that
 * runs past its timeout is killed (with its descendants) and reported as failed. {@link
 * Result#check()} fails with the command line, exit code and both outputs in the message.
 */
public final class Cmd {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final List<String> argv;
    private Duration timeout = DEFAULT_TIMEOUT;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String stdin;

    private Cmd(List<String> argv) {
        this.argv = List.copyOf(argv);
    }

    public static Cmd of(String... argv) {
        return new Cmd(List.of(argv));
    }

    public static Cmd of(List<String> argv) {
        return new Cmd(argv);
    }

    public Cmd timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public Cmd env(String key, String value) {
        env.put(key, value);
        return this;
    }

    public Cmd stdin(String text) {
        this.stdin = text;
        return this;
    }

    public List<String> argv() {
        return argv;
    }

    /** Runs the command; never throws for a non-zero exit (see {@link Result#check()}). */
    public Result run() {
        Path out = null;
        Path err = null;
        Path in = null;
        long start = System.nanoTime();
        try {
            out = Files.createTempFile("wct-cmd-", ".out");
            err = Files.createTempFile("wct-cmd-", ".err");
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().putAll(env);
            if (stdin != null) {
                in = Files.createTempFile("wct-cmd-", ".in");
                Files.writeString(in, stdin);
                pb.redirectInput(in.toFile());
            } else {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                return new Result(argv, -1, "", "cannot start: " + e.getMessage(),
                        Duration.ofNanos(System.nanoTime() - start), false);
            }
            boolean finished;
            try {
                finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                killTree(p);
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while running " + String.join(" ", argv), e);
            }
            if (!finished) {
                killTree(p);
            }
            int code = finished ? p.exitValue() : -1;
            return new Result(argv, code, read(out), read(err),
                    Duration.ofNanos(System.nanoTime() - start), !finished);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
            deleteQuietly(in);
        }
    }

    /** Runs the command and fails (AssertionError with command and output) unless it exits 0. */
    public Result check() {
        return run().check();
    }

    static void killTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // temp file, best effort
        }
    }

    public record Result(List<String> command, int exitCode, String stdout, String stderr,
                         Duration took, boolean timedOut) {

        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        public Result check() {
            if (!ok()) {
                throw new AssertionError(describe());
            }
            return this;
        }

        /** stdout then stderr, as one text. */
        public String output() {
            return stdout + stderr;
        }

        public List<String> stdoutLines() {
            return nonBlankLines(stdout);
        }

        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append("command: ").append(String.join(" ", command)).append('\n');
            if (timedOut) {
                sb.append("TIMED OUT after ").append(took.toMillis()).append(" ms (killed)\n");
            } else {
                sb.append("exit code: ").append(exitCode).append(" after ").append(took.toMillis()).append(" ms\n");
            }
            sb.append("--- stdout ---\n").append(clip(stdout)).append('\n');
            sb.append("--- stderr ---\n").append(clip(stderr));
            return sb.toString();
        }

        private static String clip(String s) {
            return s.length() > 8000 ? s.substring(0, 4000) + "\n[...]\n" + s.substring(s.length() - 4000) : s;
        }
    }

    public static List<String> nonBlankLines(String text) {
        List<String> lines = new ArrayList<>();
        for (String l : text.split("\n", -1)) {
            if (!l.isBlank()) {
                lines.add(l.strip());
            }
        }
        return lines;
    }
}
