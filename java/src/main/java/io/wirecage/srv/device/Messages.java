package io.wirecage.srv.device;

/**
 * WireGuard's message types and fixed sizes (the protocol's wire layout, wireguard-go's
 * noise-protocol.go), and the data path's shared timing. The first four bytes of every message are
 * its type as a little-endian word: one byte of type, three of zero.
 */
final class Messages {
    static final int INITIATION = 1;
    static final int RESPONSE = 2;
    static final int COOKIE_REPLY = 3;
    static final int DATA = 4;

    static final int INITIATION_SIZE = 148;
    static final int RESPONSE_SIZE = 92;
    static final int COOKIE_REPLY_SIZE = 64;
    /** Type, receiver index and counter: the shortest data message (a keepalive) is this plus a 16-byte tag. */
    static final int DATA_HEADER = 16;
    static final int DATA_MIN_SIZE = DATA_HEADER + 16;

    /** How long a data-path thread waits in poll() before it checks whether the device stops. */
    static final int POLL_MILLIS = 200;

    private Messages() {}

    /** The type word read big-endian from a message's first four bytes: {@code type << 24}. */
    static int typeWord(int type) {
        return type << 24;
    }

    /** The message type, or 0 when the type word is not one of the four (its upper bytes are not zero). */
    static int type(int firstWordBigEndian) {
        int type = firstWordBigEndian >>> 24;
        return (firstWordBigEndian & 0x00ff_ffff) == 0 && type >= INITIATION && type <= DATA ? type : 0;
    }

    /**
     * Whether a control message has its type's exact size: the cheapest check, done before any crypto,
     * rejects most garbage (wireguard-go drops on the same sizes).
     */
    static boolean controlSizeFits(int type, int length) {
        return switch (type) {
            case INITIATION -> length == INITIATION_SIZE;
            case RESPONSE -> length == RESPONSE_SIZE;
            case COOKIE_REPLY -> length == COOKIE_REPLY_SIZE;
            default -> false;
        };
    }
}
