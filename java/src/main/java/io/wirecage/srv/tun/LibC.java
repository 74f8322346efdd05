package io.wirecage.srv.tun;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few libc calls the TUN device needs, bound with JNA direct mapping (no reflection per call).
 * Errors come back as -1 with errno in {@link Native#getLastError()}.
 */
final class LibC {
    static {
        Native.register("c");
    }

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;

    static final int EPERM = 1;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENOENT = 2;
    static final int ENODEV = 19;

    private LibC() {}

    static native int open(String path, int flags);

    static native int close(int fd);

    static native int socket(int domain, int type, int protocol);

    // ioctl is variadic in C; passing one pointer argument is safe on the x86-64 and aarch64 ABIs.
    static native int ioctl(int fd, long request, Pointer arg);

    static native String strerror(int errnum);
}
