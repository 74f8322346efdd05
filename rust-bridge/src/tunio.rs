//! TUN I/O on the device fd Java opened with a virtio header (IFF_VNET_HDR, TunIo.java). With
//! TUNSETOFFLOAD a read may return a 64 KB TCP super-packet, which is split into MSS-sized packets
//! (offload::split); writes merge in-order TCP segments back into super-packets (offload::Gro) and
//! hand each to the kernel with one writev. Without offloads every packet still carries a header.

use std::ops::Range;

use jni::objects::JClass;
use jni::sys::{jboolean, jint, jlong, JNI_TRUE};
use jni::JNIEnv;

use crate::batch::{batch, Batch, Entry};
use crate::boundary::guard;
use crate::offload::{self, SplitTarget, VnetHdr, VNET_HDR_LEN};
use crate::udpio::wait;

/// Largest packet a TUN read returns (64 KB super-packet) plus its virtio header.
pub const READ_SIZE: usize = 65536 + VNET_HDR_LEN;
/// Read no more once this many packets are in the batch: bounds the latency a batch adds.
pub const SOFT_MAX_PACKETS: usize = 128;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// Packs (packets, dropped) the way Java reads it: packets in the low 32 bits.
fn pack(n: usize, dropped: usize) -> i64 {
    n as i64 | ((dropped as i64) << 32)
}

/// Reads packets into the batch's arena and entries [0, n), splitting TSO super-packets.
/// Waits up to `timeout_ms` for the first packet; then takes what is queued until the batch is
/// full. Returns `n | dropped << 32` (dropped = malformed packets), or -errno on a read error.
pub fn read(fd: i32, b: &mut Batch, timeout_ms: i32) -> i64 {
    let Batch {
        data: arena,
        entries,
        scratch,
    } = b;
    let max_entries = entries.len();
    if scratch.read_buf.len() < READ_SIZE {
        scratch.read_buf.resize(READ_SIZE, 0);
    }
    let mut n = 0usize;
    let mut pos = 0usize;
    let mut dropped = 0usize;
    let mut waited = false;
    while n < SOFT_MAX_PACKETS.min(max_entries) {
        let got = if scratch.pending > 0 {
            std::mem::take(&mut scratch.pending)
        } else {
            // SAFETY: read_buf holds READ_SIZE bytes.
            let r = unsafe { libc::read(fd, scratch.read_buf.as_mut_ptr() as *mut _, READ_SIZE) };
            if r < 0 {
                let e = errno();
                if e == libc::EAGAIN && n == 0 && !waited {
                    waited = true;
                    if wait(fd, libc::POLLIN, timeout_ms) {
                        continue;
                    }
                    break;
                }
                if n == 0 && e != libc::EAGAIN && e != libc::EINTR {
                    return -(e as i64);
                }
                break;
            }
            if r == 0 {
                break;
            }
            r as usize
        };
        let raw = &mut scratch.read_buf[..got];
        let target = SplitTarget {
            arena: &mut arena[..],
            pos,
            max_segments: max_entries - n,
        };
        let mut add = |off: usize, len: usize| {
            entries[n] = Entry {
                off: off as u32,
                len: len as u32,
                ..Entry::default()
            };
            n += 1;
        };
        let res = match VnetHdr::parse(raw) {
            Some(h) => offload::split(&h, &mut raw[VNET_HDR_LEN..], target, &mut add),
            None => Err(offload::Malformed::TooShort),
        };
        match res {
            Ok(p) => pos = p,
            Err(offload::Malformed::NoRoom) if n > 0 => {
                scratch.pending = got; // split it first next call, into an empty batch
                break;
            }
            Err(_) => dropped += 1,
        }
    }
    pack(n, dropped)
}

