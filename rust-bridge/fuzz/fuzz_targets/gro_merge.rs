#![no_main]
//! Any batch of packets (split at fuzzer-chosen lengths) through the GRO plan and merge: every
//! output lies inside the batch, nothing panics.
use libfuzzer_sys::fuzz_target;
use wirecage_bridge::batch::Entry;
use wirecage_bridge::offload::{align_up, Gro};

fuzz_target!(|input: &[u8]| {
    if input.len() < 2 {
        return;
    }
    // the first byte says how many packets; the lengths come from the following bytes
    let count = (input[0] % 16) as usize + 1;
    let body = &input[1..];
    let mut data = Vec::new();
    let mut entries = Vec::new();
    let mut at = 0;
    for i in 0..count {
        if at >= body.len() {
            break;
        }
        let want = if i + 1 == count { body.len() - at } else { (body[at] as usize * 7 + 20).min(body.len() - at) };
        let off = align_up(data.len());
        data.resize(off, 0);
        data.extend_from_slice(&body[at..at + want]);
        entries.push(Entry { off: off as u32, len: want as u32, ..Entry::default() });
        at += want;
    }
    let data_len = data.len();
    let mut gro = Gro::default();
    gro.plan(&data, &entries);
    gro.emit(&mut data, &entries, |_hdr, head, all, more| {
        assert!(head.len() <= data_len);
        for r in more {
            assert!(r.end <= all.len());
        }
    });
});
