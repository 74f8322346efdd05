//! Curve25519 keys in WireGuard's format (the same bytes as `wg genkey` / `wg pubkey`).

use boringtun::x25519::{PublicKey, StaticSecret};
use jni::objects::{JByteArray, JClass};
use jni::sys::jbyteArray;
use jni::JNIEnv;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroize;

use crate::boundary::{guard, key_from_java};

pub const KEY_LEN: usize = 32;

/// Clamps a scalar exactly like `wg genkey` (curve25519_clamp_secret).
pub fn clamp(key: &mut [u8; KEY_LEN]) {
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
}

pub fn generate_private_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    clamp(&mut key);
    key
}

/// X25519(private, 9). x25519-dalek clamps internally, so unclamped input gives the same
/// result as `wg pubkey`, which clamps too.
pub fn public_key(private: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    let secret = StaticSecret::from(*private);
    PublicKey::from(&secret).to_bytes()
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Keys_generatePrivateKey0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jbyteArray {
    guard(&mut env, std::ptr::null_mut(), |env| {
        let mut key = generate_private_key();
        let array = env.byte_array_from_slice(&key);
        key.zeroize();
        Ok(array?.into_raw())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Keys_publicKey0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    private_key: JByteArray<'local>,
) -> jbyteArray {
    guard(&mut env, std::ptr::null_mut(), |env| {
        let mut private = key_from_java(env, &private_key, "private key")?;
        let public = public_key(&private);
        private.zeroize();
        Ok(env.byte_array_from_slice(&public)?.into_raw())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn generated_keys_are_clamped_and_distinct() {
        let a = generate_private_key();
        let b = generate_private_key();
        assert_ne!(a, b);
        for k in [a, b] {
            assert_eq!(k[0] & 7, 0);
            assert_eq!(k[31] & 0x80, 0);
            assert_eq!(k[31] & 0x40, 0x40);
        }
    }

    #[test]
    fn clamp_matches_wg() {
        let mut k = [0xFFu8; 32];
        clamp(&mut k);
        assert_eq!(k[0], 0xF8);
        assert_eq!(k[31], 0x7F);
        let mut k = [0u8; 32];
        clamp(&mut k);
        assert_eq!(k[31], 0x40);
    }

    #[test]
    fn rfc7748_public_keys() {
        // RFC 7748 section 6.1.
        let alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let alice_pub = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let bob_pub = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        assert_eq!(public_key(&alice), alice_pub);
        assert_eq!(public_key(&bob), bob_pub);
        // Clamping first changes nothing: the scalar multiplication clamps anyway.
        let mut clamped = alice;
        clamp(&mut clamped);
        assert_eq!(public_key(&clamped), alice_pub);
    }
}
