package io.wirecage.srv.nativebridge;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Locale;

/**
 * Loads libwirecage_bridge.so once (mirrors lib.rs) and reports whether that worked, in the style of
 * Netty's {@code Epoll.isAvailable()} / {@code ensureAvailability()}.
 *
 * <p>The library comes from the classpath resource {@value #RESOURCE}, copied to an owner-only temp
 * file that is deleted right after {@code System.load} (the mapping stays valid on Linux). The system
 * property {@value #PATH_PROPERTY}{@code =/abs/path.so} loads a file instead (development).
 *
 * <p>Java 21+ warns about {@code System.load} unless the JVM runs with
 * {@code --enable-native-access=ALL-UNNAMED} (or the jar manifest says {@code Enable-Native-Access}).
 */
public final class NativeLibrary {
    public static final String RESOURCE = "/native/linux-x86-64/libwirecage_bridge.so";
    public static final String PATH_PROPERTY = "wirecage.native.path";

    /** Frees native handles of unreachable Identity/Tunnel objects. */
    static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "wirecage-native-cleaner");
        t.setDaemon(true);
        return t;
    });

    private static final Throwable UNAVAILABILITY_CAUSE = load();

    private NativeLibrary() {
    }

    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why the library could not be loaded, or null when it was. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /** Throws an IllegalStateException whose message says in one line why the library is missing. */
    public static void ensureAvailable() {
        Throwable cause = UNAVAILABILITY_CAUSE;
        if (cause != null) {
            String why = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            throw new IllegalStateException(
                    "wirecage native bridge unavailable: " + why.replaceAll("\\s*[\\r\\n]+\\s*", " "), cause);
        }
    }

    private static Throwable load() {
        try {
            String override = System.getProperty(PATH_PROPERTY);
            if (override != null && !override.isBlank()) {
                Path path = Path.of(override);
                if (!path.isAbsolute() || !Files.isRegularFile(path)) {
                    return new IllegalStateException("native library " + override + " (from -D" + PATH_PROPERTY
                            + ") is not an absolute path to an existing file");
                }
                System.load(path.toString());
                return null;
            }
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                return new IllegalStateException("native library is built for linux-x86-64 only, this JVM runs on "
                        + os + "/" + arch);
            }
            try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    return new IllegalStateException(
                            "native library " + RESOURCE + " not found in the jar: build with mvn package");
                }
                loadFromStream(in);
            }
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private static void loadFromStream(InputStream in) throws IOException {
        Path tmp = Files.createTempFile("libwirecage_bridge", ".so", PosixFilePermissions.asFileAttribute(
                EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
        try {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            System.load(tmp.toString());
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                tmp.toFile().deleteOnExit();
            }
        }
    }

    /** Panics inside Rust on purpose: lets tests prove a panic becomes NativePanicException. */
    static native void panicForTest0(String message);
}
