//! End-to-end tests of the core functions (no JVM): two identities, two tunnels, a real
//! handshake and data both ways, exactly as the Java side drives them.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use crate::boundary::BridgeError;
use crate::identity::Identity;
use crate::keys::{generate_private_key, public_key};
use crate::result::*;
use crate::tunnel::TunnelCell;

const CLIENT_INDEX: i32 = 7;
const SERVER_INDEX: i32 = 0xAB_CDEF;
const CLIENT_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

struct Pair {
    server_id: Identity,
    client_id: Identity,
    server: TunnelCell,
    client: TunnelCell,
    client_pub: [u8; 32],
}

fn pair_with_limit(limit: i32) -> Pair {
    let (sk, ck) = (generate_private_key(), generate_private_key());
    let (server_pub, client_pub) = (public_key(&sk), public_key(&ck));
    let psk = Some([9u8; 32]);
    let server_id = Identity::new(sk, limit).unwrap();
    let client_id = Identity::new(ck, limit).unwrap();
    let server = TunnelCell::new(&server_id, client_pub, psk, 0, SERVER_INDEX).unwrap();
    let client = TunnelCell::new(&client_id, server_pub, psk, 25, CLIENT_INDEX).unwrap();
    Pair {
        server_id,
        client_id,
        server,
        client,
        client_pub,
    }
}

fn split(r: i64) -> (i32, usize) {
    (code_of(r), len_of(r))
}

/// A valid IPv4/UDP packet of `total` bytes (boringtun checks version, length and source).
fn ipv4_packet(src: [u8; 4], dst: [u8; 4], total: usize, seed: u8) -> Vec<u8> {
    assert!((28..=65535).contains(&total));
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&src);
    p[16..20].copy_from_slice(&dst);
    let mut sum = 0u32;
    for i in (0..20).step_by(2) {
        sum += u16::from_be_bytes([p[i], p[i + 1]]) as u32;
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    p[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    p[20..22].copy_from_slice(&1234u16.to_be_bytes());
    p[22..24].copy_from_slice(&5678u16.to_be_bytes());
    p[24..26].copy_from_slice(&((total - 20) as u16).to_be_bytes());
    for (i, b) in p[28..].iter_mut().enumerate() {
        *b = seed.wrapping_add(i as u8);
    }
    p
}

fn ipv6_packet(payload: usize) -> Vec<u8> {
    let mut p = vec![0u8; 40 + payload];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&(payload as u16).to_be_bytes());
    p[6] = 17;
    p[7] = 64;
    p[8..24].copy_from_slice(&"fd00::2".parse::<std::net::Ipv6Addr>().unwrap().octets());
    p[24..40].copy_from_slice(&"fd00::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    for (i, b) in p[40..].iter_mut().enumerate() {
        *b = i as u8;
    }
    p
}

