//! TCP offloads for a TUN device opened with IFF_VNET_HDR + TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4),
//! the technique that made wireguard-go fast. Pure functions over slices (tested without a TUN):
//!
//! - split: the kernel hands the reader TCP "super-packets" of up to 64 KB with a virtio_net_hdr
//!   in front (TSO); they are cut into MSS-sized segments with fixed IP/TCP headers and checksums,
//!   because WireGuard encrypts one IP packet per message.
//! - Gro: consecutive in-order TCP segments of one flow that came out of the tunnel are merged back
//!   into one super-packet, so the kernel sees one write (and one trip through its stack) instead of
//!   ~45. The merged packet is written as CHECKSUM_PARTIAL, like Linux GRO hands it on.
//!
//! Only IPv4 TCP is offloaded (the VPN is IPv4). Anything malformed is dropped with a reason the
//! caller counts; nothing here panics on bad input or allocates per packet.

use std::ops::Range;

use crate::batch::{Entry, ALIGN};

pub const VNET_HDR_LEN: usize = 10;
pub const F_NEEDS_CSUM: u8 = 1;
pub const GSO_NONE: u8 = 0;
pub const GSO_TCPV4: u8 = 1;
pub const GSO_ECN: u8 = 0x80;

const TCP_FIN: u8 = 0x01;
const TCP_PSH: u8 = 0x08;
const TCP_ACK: u8 = 0x10;
const TCP_CWR: u8 = 0x80;
const PROTO_TCP: u8 = 6;
/// The IPv4 total-length field bounds a merged packet.
const MAX_IP_LEN: usize = 65535;

/// struct virtio_net_hdr (legacy, native = little-endian byte order on the targets we build for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VnetHdr {
    pub flags: u8,
    pub gso_type: u8,
    pub hdr_len: u16,
    pub gso_size: u16,
    pub csum_start: u16,
    pub csum_offset: u16,
}

impl VnetHdr {
    pub fn parse(b: &[u8]) -> Option<VnetHdr> {
        if b.len() < VNET_HDR_LEN {
            return None;
        }
        let u = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Some(VnetHdr {
            flags: b[0],
            gso_type: b[1],
            hdr_len: u(2),
            gso_size: u(4),
            csum_start: u(6),
            csum_offset: u(8),
        })
    }

    pub fn encode(&self) -> [u8; VNET_HDR_LEN] {
        let mut b = [0u8; VNET_HDR_LEN];
        b[0] = self.flags;
        b[1] = self.gso_type;
        b[2..4].copy_from_slice(&self.hdr_len.to_le_bytes());
        b[4..6].copy_from_slice(&self.gso_size.to_le_bytes());
        b[6..8].copy_from_slice(&self.csum_start.to_le_bytes());
        b[8..10].copy_from_slice(&self.csum_offset.to_le_bytes());
        b
    }
}

/// Why a packet read from the TUN was dropped (the caller counts these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than its virtio header, or than the headers it claims.
    TooShort,
    /// NEEDS_CSUM with csum_start/csum_offset outside the packet.
    BadChecksumRange,
    /// A TSO packet that is not IPv4 TCP with sane header lengths.
    BadTcpHeader,
    /// TSO with gso_size 0.
    ZeroGsoSize,
    /// A GSO type we never enabled (UDP, TCPv6).
    UnsupportedGso,
    /// More segments than fit into the batch (tiny gso_size).
    NoRoom,
}

// ---- checksums ----

/// One's-complement sum of `data` read as big-endian 16-bit words, plus `initial`, folded to 16 bits
/// (not inverted). Eight bytes per step: the sum is byte-order independent up to a final swap.
pub fn ones_sum(data: &[u8], initial: u16) -> u16 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let (s, o) = acc.overflowing_add(w);
        acc = s + o as u64;
    }
    let rem = chunks.remainder();
    if !rem.is_empty() {
        let mut t = [0u8; 8];
        t[..rem.len()].copy_from_slice(rem);
        let (s, o) = acc.overflowing_add(u64::from_le_bytes(t));
        acc = s + o as u64;
    }
    let mut s = (acc & 0xffff_ffff) + (acc >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    add16((s as u16).swap_bytes(), initial)
}

fn add16(a: u16, b: u16) -> u16 {
    let s = a as u32 + b as u32;
    ((s & 0xffff) + (s >> 16)) as u16
}

