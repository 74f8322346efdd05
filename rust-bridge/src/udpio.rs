//! Batched UDP I/O on the socket Java created and owns (UdpIo.java): recvmmsg with UDP_GRO and
//! sendmmsg with UDP_SEGMENT (GSO). One syscall moves up to 64 messages, and with GSO/GRO one
//! message carries up to 64 equal-sized WireGuard datagrams, so a 64 KB burst costs one syscall
//! instead of ~45. The fd is only borrowed: Java configures it, closes it, and stops calling first.

use std::io;

use jni::objects::{JByteBuffer, JClass};
use jni::sys::{jboolean, jint, jlong, JNI_TRUE};
use jni::JNIEnv;

use crate::batch::{batch, Batch, Entry, Scratch};
use crate::boundary::{guard, illegal_argument, DirectBuf};

/// Receive regions are this large: one GRO-coalesced message is at most 64 KB.
pub const REGION: usize = 65536;
/// Messages per recvmmsg / sendmmsg.
pub const MAX_MSGS: usize = 64;
/// Linux accepts at most 64 segments per GSO send on older kernels (UDP_MAX_SEGMENTS).
pub const GSO_MAX_SEGMENTS: usize = 64;
/// A GSO send is one UDP datagram to the kernel: its payload must fit the IPv4 length field.
pub const GSO_MAX_BYTES: usize = 65000;

const SOL_UDP: libc::c_int = 17;
const UDP_SEGMENT: libc::c_int = 103;
const UDP_GRO: libc::c_int = 104;

/// Result flag of send: the kernel refused GSO (EIO: no checksum offload on the route); the caller
/// should stop asking for it. The affected datagrams were resent one by one.
pub const SEND_GSO_FAILED: i64 = 1 << 62;

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// Waits until `fd` is readable (or writable) or `timeout_ms` passed; true when ready.
pub fn wait(fd: i32, events: i16, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, timeout_ms) > 0 }
}

/// Fills `e`'s address fields from a received sockaddr. IPv4-mapped IPv6 addresses (dual-stack
/// socket) are reported as IPv4 so Java sees one form per client.
fn entry_from_sockaddr(sa: &libc::sockaddr_in6, e: &mut Entry) {
    match sa.sin6_family as i32 {
        libc::AF_INET => {
            // SAFETY: AF_INET means the storage holds a sockaddr_in, which is smaller.
            let v4 = unsafe { &*(sa as *const libc::sockaddr_in6 as *const libc::sockaddr_in) };
            e.family = 4;
            e.port = u16::from_be(v4.sin_port);
            e.hi = 0;
            e.lo = u32::from_be(v4.sin_addr.s_addr) as i64;
        }
        libc::AF_INET6 => {
            let a = sa.sin6_addr.s6_addr;
            e.port = u16::from_be(sa.sin6_port);
            if a[..10] == [0; 10] && a[10] == 0xff && a[11] == 0xff {
                e.family = 4;
                e.hi = 0;
                e.lo = u32::from_be_bytes([a[12], a[13], a[14], a[15]]) as i64;
            } else {
                e.family = 6;
                e.hi = u64::from_be_bytes(a[..8].try_into().unwrap()) as i64;
                e.lo = u64::from_be_bytes(a[8..].try_into().unwrap()) as i64;
            }
        }
        _ => {
            e.family = 0;
            e.port = 0;
            e.hi = 0;
            e.lo = 0;
        }
    }
}

