package io.wirecage.srv.nativebridge;

/**
 * A Rust panic inside the native bridge, caught at the JNI boundary instead of aborting the JVM
 * (mirrors boundary.rs). It means a bug in the bridge or in boringtun, never bad input: a tunnel
 * whose call panicked refuses later calls with {@link IllegalStateException} and should be closed.
 */
public class NativePanicException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NativePanicException(String message) {
        super(message);
    }
}