/// Sum of the IPv4 pseudo header (not inverted).
pub fn pseudo_v4(src: &[u8], dst: &[u8], proto: u8, len: u16) -> u16 {
    let l = len.to_be_bytes();
    let p = [
        src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2], dst[3], 0, proto, l[0], l[1],
    ];
    ones_sum(&p, 0)
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn get16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Recomputes the IPv4 header checksum of `ip[..ihl]`.
pub fn fix_ipv4_checksum(ip: &mut [u8], ihl: usize) {
    put16(ip, 10, 0);
    let c = !ones_sum(&ip[..ihl], 0);
    put16(ip, 10, c);
}

/// Fills in a full TCP checksum for an IPv4 packet whose TCP segment is `ip[ihl..]`.
pub fn fix_tcp4_checksum(ip: &mut [u8], ihl: usize) {
    let tcp_len = ip.len() - ihl;
    put16(ip, ihl + 16, 0);
    let ps = pseudo_v4(&ip[12..16], &ip[16..20], PROTO_TCP, tcp_len as u16);
    let c = !ones_sum(&ip[ihl..], ps);
    put16(ip, ihl + 16, c);
}

/// Whether the IPv4 TCP packet's header and TCP checksums are both right.
pub fn tcp4_checksums_ok(ip: &[u8]) -> bool {
    if ip.len() < 20 {
        return false;
    }
    let ihl = ((ip[0] & 0xf) as usize) * 4;
    if ihl < 20 || ip.len() < ihl + 20 || ip[9] != PROTO_TCP {
        return false;
    }
    let ps = pseudo_v4(&ip[12..16], &ip[16..20], PROTO_TCP, (ip.len() - ihl) as u16);
    ones_sum(&ip[..ihl], 0) == 0xffff && ones_sum(&ip[ihl..], ps) == 0xffff
}

pub fn align_up(n: usize) -> usize {
    (n + ALIGN - 1) & !(ALIGN - 1)
}

// ---- TSO split (TUN read) ----

/// Where split writes: `arena[pos..]`, at most `max_segments` segments, each at an ALIGN-ed offset.
pub struct SplitTarget<'a> {
    pub arena: &'a mut [u8],
    pub pos: usize,
    pub max_segments: usize,
}

/// Turns one packet read from a vnet-header TUN (`pkt` = the bytes after the virtio header) into
/// ordinary IP packets in `t.arena`, calling `emit(offset, length)` for each. Either all segments
/// are emitted or none (Err). Returns the arena position after the last segment.
pub fn split(
    hdr: &VnetHdr,
    pkt: &mut [u8],
    t: SplitTarget<'_>,
    mut emit: impl FnMut(usize, usize),
) -> Result<usize, Malformed> {
    match hdr.gso_type & !GSO_ECN {
        GSO_NONE => {
            if hdr.flags & F_NEEDS_CSUM != 0 {
                finish_partial_checksum(hdr, pkt)?;
            }
            let end = t.pos.checked_add(pkt.len()).ok_or(Malformed::NoRoom)?;
            if t.max_segments == 0 || end > t.arena.len() {
                return Err(Malformed::NoRoom);
            }
            t.arena[t.pos..end].copy_from_slice(pkt);
            emit(t.pos, pkt.len());
            Ok(align_up(end).min(t.arena.len()))
        }
        GSO_TCPV4 => split_tcp4(hdr, pkt, t, emit),
        _ => Err(Malformed::UnsupportedGso),
    }
}

/// CHECKSUM_PARTIAL: the field at csum_start + csum_offset holds the pseudo-header sum; the
/// checksum from csum_start to the end is ours to finish (what a NIC would do).
fn finish_partial_checksum(hdr: &VnetHdr, pkt: &mut [u8]) -> Result<(), Malformed> {
    let start = hdr.csum_start as usize;
    let at = start + hdr.csum_offset as usize;
    if start >= pkt.len() || at + 2 > pkt.len() {
        return Err(Malformed::BadChecksumRange);
    }
    let initial = get16(pkt, at);
    put16(pkt, at, 0);
    let c = !ones_sum(&pkt[start..], initial);
    put16(pkt, at, c);
    Ok(())
}

/// IPv4 TCP header lengths (ihl, tcp header length) after checking them against the packet.
fn tcp4_headers(pkt: &[u8]) -> Option<(usize, usize)> {
    if pkt.len() < 20 || pkt[0] >> 4 != 4 || pkt[9] != PROTO_TCP {
        return None;
    }
    let ihl = ((pkt[0] & 0xf) as usize) * 4;
    if ihl < 20 || pkt.len() < ihl + 20 {
        return None;
    }
    let thl = ((pkt[ihl + 12] >> 4) as usize) * 4;
    if thl < 20 || pkt.len() < ihl + thl {
        return None;
    }
    Some((ihl, thl))
}

