//! The kernel-side screen of the server's UDP socket (SocketFilter.java): a classic BPF socket filter
//! that drops, in the softirq that delivers them and before they are queued, copied or wake anyone,
//! datagrams that cannot be a WireGuard message for this server:
//! - an unknown message type, or non-zero reserved bytes;
//! - a handshake initiation, response or cookie reply whose length is not a multiple of its size
//!   (a multiple is a GRO train of them; Java checks every segment);
//! - a data message shorter than 32 bytes (header and tag);
//! - a response, cookie reply or data message whose receiver index is not one of the peer indexes the
//!   server hands out (upper 24 bits in 1..index_limit; boringtun owns the lower 8);
//! - handshake messages (initiation, response, cookie reply; never data) from a source address (an
//!   IPv6 /64) Java blocked for a moment because it flooded past its handshake budget.
//!
//! Java keeps every check of its own (the screen is only a cheaper first cut, and it sees only the
//! first datagram of a GRO train). The kernel counts what the filter drops in the socket's drop
//! counter (SO_MEMINFO), beside datagrams that found the receive buffer full: [`kernel_drops`].

use jni::objects::{JClass, JIntArray};
use jni::sys::{jint, jlong};
use jni::JNIEnv;

use crate::boundary::{guard, illegal_argument};

/// Blocked addresses per family at most: keeps the program far below BPF_MAXINSNS and optmem_max.
pub const MAX_BLOCKED: usize = 64;

// classic BPF opcodes (linux/filter.h)
const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const LD_B_ABS: u16 = 0x30; // BPF_LD | BPF_B | BPF_ABS
const LD_W_LEN: u16 = 0x80; // BPF_LD | BPF_W | BPF_LEN
const LSH_K: u16 = 0x64; // BPF_ALU | BPF_LSH | BPF_K
const OR_X: u16 = 0x4c; // BPF_ALU | BPF_OR | BPF_X
const SUB_K: u16 = 0x14; // BPF_ALU | BPF_SUB | BPF_K
const MOD_K: u16 = 0x94; // BPF_ALU | BPF_MOD | BPF_K
const TAX: u16 = 0x07; // BPF_MISC | BPF_TAX
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const JA: u16 = 0x05; // BPF_JMP | BPF_JA
const RET_K: u16 = 0x06; // BPF_RET | BPF_K

/// A UDP socket's filter sees the UDP header at offset 0: the WireGuard message starts here.
const P: u32 = 8;
/// Offsets of the network header and of skb->protocol (ancillary loads, linux/filter.h).
const SKF_NET_OFF: i32 = -0x100000;
const SKF_AD_PROTOCOL: i32 = -0x1000;
const ETH_P_IPV6: u32 = 0x86dd;
const DROP: u32 = 0;
const ACCEPT: u32 = u32::MAX;

fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// A program built front to back, with forward jumps to labels patched once the label is placed.
struct Program {
    ins: Vec<libc::sock_filter>,
    /// (instruction, label, true branch?) of conditional jumps; (instruction, label) of `ja`.
    cond: Vec<(usize, usize, bool)>,
    always: Vec<(usize, usize)>,
    labels: Vec<Option<usize>>,
}

impl Program {
    fn new() -> Self {
        Program {
            ins: Vec::new(),
            cond: Vec::new(),
            always: Vec::new(),
            labels: Vec::new(),
        }
    }
    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }
    fn place(&mut self, l: usize) {
        self.labels[l] = Some(self.ins.len());
    }
    fn emit(&mut self, code: u16, k: u32) {
        self.ins.push(op(code, 0, 0, k));
    }
    /// if A == k goto `to` (else fall through)
    fn jeq(&mut self, k: u32, to: usize) {
        self.cond.push((self.ins.len(), to, true));
        self.ins.push(op(JEQ_K, 0, 0, k));
    }
    /// if A >= k goto `to`
    fn jge(&mut self, k: u32, to: usize) {
        self.cond.push((self.ins.len(), to, true));
        self.ins.push(op(JGE_K, 0, 0, k));
    }
    /// if A < k return DROP
    fn drop_unless_ge(&mut self, k: u32) {
        self.ins.push(op(JGE_K, 1, 0, k));
        self.ins.push(op(RET_K, 0, 0, DROP));
    }
    fn ja(&mut self, to: usize) {
        self.always.push((self.ins.len(), to));
        self.ins.push(op(JA, 0, 0, 0));
    }
    fn finish(mut self) -> Vec<libc::sock_filter> {
        for &(at, l, on_true) in &self.cond {
            let off = self.labels[l].expect("label placed") - at - 1;
            // conditional offsets are 8 bits: every block below keeps its jumps short
            let off = u8::try_from(off).expect("short jump");
            if on_true {
                self.ins[at].jt = off;
            } else {
                self.ins[at].jf = off;
            }
        }
        for &(at, l) in &self.always {
            self.ins[at].k = (self.labels[l].expect("label placed") - at - 1) as u32;
        }
        self.ins
    }
}

