//! Packed call results: `((code as i64) << 32) | (len as u32 as i64)`.
//!
//! One `long` crosses JNI instead of an object, so no call allocates. Positive codes say what
//! to do with `dst[0..len]`; negative codes are boringtun errors (len is then 0). The numbers
//! are part of the Java contract (TunnelResult.java): never renumber, only append.

use boringtun::noise::errors::WireGuardError;
use boringtun::noise::TunnResult;

pub const DONE: i32 = 0;
pub const WRITE_TO_NETWORK: i32 = 1;
pub const WRITE_TO_TUNNEL_V4: i32 = 2;
pub const WRITE_TO_TUNNEL_V6: i32 = 3;
/// classify: a handshake initiation from a known-format peer; dst[0..32] = its static key.
pub const HANDSHAKE_INIT: i32 = 4;
/// classify: a message addressed to one of our tunnels; len = the tunnel's 24-bit index.
pub const BY_INDEX: i32 = 5;

pub const ERR_DESTINATION_BUFFER_TOO_SMALL: i32 = -1;
pub const ERR_INCORRECT_PACKET_LENGTH: i32 = -2;
pub const ERR_UNEXPECTED_PACKET: i32 = -3;
pub const ERR_WRONG_PACKET_TYPE: i32 = -4;
pub const ERR_WRONG_INDEX: i32 = -5;
pub const ERR_WRONG_KEY: i32 = -6;
pub const ERR_INVALID_TAI64N_TIMESTAMP: i32 = -7;
pub const ERR_WRONG_TAI64N_TIMESTAMP: i32 = -8;
pub const ERR_INVALID_MAC: i32 = -9;
pub const ERR_INVALID_AEAD_TAG: i32 = -10;
pub const ERR_INVALID_COUNTER: i32 = -11;
pub const ERR_DUPLICATE_COUNTER: i32 = -12;
pub const ERR_INVALID_PACKET: i32 = -13;
pub const ERR_NO_CURRENT_SESSION: i32 = -14;
pub const ERR_LOCK_FAILED: i32 = -15;
pub const ERR_CONNECTION_EXPIRED: i32 = -16;
pub const ERR_UNDER_LOAD: i32 = -17;
/// classify: a handshake initiation whose sender key could not be decrypted with our key.
pub const ERR_UNKNOWN_PEER: i32 = -18;
pub const ERR_OTHER: i32 = -100;

#[inline]
pub fn pack(code: i32, len: usize) -> i64 {
    ((code as i64) << 32) | (len as u32 as i64)
}

#[inline]
pub fn error(code: i32) -> i64 {
    pack(code, 0)
}

#[inline]
pub fn code_of(packed: i64) -> i32 {
    (packed >> 32) as i32
}

#[inline]
pub fn len_of(packed: i64) -> usize {
    packed as u32 as usize
}

pub fn error_code(e: &WireGuardError) -> i32 {
    use WireGuardError::*;
    // Exhaustive on purpose: a new boringtun variant must get its own stable number.
    match e {
        DestinationBufferTooSmall => ERR_DESTINATION_BUFFER_TOO_SMALL,
        IncorrectPacketLength => ERR_INCORRECT_PACKET_LENGTH,
        UnexpectedPacket => ERR_UNEXPECTED_PACKET,
        WrongPacketType => ERR_WRONG_PACKET_TYPE,
        WrongIndex => ERR_WRONG_INDEX,
        WrongKey => ERR_WRONG_KEY,
        InvalidTai64nTimestamp => ERR_INVALID_TAI64N_TIMESTAMP,
        WrongTai64nTimestamp => ERR_WRONG_TAI64N_TIMESTAMP,
        InvalidMac => ERR_INVALID_MAC,
        InvalidAeadTag => ERR_INVALID_AEAD_TAG,
        InvalidCounter => ERR_INVALID_COUNTER,
        DuplicateCounter => ERR_DUPLICATE_COUNTER,
        InvalidPacket => ERR_INVALID_PACKET,
        NoCurrentSession => ERR_NO_CURRENT_SESSION,
        LockFailed => ERR_LOCK_FAILED,
        ConnectionExpired => ERR_CONNECTION_EXPIRED,
        UnderLoad => ERR_UNDER_LOAD,
    }
}

/// Where a result's packet lies inside dst, taken before the borrow of dst ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub code: i32,
    pub offset: usize,
    pub len: usize,
}

impl Located {
    pub fn code_only(code: i32) -> Located {
        Located {
            code,
            offset: 0,
            len: 0,
        }
    }

    /// Locates `packet` inside the buffer that starts at `dst_base` and is `dst_len` long.
    /// A slice outside dst (boringtun never returns one) becomes ERR_OTHER, not a bad copy.
    pub fn of_slice(code: i32, dst_base: *const u8, dst_len: usize, packet: &[u8]) -> Located {
        let offset = (packet.as_ptr() as usize).wrapping_sub(dst_base as usize);
        match offset.checked_add(packet.len()) {
            Some(end) if offset <= dst_len && end <= dst_len => Located {
                code,
                offset,
                len: packet.len(),
            },
            _ => Located::code_only(ERR_OTHER),
        }
    }

