package io.wirecage.srv.it.containers;

/** What a command run in a container (or on the host) did. Exit 124 means its time bound ran out. */
record Result(String where, String cmd, int exit, String out, String err, long millis) {

    boolean ok() {
        return exit == 0;
    }

    /** Fails the test with everything the command printed unless it exited 0. */
    Result check() {
        if (!ok()) {
            throw new AssertionError("command failed: " + describe());
        }
        return this;
    }

    String describe() {
        return "[" + where + "] " + cmd + " -> exit " + exit + (exit == 124 ? " (timed out)" : "") + " in " + millis + " ms"
                + (out.isBlank() ? "" : "\n  stdout: " + out.strip().replace("\n", "\n          "))
                + (err.isBlank() ? "" : "\n  stderr: " + err.strip().replace("\n", "\n          "));
    }
}
