//! Reads who sent a handshake initiation and when: the initiator's static key and its TAI64N
//! timestamp, by the first half of the Noise IKpsk2 handshake (WireGuard's paper, section 5.4.2).
//! boringtun's `parse_handshake_anon` stops at the static key and keeps the timestamp check inside a
//! `Tunn`, which this server frees when a peer goes idle: without the timestamp here, an old captured
//! initiation would be accepted again by the peer's next tunnel. The Java side keeps the newest
//! accepted timestamp per peer and refuses any initiation that is not newer.

use boringtun::x25519::{PublicKey, StaticSecret};
use blake2::digest::{FixedOutput, Update};
use blake2::{Blake2s256, Digest};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use zeroize::Zeroizing;

const CONSTRUCTION: &[u8] = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
const IDENTIFIER: &[u8] = b"WireGuard v1 zx2c4 Jason@zx2c4.com";
/// Offsets in a 148-byte initiation: type(4) sender(4) ephemeral(32) static(32+16) timestamp(12+16) macs(32).
const EPHEMERAL: usize = 8;
const STATIC: usize = 40;
const TIMESTAMP: usize = 88;
const MACS: usize = 116;
pub const INITIATION_LEN: usize = 148;

fn hash(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut h = Blake2s256::new();
    Digest::update(&mut h, a);
    Digest::update(&mut h, b);
    h.finalize().into()
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <hmac::SimpleHmac<Blake2s256> as hmac::digest::KeyInit>::new_from_slice(key).expect("any key length");
    for p in parts {
        Update::update(&mut m, p);
    }
    m.finalize_fixed().into()
}

/// HKDF with HMAC-BLAKE2s: the next chaining key and a key.
fn kdf2(chaining_key: &[u8; 32], input: &[u8]) -> ([u8; 32], [u8; 32]) {
    let temp = hmac(chaining_key, &[input]);
    let c = hmac(&temp, &[&[0x01]]);
    let k = hmac(&temp, &[&c, &[0x02]]);
    (c, k)
}

fn open(key: &[u8; 32], sealed: &[u8], aad: &[u8], plain: &mut [u8]) -> Option<()> {
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).ok()?);
    let mut buf = [0u8; 48];
    let buf = &mut buf[..sealed.len()];
    buf.copy_from_slice(sealed);
    let out = key.open_in_place(Nonce::assume_unique_for_key([0u8; 12]), Aad::from(aad), buf).ok()?;
    plain.copy_from_slice(out);
    Some(())
}

/// The initiator's static public key and its TAI64N timestamp (12 bytes, big-endian: seconds, then
/// nanoseconds), or None when the message does not decrypt with our key. `msg` is a whole
/// initiation whose size and mac1 were already checked. `static_shared` may know DH(our static,
/// the initiator's static) already (precomputed for configured peers, as wireguard-go does);
/// otherwise it is computed here.
pub fn read_initiation(
    secret: &StaticSecret,
    public: &PublicKey,
    msg: &[u8],
    static_shared: impl Fn(&[u8; 32]) -> Option<Zeroizing<[u8; 32]>>,
) -> Option<([u8; 32], [u8; 12])> {
    if msg.len() != INITIATION_LEN {
        return None;
    }
    let ephemeral: [u8; 32] = msg[EPHEMERAL..STATIC].try_into().ok()?;
    let chaining_key = hash(CONSTRUCTION, &[]);
    let mut h = hash(&hash(&chaining_key, IDENTIFIER), public.as_bytes());
    h = hash(&h, &ephemeral);
    let c = hmac(&hmac(&chaining_key, &[&ephemeral]), &[&[0x01]]);
    let (c, k) = kdf2(&c, secret.diffie_hellman(&PublicKey::from(ephemeral)).as_bytes());
    let sealed_static = &msg[STATIC..TIMESTAMP];
    let mut peer_static = [0u8; 32];
    open(&k, sealed_static, &h, &mut peer_static)?;
    h = hash(&h, sealed_static);
    let shared = static_shared(&peer_static)
        .unwrap_or_else(|| Zeroizing::new(secret.diffie_hellman(&PublicKey::from(peer_static)).to_bytes()));
    let (_, k) = kdf2(&c, &shared[..]);
    let mut timestamp = [0u8; 12];
    open(&k, &msg[TIMESTAMP..MACS], &h, &mut timestamp)?;
    Some((peer_static, timestamp))
}