/// Runs the handshake, checking every step, and returns the pair ready for data.
fn handshake(p: &Pair) {
    let mut buf = vec![0u8; 2048];
    let mut out = vec![0u8; 2048];
    let mut scratch = vec![0u8; 2048];

    let (c, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    assert_eq!((c, n), (WRITE_TO_NETWORK, 148));
    let init = buf[..n].to_vec();

    // The server finds the client's key without knowing the client.
    let (c, n) = split(p.server_id.classify(&init, &mut out).unwrap());
    assert_eq!((c, n), (HANDSHAKE_INIT, 44));
    assert_eq!(&out[..32], &p.client_pub);

    let (c, n) = split(p.server.decapsulate(Some(CLIENT_ADDR), &init, &mut buf).unwrap());
    assert_eq!((c, n), (WRITE_TO_NETWORK, 92));
    let response = buf[..n].to_vec();
    assert_eq!(split(p.server.drain(&mut scratch).unwrap()).0, DONE);

    let (c, idx) = split(p.client_id.classify(&response, &mut out).unwrap());
    assert_eq!((c, idx), (BY_INDEX, CLIENT_INDEX as usize));

    let (c, n) = split(p.client.decapsulate(None, &response, &mut buf).unwrap());
    assert_eq!((c, n), (WRITE_TO_NETWORK, 32), "initiator answers with a keepalive");
    let keepalive = buf[..n].to_vec();
    assert_eq!(split(p.client.drain(&mut scratch).unwrap()).0, DONE);

    let (c, idx) = split(p.server_id.classify(&keepalive, &mut out).unwrap());
    assert_eq!((c, idx), (BY_INDEX, SERVER_INDEX as usize));
    assert_eq!(
        split(p.server.decapsulate(Some(CLIENT_ADDR), &keepalive, &mut buf).unwrap()),
        (DONE, 0)
    );
}

fn send(from: &TunnelCell, to: &TunnelCell, to_id: &Identity, to_index: i32, packet: &[u8]) -> (i32, Vec<u8>) {
    let mut wire = vec![0u8; packet.len() + 32 + 148];
    let mut plain = vec![0u8; wire.len()];
    let mut out = vec![0u8; 64];
    let (c, n) = split(from.encapsulate(packet, &mut wire).unwrap());
    assert_eq!(c, WRITE_TO_NETWORK);
    assert_eq!(n, packet.len() + 32);
    assert_eq!(
        split(to_id.classify(&wire[..n], &mut out).unwrap()),
        (BY_INDEX, to_index as usize)
    );
    let (c, m) = split(to.decapsulate(None, &wire[..n], &mut plain).unwrap());
    (c, plain[..m].to_vec())
}

#[test]
fn handshake_and_data_both_ways() {
    let p = pair_with_limit(100);
    handshake(&p);
    for i in 0..200usize {
        let up = ipv4_packet([10, 0, 0, 2], [1, 1, 1, 1], 28 + (i * 7) % 1400, i as u8);
        let (c, got) = send(&p.client, &p.server, &p.server_id, SERVER_INDEX, &up);
        assert_eq!(c, WRITE_TO_TUNNEL_V4);
        assert_eq!(got, up);
        let down = ipv4_packet([1, 1, 1, 1], [10, 0, 0, 2], 28 + (i * 13) % 1400, !(i as u8));
        let (c, got) = send(&p.server, &p.client, &p.client_id, CLIENT_INDEX, &down);
        assert_eq!(c, WRITE_TO_TUNNEL_V4);
        assert_eq!(got, down);
    }
    let v6 = ipv6_packet(100);
    let (c, got) = send(&p.client, &p.server, &p.server_id, SERVER_INDEX, &v6);
    assert_eq!((c, got), (WRITE_TO_TUNNEL_V6, v6));

    let s = p.client.stats().unwrap();
    assert!(s[0] >= 0, "handshake happened");
    assert!(s[1] > 0 && s[2] > 0, "tx/rx counted: {s:?}");
    assert!(s[4] >= 0, "initiator measured an rtt");
    let s = p.server.stats().unwrap();
    assert_eq!(s[4], -1, "responder has no rtt");

    // Nothing is due right after a handshake.
    let mut buf = vec![0u8; 148];
    assert_eq!(split(p.client.update_timers(&mut buf).unwrap()), (DONE, 0));
    assert_eq!(split(p.server.update_timers(&mut buf).unwrap()), (DONE, 0));
}

#[test]
fn replayed_and_tampered_data_are_error_codes() {
    let p = pair_with_limit(100);
    handshake(&p);
    let packet = ipv4_packet([10, 0, 0, 2], [1, 1, 1, 1], 100, 1);
    let mut wire = vec![0u8; 2048];
    let mut plain = vec![0u8; 2048];
    let (_, n) = split(p.client.encapsulate(&packet, &mut wire).unwrap());
    assert_eq!(
        code_of(p.server.decapsulate(None, &wire[..n], &mut plain).unwrap()),
        WRITE_TO_TUNNEL_V4
    );
    assert_eq!(
        code_of(p.server.decapsulate(None, &wire[..n], &mut plain).unwrap()),
        ERR_DUPLICATE_COUNTER
    );
    let (_, n) = split(p.client.encapsulate(&packet, &mut wire).unwrap());
    wire[n - 1] ^= 1;
    assert_eq!(
        code_of(p.server.decapsulate(None, &wire[..n], &mut plain).unwrap()),
        ERR_INVALID_AEAD_TAG
    );
    // A data message for an index this tunnel never had.
    wire[4..8].copy_from_slice(&0x1234_5601u32.to_le_bytes());
    let r = code_of(p.server.decapsulate(None, &wire[..n], &mut plain).unwrap());
    assert!(r < 0, "{r}");
}

#[test]
fn packets_sent_before_the_handshake_are_queued_then_drained() {
    let p = pair_with_limit(100);
    let mut buf = vec![0u8; 2048];
    let mut out = vec![0u8; 64];
    let first = ipv4_packet([10, 0, 0, 2], [1, 1, 1, 1], 300, 3);
    let second = ipv4_packet([10, 0, 0, 2], [1, 1, 1, 1], 400, 4);

    // No session: the packet is queued and the handshake initiation comes back instead.
    let (c, n) = split(p.client.encapsulate(&first, &mut buf).unwrap());
    assert_eq!((c, n), (WRITE_TO_NETWORK, 148));
    let init = buf[..n].to_vec();
    // A handshake is in progress: queued, nothing to send.
    assert_eq!(split(p.client.encapsulate(&second, &mut buf).unwrap()), (DONE, 0));

    assert_eq!(
        code_of(p.server_id.classify(&init, &mut out).unwrap()),
        HANDSHAKE_INIT
    );
    let (_, n) = split(p.server.decapsulate(None, &init, &mut buf).unwrap());
    let response = buf[..n].to_vec();
    let (c, n) = split(p.client.decapsulate(None, &response, &mut buf).unwrap());
    assert_eq!(c, WRITE_TO_NETWORK);
    let keepalive = buf[..n].to_vec();

    // Now drain until DONE, as boringtun requires after WRITE_TO_NETWORK.
    let mut drained = Vec::new();
    loop {
        let (c, n) = split(p.client.drain(&mut buf).unwrap());
        if c == DONE {
            break;
        }
        assert_eq!(c, WRITE_TO_NETWORK);
        drained.push(buf[..n].to_vec());
    }
    assert_eq!(drained.len(), 2);

    let mut plain = vec![0u8; 2048];
    assert_eq!(
        code_of(p.server.decapsulate(None, &keepalive, &mut plain).unwrap()),
        DONE
    );
    for (wire, want) in drained.iter().zip([&first, &second]) {
        let (c, m) = split(p.server.decapsulate(None, wire, &mut plain).unwrap());
        assert_eq!(c, WRITE_TO_TUNNEL_V4);
        assert_eq!(&plain[..m], &want[..]);
    }
}

#[test]
fn responder_queues_until_the_first_data_message_arrives() {
    let p = pair_with_limit(100);
    let mut buf = vec![0u8; 2048];
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    let init = buf[..n].to_vec();
    let (_, n) = split(p.server.decapsulate(None, &init, &mut buf).unwrap());
    let response = buf[..n].to_vec();
    // The responder's session becomes current only when the initiator's first data arrives.
    // Until then encapsulate queues the packet and, since boringtun forgets the responder
    // handshake once the response is written, starts a handshake of its own (a 148-byte init).
    let down = ipv4_packet([1, 1, 1, 1], [10, 0, 0, 2], 200, 5);
    assert_eq!(
        split(p.server.encapsulate(&down, &mut buf).unwrap()),
        (WRITE_TO_NETWORK, 148)
    );
    assert_eq!(buf[0], 1, "a handshake initiation");
    // The keepalive DONE does not announce the queued packet: drain after every
    // decapsulate that succeeded, not only after WRITE_TO_NETWORK.
    let (_, n) = split(p.client.decapsulate(None, &response, &mut buf).unwrap());
    let keepalive = buf[..n].to_vec();
    assert_eq!(code_of(p.server.decapsulate(None, &keepalive, &mut buf).unwrap()), DONE);
    let (c, n) = split(p.server.drain(&mut buf).unwrap());
    assert_eq!(c, WRITE_TO_NETWORK);
    let wire = buf[..n].to_vec();
    let (c, m) = split(p.client.decapsulate(None, &wire, &mut buf).unwrap());
    assert_eq!((c, &buf[..m]), (WRITE_TO_TUNNEL_V4, &down[..]));
}

#[test]
fn classify_sorts_init_response_data_and_garbage() {
    let p = pair_with_limit(100);
    let mut out = vec![0u8; 64];
    assert_eq!(
        code_of(p.server_id.classify(&[], &mut out).unwrap()),
        ERR_INVALID_PACKET
    );
    assert_eq!(
        code_of(p.server_id.classify(&[1, 2, 3], &mut out).unwrap()),
        ERR_INVALID_PACKET
    );
    assert_eq!(
        code_of(p.server_id.classify(&[0xFF; 200], &mut out).unwrap()),
        ERR_INVALID_PACKET
    );
    // Right type and size, wrong MACs: screen drops them (classify comes only after screen).
    let mut fake_init = [0u8; 148];
    fake_init[0] = 1;
    assert_eq!(
        code_of(p.server_id.screen(None, &fake_init, &mut out).unwrap()),
        ERR_INVALID_MAC
    );
    let mut fake_resp = [0u8; 92];
    fake_resp[0] = 2;
    assert_eq!(
        code_of(p.server_id.screen(None, &fake_resp, &mut out).unwrap()),
        ERR_INVALID_MAC
    );
    assert_eq!(
        code_of(p.server_id.screen(None, &[0xFF; 200], &mut out).unwrap()),
        ERR_INVALID_PACKET
    );
    // Data and cookie replies are routed by index without any crypto.
    let mut data = [0u8; 32];
    data[0] = 4;
    data[4..8].copy_from_slice(&((0x12_3456u32 << 8) | 3).to_le_bytes());
    assert_eq!(
        split(p.server_id.classify(&data, &mut out).unwrap()),
        (BY_INDEX, 0x12_3456)
    );
    let mut cookie = [0u8; 64];
    cookie[0] = 3;
    cookie[4..8].copy_from_slice(&(0xFF_FFFFu32 << 8).to_le_bytes());
    assert_eq!(
        split(p.server_id.classify(&cookie, &mut out).unwrap()),
        (BY_INDEX, 0xFF_FFFF)
    );

    // An initiation meant for another server fails mac1 there.
    let other = Identity::new(generate_private_key(), 100).unwrap();
    let mut buf = vec![0u8; 148];
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    assert_eq!(
        code_of(other.screen(None, &buf[..n], &mut out).unwrap()),
        ERR_INVALID_MAC
    );
}

/// Blake2s-128 keyed with HASH("mac1----" || public), as WireGuard's mac1.
fn mac1(receiver_public: &[u8; 32], msg: &[u8]) -> [u8; 16] {
    use blake2::digest::{FixedOutput, KeyInit, Update};
    use blake2::{Blake2s256, Blake2sMac, Digest};
    let mut h = Blake2s256::new();
    Digest::update(&mut h, b"mac1----");
    Digest::update(&mut h, receiver_public);
    let key: [u8; 32] = h.finalize().into();
    let mut m = <Blake2sMac<blake2::digest::consts::U16> as KeyInit>::new_from_slice(&key).unwrap();
    m.update(msg);
    m.finalize_fixed().into()
}

#[test]
fn init_with_valid_mac_but_undecryptable_sender_is_unknown_peer() {
    let p = pair_with_limit(100);
    let mut buf = vec![0u8; 148];
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    assert_eq!(n, 148);
    let server_pub = p.server_id.public_key().to_bytes();
    assert_eq!(
        mac1(&server_pub, &buf[..116]),
        buf[116..132],
        "mac1 recomputed the same way"
    );
    buf[50] ^= 0x80; // inside encrypted_static
    let m = mac1(&server_pub, &buf[..116]);
    buf[116..132].copy_from_slice(&m);
    let mut out = vec![0u8; 64];
    assert_eq!(
        code_of(p.server_id.classify(&buf, &mut out).unwrap()),
        ERR_UNKNOWN_PEER
    );
}

#[test]
fn under_load_the_server_answers_with_a_cookie_and_the_client_retries_with_mac2() {
    // Limit 0: every handshake message counts as load.
    let p = pair_with_limit(0);
    let mut buf = vec![0u8; 2048];
    let mut out = vec![0u8; 64];
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    let init = buf[..n].to_vec();

    assert_eq!(
        code_of(p.server_id.screen(None, &init, &mut out).unwrap()),
        ERR_UNDER_LOAD
    );
    let (c, n) = split(p.server_id.screen(Some(CLIENT_ADDR), &init, &mut out).unwrap());
    assert_eq!((c, n), (WRITE_TO_NETWORK, 64));
    assert_eq!(out[0], 3, "a cookie reply");
    let cookie = out[..n].to_vec();

    assert_eq!(
        split(p.client_id.classify(&cookie, &mut out).unwrap()),
        (BY_INDEX, CLIENT_INDEX as usize)
    );
    assert_eq!(split(p.client.decapsulate(None, &cookie, &mut buf).unwrap()), (DONE, 0));
    let (c, n) = split(p.client.format_handshake_initiation(&mut buf, true).unwrap());
    assert_eq!(c, WRITE_TO_NETWORK);
    let init2 = buf[..n].to_vec();
    assert_eq!(
        code_of(p.server_id.screen(Some(CLIENT_ADDR), &init2, &mut out).unwrap()),
        DONE
    );
    assert_eq!(
        code_of(p.server_id.classify(&init2, &mut out).unwrap()),
        HANDSHAKE_INIT
    );
    let (c, n) = split(p.server.decapsulate(Some(CLIENT_ADDR), &init2, &mut buf).unwrap());
    assert_eq!((c, n), (WRITE_TO_NETWORK, 92));
}

#[test]
fn rate_limiter_counts_each_accepted_message_twice() {
    // Limit 1 per second -> limiter of 2: screen + decapsulate of one init fit (classify does not
    // count); the next initiation's screen is over the limit and answered with a cookie.
    let p = pair_with_limit(1);
    let mut buf = vec![0u8; 2048];
    let mut out = vec![0u8; 64];
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    let init = buf[..n].to_vec();
    assert_eq!(
        split(p.server_id.screen(Some(CLIENT_ADDR), &init, &mut out).unwrap()),
        (DONE, 0)
    );
    assert_eq!(
        code_of(p.server_id.classify(&init, &mut out).unwrap()),
        HANDSHAKE_INIT
    );
    assert_eq!(
        code_of(p.server.decapsulate(Some(CLIENT_ADDR), &init, &mut buf).unwrap()),
        WRITE_TO_NETWORK
    );
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, true).unwrap());
    let init = buf[..n].to_vec();
    let (c, n) = split(p.server_id.screen(Some(CLIENT_ADDR), &init, &mut out).unwrap());
    assert_eq!((c, n, out[0]), (WRITE_TO_NETWORK, 64, 3), "a cookie reply");
    // reset only acts once a second has passed since the last reset.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    p.server_id.reset_rate_limiter();
    assert_eq!(
        code_of(p.server_id.screen(Some(CLIENT_ADDR), &init, &mut out).unwrap()),
        DONE
    );
}