fn split_tcp4(
    hdr: &VnetHdr,
    pkt: &[u8],
    t: SplitTarget<'_>,
    mut emit: impl FnMut(usize, usize),
) -> Result<usize, Malformed> {
    let (ihl, thl) = tcp4_headers(pkt).ok_or(Malformed::BadTcpHeader)?;
    let gso = hdr.gso_size as usize;
    if gso == 0 {
        return Err(Malformed::ZeroGsoSize);
    }
    let hlen = ihl + thl;
    let payload = pkt.len() - hlen;
    let n = payload.div_ceil(gso).max(1);
    // Check room first, so a packet is either split completely or dropped whole.
    let full = align_up(hlen + gso);
    let last = payload - (n - 1) * gso;
    let need = (n - 1) * full + hlen + last;
    if n > t.max_segments || t.pos.checked_add(need).is_none_or(|e| e > t.arena.len()) {
        return Err(Malformed::NoRoom);
    }
    let id0 = get16(pkt, 4);
    let seq0 = get32(pkt, ihl + 4);
    let flags = pkt[ihl + 13];
    let mut pos = t.pos;
    for i in 0..n {
        let seg = if i + 1 == n { last } else { gso };
        let len = hlen + seg;
        let out = &mut t.arena[pos..pos + len];
        out[..hlen].copy_from_slice(&pkt[..hlen]);
        let from = hlen + i * gso;
        out[hlen..].copy_from_slice(&pkt[from..from + seg]);
        put16(out, 2, len as u16);
        put16(out, 4, id0.wrapping_add(i as u16));
        fix_ipv4_checksum(out, ihl);
        out[ihl + 4..ihl + 8].copy_from_slice(&seq0.wrapping_add((i * gso) as u32).to_be_bytes());
        let mut f = flags;
        if i + 1 != n {
            f &= !(TCP_FIN | TCP_PSH); // only the last segment ends the push / the stream
        }
        if i != 0 {
            f &= !TCP_CWR; // congestion window reduced is said once
        }
        out[ihl + 13] = f;
        fix_tcp4_checksum(out, ihl);
        emit(pos, len);
        pos = if i + 1 == n { pos + len } else { pos + full };
    }
    Ok(align_up(pos).min(t.arena.len()))
}

// ---- GRO coalesce (TUN write) ----

/// One output packet: a head entry and, when coalesced, followers whose payloads are appended.
#[derive(Clone, Copy, Debug)]
struct Group {
    head: u32,
    /// Last entry linked into the group (u32::MAX = only the head).
    tail: u32,
    src: u32,
    dst: u32,
    ports: u32,
    next_seq: u32,
    gso: u16,
    hlen: u16,
    total: u32,
    /// A PSH, a short segment or a mismatch ended the group: nothing more is appended.
    closed: bool,
    psh: bool,
}

const NONE: u32 = u32::MAX;
/// How many recent groups a segment is checked against (flows per batch are few).
const SEARCH: usize = 8;

/// Reusable scratch for coalescing one batch: no allocation once warmed up.
#[derive(Default)]
pub struct Gro {
    groups: Vec<Group>,
    /// Per entry: next entry in its group, NONE at the end.
    next: Vec<u32>,
    /// Per entry: 0 = stands alone, 1 = head of a group, 2 = follower (written with its head).
    role: Vec<u8>,
    /// Per entry: index into groups when role is 1.
    group_of: Vec<u32>,
    payloads: Vec<Range<usize>>,
}

/// Whether an entry may start or join a group, with its header fields; None = write it as is.
struct Seg {
    ihl: usize,
    thl: usize,
    payload: usize,
    src: u32,
    dst: u32,
    ports: u32,
    seq: u32,
    flags: u8,
}

fn coalescable(p: &[u8]) -> Option<Seg> {
    let (ihl, thl) = tcp4_headers(p)?;
    // No IP options, not a fragment, total length exact.
    if ihl != 20 || get16(p, 6) & 0x3fff != 0 || get16(p, 2) as usize != p.len() {
        return None;
    }
    let flags = p[ihl + 13];
    if flags & !(TCP_ACK | TCP_PSH) != 0 || flags & TCP_ACK == 0 {
        return None; // SYN, FIN, RST, URG, ECE, CWR go through on their own
    }
    let payload = p.len() - ihl - thl;
    if payload == 0 {
        return None;
    }
    Some(Seg {
        ihl,
        thl,
        payload,
        src: get32(p, 12),
        dst: get32(p, 16),
        ports: get32(p, ihl),
        seq: get32(p, ihl + 4),
        flags,
    })
}

