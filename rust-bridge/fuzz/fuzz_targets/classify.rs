#![no_main]
//! Any datagram through the handshake screen (mac1 check, rate limiter, cookie reply) and the
//! classifier (message parser, initiation reader): an error code or a result, never a panic, never
//! a result larger than its buffer.
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use wirecage_bridge::identity::Identity;
use wirecage_bridge::result::{code_of, len_of, HANDSHAKE_INIT, WRITE_TO_NETWORK};

fn identity() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| Identity::new([7u8; 32], 1_000_000).unwrap())
}

fuzz_target!(|data: &[u8]| {
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