#[test]
fn screen_drops_a_wrong_mac1_and_passes_a_valid_mac2_under_load() {
    let p = pair_with_limit(0); // every handshake message counts as load
    let mut buf = vec![0u8; 2048];
    let mut out = vec![0u8; 64];
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    let mut init = buf[..n].to_vec();
    init[20] ^= 1; // anything under mac1
    assert_eq!(
        code_of(p.server_id.screen(Some(CLIENT_ADDR), &init, &mut out).unwrap()),
        ERR_INVALID_MAC
    );
    init[20] ^= 1;
    let (c, n) = split(p.server_id.screen(Some(CLIENT_ADDR), &init, &mut out).unwrap());
    assert_eq!((c, n), (WRITE_TO_NETWORK, 64));
    let cookie = out[..n].to_vec();
    assert_eq!(split(p.client.decapsulate(None, &cookie, &mut buf).unwrap()), (DONE, 0));
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, true).unwrap());
    let init2 = buf[..n].to_vec();
    assert_eq!(
        split(p.server_id.screen(Some(CLIENT_ADDR), &init2, &mut out).unwrap()),
        (DONE, 0),
        "mac2 from the cookie proves the address"
    );
    let other = Some(std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 99)));
    assert_eq!(
        code_of(p.server_id.screen(other, &init2, &mut out).unwrap()),
        WRITE_TO_NETWORK,
        "the cookie is bound to the address it was sent to"
    );
    assert!(is_illegal_argument(p.server_id.screen(other, &init2, &mut out[..10])));
}

