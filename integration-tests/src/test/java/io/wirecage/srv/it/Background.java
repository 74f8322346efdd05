package io.wirecage.srv.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A long-running process (server, HTTP target, tcpdump) whose stdout and stderr go to one log
 * file. {@code ip netns exec} execs the command in place, so the pid is the command's own and
 * SIGTERM/SIGKILL reach it directly.
 */
public class Background implements AutoCloseable {

    private final List<String> command;
    private final Path log;
    private final Process process;

    public Background(List<String> command, Path log) {
        this.command = List.copyOf(command);
        this.log = log;
        try {
            Files.deleteIfExists(log);
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return log;
    }

    public List<String> command() {
        return command;
    }

    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the log contains {@code needle}; fails early (with the log) if the process exits,
     * and at the timeout.
     */
    public void awaitLog(String needle, Duration timeout) {
        boolean seen = Poll.until(timeout, Duration.ofMillis(50), () -> log().contains(needle) || !isAlive());
        if (log().contains(needle)) {
            return;
        }
        String state = isAlive() ? "still running" : "exited with code " + process.exitValue();
        throw new AssertionError("waited " + timeout.toMillis() + " ms for \"" + needle + "\" in the log of\n  "
                + String.join(" ", command) + "\nprocess " + state + (seen ? "" : " (timeout)") + "; log " + log
                + ":\n" + tail(log(), 60));
    }

    /** Sends SIGTERM and waits; returns the exit code, or fails (then SIGKILLs) at the timeout. */
    public int terminate(Duration timeout) {
        process.destroy(); // SIGTERM on Linux
        if (!waitFor(timeout)) {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(5));
            throw new AssertionError("process did not exit within " + timeout.toMillis()
                    + " ms after SIGTERM (then killed): " + String.join(" ", command) + "\nlog:\n" + tail(log(), 60));
        }
        return process.exitValue();
    }

    /** Sends SIGKILL and waits; returns the exit code (137 from a shell's view, here the JVM's 137). */
    public int kill() {
        process.destroyForcibly();
        if (!waitFor(Duration.ofSeconds(10))) {
            throw new AssertionError("process did not die after SIGKILL: " + String.join(" ", command));
        }
        return process.exitValue();
    }

    /** Waits for the process to exit by itself; returns the exit code, or fails at the timeout. */
    public int awaitExit(Duration timeout) {
        if (!waitFor(timeout)) {
            throw new AssertionError("process still running after " + timeout.toMillis() + " ms: "
                    + String.join(" ", command) + "\nlog:\n" + tail(log(), 60));
        }
        return process.exitValue();
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(10))) {
                process.destroyForcibly();
                waitFor(Duration.ofSeconds(5));
            }
        }
    }

    public static String tail(String text, int lines) {
        String[] all = text.split("\n", -1);
        int from = Math.max(0, all.length - lines);
        StringBuilder sb = new StringBuilder();
        if (from > 0) {
            sb.append("[... ").append(from).append(" earlier lines ...]\n");
        }
        for (int i = from; i < all.length; i++) {
            sb.append(all[i]).append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return String.join(" ", command);
    }
}
