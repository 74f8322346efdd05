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
        uncommitWhenIdle();
    }

    /** With G1: a concurrent cycle after this long without any GC gives an idle heap back to the OS. */
    static final long IDLE_GC_INTERVAL_MS = 30_000;

    /**
     * Bursts of work (thousands of registrations, each a config parse and reload) grow G1's heap to
     * hundreds of MB that it would keep for good. G1's periodic collection, a manageable flag set here
     * so that every launcher gets it, runs a concurrent cycle (no long pause) once the server has been
     * quiet for {@link #IDLE_GC_INTERVAL_MS} and uncommits the free heap.
     */
    static void uncommitWhenIdle() {
        try {
            var vm = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if ("0".equals(vm.getVMOption("G1PeriodicGCInterval").getValue())) {
                vm.setVMOption("G1PeriodicGCInterval", Long.toString(IDLE_GC_INTERVAL_MS));
            }
        } catch (RuntimeException | LinkageError e) {
            // another collector, or a runtime without jdk.management: memory is then only released at start
        }
    }
}