fn is_illegal_argument<T: std::fmt::Debug>(r: Result<T, BridgeError>) -> bool {
    matches!(r, Err(BridgeError::IllegalArgument(_)))
}

#[test]
fn capacity_checks_come_before_boringtun() {
    let p = pair_with_limit(100);
    handshake(&p);
    let packet = ipv4_packet([10, 0, 0, 2], [1, 1, 1, 1], 1000, 1);
    assert!(is_illegal_argument(p.client.encapsulate(&packet, &mut vec![0u8; 1031])));
    assert!(is_illegal_argument(p.client.encapsulate(&[0u8; 28], &mut [0u8; 147])));
    assert!(is_illegal_argument(p.client.decapsulate(
        None,
        &[4u8; 500],
        &mut vec![0u8; 499]
    )));
    assert!(is_illegal_argument(p.client.decapsulate(
        None,
        &[4u8; 32],
        &mut [0u8; 147]
    )));
    assert!(is_illegal_argument(p.client.update_timers(&mut [0u8; 147])));
    assert!(is_illegal_argument(
        p.client.format_handshake_initiation(&mut [0u8; 147], true)
    ));
    assert!(is_illegal_argument(p.client.drain(&mut [0u8; 147])));
    assert!(is_illegal_argument(p.server_id.classify(&[0u8; 32], &mut [0u8; 63])));
    assert!(is_illegal_argument(p.server_id.screen(None, &[0u8; 32], &mut [0u8; 63])));
    // Still usable afterwards: nothing reached boringtun.
    let (c, _) = send(&p.client, &p.server, &p.server_id, SERVER_INDEX, &packet);
    assert_eq!(c, WRITE_TO_TUNNEL_V4);
    // drain's dst must fit the largest packet encapsulate has seen (it may re-encapsulate it).
    assert!(is_illegal_argument(p.client.drain(&mut vec![0u8; 1031])));
    assert_eq!(split(p.client.drain(&mut vec![0u8; 1032]).unwrap()), (DONE, 0));
    // An empty datagram is garbage, not boringtun's "drain" signal.
    assert_eq!(
        code_of(p.client.decapsulate(None, &[], &mut [0u8; 148]).unwrap()),
        ERR_INVALID_PACKET
    );
}

