#![no_main]
//! Any datagram through the handshake screen (mac1 check, rate limiter, cookie reply) and the
//! classifier (message parser, initiation reader): an error code or a result, never a panic, never
//! a result larger than its buffer. Inputs whose first byte is odd get a valid mac1 for the server's
//! key (the fuzzer cannot find one by itself), so that they reach the rate limiter, the initiation
//! reader and the index lookup behind the mac check.
use blake2::digest::{FixedOutput, KeyInit, Update};
use blake2::{Blake2s256, Blake2sMac, Digest};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use wirecage_bridge::identity::Identity;
use wirecage_bridge::result::{code_of, len_of, HANDSHAKE_INIT, WRITE_TO_NETWORK};

fn identity() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| Identity::new([7u8; 32], 1_000_000).unwrap())
}

/// The mac1 key of the server: HASH("mac1----" || its public key).
fn mac1_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut h = Blake2s256::new();
        Digest::update(&mut h, b"mac1----");
        Digest::update(&mut h, identity().public_key().as_bytes());
        h.finalize().into()
    })
}

/// Writes a valid mac1 into a handshake initiation (148 bytes) or response (92 bytes).
fn stamp_mac1(msg: &mut [u8]) {
    let at = msg.len() - 32;
    let mut mac = <Blake2sMac<blake2::digest::consts::U16> as KeyInit>::new_from_slice(mac1_key()).unwrap();
    Update::update(&mut mac, &msg[..at]);
    let tag: [u8; 16] = mac.finalize_fixed().into();
    msg[at..at + 16].copy_from_slice(&tag);
}

fuzz_target!(|input: &[u8]| {
    let mut stamped = Vec::new();
    let data = match input.split_first() {
        Some((&flag, rest)) if flag & 1 == 1 => {
            // type from the flag's second bit: an initiation or a response of the right size
            let (kind, len) = if flag & 2 == 0 { (1u8, 148) } else { (2u8, 92) };
            stamped.extend_from_slice(&[kind, 0, 0, 0]);
            stamped.extend_from_slice(&rest[..rest.len().min(len - 4)]);
            stamped.resize(len, 0);
            stamp_mac1(&mut stamped);
            &stamped[..]
        }
        _ => input,
    };
    let mut out = [0u8; 256];
    let from = Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)));
    if let Ok(r) = identity().screen(from, data, &mut out) {
        if code_of(r) == WRITE_TO_NETWORK {
            assert!(len_of(r) <= out.len());
        }
    }
    if let Ok(r) = identity().classify(data, &mut out) {
        // BY_INDEX carries a tunnel index, not a length; the others say how much of out they filled
        let code = code_of(r);
        if code == HANDSHAKE_INIT || code == WRITE_TO_NETWORK {
            assert!(len_of(r) <= out.len());
        }
    }
});
