package io.wirecage.srv;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version from the jar manifest ("dev" when run from classes), and what the build linked in. */
public final class Version {
    /** Written by the Maven build from Cargo.lock (the bridge is built with cargo --locked). */
    private static final String BUILD_PROPERTIES = "/wirecagesrv-build.properties";

    private Version() {}

    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    /** The boringtun crate version inside the native bridge, or "unknown" when the build did not record it. */
    public static String boringtun() {
        try (InputStream in = Version.class.getResourceAsStream(BUILD_PROPERTIES)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("boringtun", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** What `wirecagesrv --version` prints. */
    public static String[] lines() {
        return new String[] {
            "wirecagesrv " + get(),
            "boringtun " + boringtun() + " (WireGuard protocol engine, JNI bridge)",
            "Java " + System.getProperty("java.runtime.version", System.getProperty("java.version", "?"))
                    + " (" + System.getProperty("java.vm.vendor", "?") + ", " + System.getProperty("java.home", "?") + ")"
        };
    }
}