#[test]
fn creation_arguments_are_checked() {
    let id = Identity::new(generate_private_key(), 10).unwrap();
    let peer = public_key(&generate_private_key());
    assert!(is_illegal_argument(TunnelCell::new(&id, peer, None, 0, -1).map(|_| ())));
    assert!(is_illegal_argument(
        TunnelCell::new(&id, peer, None, 0, 0x100_0000).map(|_| ())
    ));
    assert!(is_illegal_argument(
        TunnelCell::new(&id, peer, None, 65536, 1).map(|_| ())
    ));
    assert!(is_illegal_argument(TunnelCell::new(&id, peer, None, -1, 1).map(|_| ())));
    assert!(TunnelCell::new(&id, peer, None, 65535, 0xFF_FFFF).is_ok());
    assert!(is_illegal_argument(
        Identity::new(generate_private_key(), -1).map(|_| ())
    ));
}

#[test]
fn a_closed_tunnel_refuses_every_call() {
    let p = pair_with_limit(100);
    handshake(&p);
    p.server.close();
    p.server.close(); // harmless
    let mut buf = vec![0u8; 2048];
    let closed =
        |r: Result<i64, BridgeError>| matches!(r, Err(BridgeError::IllegalState(m)) if m == "tunnel is closed");
    assert!(closed(p.server.encapsulate(&[0u8; 40], &mut buf)));
    assert!(closed(p.server.decapsulate(None, &[4u8; 40], &mut buf)));
    assert!(closed(p.server.drain(&mut buf)));
    assert!(closed(p.server.update_timers(&mut buf)));
    assert!(closed(p.server.format_handshake_initiation(&mut buf, false)));
    assert!(matches!(p.server.stats(), Err(BridgeError::IllegalState(_))));
    // The other side is unaffected.
    assert_eq!(code_of(p.client.update_timers(&mut buf).unwrap()), DONE);
}

