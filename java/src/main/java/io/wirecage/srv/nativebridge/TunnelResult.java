package io.wirecage.srv.nativebridge;

/**
 * Decodes the {@code long} every packet call returns (mirrors result.rs):
 * {@code ((long) code << 32) | (length & 0xFFFFFFFFL)}. A negative result is an error code with
 * length 0. For positive codes the packet is always at index 0 of dst, {@code length} bytes long;
 * native code never touches a buffer's position or limit.
 */
public final class TunnelResult {
    /** Nothing to send or write. */
    public static final int DONE = 0;
    /** Send dst[0, length) as one UDP datagram to the peer (handshake, keepalive, data, cookie). */
    public static final int WRITE_TO_NETWORK = 1;
    /** Write the decrypted IPv4 packet dst[0, length) to the TUN device. */
    public static final int WRITE_TO_TUNNEL_V4 = 2;
    /** Write the decrypted IPv6 packet dst[0, length) to the TUN device. */
    public static final int WRITE_TO_TUNNEL_V6 = 3;
    /** classify: a handshake initiation; dst[0, 32) holds the initiator's static public key. */
    public static final int HANDSHAKE_INIT = 4;
    /** classify: a response, cookie reply or data message; length is the 24-bit tunnel index. */
    public static final int BY_INDEX = 5;

    public static final int ERR_DESTINATION_BUFFER_TOO_SMALL = -1;
    public static final int ERR_INCORRECT_PACKET_LENGTH = -2;
    public static final int ERR_UNEXPECTED_PACKET = -3;
    public static final int ERR_WRONG_PACKET_TYPE = -4;
    public static final int ERR_WRONG_INDEX = -5;
    public static final int ERR_WRONG_KEY = -6;
    public static final int ERR_INVALID_TAI64N_TIMESTAMP = -7;
    public static final int ERR_WRONG_TAI64N_TIMESTAMP = -8;
    public static final int ERR_INVALID_MAC = -9;
    public static final int ERR_INVALID_AEAD_TAG = -10;
    public static final int ERR_INVALID_COUNTER = -11;
    public static final int ERR_DUPLICATE_COUNTER = -12;
    public static final int ERR_INVALID_PACKET = -13;
    public static final int ERR_NO_CURRENT_SESSION = -14;
    public static final int ERR_LOCK_FAILED = -15;
    public static final int ERR_CONNECTION_EXPIRED = -16;
    public static final int ERR_UNDER_LOAD = -17;
    /** classify: a handshake initiation whose sender key could not be decrypted with our key. */
    public static final int ERR_UNKNOWN_PEER = -18;
    public static final int ERR_OTHER = -100;

    private static final String[] ERROR_NAMES = {
        null, "DestinationBufferTooSmall", "IncorrectPacketLength", "UnexpectedPacket", "WrongPacketType",
        "WrongIndex", "WrongKey", "InvalidTai64nTimestamp", "WrongTai64nTimestamp", "InvalidMac",
        "InvalidAeadTag", "InvalidCounter", "DuplicateCounter", "InvalidPacket", "NoCurrentSession",
        "LockFailed", "ConnectionExpired", "UnderLoad", "UnknownPeer",
    };

    private TunnelResult() {
    }

    public static int code(long result) {
        return (int) (result >> 32);
    }

    public static int length(long result) {
        return (int) result;
    }

    public static boolean isError(long result) {
        return result < 0;
    }

    /** CamelCase name (boringtun's for errors), stable for counters and logs. */
    public static String name(int code) {
        switch (code) {
            case DONE: return "Done";
            case WRITE_TO_NETWORK: return "WriteToNetwork";
            case WRITE_TO_TUNNEL_V4: return "WriteToTunnelV4";
            case WRITE_TO_TUNNEL_V6: return "WriteToTunnelV6";
            case HANDSHAKE_INIT: return "HandshakeInit";
            case BY_INDEX: return "ByIndex";
            case ERR_OTHER: return "Other";
            default:
                if (code < 0 && -code < ERROR_NAMES.length) {
                    return ERROR_NAMES[-code];
                }
                return "Code" + code;
        }
    }

    /** For logs: e.g. "WriteToNetwork(148)" or "InvalidMac". */
    public static String toString(long result) {
        int code = code(result);
        return code > 0 ? name(code) + "(" + length(result) + ")" : name(code);
    }
}
