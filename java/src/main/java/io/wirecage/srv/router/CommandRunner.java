package io.wirecage.srv.router;

import java.io.IOException;
import java.util.List;

/**
 * Runs a host command (iptables and friends). The firewall code talks only to this interface,
 * so its rule logic is unit-tested with a fake and the real runner stays a few lines.
 */
public interface CommandRunner {

    record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs argv to completion; stdout and stderr are merged into the output. */
    Result run(List<String> argv) throws IOException;

    /** Runs argv and fails with the command and its output when it exits non-zero. */
    default String check(List<String> argv) throws IOException {
        Result r = run(argv);
        if (!r.ok()) {
            throw new IOException(String.join(" ", argv) + " failed (exit " + r.exitCode() + "): " + r.output().strip());
        }
        return r.output();
    }
}