#[test]
fn a_panic_under_the_tunnel_lock_poisons_only_that_tunnel() {
    let p = pair_with_limit(100);
    let r = crate::boundary::catch(|| p.server.with_tunn(|_| -> i64 { panic!("injected") }));
    assert!(matches!(r, Err(BridgeError::Panic(m)) if m == "injected"));
    let mut buf = vec![0u8; 2048];
    assert!(matches!(
        p.server.update_timers(&mut buf),
        Err(BridgeError::IllegalState(_))
    ));
    assert_eq!(code_of(p.client.update_timers(&mut buf).unwrap()), DONE);
    p.server.close(); // still closable
}

#[test]
fn two_threads_share_one_tunnel() {
    let p = pair_with_limit(100);
    handshake(&p);
    let p = Arc::new(p);
    // Pre-encrypt server->client traffic so one thread only decapsulates on the client tunnel
    // while another encapsulates on it.
    let mut incoming = Vec::new();
    let mut buf = vec![0u8; 2048];
    for i in 0..2000usize {
        let pkt = ipv4_packet([1, 1, 1, 1], [10, 0, 0, 2], 60 + i % 500, i as u8);
        let (_, n) = split(p.server.encapsulate(&pkt, &mut buf).unwrap());
        incoming.push((buf[..n].to_vec(), pkt));
    }
    let p2 = Arc::clone(&p);
    let decap = std::thread::spawn(move || {
        let mut dst = vec![0u8; 2048];
        for (wire, want) in incoming {
            let (c, m) = split(p2.client.decapsulate(None, &wire, &mut dst).unwrap());
            assert_eq!((c, &dst[..m]), (WRITE_TO_TUNNEL_V4, &want[..]));
        }
    });
    let mut sent = Vec::new();
    for i in 0..2000usize {
        let pkt = ipv4_packet([10, 0, 0, 2], [1, 1, 1, 1], 60 + i % 500, i as u8);
        let (c, n) = split(p.client.encapsulate(&pkt, &mut buf).unwrap());
        assert_eq!(c, WRITE_TO_NETWORK);
        sent.push((buf[..n].to_vec(), pkt));
    }
    decap.join().unwrap();
    for (wire, want) in sent {
        let (c, m) = split(p.server.decapsulate(None, &wire, &mut buf).unwrap());
        assert_eq!((c, &buf[..m]), (WRITE_TO_TUNNEL_V4, &want[..]));
    }
}

