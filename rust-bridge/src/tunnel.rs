//! One WireGuard peer: a boringtun `Tunn` behind its own mutex, since the UDP thread
//! (decapsulate) and the TUN thread (encapsulate) may call the same tunnel at once.
//! There is no global lock: tunnels never contend with each other.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use boringtun::noise::Tunn;
use boringtun::x25519::PublicKey;
use jni::objects::{JByteArray, JByteBuffer, JClass, JLongArray};
use jni::sys::{jboolean, jint, jlong, JNI_TRUE};
use jni::JNIEnv;
use zeroize::Zeroize;

use crate::boundary::{
    free_handle, from_handle, guard, illegal_argument, illegal_state, into_handle, key_from_java, source_address,
    with_dst, with_src_dst, BridgeResult,
};
use crate::identity::Identity;
use crate::result::{self, run_on_dst};

/// Every dst must hold a handshake initiation, boringtun's largest control message.
pub const MIN_DST: usize = 148;
/// A data message adds a 16-byte header and a 16-byte tag to the IP packet.
pub const DATA_OVERHEAD: usize = 32;
/// Tunnel indices are 24 bits: boringtun shifts them left by 8 for the session counter.
pub const MAX_INDEX: i32 = 0xFF_FFFF;
/// Number of longs stats() fills.
pub const STATS_LEN: usize = 5;

pub struct TunnelCell {
    tunn: Mutex<Option<Tunn>>,
    /// Largest packet ever given to encapsulate. Without a session boringtun queues packets
    /// and later re-encapsulates them during drain, where a too-small dst would make it panic
    /// (and lose the packet), so drain checks its dst against this. Written under the lock.
    max_src: AtomicUsize,
    /// Plaintext is padded to a multiple of 16 bytes but not beyond this (the MTU), as the protocol
    /// asks and boringtun does not do: exact packet sizes would leak. 0 = no padding.
    pad_limit: AtomicUsize,
}