/// Headers that must match for segments to merge: TOS, DF, TTL (IP); header length, ack,
/// window and options (TCP). The same rule Linux GRO applies.
fn same_headers(head: &[u8], p: &[u8], ihl: usize, thl: usize) -> bool {
    head[1] == p[1]
        && (head[6] & 0x40) == (p[6] & 0x40)
        && head[8] == p[8]
        && head[ihl + 12] == p[ihl + 12]
        && head[ihl + 8..ihl + 12] == p[ihl + 8..ihl + 12]
        && head[ihl + 14..ihl + 16] == p[ihl + 14..ihl + 16]
        && head[ihl + 20..ihl + thl] == p[ihl + 20..ihl + thl]
}

impl Gro {
    /// Plans the groups for `entries` (whose ranges must lie in `data`; invalid ones stand alone
    /// and are skipped by `emit`). Reads only.
    pub fn plan(&mut self, data: &[u8], entries: &[Entry]) {
        let n = entries.len();
        self.groups.clear();
        self.next.clear();
        self.next.resize(n, NONE);
        self.role.clear();
        self.role.resize(n, 0);
        self.group_of.clear();
        self.group_of.resize(n, NONE);
        for (i, e) in entries.iter().enumerate() {
            let Some(p) = range(data, e).map(|r| &data[r]) else {
                continue;
            };
            let Some(s) = coalescable(p) else { continue };
            if self.try_append(data, entries, i, p, &s) {
                continue;
            }
            self.role[i] = 1;
            self.group_of[i] = self.groups.len() as u32;
            self.groups.push(Group {
                head: i as u32,
                tail: NONE,
                src: s.src,
                dst: s.dst,
                ports: s.ports,
                next_seq: s.seq.wrapping_add(s.payload as u32),
                gso: s.payload.min(u16::MAX as usize) as u16,
                hlen: (s.ihl + s.thl) as u16,
                total: p.len() as u32,
                closed: s.flags & TCP_PSH != 0,
                psh: s.flags & TCP_PSH != 0,
            });
        }
    }

    fn try_append(&mut self, data: &[u8], entries: &[Entry], i: usize, p: &[u8], s: &Seg) -> bool {
        let start = self.groups.len().saturating_sub(SEARCH);
        for gi in (start..self.groups.len()).rev() {
            let g = self.groups[gi];
            if g.src != s.src || g.dst != s.dst || g.ports != s.ports {
                continue;
            }
            // The newest group of this flow decides; an older one must never take a later segment.
            if g.closed {
                return false;
            }
            let head = &data[range(data, &entries[g.head as usize]).expect("head was valid")];
            let fits = s.seq == g.next_seq
                && s.payload <= g.gso as usize
                && s.ihl + s.thl == g.hlen as usize
                && g.total as usize + s.payload <= MAX_IP_LEN
                && same_headers(head, p, s.ihl, s.thl);
            let g = &mut self.groups[gi];
            if !fits {
                g.closed = true;
                return false;
            }
            let prev = if g.tail == NONE { g.head } else { g.tail };
            self.next[prev as usize] = i as u32;
            g.tail = i as u32;
            g.total += s.payload as u32;
            g.next_seq = g.next_seq.wrapping_add(s.payload as u32);
            if s.payload < g.gso as usize || s.flags & TCP_PSH != 0 {
                g.closed = true; // a short segment or a push ends the super-packet
            }
            g.psh |= s.flags & TCP_PSH != 0;
            self.role[i] = 2;
            return true;
        }
        false
    }

    /// Calls `write(vnet_header, head_range, follower_payload_ranges)` once per output packet, in
    /// entry order. For merged groups it first rewrites the head's IP length and checksum and puts
    /// the pseudo-header sum into the TCP checksum field (CHECKSUM_PARTIAL). Returns the number of
    /// entries skipped because their range was outside `data`.
    pub fn emit(
        &mut self,
        data: &mut [u8],
        entries: &[Entry],
        mut write: impl FnMut(&[u8; VNET_HDR_LEN], &[u8], &[u8], &[Range<usize>]),
    ) -> usize {
        let mut invalid = 0;
        let mut payloads = std::mem::take(&mut self.payloads);
        for (i, e) in entries.iter().enumerate() {
            let Some(r) = range(data, e) else {
                invalid += 1;
                continue;
            };
            match self.role.get(i).copied().unwrap_or(0) {
                2 => continue,
                1 if self.groups[self.group_of[i] as usize].tail != NONE => {
                    let g = self.groups[self.group_of[i] as usize];
                    payloads.clear();
                    let mut j = self.next[i];
                    while j != NONE {
                        let rj = range(data, &entries[j as usize]).expect("followers were valid");
                        payloads.push(rj.start + g.hlen as usize..rj.end);
                        j = self.next[j as usize];
                    }
                    let hdr = merge_head(&mut data[r.clone()], &g);
                    write(&hdr.encode(), &data[r], data, &payloads);
                }
                _ => write(&[0u8; VNET_HDR_LEN], &data[r], data, &[]),
            }
        }
        self.payloads = payloads;
        invalid
    }
}

