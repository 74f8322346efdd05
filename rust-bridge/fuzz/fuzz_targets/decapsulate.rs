#![no_main]
//! Any datagram into a tunnel that has a live session (data, handshake, cookie, garbage): an error
//! code or a result that fits its buffer, never a panic; the session keeps working afterwards.
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Mutex, OnceLock};
use wirecage_bridge::identity::Identity;
use wirecage_bridge::result::len_of;
use wirecage_bridge::tunnel::TunnelCell;

struct Pair {
    server: TunnelCell,
    _ids: (Identity, Identity),
}

/// A server tunnel after a real handshake with a client tunnel (both through the bridge).
fn pair() -> &'static Mutex<Pair> {
    static P: OnceLock<Mutex<Pair>> = OnceLock::new();
    P.get_or_init(|| {
        let (sk, ck) = ([1u8; 32], [2u8; 32]);
        let server_id = Identity::new(sk, 1_000_000).unwrap();
        let client_id = Identity::new(ck, 1_000_000).unwrap();
        let server = TunnelCell::new(&server_id, *client_id.public_key().as_bytes(), None, 0, 1).unwrap();
        let client = TunnelCell::new(&client_id, *server_id.public_key().as_bytes(), None, 0, 2).unwrap();
        let mut a = vec![0u8; 2048];
        let mut b = vec![0u8; 2048];
        let init_len = len_of(client.format_handshake_initiation(&mut a, false).unwrap());
        let resp_len = len_of(server.decapsulate(None, &a[..init_len], &mut b).unwrap());
        let _ = client.decapsulate(None, &b[..resp_len], &mut a);
        Mutex::new(Pair { server, _ids: (server_id, client_id) })
    })
}

fuzz_target!(|data: &[u8]| {
    let p = pair().lock().unwrap();
    let mut dst = vec![0u8; data.len().max(2048)];
    let from = Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9)));
    if let Ok(r) = p.server.decapsulate(from, data, &mut dst) {
        assert!(len_of(r) <= dst.len());
    }
});