/// Writes the destination of an entry as a sockaddr for a socket of the given family.
/// None when the address cannot be reached from that socket (IPv6 on an IPv4 socket).
pub fn sockaddr_for(
    family: u16,
    port: u16,
    hi: i64,
    lo: i64,
    v6_socket: bool,
    out: &mut libc::sockaddr_in6,
) -> Option<u32> {
    // SAFETY: all-zero is a valid sockaddr_in6.
    *out = unsafe { std::mem::zeroed() };
    match (family, v6_socket) {
        (4, false) => {
            // SAFETY: sockaddr_in fits in sockaddr_in6 storage.
            let v4 = unsafe { &mut *(out as *mut libc::sockaddr_in6 as *mut libc::sockaddr_in) };
            v4.sin_family = libc::AF_INET as libc::sa_family_t;
            v4.sin_port = port.to_be();
            v4.sin_addr.s_addr = (lo as u32).to_be();
            Some(std::mem::size_of::<libc::sockaddr_in>() as u32)
        }
        (4, true) => {
            out.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            out.sin6_port = port.to_be();
            let mut a = [0u8; 16];
            a[10] = 0xff;
            a[11] = 0xff;
            a[12..].copy_from_slice(&(lo as u32).to_be_bytes());
            out.sin6_addr.s6_addr = a;
            Some(std::mem::size_of::<libc::sockaddr_in6>() as u32)
        }
        (6, true) => {
            out.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            out.sin6_port = port.to_be();
            let mut a = [0u8; 16];
            a[..8].copy_from_slice(&(hi as u64).to_be_bytes());
            a[8..].copy_from_slice(&(lo as u64).to_be_bytes());
            out.sin6_addr.s6_addr = a;
            Some(std::mem::size_of::<libc::sockaddr_in6>() as u32)
        }
        _ => None,
    }
}

fn grow(s: &mut Scratch, msgs: usize, iovs: usize) {
    // SAFETY (zeroed): these are plain C structs for which all-zero is valid.
    if s.msgs.len() < msgs {
        s.msgs.resize_with(msgs, || unsafe { std::mem::zeroed() });
        s.names.resize_with(msgs, || unsafe { std::mem::zeroed() });
        s.cmsgs.resize(msgs, [0; 4]);
        s.spans.resize(msgs, (0, 0));
    }
    if s.iov.len() < iovs {
        s.iov.resize_with(iovs, || unsafe { std::mem::zeroed() });
    }
}

/// recvmmsg into the batch: message i lands at arena offset i * REGION and fills entry i (off,
/// len, source; aux = GRO segment size or 0; len 0 when the message was truncated). Waits up to
/// `timeout_ms` when nothing is queued. Returns the message count (0 = timeout) or -errno.
pub fn recv(fd: i32, b: &mut Batch, max_msgs: usize, timeout_ms: i32) -> i64 {
    let regions = max_msgs
        .min(MAX_MSGS)
        .min(b.data().len() / REGION)
        .min(b.entries().len());
    if regions == 0 {
        return -(libc::EINVAL as i64);
    }
    let Batch {
        data,
        entries,
        scratch: s,
    } = b;
    let base = data.as_mut_ptr();
    grow(s, regions, regions);
    for i in 0..regions {
        // SAFETY: region i lies inside the arena (regions * REGION <= capacity).
        s.iov[i] = libc::iovec {
            iov_base: unsafe { base.add(i * REGION) } as *mut _,
            iov_len: REGION,
        };
        let m = &mut s.msgs[i];
        m.msg_len = 0;
        m.msg_hdr.msg_name = &mut s.names[i] as *mut _ as *mut _;
        m.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as u32;
        m.msg_hdr.msg_iov = &mut s.iov[i];
        m.msg_hdr.msg_iovlen = 1;
        m.msg_hdr.msg_control = s.cmsgs[i].as_mut_ptr() as *mut _;
        m.msg_hdr.msg_controllen = std::mem::size_of::<[u64; 4]>();
        m.msg_hdr.msg_flags = 0;
    }
    let mut n = -1;
    for attempt in 0..2 {
        // SAFETY: every message points at live scratch and arena memory sized as declared.
        n = unsafe {
            libc::recvmmsg(
                fd,
                s.msgs.as_mut_ptr(),
                regions as u32,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n >= 0 {
            break;
        }
        let e = errno();
        if e == libc::EINTR {
            return 0;
        }
        if e != libc::EAGAIN {
            return -(e as i64);
        }
        if attempt == 0 && !wait(fd, libc::POLLIN, timeout_ms) {
            return 0;
        }
    }
    if n < 0 {
        return 0;
    }
    let n = n as usize;
    for i in 0..n {
        let m = &s.msgs[i];
        let mut gso = 0i32;
        // SAFETY: walking the control buffer the kernel filled, with the libc CMSG macros.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&m.msg_hdr);
            while !c.is_null() {
                if (*c).cmsg_level == SOL_UDP && (*c).cmsg_type == UDP_GRO {
                    gso = std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::c_int);
                }
                c = libc::CMSG_NXTHDR(&m.msg_hdr, c);
            }
        }
        let truncated = m.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
        let len = if truncated { 0 } else { m.msg_len as usize };
        let name = s.names[i];
        let e = &mut entries[i];
        e.off = (i * REGION) as u32;
        e.len = len as u32;
        e.aux = if truncated {
            -1
        } else if gso > 0 && (gso as usize) < len {
            gso
        } else {
            0
        };
        entry_from_sockaddr(&name, e);
    }
    n as i64
}