fn range(data: &[u8], e: &Entry) -> Option<Range<usize>> {
    let (o, l) = (e.off as usize, e.len as usize);
    (o.checked_add(l)? <= data.len() && l > 0).then(|| o..o + l)
}

/// Rewrites the head of a merged group to describe the whole super-packet.
fn merge_head(head: &mut [u8], g: &Group) -> VnetHdr {
    let ihl = ((head[0] & 0xf) as usize) * 4;
    put16(head, 2, g.total as u16);
    fix_ipv4_checksum(head, ihl);
    if g.psh {
        head[ihl + 13] |= TCP_PSH;
    }
    let tcp_len = g.total as usize - ihl;
    let ps = pseudo_v4(&head[12..16], &head[16..20], PROTO_TCP, tcp_len as u16);
    put16(head, ihl + 16, ps);
    VnetHdr {
        flags: F_NEEDS_CSUM,
        gso_type: GSO_TCPV4,
        hdr_len: g.hlen,
        gso_size: g.gso,
        csum_start: ihl as u16,
        csum_offset: 16,
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// A full-size ACK segment of flow 10.0.0.2:1 -> 198.18.0.1:2 with valid checksums.
    pub fn tcp4_packet(seq: u32, payload: usize) -> Vec<u8> {
        super::tests::tcp4([10, 0, 0, 2], [198, 18, 0, 1], 1, 2, seq, 0x10, payload, &[])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An IPv4 TCP packet with valid checksums; payload bytes derive from seq so order is checkable.
    pub fn tcp4(
        src: [u8; 4],
        dst: [u8; 4],
        sport: u16,
        dport: u16,
        seq: u32,
        flags: u8,
        payload: usize,
        opts: &[u8],
    ) -> Vec<u8> {
        let thl = 20 + opts.len();
        let len = 20 + thl + payload;
        let mut p = vec![0u8; len];
        p[0] = 0x45;
        put16(&mut p, 2, len as u16);
        put16(&mut p, 4, 0x1234);
        p[6] = 0x40;
        p[8] = 64;
        p[9] = PROTO_TCP;
        p[12..16].copy_from_slice(&src);
        p[16..20].copy_from_slice(&dst);
        put16(&mut p, 20, sport);
        put16(&mut p, 22, dport);
        p[24..28].copy_from_slice(&seq.to_be_bytes());
        p[28..32].copy_from_slice(&777u32.to_be_bytes());
        p[32] = ((thl / 4) as u8) << 4;
        p[33] = flags;
        put16(&mut p, 34, 502);
        p[40..40 + opts.len()].copy_from_slice(opts);
        for k in 0..payload {
            p[20 + thl + k] = (seq.wrapping_add(k as u32) % 251) as u8;
        }
        fix_ipv4_checksum(&mut p, 20);
        fix_tcp4_checksum(&mut p, 20);
        p
    }

    const A: [u8; 4] = [10, 0, 0, 2];
    const B: [u8; 4] = [198, 18, 0, 1];

    /// What the kernel does with a CHECKSUM_PARTIAL super-packet before checking it.
    fn complete(mut p: Vec<u8>, h: &VnetHdr) -> Vec<u8> {
        let start = h.csum_start as usize;
        let at = start + h.csum_offset as usize;
        let init = get16(&p, at);
        put16(&mut p, at, 0);
        let c = !ones_sum(&p[start..], init);
        put16(&mut p, at, c);
        p
    }

    #[test]
    fn checksum_matches_the_rfc1071_example_and_odd_lengths() {
        // RFC 1071: 0x0001 f203 f4f5 f6f7 sums to 0xddf2.
        assert_eq!(ones_sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], 0), 0xddf2);
        for n in 0..40 {
            let d: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let mut slow: u32 = 0;
            for c in d.chunks(2) {
                slow += (c[0] as u32) << 8 | c.get(1).copied().unwrap_or(0) as u32;
            }
            while slow > 0xffff {
                slow = (slow & 0xffff) + (slow >> 16);
            }
            assert_eq!(ones_sum(&d, 0) as u32, slow, "length {n}");
        }
        let p = tcp4(A, B, 1000, 5201, 1, TCP_ACK, 999, &[]);
        assert!(tcp4_checksums_ok(&p));
    }

    #[test]
    fn vnet_header_round_trips() {
        let h = VnetHdr {
            flags: 1,
            gso_type: GSO_TCPV4,
            hdr_len: 52,
            gso_size: 1368,
            csum_start: 20,
            csum_offset: 16,
        };
        assert_eq!(VnetHdr::parse(&h.encode()), Some(h));
        assert_eq!(VnetHdr::parse(&[0u8; 9]), None);
    }

    fn split_all(h: &VnetHdr, pkt: &mut [u8], arena: &mut [u8], max: usize) -> Result<Vec<Vec<u8>>, Malformed> {
        let mut segs = Vec::new();
        let mut at = Vec::new();
        split(
            h,
            pkt,
            SplitTarget {
                arena,
                pos: 0,
                max_segments: max,
            },
            |o, l| at.push((o, l)),
        )?;
        for (o, l) in at {
            assert_eq!(o % ALIGN, 0);
            segs.push(arena[o..o + l].to_vec());
        }
        Ok(segs)
    }

    /// A TSO super-packet the way the kernel hands it over: full length, pseudo sum in the TCP field.
    fn super_packet(payload: usize, flags: u8, opts: &[u8]) -> Vec<u8> {
        let mut p = tcp4(A, B, 40000, 5201, 0xffff_f000, flags, payload, opts);
        let ps = pseudo_v4(&p[12..16], &p[16..20], PROTO_TCP, (p.len() - 20) as u16);
        put16(&mut p, 36, ps);
        p
    }

    #[test]
    fn tso_split_gives_mss_segments_with_valid_checksums() {
        let opts = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]; // NOP NOP timestamp
        let mut p = super_packet(10_000, TCP_ACK | TCP_PSH | TCP_FIN, &opts);
        let hlen = 20 + 20 + opts.len();
        let h = VnetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: GSO_TCPV4,
            hdr_len: hlen as u16,
            gso_size: 1368,
            csum_start: 20,
            csum_offset: 16,
        };
        let mut arena = vec![0u8; 1 << 16];
        let segs = split_all(&h, &mut p, &mut arena, 64).unwrap();
        assert_eq!(segs.len(), 8); // 7 * 1368 + 424
        let mut payload = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            assert!(tcp4_checksums_ok(s), "segment {i}");
            assert_eq!(get16(s, 2) as usize, s.len());
            assert_eq!(get16(s, 4), 0x1234u16.wrapping_add(i as u16));
            assert_eq!(get32(s, 24), 0xffff_f000u32.wrapping_add(1368 * i as u32)); // wraps past 2^32
            let last = i + 1 == segs.len();
            assert_eq!(s[33] & (TCP_FIN | TCP_PSH) != 0, last);
            assert_eq!(s.len() - hlen, if last { 424 } else { 1368 });
            assert_eq!(&s[40..hlen], &opts);
            payload.extend_from_slice(&s[hlen..]);
        }
        assert_eq!(payload, p[hlen..].to_vec());
    }

    #[test]
    fn gso_none_with_partial_checksum_is_finished() {
        let good = tcp4(A, B, 1, 2, 5, TCP_ACK, 100, &[]);
        let mut p = good.clone();
        let ps = pseudo_v4(&p[12..16], &p[16..20], PROTO_TCP, (p.len() - 20) as u16);
        put16(&mut p, 36, ps);
        let h = VnetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: GSO_NONE,
            hdr_len: 0,
            gso_size: 0,
            csum_start: 20,
            csum_offset: 16,
        };
        let mut arena = vec![0u8; 4096];
        let segs = split_all(&h, &mut p, &mut arena, 1).unwrap();
        assert_eq!(segs, vec![good]);
    }

    #[test]
    fn malformed_super_packets_are_dropped_whole() {
        let mut arena = vec![0u8; 1 << 17];
        let tso = |gso: u16| VnetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: GSO_TCPV4,
            hdr_len: 40,
            gso_size: gso,
            csum_start: 20,
            csum_offset: 16,
        };
        let base = super_packet(3000, TCP_ACK, &[]);
        let mut p = base.clone();
        assert_eq!(split_all(&tso(0), &mut p, &mut arena, 64), Err(Malformed::ZeroGsoSize));
        assert_eq!(split_all(&tso(1), &mut p, &mut arena, 64), Err(Malformed::NoRoom));
        let mut udp = base.clone();
        udp[9] = 17;
        assert_eq!(
            split_all(&tso(1000), &mut udp, &mut arena, 64),
            Err(Malformed::BadTcpHeader)
        );
        let h6 = VnetHdr {
            gso_type: 4,
            ..tso(1000)
        };
        assert_eq!(split_all(&h6, &mut p, &mut arena, 64), Err(Malformed::UnsupportedGso));
        let bad_csum = VnetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: GSO_NONE,
            hdr_len: 0,
            gso_size: 0,
            csum_start: 20,
            csum_offset: 60000,
        };
        assert_eq!(
            split_all(&bad_csum, &mut p, &mut arena, 64),
            Err(Malformed::BadChecksumRange)
        );
        // Fuzz: truncations and random header bytes never panic and never emit a partial packet.
        let mut seed = 0x9e37_79b9u32;
        for round in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let mut q = base.clone();
            q.truncate((seed as usize) % (base.len() + 1));
            for _ in 0..(round % 4) {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if !q.is_empty() {
                    let at = (seed as usize >> 8) % q.len().min(64);
                    q[at] = (seed >> 24) as u8;
                }
            }
            let mut hb = tso(((seed >> 3) % 2000) as u16).encode();
            hb[0] = (seed & 1) as u8;
            hb[1] = [GSO_NONE, GSO_TCPV4, GSO_TCPV4 | GSO_ECN, 3][(seed >> 9) as usize % 4];
            hb[6..8].copy_from_slice(&(((seed >> 12) % 80) as u16).to_le_bytes());
            let h = VnetHdr::parse(&hb).unwrap();
            let mut n = 0;
            let r = split(
                &h,
                &mut q,
                SplitTarget {
                    arena: &mut arena,
                    pos: 0,
                    max_segments: 64,
                },
                |_, _| n += 1,
            );
            if r.is_err() {
                assert_eq!(n, 0);
            }
        }
    }

    fn entries_for(pkts: &[Vec<u8>], data: &mut Vec<u8>) -> Vec<Entry> {
        let mut es = Vec::new();
        for p in pkts {
            let off = align_up(data.len());
            data.resize(off, 0);
            data.extend_from_slice(p);
            es.push(Entry {
                off: off as u32,
                len: p.len() as u32,
                ..Entry::default()
            });
        }
        es
    }

    /// Runs plan + emit and returns each output packet (headers completed as the kernel would).
    fn coalesce(pkts: &[Vec<u8>]) -> Vec<(VnetHdr, Vec<u8>)> {
        let mut data = Vec::new();
        let es = entries_for(pkts, &mut data);
        let mut gro = Gro::default();
        gro.plan(&data, &es);
        let mut out = Vec::new();
        gro.emit(&mut data, &es, |h, head, all, more| {
            let mut p = head.to_vec();
            for r in more {
                p.extend_from_slice(&all[r.clone()]);
            }
            let h = VnetHdr::parse(h).unwrap();
            let p = if h.flags & F_NEEDS_CSUM != 0 {
                complete(p, &h)
            } else {
                p
            };
            out.push((h, p));
        });
        out
    }

    #[test]
    fn gro_merges_in_order_segments_of_one_flow() {
        let mss = 1368;
        let opts = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3];
        let mut pkts: Vec<Vec<u8>> = (0..5)
            .map(|i| tcp4(A, B, 5201, 40000, 1000 + i * mss as u32, TCP_ACK, mss, &opts))
            .collect();
        pkts.push(tcp4(
            A,
            B,
            5201,
            40000,
            1000 + 5 * mss as u32,
            TCP_ACK | TCP_PSH,
            500,
            &opts,
        ));
        let out = coalesce(&pkts);
        assert_eq!(out.len(), 1);
        let (h, p) = &out[0];
        assert_eq!(
            (h.gso_type, h.gso_size, h.hdr_len, h.csum_start, h.csum_offset),
            (GSO_TCPV4, mss as u16, 52, 20, 16)
        );
        assert!(tcp4_checksums_ok(p));
        assert_eq!(p.len(), 52 + 5 * mss + 500);
        assert_eq!(p[33] & TCP_PSH, TCP_PSH);
        let want: Vec<u8> = pkts.iter().flat_map(|q| q[52..].to_vec()).collect();
        assert_eq!(&p[52..], &want[..]);
    }

    #[test]
    fn gro_keeps_flows_apart_and_stops_at_gaps_and_flags() {
        let mss = 1000;
        let f1 = |seq: u32, flags: u8| tcp4(A, B, 1, 2, seq, flags, mss, &[]);
        let f2 = |seq: u32| tcp4(A, B, 3, 4, seq, TCP_ACK, mss, &[]);
        let pkts = vec![
            f1(0, TCP_ACK),
            f2(0),
            f1(1000, TCP_ACK),
            f2(1000),
            f1(3000, TCP_ACK), // gap: starts a new group
            f1(4000, TCP_ACK),
            f1(5000, TCP_ACK | 0x01),                // FIN: alone
            tcp4(A, B, 1, 2, 6000, TCP_ACK, 0, &[]), // pure ACK: alone
        ];
        let out = coalesce(&pkts);
        let sizes: Vec<usize> = out.iter().map(|(_, p)| p.len() - 40).collect();
        assert_eq!(sizes, vec![2000, 2000, 2000, 1000, 0]);
        for (h, p) in &out {
            assert!(tcp4_checksums_ok(p));
            assert_eq!(h.gso_type == GSO_TCPV4, p.len() - 40 > mss);
        }
        // Different window or TTL: not merged.
        let mut other = f1(1000, TCP_ACK);
        other[8] = 63;
        fix_ipv4_checksum(&mut other, 20);
        assert_eq!(coalesce(&[f1(0, TCP_ACK), other]).len(), 2);
        // A longer segment after a shorter one cannot join.
        let short = tcp4(A, B, 1, 2, 0, TCP_ACK, 500, &[]);
        assert_eq!(coalesce(&[short, f1(500, TCP_ACK)]).len(), 2);
    }

    #[test]
    fn gro_is_undone_by_split() {
        let mss = 1200;
        let pkts: Vec<Vec<u8>> = (0..7)
            .map(|i| tcp4(A, B, 9, 10, i * mss as u32, TCP_ACK, mss, &[]))
            .collect();
        let out = coalesce(&pkts);
        assert_eq!(out.len(), 1);
        let (h, merged) = &out[0];
        // Feed the merged packet (with its partial checksum) back through split.
        let mut data = Vec::new();
        let es = entries_for(&pkts, &mut data);
        let mut gro = Gro::default();
        gro.plan(&data, &es);
        let mut partial = Vec::new();
        gro.emit(&mut data, &es, |_, head, all, more| {
            partial = head.to_vec();
            for r in more {
                partial.extend_from_slice(&all[r.clone()]);
            }
        });
        assert_eq!(partial.len(), merged.len());
        let mut arena = vec![0u8; 1 << 16];
        let mut segs = Vec::new();
        split(
            h,
            &mut partial,
            SplitTarget {
                arena: &mut arena,
                pos: 0,
                max_segments: 64,
            },
            |o, l| segs.push((o, l)),
        )
        .unwrap();
        assert_eq!(segs.len(), 7);
        for (i, (o, l)) in segs.iter().enumerate() {
            let s = &arena[*o..*o + *l];
            assert!(tcp4_checksums_ok(s));
            assert_eq!(&s[40..], &pkts[i][40..]);
        }
    }

    #[test]
    fn gro_ignores_garbage_and_out_of_range_entries() {
        let mut data = vec![0xffu8; 256];
        let es = vec![
            Entry {
                off: 0,
                len: 200,
                ..Entry::default()
            },
            Entry {
                off: 250,
                len: 100,
                ..Entry::default()
            }, // outside
            Entry {
                off: 0,
                len: 0,
                ..Entry::default()
            },
        ];
        let mut gro = Gro::default();
        gro.plan(&data, &es);
        let mut n = 0;
        let invalid = gro.emit(&mut data, &es, |h, head, _, more| {
            assert_eq!(h, &[0u8; VNET_HDR_LEN]);
            assert_eq!(head.len(), 200);
            assert!(more.is_empty());
            n += 1;
        });
        assert_eq!((n, invalid), (1, 2));
        // Random packets: no panic, every valid entry written exactly once.
        let mut seed = 12345u32;
        for _ in 0..2000 {
            let mut pkts = Vec::new();
            for k in 0..6 {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let mut p = tcp4(A, B, 1, 2, k * 100, TCP_ACK, 100, &[]);
                let at = (seed >> 8) as usize % p.len();
                p[at] = (seed >> 24) as u8;
                p.truncate(p.len() - (seed as usize % 3));
                pkts.push(p);
            }
            let mut total = 0;
            for (_, p) in coalesce(&pkts) {
                total += p.len();
            }
            assert!(total > 0);
        }
    }
}