/// Writes entries [0, count) to the TUN, each behind a virtio header; with `gro` in-order TCP
/// segments of a flow are merged first. A full queue drops (as a NIC would). Returns
/// `written | failed << 32`, counting entries (a merged write counts all its segments).
pub fn write(fd: i32, b: &mut Batch, count: usize, gro: bool) -> i64 {
    let count = count.min(b.entries().len());
    let mut written = 0usize;
    let mut failed = 0usize;
    let Batch { data, entries, scratch } = b;
    let (data, entries) = (&mut data[..], &entries[..count]);
    let mut iov = std::mem::take(&mut scratch.iov);
    let gro_state = &mut scratch.gro;
    let mut emit = |hdr: &[u8; VNET_HDR_LEN], head: &[u8], all: &[u8], more: &[Range<usize>]| {
        iov.clear();
        iov.push(libc::iovec {
            iov_base: hdr.as_ptr() as *mut _,
            iov_len: VNET_HDR_LEN,
        });
        iov.push(libc::iovec {
            iov_base: head.as_ptr() as *mut _,
            iov_len: head.len(),
        });
        for r in more {
            iov.push(libc::iovec {
                iov_base: all[r.clone()].as_ptr() as *mut _,
                iov_len: r.len(),
            });
        }
        // SAFETY: every iovec points into live memory for the call.
        let w = unsafe { libc::writev(fd, iov.as_ptr(), iov.len() as i32) };
        if w < 0 {
            failed += 1 + more.len();
        } else {
            written += 1 + more.len();
        }
    };
    if gro {
        gro_state.plan(data, entries);
    } else {
        gro_state.plan(data, &[]);
    }
    let invalid = if gro {
        gro_state.emit(data, entries, &mut emit)
    } else {
        let mut bad = 0;
        for e in entries {
            let r = e.off as usize..(e.off as usize).saturating_add(e.len as usize);
            if e.len == 0 || r.end > data.len() {
                bad += 1;
                continue;
            }
            emit(&[0u8; VNET_HDR_LEN], &data[r], data, &[]);
        }
        bad
    };
    scratch.iov = iov;
    pack(written, failed + invalid)
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_TunIo_read0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
    h: jlong,
    timeout_ms: jint,
) -> jlong {
    guard(&mut env, 0, |_| Ok(read(fd, batch(h)?, timeout_ms)))
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_TunIo_write0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
    h: jlong,
    count: jint,
    gro: jboolean,
) -> jlong {
    guard(&mut env, 0, |_| {
        let b = batch(h)?;
        b.used(count)?;
        Ok(write(fd, b, count as usize, gro == JNI_TRUE))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe stands in for the TUN: same read/write semantics for one packet per call.
    fn pipe() -> (i32, i32) {
        let mut fds = [0i32; 2];
        assert_eq!(
            unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_DIRECT) },
            0
        );
        (fds[0], fds[1])
    }

    #[test]
    fn reads_plain_packets_in_one_batch_and_times_out_when_empty() {
        let (r, w) = pipe();
        for i in 0..5u8 {
            let mut p = vec![0u8; VNET_HDR_LEN]; // no offload: an all-zero header
            p.extend_from_slice(&[0x45, i, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
            assert_eq!(unsafe { libc::write(w, p.as_ptr() as *const _, p.len()) }, 30);
        }
        let mut b = Batch::new(1 << 20, 256);
        let res = read(r, &mut b, 100);
        assert_eq!(res, 5);
        for i in 0..5 {
            let e = b.entries()[i];
            assert_eq!(e.len, 20);
            assert_eq!(e.off as usize % crate::batch::ALIGN, 0);
            assert_eq!(b.data()[e.off as usize + 1], i as u8);
        }
        assert_eq!(read(r, &mut b, 10), 0);
        unsafe {
            libc::close(w);
        }
        assert_eq!(read(r, &mut b, 10), 0); // EOF: nothing
        unsafe { libc::close(r) };
        assert!(read(r, &mut b, 10) < 0); // closed fd: an error, not a panic
    }

    #[test]
    fn malformed_vnet_packets_are_counted() {
        let (r, w) = pipe();
        let mut junk = vec![0u8; 60];
        junk[1] = offload::GSO_TCPV4; // TSO of garbage
        junk[4] = 100;
        unsafe { libc::write(w, junk.as_ptr() as *const _, junk.len()) };
        unsafe { libc::write(w, junk.as_ptr() as *const _, 5) }; // shorter than the header
        let mut b = Batch::new(1 << 20, 256);
        let res = read(r, &mut b, 100);
        assert_eq!((res & 0xffff_ffff, res >> 32), (0, 2));
        unsafe {
            libc::close(r);
            libc::close(w);
        }
    }

    #[test]
    fn writes_merged_segments_with_one_writev() {
        let (r, w) = pipe();
        let mut b = Batch::new(1 << 16, 16);
        let mut pos = 0;
        for i in 0..3u32 {
            let p = crate::offload::tests_support::tcp4_packet(i * 1000, 1000);
            b.data_mut()[pos..pos + p.len()].copy_from_slice(&p);
            b.entries_mut()[i as usize] = Entry {
                off: pos as u32,
                len: p.len() as u32,
                ..Entry::default()
            };
            pos = crate::offload::align_up(pos + p.len());
        }
        let res = write(w, &mut b, 3, true);
        assert_eq!(res, 3);
        let mut buf = vec![0u8; 1 << 16];
        let n = unsafe { libc::read(r, buf.as_mut_ptr() as *mut _, buf.len()) } as usize;
        assert_eq!(n, VNET_HDR_LEN + 40 + 3000);
        let h = VnetHdr::parse(&buf).unwrap();
        assert_eq!((h.gso_type, h.gso_size), (offload::GSO_TCPV4, 1000));
        unsafe {
            libc::close(r);
            libc::close(w);
        }
    }

    #[test]
    fn without_gro_each_packet_gets_its_own_zero_header() {
        let (r, w) = pipe();
        let mut b = Batch::new(1 << 16, 16);
        let p = crate::offload::tests_support::tcp4_packet(0, 100);
        b.data_mut()[..p.len()].copy_from_slice(&p);
        b.data_mut()[256..256 + p.len()].copy_from_slice(&p);
        b.entries_mut()[0] = Entry { off: 0, len: p.len() as u32, ..Entry::default() };
        b.entries_mut()[1] = Entry { off: 256, len: p.len() as u32, ..Entry::default() };
        b.entries_mut()[2] = Entry { off: 1 << 20, len: 10, ..Entry::default() }; // outside the arena
        let res = write(w, &mut b, 3, false);
        assert_eq!((res & 0xffff_ffff, res >> 32), (2, 1));
        let mut buf = vec![0u8; 1 << 16];
        for _ in 0..2 {
            let n = unsafe { libc::read(r, buf.as_mut_ptr() as *mut _, buf.len()) } as usize;
            assert_eq!(n, VNET_HDR_LEN + p.len());
            assert_eq!(buf[..VNET_HDR_LEN], [0u8; VNET_HDR_LEN]);
            assert_eq!(buf[VNET_HDR_LEN..n], p[..]);
        }
        unsafe {
            libc::close(r);
            libc::close(w);
        }
    }
}