/// Loads the 24-bit peer index of the little-endian receiver index at message offset `o` into A.
fn load_peer_index(p: &mut Program, o: u32) {
    p.emit(LD_B_ABS, P + o + 3);
    p.emit(LSH_K, 16);
    p.emit(TAX, 0);
    p.emit(LD_B_ABS, P + o + 2);
    p.emit(LSH_K, 8);
    p.emit(OR_X, 0);
    p.emit(TAX, 0);
    p.emit(LD_B_ABS, P + o + 1);
    p.emit(OR_X, 0);
}

/// The filter program. `index_limit`: peer indexes are 1..index_limit (exclusive). `blocked4`: IPv4
/// addresses (host order); `blocked6`: IPv6 /64 prefixes as two host-order words each. At most
/// [`MAX_BLOCKED`] of each are used.
pub fn program(index_limit: u32, blocked4: &[u32], blocked6: &[[u32; 2]]) -> Vec<libc::sock_filter> {
    let blocked4 = &blocked4[..blocked4.len().min(MAX_BLOCKED)];
    let blocked6 = &blocked6[..blocked6.len().min(MAX_BLOCKED)];
    let mut p = Program::new();
    let (drop, accept) = (p.label(), p.label());
    let (data, init, response, cookie, handshake, check_index) =
        (p.label(), p.label(), p.label(), p.label(), p.label(), p.label());

    p.emit(LD_W_LEN, 0);
    p.drop_unless_ge(P + 4); // room for the type word
    p.emit(LD_W_ABS, P); // type byte and three reserved zero bytes, big-endian
    p.jeq(0x0400_0000, data);
    p.jeq(0x0100_0000, init);
    p.jeq(0x0200_0000, response);
    p.jeq(0x0300_0000, cookie);
    p.emit(RET_K, DROP);

    p.place(data);
    p.emit(LD_W_LEN, 0);
    p.drop_unless_ge(P + 32); // header and tag
    load_peer_index(&mut p, 4);
    p.ja(check_index);

    for (label, size) in [(init, 148u32), (response, 92), (cookie, 64)] {
        p.place(label);
        p.emit(LD_W_LEN, 0);
        p.emit(SUB_K, P);
        p.emit(MOD_K, size);
        p.jeq(0, handshake);
        p.emit(RET_K, DROP);
    }

    // a handshake message: its source may be blocked; then responses and cookies have an index
    p.place(handshake);
    if !blocked4.is_empty() || !blocked6.is_empty() {
        let (v6, sources_ok) = (p.label(), p.label());
        p.emit(LD_W_ABS, SKF_AD_PROTOCOL as u32);
        p.jeq(ETH_P_IPV6, v6);
        p.emit(LD_W_ABS, (SKF_NET_OFF + 12) as u32); // IPv4 source
        for &a in blocked4 {
            p.ins.push(op(JEQ_K, 0, 1, a)); // equal: the next instruction drops
            p.emit(RET_K, DROP);
        }
        p.ja(sources_ok);
        p.place(v6);
        for a in blocked6 {
            // the first two words of the IPv6 source at network offset 8; a mismatch skips this entry
            for (w, &word) in a.iter().enumerate() {
                p.emit(LD_W_ABS, (SKF_NET_OFF + 8 + 4 * w as i32) as u32);
                let rest = (1 - w) as u8 * 2 + 1; // the remaining load and test, then the ret
                p.ins.push(op(JEQ_K, 0, rest, word));
            }
            p.emit(RET_K, DROP);
        }
        p.place(sources_ok);
    }
    // the type again: an initiation has no receiver index; a response has it at 8, a cookie at 4
    let (response_index, cookie_index) = (p.label(), p.label());
    p.emit(LD_W_ABS, P);
    p.jeq(0x0200_0000, response_index);
    p.jeq(0x0300_0000, cookie_index);
    p.ja(accept);
    p.place(response_index);
    load_peer_index(&mut p, 8);
    p.ja(check_index);
    p.place(cookie_index);
    load_peer_index(&mut p, 4);

    p.place(check_index);
    p.jeq(0, drop);
    p.jge(index_limit.max(1), drop);
    p.place(accept);
    p.emit(RET_K, ACCEPT);
    p.place(drop);
    p.emit(RET_K, DROP);
    p.finish()
}

fn errno() -> i64 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO) as i64
}

