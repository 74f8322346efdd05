#![no_main]
//! Any virtio header + packet read from the TUN through the TSO split: all segments or none,
//! each inside the arena, never a panic.
use libfuzzer_sys::fuzz_target;
use wirecage_bridge::offload::{split, SplitTarget, VnetHdr, VNET_HDR_LEN};

fuzz_target!(|data: &[u8]| {
    if data.len() < VNET_HDR_LEN {
        return;
    }
    let Some(hdr) = VnetHdr::parse(&data[..VNET_HDR_LEN]) else { return };
    let mut pkt = data[VNET_HDR_LEN..].to_vec();
    let mut arena = vec![0u8; 1 << 17];
    let arena_len = arena.len();
    let mut emitted = Vec::new();
    let r = split(&hdr, &mut pkt, SplitTarget { arena: &mut arena, pos: 0, max_segments: 64 }, |off, len| {
        emitted.push((off, len))
    });
    match r {
        Ok(_) => assert!(emitted.iter().all(|&(o, l)| o + l <= arena_len)),
        Err(_) => assert!(emitted.is_empty(), "a failed split emitted {} segments", emitted.len()),
    }
});