/// Whether entry b may follow entry a in one GSO message: same destination, and a was full size.
fn same_dest(a: &Entry, b: &Entry) -> bool {
    a.family == b.family && a.port == b.port && a.hi == b.hi && a.lo == b.lo
}

/// sendmmsg of entries [0, count): consecutive datagrams to one destination with equal sizes (the
/// last may be shorter) become one GSO message when `gso` is set. Returns
/// `sent | failed << 32 | SEND_GSO_FAILED?`. Blocks while the socket buffer is full.
pub fn send(fd: i32, b: &mut Batch, count: usize, v6_socket: bool, mut gso: bool) -> i64 {
    let count = count.min(b.entries().len());
    let mut sent: i64 = 0;
    let mut failed: i64 = 0;
    let mut flags: i64 = 0;
    let Batch {
        data,
        entries,
        scratch: s,
    } = b;
    let data_len = data.len();
    let base = data.as_mut_ptr();
    let entries = &entries[..count];
    grow(s, MAX_MSGS, MAX_MSGS * GSO_MAX_SEGMENTS);
    let mut next = 0usize;
    while next < count {
        // Build up to MAX_MSGS messages starting at entry `next`.
        let mut nmsgs = 0usize;
        let mut niov = 0usize;
        let mut i = next;
        while i < count && nmsgs < MAX_MSGS {
            let e = entries[i];
            let valid = (e.off as usize)
                .checked_add(e.len as usize)
                .is_some_and(|end| end <= data_len)
                && e.len > 0;
            let namelen = if valid {
                sockaddr_for(e.family, e.port, e.hi, e.lo, v6_socket, &mut s.names[nmsgs])
            } else {
                None
            };
            let Some(namelen) = namelen else {
                failed += 1;
                i += 1;
                continue;
            };
            let first = i;
            let seg = e.len as usize;
            let mut bytes = seg;
            // SAFETY: the range was checked against the arena above.
            s.iov[niov] = libc::iovec {
                iov_base: unsafe { base.add(e.off as usize) } as *mut _,
                iov_len: seg,
            };
            let iov_start = niov;
            niov += 1;
            i += 1;
            if gso {
                while i < count && i - first < GSO_MAX_SEGMENTS {
                    let f = entries[i];
                    let ok = same_dest(&e, &f)
                        && f.len > 0
                        && f.len as usize <= seg
                        && bytes + f.len as usize <= GSO_MAX_BYTES
                        && (f.off as usize)
                            .checked_add(f.len as usize)
                            .is_some_and(|end| end <= data_len);
                    if !ok {
                        break;
                    }
                    s.iov[niov] = libc::iovec {
                        iov_base: unsafe { base.add(f.off as usize) } as *mut _,
                        iov_len: f.len as usize,
                    };
                    niov += 1;
                    bytes += f.len as usize;
                    i += 1;
                    if (f.len as usize) < seg {
                        break; // only the last segment may be short
                    }
                }
            }
            let segs = i - first;
            let m = &mut s.msgs[nmsgs];
            m.msg_len = 0;
            m.msg_hdr.msg_name = &mut s.names[nmsgs] as *mut _ as *mut _;
            m.msg_hdr.msg_namelen = namelen;
            m.msg_hdr.msg_iov = &mut s.iov[iov_start];
            m.msg_hdr.msg_iovlen = segs;
            m.msg_hdr.msg_flags = 0;
            if segs > 1 {
                let c = s.cmsgs[nmsgs].as_mut_ptr() as *mut u8;
                // SAFETY: the control buffer holds CMSG_SPACE(2) = 24 <= 32 bytes.
                unsafe {
                    m.msg_hdr.msg_control = c as *mut _;
                    m.msg_hdr.msg_controllen = libc::CMSG_SPACE(2) as usize;
                    let h = libc::CMSG_FIRSTHDR(&m.msg_hdr);
                    (*h).cmsg_level = SOL_UDP;
                    (*h).cmsg_type = UDP_SEGMENT;
                    (*h).cmsg_len = libc::CMSG_LEN(2) as usize;
                    std::ptr::write_unaligned(libc::CMSG_DATA(h) as *mut u16, seg as u16);
                }
            } else {
                m.msg_hdr.msg_control = std::ptr::null_mut();
                m.msg_hdr.msg_controllen = 0;
            }
            s.spans[nmsgs] = (first as u32, segs as u32);
            nmsgs += 1;
        }
        if nmsgs == 0 {
            break;
        }
        // Send the built messages; on an error skip (or re-plan) the failing one.
        let mut done = 0usize;
        while done < nmsgs {
            // SAFETY: messages point into scratch and the checked arena ranges.
            let r = unsafe { libc::sendmmsg(fd, s.msgs.as_mut_ptr().add(done), (nmsgs - done) as u32, 0) };
            if r > 0 {
                for k in done..done + r as usize {
                    sent += s.spans[k].1 as i64;
                }
                done += r as usize;
                continue;
            }
            let e = errno();
            if e == libc::EINTR {
                continue;
            }
            let (first, segs) = s.spans[done];
            if (e == libc::EIO || e == libc::EINVAL || e == libc::EMSGSIZE) && segs > 1 && gso {
                // No GSO on this route (EIO: no checksum offload; EINVAL/EMSGSIZE: the segment and the
                // headers of this address family exceed the route's MTU): resend from this message's
                // first entry without it, instead of losing every segment.
                gso = false;
                flags |= SEND_GSO_FAILED;
                i = first as usize;
                break;
            }
            failed += segs as i64;
            done += 1;
        }
        next = if done < nmsgs { s.spans[done].0 as usize } else { i };
    }
    sent | (failed << 32) | flags
}