/// Attaches (or atomically replaces) the socket's filter. 0 or -errno.
pub fn attach(fd: i32, prog: &[libc::sock_filter]) -> i64 {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut _,
    };
    // SAFETY: fprog points at `prog`, alive for the call; the kernel copies it.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            &fprog as *const _ as *const _,
            std::mem::size_of::<libc::sock_fprog>() as u32,
        )
    };
    if r < 0 {
        -errno()
    } else {
        0
    }
}

/// Datagrams the kernel dropped for this socket (filter and full receive buffer), or -errno.
pub fn kernel_drops(fd: i32) -> i64 {
    const SK_MEMINFO_VARS: usize = 9;
    const SK_MEMINFO_DROPS: usize = 8;
    let mut info = [0u32; SK_MEMINFO_VARS];
    let mut len = std::mem::size_of_val(&info) as u32;
    // SAFETY: info and len are valid out-parameters of the declared size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_MEMINFO,
            info.as_mut_ptr() as *mut _,
            &mut len,
        )
    };
    if r < 0 {
        -errno()
    } else {
        info[SK_MEMINFO_DROPS] as i64
    }
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_SocketFilter_attach0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
    index_limit: jint,
    blocked4: JIntArray<'local>,
    blocked6: JIntArray<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        let n4 = env.get_array_length(&blocked4)? as usize;
        let n6 = env.get_array_length(&blocked6)? as usize;
        if index_limit < 1 || n4 > MAX_BLOCKED || !n6.is_multiple_of(2) || n6 / 2 > MAX_BLOCKED {
            return illegal_argument(format!(
                "index limit {index_limit}, {n4} IPv4 and {n6} IPv6 /64 words (at most {MAX_BLOCKED} sources each)"
            ));
        }
        let mut v4 = vec![0i32; n4];
        env.get_int_array_region(&blocked4, 0, &mut v4)?;
        let mut w6 = vec![0i32; n6];
        env.get_int_array_region(&blocked6, 0, &mut w6)?;
        let v4: Vec<u32> = v4.into_iter().map(|a| a as u32).collect();
        let v6: Vec<[u32; 2]> = w6.chunks(2).map(|c| [c[0] as u32, c[1] as u32]).collect();
        Ok(attach(fd, &program(index_limit as u32, &v4, &v6)))
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_SocketFilter_kernelDrops0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
) -> jlong {
    guard(&mut env, 0, |_| Ok(kernel_drops(fd)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv6Addr, UdpSocket};
    use std::os::fd::AsRawFd;
    use std::time::Duration;

    /// A message of `len` bytes: type word `t` (little-endian on the wire), receiver index at `at`.
    fn msg(t: u32, len: usize, index_at: usize, index: u32) -> Vec<u8> {
        let mut m = vec![0xa5u8; len];
        let n = len.min(4);
        m[..n].copy_from_slice(&t.to_le_bytes()[..n]);
        if index_at > 0 && index_at + 4 <= len {
            m[index_at..index_at + 4].copy_from_slice(&index.to_le_bytes());
        }
        m
    }

    /// Sends every datagram from `tx` to `rx` and returns which ones arrived (by order of sending).
    fn arrived(rx: &UdpSocket, tx: &UdpSocket, msgs: &[Vec<u8>]) -> Vec<bool> {
        let to = rx.local_addr().unwrap();
        for (i, m) in msgs.iter().enumerate() {
            let mut m = m.clone();
            if m.len() > 20 {
                m[20] = i as u8; // marks which one it was (past every field the filter reads)
            }
            tx.send_to(&m, to).unwrap();
        }
        rx.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut seen = vec![false; msgs.len()];
        let mut buf = [0u8; 2048];
        while let Ok(n) = rx.recv(&mut buf) {
            if n > 20 && (buf[20] as usize) < seen.len() {
                seen[buf[20] as usize] = true;
            }
        }
        seen
    }

    #[test]
    fn the_kernel_drops_what_cannot_be_a_message_for_this_server_and_counts_it() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(attach(rx.as_raw_fd(), &program(3, &[], &[])), 0);
        let cases: Vec<(Vec<u8>, bool, &str)> = vec![
            (msg(1, 148, 0, 0), true, "initiation"),
            (msg(1, 147, 0, 0), false, "short initiation"),
            (msg(1, 296, 0, 0), true, "two initiations (a GRO train)"),
            (msg(2, 92, 8, 2 << 8 | 9), true, "response to peer 2"),
            (msg(2, 92, 8, 3 << 8), false, "response to index 3 (over the limit)"),
            (msg(3, 64, 4, 1 << 8), true, "cookie reply to peer 1"),
            (msg(3, 64, 4, 0x1234_5600), false, "cookie reply to an unknown index"),
            (msg(4, 32, 4, 1 << 8 | 255), true, "keepalive to peer 1"),
            (msg(4, 1400, 4, 2 << 8), true, "data to peer 2"),
            (msg(4, 1400, 4, 7), false, "data to index 0"),
            (msg(4, 31, 4, 1 << 8), false, "data shorter than header and tag"),
            (msg(5, 148, 0, 0), false, "unknown type"),
            (msg(0x0100_0001, 148, 0, 0), false, "non-zero reserved byte"),
            (vec![1, 0, 0], false, "three bytes"),
            (vec![], false, "empty"),
        ];
        let before = kernel_drops(rx.as_raw_fd());
        assert!(before >= 0);
        let msgs: Vec<Vec<u8>> = cases.iter().map(|c| c.0.clone()).collect();
        let got = arrived(&rx, &tx, &msgs);
        for (i, (_, want, what)) in cases.iter().enumerate() {
            assert_eq!(got[i], *want, "{what}");
        }
        let dropped = cases.iter().filter(|c| !c.1).count() as i64;
        assert_eq!(kernel_drops(rx.as_raw_fd()) - before, dropped, "every drop counted");
    }

    #[test]
    fn a_blocked_source_loses_its_handshake_messages_but_not_its_data() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let msgs = vec![msg(1, 148, 0, 0), msg(3, 64, 4, 1 << 8), msg(4, 100, 4, 1 << 8)];
        assert_eq!(attach(rx.as_raw_fd(), &program(2, &[0x7f00_0002, 0x7f00_0001], &[])), 0);
        assert_eq!(arrived(&rx, &tx, &msgs), vec![false, false, true]);
        assert_eq!(attach(rx.as_raw_fd(), &program(2, &[0x7f00_0002], &[])), 0);
        assert_eq!(
            arrived(&rx, &tx, &msgs),
            vec![true, true, true],
            "another address blocked"
        );
    }

    #[test]
    fn ipv6_sources_are_blocked_by_their_slash_64_on_a_dual_stack_socket() {
        let Ok(rx) = UdpSocket::bind("[::]:0") else {
            panic!("this test needs IPv6 on loopback (::1)");
        };
        let port = rx.local_addr().unwrap().port();
        let tx6 = UdpSocket::bind("[::1]:0").unwrap();
        let tx4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        // the /64 of ::1 is ::/64: two zero words; another /64 differs only in its second word
        let words = |s: [u16; 8]| [0, 1].map(|w| (s[2 * w] as u32) << 16 | s[2 * w + 1] as u32);
        let loopback6 = Ipv6Addr::LOCALHOST.segments();
        let init = [msg(1, 148, 0, 0)];
        let mut other = loopback6;
        other[3] = 1; // 0:0:0:1::1, in 0:0:0:1::/64
        assert_eq!(
            attach(rx.as_raw_fd(), &program(2, &[], &[words(other), words(loopback6)])),
            0
        );
        let send = |tx: &UdpSocket, dst: &str| {
            tx.send_to(&init[0], format!("{dst}:{port}")).unwrap();
        };
        rx.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut buf = [0u8; 256];
        send(&tx6, "[::1]");
        assert!(rx.recv(&mut buf).is_err(), "::1 is blocked");
        send(&tx4, "127.0.0.1");
        assert_eq!(rx.recv(&mut buf).unwrap(), 148, "IPv4 is not");
        assert_eq!(attach(rx.as_raw_fd(), &program(2, &[0x7f00_0001], &[words(other)])), 0);
        send(&tx6, "[::1]");
        assert_eq!(rx.recv(&mut buf).unwrap(), 148, "::1 no longer blocked");
        send(&tx4, "127.0.0.1");
        assert!(rx.recv(&mut buf).is_err(), "127.0.0.1 blocked on the dual-stack socket");
    }

    #[test]
    fn the_largest_program_fits_the_kernel_limits() {
        let v4: Vec<u32> = (0..MAX_BLOCKED as u32).collect();
        let v6: Vec<[u32; 2]> = (0..MAX_BLOCKED as u32).map(|i| [0xfd00_0000, i]).collect();
        let prog = program(1 << 24, &v4, &v6);
        assert!(prog.len() < 4096, "{} instructions", prog.len());
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(attach(rx.as_raw_fd(), &prog), 0);
        // more than MAX_BLOCKED are cut, not refused
        let many: Vec<u32> = (0..1000).collect();
        assert_eq!(
            program(5, &many, &[]).len(),
            program(5, &many[..MAX_BLOCKED], &[]).len()
        );
    }
}
