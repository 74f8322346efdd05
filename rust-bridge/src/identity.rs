//! The server's identity: its static key pair and the one RateLimiter all its tunnels share.
//! `classify` tells the Java side which tunnel an incoming datagram belongs to.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use crate::initiation::read_initiation;
use boringtun::noise::rate_limiter::RateLimiter;
use boringtun::noise::{Packet, Tunn, TunnResult};
use boringtun::x25519::{PublicKey, StaticSecret};
use jni::objects::{JByteArray, JByteBuffer, JClass};
use jni::sys::{jint, jlong};
use jni::JNIEnv;
use zeroize::{Zeroize, Zeroizing};

use crate::boundary::{
    free_handle, from_handle, guard, illegal_argument, into_handle, key_from_java, source_address, with_src_dst,
    BridgeResult,
};
use crate::result::{self, pack, Located};

/// A cookie reply is 64 bytes and a peer key 32: classify's out buffer needs at least this.
pub const MIN_CLASSIFY_OUT: usize = 64;

/// How often one accepted handshake message passes the shared limiter (see `Identity::new`).
pub const PASSES: u64 = 2;

pub struct Identity {
    secret: StaticSecret,
    public: PublicKey,
    rate_limiter: Arc<RateLimiter>,
    /// DH(our static, peer static) of the configured peers, computed when they are configured (as
    /// wireguard-go does), so reading an initiation costs one X25519 instead of two.
    static_shared: RwLock<HashMap<[u8; 32], Zeroizing<[u8; 32]>>>,
}

impl Identity {
    /// `handshakes_per_second`: handshake messages per second (per reset period) before the
    /// server answers with cookies. Each accepted handshake message passes the shared limiter
    /// twice (screen in the receive thread, then the tunnel's own decapsulate re-verifies it:
    /// boringtun offers no public way to skip that), so the limiter is given twice the number.
    pub fn new(mut private: [u8; 32], handshakes_per_second: i32) -> BridgeResult<Identity> {
        if handshakes_per_second < 0 {
            return illegal_argument(format!("handshake rate limit {handshakes_per_second} is negative"));
        }
        let secret = StaticSecret::from(private);
        private.zeroize();
        let public = PublicKey::from(&secret);
        let rate_limiter = Arc::new(RateLimiter::new(&public, PASSES * handshakes_per_second as u64));
        Ok(Identity {
            secret,
            public,
            rate_limiter,
            static_shared: RwLock::new(HashMap::new()),
        })
    }