#[test]
fn plaintext_is_padded_to_16_bytes_up_to_the_mtu_and_trimmed_by_the_receiver() {
    use crate::tunnel::padded_len;
    assert_eq!(padded_len(0, 1420), 0, "a keepalive stays empty");
    assert_eq!(padded_len(1, 1420), 16);
    assert_eq!(padded_len(16, 1420), 16);
    assert_eq!(padded_len(1409, 1420), 1420, "capped at the MTU");
    assert_eq!(padded_len(1420, 1420), 1420);
    assert_eq!(padded_len(1500, 1420), 1500, "never shorter than the packet");
    assert_eq!(padded_len(37, 0), 37, "off");

    let p = pair_with_limit(100);
    handshake(&p);
    p.server.set_pad_limit(1420);
    for total in [28usize, 29, 37, 100, 1000, 1409, 1419, 1420] {
        let packet = ipv4_packet([10, 0, 0, 1], [10, 0, 0, 2], total, total as u8);
        let mut wire = vec![0u8; 1420 + 32 + 148];
        let mut plain = vec![0u8; wire.len()];
        let mut out = vec![0u8; 64];
        let (c, n) = split(p.server.encapsulate(&packet, &mut wire).unwrap());
        assert_eq!(c, WRITE_TO_NETWORK);
        assert_eq!(n, 32 + padded_len(total, 1420), "wire length for a {total}-byte packet");
        assert!((n - 32) % 16 == 0 || n - 32 == 1420, "{n}: a multiple of 16 or the MTU");
        assert_eq!(split(p.client_id.classify(&wire[..n], &mut out).unwrap()).0, BY_INDEX);
        let (c, m) = split(p.client.decapsulate(None, &wire[..n], &mut plain).unwrap());
        assert_eq!(c, WRITE_TO_TUNNEL_V4);
        assert_eq!(&plain[..m], &packet[..], "the receiver trims the padding by the IP length");
    }
}

