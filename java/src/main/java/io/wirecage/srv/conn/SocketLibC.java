package io.wirecage.srv.conn;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The socket calls the batched UDP path needs to own its socket's fd (which NIO hides), bound with
 * JNA direct mapping. Errors come back as -1 with errno in {@link Native#getLastError()}.
 */
final class SocketLibC {
    static {
        Native.register("c");
    }

    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_V6ONLY = 26;
    static final int SHUT_RDWR = 2;
    static final int EADDRINUSE = 98;
    static final int EADDRNOTAVAIL = 99;

    private SocketLibC() {}

    static native int socket(int domain, int type, int protocol);

    static native int setsockopt(int fd, int level, int name, Pointer value, int length);

    static native int getsockopt(int fd, int level, int name, Pointer value, Pointer length);

    static native int bind(int fd, Pointer address, int length);

    static native int getsockname(int fd, Pointer address, Pointer length);

    static native int shutdown(int fd, int how);

    static native int close(int fd);

    static native String strerror(int errnum);
}