    pub fn secret(&self) -> &StaticSecret {
        &self.secret
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    pub fn rate_limiter(&self) -> Arc<RateLimiter> {
        Arc::clone(&self.rate_limiter)
    }

    /// Makes `keys` (concatenated 32-byte public keys) the configured peers: their static-static DH is
    /// computed now for the keys that are new, dropped (zeroized) for keys that are gone. One caller
    /// at a time (the Java side serializes updates); lookups go on meanwhile.
    pub fn set_peers(&self, keys: &[u8]) -> BridgeResult<usize> {
        if keys.len() % 32 != 0 {
            return illegal_argument(format!("peer keys: {} bytes is not a multiple of 32", keys.len()));
        }
        let current = self.static_shared.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut next = HashMap::with_capacity(keys.len() / 32);
        for k in keys.chunks_exact(32) {
            let key: [u8; 32] = k.try_into().expect("32-byte chunk");
            let shared = match current.get(&key) {
                Some(s) => s.clone(),
                None => Zeroizing::new(self.secret.diffie_hellman(&PublicKey::from(key)).to_bytes()),
            };
            next.insert(key, shared);
        }
        let n = next.len();
        *self.static_shared.write().unwrap_or_else(|e| e.into_inner()) = next;
        Ok(n)
    }

    fn known_static_shared(&self, peer: &[u8; 32]) -> Option<Zeroizing<[u8; 32]>> {
        self.static_shared.read().unwrap_or_else(|e| e.into_inner()).get(peer).cloned()
    }

    /// Needs to run about once a second: tunnels sharing a limiter never reset it themselves.
    pub fn reset_rate_limiter(&self) {
        self.rate_limiter.reset_count();
    }

    /// The cheap first look at a handshake message, before a worker spends X25519 on it: boringtun's
    /// limiter checks mac1, counts the message and, while the count is over the limit, checks mac2 or
    /// writes a cookie reply. DONE: hand it on; WRITE_TO_NETWORK: send the cookie reply in
    /// out[0..len] back and drop the message; negative: drop it.
    pub fn screen(&self, src_addr: Option<IpAddr>, datagram: &[u8], out: &mut [u8]) -> BridgeResult<i64> {
        if out.len() < MIN_CLASSIFY_OUT {
            return illegal_argument(format!("out buffer capacity {} < {MIN_CLASSIFY_OUT}", out.len()));
        }
        let base = out.as_ptr();
        let out_len = out.len();
        let located = match self.rate_limiter.verify_packet(src_addr, datagram, &mut *out) {
            Ok(_) => return Ok(pack(result::DONE, 0)),
            Err(TunnResult::WriteToNetwork(cookie)) => {
                Located::of_slice(result::WRITE_TO_NETWORK, base, out_len, cookie)
            }
            Err(TunnResult::Err(e)) => Located::code_only(result::error_code(&e)),
            Err(_) => Located::code_only(result::ERR_OTHER),
        };
        Ok(located.finish(out))
    }

    /// Says where a datagram that passed `screen` goes (no MAC check and no count here: screen
    /// did both): HANDSHAKE_INIT (peer key in out[0..32], its TAI64N timestamp in out[32..44]),
    /// BY_INDEX (len = 24-bit tunnel index), or a negative code.
    pub fn classify(&self, datagram: &[u8], out: &mut [u8]) -> BridgeResult<i64> {
        if out.len() < MIN_CLASSIFY_OUT {
            return illegal_argument(format!("out buffer capacity {} < {MIN_CLASSIFY_OUT}", out.len()));
        }
        Ok(match Tunn::parse_incoming_packet(datagram) {
            Ok(Packet::HandshakeInit(_)) => match read_initiation(&self.secret, &self.public, datagram, |k| {
                self.known_static_shared(k)
            }) {
                Some((peer_static, timestamp)) => {
                    out[..32].copy_from_slice(&peer_static);
                    out[32..44].copy_from_slice(&timestamp);
                    pack(result::HANDSHAKE_INIT, 44)
                }
                None => result::error(result::ERR_UNKNOWN_PEER),
            },
            Ok(Packet::HandshakeResponse(p)) => by_index(p.receiver_idx),
            Ok(Packet::PacketCookieReply(p)) => by_index(p.receiver_idx),
            Ok(Packet::PacketData(p)) => by_index(p.receiver_idx),
            Err(e) => result::error(result::error_code(&e)),
        })
    }
}

/// Receiver indices are (24-bit tunnel index << 8) | 8-bit session counter.
fn by_index(receiver_idx: u32) -> i64 {
    pack(result::BY_INDEX, (receiver_idx >> 8) as usize)
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Identity_create0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    private_key: JByteArray<'local>,
    handshakes_per_second: jint,
) -> jlong {
    guard(&mut env, 0, |env| {
        let private = key_from_java(env, &private_key, "private key")?;
        Ok(into_handle(Identity::new(private, handshakes_per_second)?))
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Identity_classify0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    src: JByteBuffer<'local>,
    off: jint,
    len: jint,
    out: JByteBuffer<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        // SAFETY: the Java owner keeps the handle alive for the call (reachabilityFence).
        let identity = unsafe { from_handle::<Identity>(h, "identity") }?;
        with_src_dst(env, &src, off, len, &out, |datagram, out| identity.classify(datagram, out))
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Identity_screen0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    src: JByteBuffer<'local>,
    off: jint,
    len: jint,
    src_hi: jlong,
    src_lo: jlong,
    src_family: jint,
    out: JByteBuffer<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        // SAFETY: the Java owner keeps the handle alive for the call (reachabilityFence).
        let identity = unsafe { from_handle::<Identity>(h, "identity") }?;
        let addr = source_address(src_hi, src_lo, src_family)?;
        with_src_dst(env, &src, off, len, &out, |datagram, out| identity.screen(addr, datagram, out))
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Identity_setPeers0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    keys: JByteArray<'local>,
) -> jint {
    guard(&mut env, 0, |env| {
        // SAFETY: as in classify0.
        let identity = unsafe { from_handle::<Identity>(h, "identity") }?;
        let bytes = env.convert_byte_array(&keys)?;
        Ok(identity.set_peers(&bytes)? as jint)
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Identity_resetRateLimiter0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: as in classify0.
        let identity = unsafe { from_handle::<Identity>(h, "identity") }?;
        identity.reset_rate_limiter();
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Identity_free0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: called once, from the Cleaner, when the Java object is unreachable.
        unsafe { free_handle::<Identity>(h) };
        Ok(())
    })
}