    /// Moves the packet to dst[0] (Java always reads at offset 0) and packs the result.
    pub fn finish(self, dst: &mut [u8]) -> i64 {
        if self.code <= 0 {
            return pack(self.code, 0);
        }
        if self.offset != 0 {
            dst.copy_within(self.offset..self.offset + self.len, 0);
        }
        pack(self.code, self.len)
    }
}

/// Turns a boringtun result whose slices borrow dst into a position inside dst.
pub fn locate(dst_base: *const u8, dst_len: usize, r: TunnResult<'_>) -> Located {
    match r {
        TunnResult::Done => Located::code_only(DONE),
        TunnResult::Err(e) => Located::code_only(error_code(&e)),
        TunnResult::WriteToNetwork(p) => Located::of_slice(WRITE_TO_NETWORK, dst_base, dst_len, p),
        TunnResult::WriteToTunnelV4(p, _) => Located::of_slice(WRITE_TO_TUNNEL_V4, dst_base, dst_len, p),
        TunnResult::WriteToTunnelV6(p, _) => Located::of_slice(WRITE_TO_TUNNEL_V6, dst_base, dst_len, p),
    }
}

/// Runs a boringtun call on dst and returns its packed result with the packet at dst[0].
pub fn run_on_dst<F>(dst: &mut [u8], call: F) -> i64
where
    F: for<'a> FnOnce(&'a mut [u8]) -> TunnResult<'a>,
{
    let base = dst.as_ptr();
    let len = dst.len();
    let located = locate(base, len, call(&mut *dst));
    located.finish(dst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        for &(code, len) in &[(0, 0usize), (1, 148), (2, 65535), (5, 0xFF_FFFF), (-1, 0), (-100, 0)] {
            let p = pack(code, len);
            assert_eq!(code_of(p), code);
            assert_eq!(len_of(p), len);
        }
        assert!(error(ERR_INVALID_MAC) < 0);
        assert_eq!(pack(WRITE_TO_NETWORK, 92), (1i64 << 32) | 92);
    }

    #[test]
    fn every_error_has_its_stable_number() {
        use WireGuardError::*;
        let all = [
            DestinationBufferTooSmall,
            IncorrectPacketLength,
            UnexpectedPacket,
            WrongPacketType,
            WrongIndex,
            WrongKey,
            InvalidTai64nTimestamp,
            WrongTai64nTimestamp,
            InvalidMac,
            InvalidAeadTag,
            InvalidCounter,
            DuplicateCounter,
            InvalidPacket,
            NoCurrentSession,
            LockFailed,
            ConnectionExpired,
            UnderLoad,
        ];
        for (i, e) in all.iter().enumerate() {
            assert_eq!(error_code(e), -(i as i32) - 1, "{e:?}");
        }
    }

    #[test]
    fn slice_not_at_start_is_moved_to_offset_zero() {
        let mut dst = [0u8; 16];
        dst[5..9].copy_from_slice(&[1, 2, 3, 4]);
        let r = run_on_dst(&mut dst, |d| {
            TunnResult::WriteToTunnelV4(&mut d[5..9], [0, 0, 0, 0].into())
        });
        assert_eq!(code_of(r), WRITE_TO_TUNNEL_V4);
        assert_eq!(len_of(r), 4);
        assert_eq!(&dst[..4], &[1, 2, 3, 4]);
    }

    #[test]
    fn slice_at_start_is_left_alone() {
        let mut dst = [7u8; 8];
        let r = run_on_dst(&mut dst, |d| TunnResult::WriteToNetwork(&mut d[..3]));
        assert_eq!((code_of(r), len_of(r)), (WRITE_TO_NETWORK, 3));
        assert_eq!(dst, [7u8; 8]);
    }

    #[test]
    fn done_and_errors_have_no_length() {
        let mut dst = [0u8; 4];
        assert_eq!(run_on_dst(&mut dst, |_| TunnResult::Done), 0);
        let r = run_on_dst(&mut dst, |_| TunnResult::Err(WireGuardError::InvalidAeadTag));
        assert_eq!((code_of(r), len_of(r)), (ERR_INVALID_AEAD_TAG, 0));
    }

    #[test]
    fn slice_outside_dst_is_an_error_not_a_copy() {
        let other = [1u8; 4];
        let dst = [0u8; 4];
        let l = Located::of_slice(WRITE_TO_NETWORK, dst.as_ptr(), dst.len(), &other);
        assert_eq!(l.code, ERR_OTHER);
        let far = vec![0u8; 4];
        let l = Located::of_slice(WRITE_TO_NETWORK, far.as_ptr().wrapping_add(1000), 4, &far);
        assert_eq!(l.code, ERR_OTHER);
    }
}