#[test]
fn an_initiation_names_its_sender_and_a_timestamp_that_grows() {
    use boringtun::noise::handshake::parse_handshake_anon;
    use boringtun::noise::{Packet, Tunn};
    let p = pair_with_limit(100);
    let mut buf = vec![0u8; 2048];
    let mut out = vec![0u8; 64];
    let mut stamps = Vec::new();
    for _ in 0..2 {
        // a fresh client tunnel each time: each initiation carries its own TAI64N time
        let client = TunnelCell::new(&p.client_id, *p.server_id.public_key().as_bytes(), Some([9u8; 32]), 0, CLIENT_INDEX).unwrap();
        let (c, n) = split(client.encapsulate(&ipv4_packet([10, 0, 0, 2], [10, 0, 0, 1], 40, 1), &mut buf).unwrap());
        assert_eq!((c, n), (WRITE_TO_NETWORK, 148));
        let init = buf[..n].to_vec();
        let (c, n) = split(p.server_id.classify(&init, &mut out).unwrap());
        assert_eq!((c, n), (HANDSHAKE_INIT, 44));
        assert_eq!(&out[..32], &p.client_pub, "the sender's static key");
        // the same key as boringtun's own parse finds
        if let Ok(Packet::HandshakeInit(h)) = Tunn::parse_incoming_packet(&init) {
            let half = parse_handshake_anon(p.server_id.secret(), p.server_id.public_key(), &h).unwrap();
            assert_eq!(half.peer_static_public, p.client_pub);
        } else {
            panic!("not an initiation");
        }
        stamps.push(out[32..44].to_vec());
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    assert!(stamps[1] > stamps[0], "TAI64N grows: {:?} then {:?}", stamps[0], stamps[1]);
    // a tampered timestamp does not decrypt: not a known peer's initiation
    let client = TunnelCell::new(&p.client_id, *p.server_id.public_key().as_bytes(), Some([9u8; 32]), 0, CLIENT_INDEX).unwrap();
    let (_, n) = split(client.encapsulate(&ipv4_packet([10, 0, 0, 2], [10, 0, 0, 1], 40, 1), &mut buf).unwrap());
    let mut init = buf[..n].to_vec();
    init[100] ^= 1;
    let mac = mac1(p.server_id.public_key().as_bytes(), &init[..116]);
    init[116..132].copy_from_slice(&mac);
    assert_eq!(split(p.server_id.classify(&init, &mut out).unwrap()).0, ERR_UNKNOWN_PEER);
}


#[test]
fn precomputed_peer_secrets_give_the_same_initiation_reading() {
    let p = pair_with_limit(100);
    let mut buf = vec![0u8; 2048];
    let mut out = vec![0u8; 64];
    let (_, n) = split(p.client.format_handshake_initiation(&mut buf, false).unwrap());
    let init = buf[..n].to_vec();
    let computed = {
        assert_eq!(code_of(p.server_id.classify(&init, &mut out).unwrap()), HANDSHAKE_INIT);
        out[..44].to_vec()
    };
    let mut keys = p.client_id.public_key().to_bytes().to_vec();
    keys.extend_from_slice(&[7u8; 32]); // another configured peer
    assert_eq!(p.server_id.set_peers(&keys).unwrap(), 2);
    assert_eq!(code_of(p.server_id.classify(&init, &mut out).unwrap()), HANDSHAKE_INIT);
    assert_eq!(out[..44], computed[..], "key and timestamp with the precomputed secret");
    assert_eq!(p.server_id.set_peers(&keys[32..]).unwrap(), 1, "the client is no longer configured");
    assert_eq!(code_of(p.server_id.classify(&init, &mut out).unwrap()), HANDSHAKE_INIT, "computed again");
    assert_eq!(out[..44], computed[..]);
    assert!(is_illegal_argument(p.server_id.set_peers(&[0u8; 33])));
}