/// Sends one datagram (handshakes, cookies, keepalives from the timer thread). 0 or -errno.
pub fn send_one(fd: i32, packet: &[u8], family: u16, port: u16, hi: i64, lo: i64, v6_socket: bool) -> i64 {
    // SAFETY: all-zero is a valid sockaddr_in6.
    let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let Some(len) = sockaddr_for(family, port, hi, lo, v6_socket, &mut sa) else {
        return -(libc::EAFNOSUPPORT as i64);
    };
    // SAFETY: packet and sa are live for the call.
    let r = unsafe {
        libc::sendto(
            fd,
            packet.as_ptr() as *const _,
            packet.len(),
            0,
            &sa as *const _ as *const libc::sockaddr,
            len,
        )
    };
    if r < 0 {
        -(errno() as i64)
    } else {
        0
    }
}

/// Creates a UDP socket bound to (family, hi, lo, port) (SourceAddress form; family 6 gives a
/// dual-stack IPv6 socket, IPv4 clients then arrive as mapped addresses), with both socket buffers
/// forced to `buffer` bytes as root (SO_*BUFFORCE ignores rmem_max, which a network namespace cannot
/// raise; without root the kernel caps the plain option). Returns the fd or -errno.
pub fn open(family: u16, port: u16, hi: i64, lo: i64, buffer: i32) -> i64 {
    let v6 = family == 6;
    // SAFETY: plain socket(2).
    let fd = unsafe {
        libc::socket(
            if v6 { libc::AF_INET6 } else { libc::AF_INET },
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return -(errno() as i64);
    }
    let set = |level: i32, name: i32, value: libc::c_int| {
        // SAFETY: a valid int option value.
        unsafe { libc::setsockopt(fd, level, name, &value as *const _ as *const _, 4) }
    };
    for (forced, plain) in [
        (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
        (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
    ] {
        if set(libc::SOL_SOCKET, forced, buffer) < 0 {
            set(libc::SOL_SOCKET, plain, buffer); // not root: capped at rmem_max/wmem_max
        }
    }
    if v6 {
        set(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 0);
    }
    // SAFETY: all-zero is a valid sockaddr_in6.
    let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let bound = match sockaddr_for(family, port, hi, lo, v6, &mut sa) {
        // SAFETY: sa holds `len` valid bytes of a sockaddr.
        Some(len) => (unsafe { libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len) }) == 0,
        None => false,
    };
    if !bound {
        let e = if family == 4 || family == 6 { errno() } else { libc::EAFNOSUPPORT };
        // SAFETY: our own fd, not yet handed out.
        unsafe { libc::close(fd) };
        return -(e as i64);
    }
    fd as i64
}

/// The port a socket is bound to, or -errno.
pub fn local_port(fd: i32) -> i64 {
    // SAFETY: all-zero is a valid sockaddr_in6; len says how much the kernel may write.
    let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_in6>() as u32;
    let r = unsafe { libc::getsockname(fd, &mut sa as *mut _ as *mut libc::sockaddr, &mut len) };
    if r < 0 {
        return -(errno() as i64);
    }
    let mut e = Entry::default();
    entry_from_sockaddr(&sa, &mut e);
    e.port as i64
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_open0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    family: jint,
    port: jint,
    hi: jlong,
    lo: jlong,
    buffer: jint,
) -> jlong {
    guard(&mut env, 0, |_| Ok(open(family as u16, port as u16, hi, lo, buffer)))
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_localPort0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
) -> jlong {
    guard(&mut env, 0, |_| Ok(local_port(fd)))
}

/// Closes a socket fd; Java calls this once, after every thread that used the fd has stopped.
#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_close0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
) {
    guard(&mut env, (), |_| {
        // SAFETY: the caller owns the fd and stopped using it.
        unsafe { libc::close(fd) };
        Ok(())
    })
}

/// The C library's text for an errno (strerror), for Java's one-line error messages.
#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_errorText0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    errno: jint,
) -> jni::sys::jstring {
    guard(&mut env, std::ptr::null_mut(), |env| {
        let text = io::Error::from_raw_os_error(errno).to_string();
        let text = text.split(" (os error").next().unwrap_or(&text).to_string();
        Ok(env.new_string(text).map(|s| s.into_raw()).unwrap_or(std::ptr::null_mut()))
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_recv0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
    h: jlong,
    max_msgs: jint,
    timeout_ms: jint,
) -> jlong {
    guard(&mut env, 0, |_| {
        if max_msgs < 1 {
            return illegal_argument(format!("max messages {max_msgs} < 1"));
        }
        Ok(recv(fd, batch(h)?, max_msgs as usize, timeout_ms))
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_send0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
    h: jlong,
    count: jint,
    v6_socket: jboolean,
    gso: jboolean,
) -> jlong {
    guard(&mut env, 0, |_| {
        let b = batch(h)?;
        b.used(count)?;
        Ok(send(fd, b, count as usize, v6_socket == JNI_TRUE, gso == JNI_TRUE))
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_sendTo0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
    buf: JByteBuffer<'local>,
    off: jint,
    len: jint,
    family: jint,
    port: jint,
    hi: jlong,
    lo: jlong,
    v6_socket: jboolean,
) -> jlong {
    guard(&mut env, 0, |env| {
        let d = DirectBuf::of(env, &buf, "src")?;
        let (p, l) = d.range(off, len)?;
        // SAFETY: the range lies inside the live direct buffer.
        let packet = unsafe { std::slice::from_raw_parts(p, l) };
        Ok(send_one(
            fd,
            packet,
            family as u16,
            port as u16,
            hi,
            lo,
            v6_socket == JNI_TRUE,
        ))
    })
}

/// Socket options the fast path needs that NIO lacks; Java calls these on its own fd at setup.
/// Returns 0 or -errno.
#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_enableGro0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
) -> jint {
    guard(&mut env, 0, |_| {
        let one: libc::c_int = 1;
        // SAFETY: a valid int option value.
        let r = unsafe {
            libc::setsockopt(
                fd,
                SOL_UDP,
                UDP_GRO,
                &one as *const _ as *const _,
                std::mem::size_of::<libc::c_int>() as u32,
            )
        };
        Ok(if r < 0 { -errno() } else { 0 })
    })
}

/// Whether the kernel knows UDP_SEGMENT (getsockopt succeeds); 0 or -errno.
#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_UdpIo_probeGso0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    fd: jint,
) -> jint {
    guard(&mut env, 0, |_| {
        let mut v: libc::c_int = 0;
        let mut l = std::mem::size_of::<libc::c_int>() as u32;
        // SAFETY: v and l are valid out-parameters.
        let r = unsafe { libc::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &mut v as *mut _ as *mut _, &mut l) };
        Ok(if r < 0 { -errno() } else { 0 })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(v6: bool) -> (i32, u16) {
        unsafe {
            let fd = libc::socket(
                if v6 { libc::AF_INET6 } else { libc::AF_INET },
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                0,
            );
            assert!(fd >= 0);
            let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
            let len = if v6 {
                sa.sin6_family = libc::AF_INET6 as u16;
                sa.sin6_addr.s6_addr[15] = 1;
                std::mem::size_of::<libc::sockaddr_in6>()
            } else {
                sockaddr_for(4, 0, 0, 0x7f00_0001, false, &mut sa).unwrap() as usize
            };
            assert_eq!(libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len as u32), 0);
            let mut l = std::mem::size_of::<libc::sockaddr_in6>() as u32;
            libc::getsockname(fd, &mut sa as *mut _ as *mut libc::sockaddr, &mut l);
            (fd, u16::from_be(sa.sin6_port))
        }
    }

    /// GRO on, and a receive buffer that holds a whole test burst (the default drops some).
    fn gro_on(fd: i32) {
        let one: libc::c_int = 1;
        let big: libc::c_int = 4 << 20;
        unsafe {
            libc::setsockopt(fd, SOL_UDP, UDP_GRO, &one as *const _ as *const _, 4);
            if libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                &big as *const _ as *const _,
                4,
            ) != 0
            {
                libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &big as *const _ as *const _, 4);
            }
        }
    }

    /// Fills a send batch with `sizes` datagrams to port, each filled with its index.
    fn fill(b: &mut Batch, sizes: &[usize], port: u16, family: u16, hi: i64, lo: i64) {
        let mut pos = 0;
        for (i, &n) in sizes.iter().enumerate() {
            b.data_mut()[pos..pos + n].fill(i as u8);
            b.entries_mut()[i] = Entry {
                off: pos as u32,
                len: n as u32,
                family,
                port,
                hi,
                lo,
                ..Entry::default()
            };
            pos += n.div_ceil(16) * 16;
        }
    }

    /// Receives until `want` datagrams arrived; returns (len, first byte, gro size) per datagram.
    fn drain(fd: i32, rb: &mut Batch, want: usize) -> Vec<(usize, u8, i32)> {
        let mut got = Vec::new();
        for _ in 0..50 {
            if got.len() >= want {
                break;
            }
            let n = recv(fd, rb, 64, 100);
            assert!(n >= 0, "recv failed: {n}");
            for e in &rb.entries()[..n as usize] {
                let seg = if e.aux > 0 { e.aux as usize } else { e.len as usize };
                let mut o = e.off as usize;
                let end = o + e.len as usize;
                while o < end {
                    let l = seg.min(end - o);
                    got.push((l, rb.data()[o], e.aux));
                    o += l;
                }
                assert_eq!((e.family, e.lo), (4, 0x7f00_0001));
            }
        }
        got
    }

    #[test]
    fn sendmmsg_with_gso_and_recvmmsg_with_gro_on_loopback() {
        let (rx, port) = socket(false);
        let (tx, _) = socket(false);
        gro_on(rx);
        let mut sb = Batch::new(1 << 20, 256);
        let mut rb = Batch::new(64 * REGION, 64);
        // 100 full segments, a short one (ends a GSO run), then 3 more full: 4 GSO messages at most.
        let mut sizes = vec![1200; 100];
        sizes.push(700);
        sizes.extend([1200; 3]);
        fill(&mut sb, &sizes, port, 4, 0, 0x7f00_0001);
        let r = send(tx, &mut sb, sizes.len(), false, true);
        assert_eq!(r & 0xffff_ffff, sizes.len() as i64, "all sent: {r:x}");
        assert_eq!(r >> 32, 0);
        let got = drain(rx, &mut rb, sizes.len());
        assert_eq!(got.len(), sizes.len());
        for (i, (l, first, _)) in got.iter().enumerate() {
            assert_eq!((*l, *first), (sizes[i], i as u8), "datagram {i}");
        }
        assert!(got.iter().any(|g| g.2 > 0), "GRO coalesced nothing");
        // Without GSO the same datagrams arrive the same way.
        let r = send(tx, &mut sb, sizes.len(), false, false);
        assert_eq!(r & 0xffff_ffff, sizes.len() as i64);
        assert_eq!(drain(rx, &mut rb, sizes.len()).len(), sizes.len());
        unsafe {
            libc::close(rx);
            libc::close(tx);
        }
    }

    #[test]
    fn bad_entries_are_counted_not_sent_and_recv_times_out() {
        let (rx, port) = socket(false);
        let (tx, _) = socket(false);
        let mut sb = Batch::new(4096, 8);
        fill(&mut sb, &[100, 100, 100], port, 4, 0, 0x7f00_0001);
        sb.entries_mut()[1].off = 4090; // outside the arena
        sb.entries_mut()[2].family = 6; // IPv6 on an IPv4 socket
        let r = send(tx, &mut sb, 3, false, true);
        assert_eq!((r & 0xffff_ffff, r >> 32), (1, 2));
        let mut rb = Batch::new(2 * REGION, 2);
        assert_eq!(recv(rx, &mut rb, 2, 50), 1);
        assert_eq!(recv(rx, &mut rb, 2, 20), 0); // nothing more: timeout
        assert!(recv(-1, &mut rb, 2, 0) < 0);
        unsafe {
            libc::close(rx);
            libc::close(tx);
        }
    }

    #[test]
    fn dual_stack_socket_reports_ipv4_and_sends_to_it() {
        let (rx4, port4) = socket(false);
        let fd6 = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0) };
        assert!(fd6 >= 0);
        let mut sb = Batch::new(4096, 4);
        fill(&mut sb, &[64], port4, 4, 0, 0x7f00_0001);
        assert_eq!(send(fd6, &mut sb, 1, true, true) & 0xffff_ffff, 1);
        let mut rb = Batch::new(REGION, 1);
        assert_eq!(recv(rx4, &mut rb, 1, 500), 1);
        assert_eq!(rb.entries()[0].len, 64);
        let mut sa = unsafe { std::mem::zeroed() };
        assert!(sockaddr_for(6, 1, 0, 1, false, &mut sa).is_none());
        let mut e = Entry::default();
        sockaddr_for(4, 51820, 0, 0x0a00_0002, true, &mut sa).unwrap();
        entry_from_sockaddr(&sa, &mut e);
        assert_eq!((e.family, e.port, e.lo), (4, 51820, 0x0a00_0002));
        unsafe {
            libc::close(rx4);
            libc::close(fd6);
        }
    }
}