thread_local! {
    /// Where a packet is copied with its zero padding: one buffer per data-path thread, grown once.
    static PADDED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The length a packet of `len` bytes is padded to: the next multiple of 16, capped at `limit` (the
/// MTU) but never shorter than the packet; `len` itself when padding is off or the packet is empty
/// (a keepalive stays empty).
pub fn padded_len(len: usize, limit: usize) -> usize {
    if limit == 0 || len == 0 {
        return len;
    }
    ((len + 15) & !15).min(limit).max(len)
}

impl TunnelCell {
    pub fn new(
        identity: &Identity,
        mut peer_public: [u8; 32],
        preshared: Option<[u8; 32]>,
        persistent_keepalive_seconds: i32,
        index: i32,
    ) -> BridgeResult<TunnelCell> {
        if !(0..=MAX_INDEX).contains(&index) {
            return illegal_argument(format!("tunnel index {index} is not a 24-bit value"));
        }
        let keepalive = match persistent_keepalive_seconds {
            0 => None,
            s if (1..=u16::MAX as i32).contains(&s) => Some(s as u16),
            s => return illegal_argument(format!("persistent keepalive {s} is not in 0..=65535")),
        };
        let peer = PublicKey::from(peer_public);
        peer_public.zeroize();
        let tunn = Tunn::new(
            identity.secret().clone(),
            peer,
            preshared,
            keepalive,
            index as u32,
            Some(identity.rate_limiter()),
        );
        Ok(TunnelCell {
            tunn: Mutex::new(Some(tunn)),
            max_src: AtomicUsize::new(0),
            pad_limit: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> BridgeResult<MutexGuard<'_, Option<Tunn>>> {
        match self.tunn.lock() {
            Ok(g) => Ok(g),
            // A panic while locked may have left the Tunn half-updated: refuse to use it.
            Err(_) => illegal_state("tunnel is unusable after a native panic; close it"),
        }
    }

    pub(crate) fn with_tunn<R>(&self, f: impl FnOnce(&mut Tunn) -> R) -> BridgeResult<R> {
        let mut guard = self.lock()?;
        match guard.as_mut() {
            Some(t) => Ok(f(t)),
            None => illegal_state("tunnel is closed"),
        }
    }

    /// Encrypts one IP packet. dst must hold len + 32 and at least 148 bytes.
    /// Without a session the packet is queued and a handshake initiation may come back instead.
    pub fn encapsulate(&self, src: &[u8], dst: &mut [u8]) -> BridgeResult<i64> {
        let padded = padded_len(src.len(), self.pad_limit.load(Ordering::Relaxed));
        let need = (padded + DATA_OVERHEAD).max(MIN_DST);
        if dst.len() < need {
            return illegal_argument(format!(
                "dst capacity {} < {need} needed to encapsulate {} bytes",
                dst.len(),
                src.len()
            ));
        }
        if padded == src.len() {
            return self.encapsulate_exact(src, dst);
        }
        PADDED.with(|cell| {
            let mut buf = cell.borrow_mut();
            if buf.len() < padded {
                buf.resize(padded.max(1 << 16), 0);
            }
            buf[..src.len()].copy_from_slice(src);
            buf[src.len()..padded].fill(0); // receivers trim the zeros by the IP header's length
            self.encapsulate_exact(&buf[..padded], dst)
        })
    }

    fn encapsulate_exact(&self, src: &[u8], dst: &mut [u8]) -> BridgeResult<i64> {
        self.with_tunn(|t| {
            if src.len() > self.max_src.load(Ordering::Relaxed) {
                self.max_src.store(src.len(), Ordering::Relaxed);
            }
            run_on_dst(dst, |d| t.encapsulate(src, d))
        })
    }

    /// Pads plaintext up to a multiple of 16 bytes, at most `mtu` (0: no padding).
    pub fn set_pad_limit(&self, mtu: usize) {
        self.pad_limit.store(mtu, Ordering::Relaxed);
    }

    /// Handles one datagram from the network. dst must hold len and at least 148 bytes.
    pub fn decapsulate(&self, src_addr: Option<IpAddr>, datagram: &[u8], dst: &mut [u8]) -> BridgeResult<i64> {
        let need = datagram.len().max(MIN_DST);
        if dst.len() < need {
            return illegal_argument(format!(
                "dst capacity {} < {need} needed to decapsulate {} bytes",
                dst.len(),
                datagram.len()
            ));
        }
        if datagram.is_empty() {
            // boringtun reads an empty datagram as "drain the queue"; only drain() does that.
            return Ok(result::error(result::ERR_INVALID_PACKET));
        }
        self.with_tunn(|t| run_on_dst(dst, |d| t.decapsulate(src_addr, datagram, d)))
    }

    /// Sends the next queued packet (WRITE_TO_NETWORK) or returns DONE when none is ready.
    pub fn drain(&self, dst: &mut [u8]) -> BridgeResult<i64> {
        let mut guard = self.lock()?;
        let t = match guard.as_mut() {
            Some(t) => t,
            None => return illegal_state("tunnel is closed"),
        };
        let need = (self.max_src.load(Ordering::Relaxed) + DATA_OVERHEAD).max(MIN_DST);
        if dst.len() < need {
            return illegal_argument(format!(
                "dst capacity {} < {need}: drain may re-encapsulate the largest packet given to encapsulate",
                dst.len()
            ));
        }
        Ok(run_on_dst(dst, |d| t.decapsulate(None, &[], d)))
    }

    pub fn update_timers(&self, dst: &mut [u8]) -> BridgeResult<i64> {
        check_min_dst(dst)?;
        self.with_tunn(|t| run_on_dst(dst, |d| t.update_timers(d)))
    }

    pub fn format_handshake_initiation(&self, dst: &mut [u8], force_resend: bool) -> BridgeResult<i64> {
        check_min_dst(dst)?;
        self.with_tunn(|t| run_on_dst(dst, |d| t.format_handshake_initiation(d, force_resend)))
    }

    /// [ms since last handshake or -1, tx bytes, rx bytes, estimated loss * 1e6, rtt ms or -1]
    pub fn stats(&self) -> BridgeResult<[i64; STATS_LEN]> {
        self.with_tunn(|t| {
            let (since, tx, rx, loss, rtt) = t.stats();
            [
                since.map_or(-1, |d| d.as_millis().min(i64::MAX as u128) as i64),
                tx as i64,
                rx as i64,
                (loss as f64 * 1e6).round() as i64,
                rtt.map_or(-1, i64::from),
            ]
        })
    }

    /// Drops the Tunn (and its keys). Later calls throw "tunnel is closed"; closing twice is fine.
    pub fn close(&self) {
        let mut guard = self.tunn.lock().unwrap_or_else(PoisonError::into_inner);
        *guard = None;
    }
}

fn check_min_dst(dst: &[u8]) -> BridgeResult<()> {
    if dst.len() < MIN_DST {
        return illegal_argument(format!("dst capacity {} < {MIN_DST}", dst.len()));
    }
    Ok(())
}

/// SAFETY of every `from_handle` below: the Java Tunnel keeps itself reachable for the call
/// (reachabilityFence), and its Cleaner calls free0 only once it is unreachable.
fn cell<'a>(h: jlong) -> BridgeResult<&'a TunnelCell> {
    unsafe { from_handle::<TunnelCell>(h, "tunnel") }
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_create0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    identity_handle: jlong,
    peer_public_key: JByteArray<'local>,
    preshared_key: JByteArray<'local>,
    persistent_keepalive_seconds: jint,
    index: jint,
) -> jlong {
    guard(&mut env, 0, |env| {
        // SAFETY: the caller keeps the Identity reachable for the call.
        let identity = unsafe { from_handle::<Identity>(identity_handle, "identity") }?;
        let peer = key_from_java(env, &peer_public_key, "peer public key")?;
        let psk = if preshared_key.as_raw().is_null() {
            None
        } else {
            Some(key_from_java(env, &preshared_key, "preshared key")?)
        };
        let cell = TunnelCell::new(identity, peer, psk, persistent_keepalive_seconds, index)?;
        Ok(into_handle(cell))
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_encapsulate0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    src: JByteBuffer<'local>,
    off: jint,
    len: jint,
    dst: JByteBuffer<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        let c = cell(h)?;
        with_src_dst(env, &src, off, len, &dst, |s, d| c.encapsulate(s, d))
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_decapsulate0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    src_hi: jlong,
    src_lo: jlong,
    src_family: jint,
    src: JByteBuffer<'local>,
    off: jint,
    len: jint,
    dst: JByteBuffer<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        let c = cell(h)?;
        let addr = source_address(src_hi, src_lo, src_family)?;
        with_src_dst(env, &src, off, len, &dst, |s, d| c.decapsulate(addr, s, d))
    })
}

/// The batch forms: src is a packet in one Batch arena, the result goes to another Batch arena at
/// dst_off (Java picks ALIGN-ed offsets); no buffer lookups per packet. Two handles, never one
/// batch for both, so src and dst cannot overlap.
fn with_batches<R>(
    src_batch: jlong,
    off: jint,
    len: jint,
    dst_batch: jlong,
    dst_off: jint,
    f: impl FnOnce(&[u8], &mut [u8]) -> BridgeResult<R>,
) -> BridgeResult<R> {
    if src_batch == dst_batch {
        return illegal_argument("src and dst batch are the same");
    }
    let s = crate::batch::batch(src_batch)?;
    let d = crate::batch::batch(dst_batch)?;
    let r = s.window(off, len)?;
    let dr = d.window(dst_off, 0)?;
    f(&s.data()[r], &mut d.data_mut()[dr.start..])
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_setPadLimit0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    mtu: jint,
) {
    guard(&mut env, (), |_env| {
        if !(0..=65535).contains(&mtu) {
            return illegal_argument(format!("pad limit {mtu} is not in 0..=65535"));
        }
        cell(h)?.set_pad_limit(mtu as usize);
        Ok(())
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_encapsulateBatch0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    src_batch: jlong,
    off: jint,
    len: jint,
    dst_batch: jlong,
    dst_off: jint,
) -> jlong {
    guard(&mut env, 0, |_| {
        let c = cell(h)?;
        with_batches(src_batch, off, len, dst_batch, dst_off, |s, d| c.encapsulate(s, d))
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_decapsulateBatch0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    src_hi: jlong,
    src_lo: jlong,
    src_family: jint,
    src_batch: jlong,
    off: jint,
    len: jint,
    dst_batch: jlong,
    dst_off: jint,
) -> jlong {
    guard(&mut env, 0, |_| {
        let c = cell(h)?;
        let addr = source_address(src_hi, src_lo, src_family)?;
        with_batches(src_batch, off, len, dst_batch, dst_off, |s, d| {
            c.decapsulate(addr, s, d)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_drain0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    dst: JByteBuffer<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        let c = cell(h)?;
        with_dst(env, &dst, |d| c.drain(d))
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_updateTimers0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    dst: JByteBuffer<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        let c = cell(h)?;
        with_dst(env, &dst, |d| c.update_timers(d))
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_formatHandshakeInitiation0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    dst: JByteBuffer<'local>,
    force_resend: jboolean,
) -> jlong {
    guard(&mut env, 0, |env| {
        let c = cell(h)?;
        with_dst(env, &dst, |d| {
            c.format_handshake_initiation(d, force_resend == JNI_TRUE)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_stats0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    out: JLongArray<'local>,
) {
    guard(&mut env, (), |env| {
        let c = cell(h)?;
        if out.as_raw().is_null() {
            return illegal_argument("stats array is null");
        }
        let n = env.get_array_length(&out)?;
        if (n as usize) < STATS_LEN {
            return illegal_argument(format!("stats array length {n} < {STATS_LEN}"));
        }
        let stats = c.stats()?;
        env.set_long_array_region(&out, 0, &stats)?;
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_close0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
) {
    guard(&mut env, (), |_| {
        cell(h)?.close();
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Tunnel_free0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: called once, from the Cleaner, when the Java Tunnel is unreachable.
        unsafe { free_handle::<TunnelCell>(h) };
        Ok(())
    })
}
