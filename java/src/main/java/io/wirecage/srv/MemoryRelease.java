package io.wirecage.srv;

import com.sun.jna.Native;

/**
 * Gives start-up garbage back to the OS before the data path starts: parsing a config of thousands of
 * peers grows the heap and malloc's arenas (JIT compilation) to hundreds of MB that an idle server
 * would otherwise keep. Runs once, while no packet can be delayed by the pause.
 */
final class MemoryRelease {
    private static final boolean TRIM_AVAILABLE = register();

    private MemoryRelease() {}

    private static boolean register() {
        try {
            Native.register(MemoryRelease.class, "c");
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false; // not glibc: the GC alone still returns the heap
        }
    }

    private static native int malloc_trim(long pad);

    static void afterStartup() {
        System.gc();
        if (TRIM_AVAILABLE) {
            malloc_trim(0);
        }
    }
}
