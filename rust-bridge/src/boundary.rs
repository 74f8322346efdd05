//! The JNI boundary: every exported function runs inside [`guard`], which turns Rust errors
//! into Java exceptions and catches panics so none ever unwinds into the JVM (that aborts it).
//! Also the direct-buffer and address helpers shared by the exported functions.

use std::any::Any;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::objects::{JByteArray, JByteBuffer};
use jni::JNIEnv;

pub const PANIC_EXCEPTION: &str = "io/wirecage/srv/nativebridge/NativePanicException";
const ILLEGAL_ARGUMENT: &str = "java/lang/IllegalArgumentException";
const ILLEGAL_STATE: &str = "java/lang/IllegalStateException";

/// Why a call failed on the Rust side. Protocol errors are not here: they are result codes.
#[derive(Debug)]
pub enum BridgeError {
    IllegalArgument(String),
    IllegalState(String),
    Panic(String),
    /// A JNI call failed; a Java exception may already be pending.
    Jni(jni::errors::Error),
}

impl From<jni::errors::Error> for BridgeError {
    fn from(e: jni::errors::Error) -> Self {
        BridgeError::Jni(e)
    }
}

pub type BridgeResult<T> = Result<T, BridgeError>;

pub fn illegal_argument<T>(msg: impl Into<String>) -> BridgeResult<T> {
    Err(BridgeError::IllegalArgument(msg.into()))
}

pub fn illegal_state<T>(msg: impl Into<String>) -> BridgeResult<T> {
    Err(BridgeError::IllegalState(msg.into()))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Runs `f`, turning a panic into `BridgeError::Panic`. Plain Rust, so it is unit-testable.
pub fn catch<T>(f: impl FnOnce() -> BridgeResult<T>) -> BridgeResult<T> {
    // AssertUnwindSafe: after a panic the only state we reuse is behind a Mutex, whose
    // poisoning tunnel.rs reports as IllegalStateException.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(BridgeError::Panic(panic_message(payload.as_ref()))),
    }
}

/// Raises `err` as a Java exception (unless one is already pending from a failed JNI call).
pub fn throw(env: &mut JNIEnv, err: BridgeError) {
    if env.exception_check().unwrap_or(true) {
        return;
    }
    let (class, msg) = match err {
        BridgeError::IllegalArgument(m) => (ILLEGAL_ARGUMENT, m),
        BridgeError::IllegalState(m) => (ILLEGAL_STATE, m),
        BridgeError::Panic(m) => (PANIC_EXCEPTION, format!("panic in wirecage_bridge: {m}")),
        BridgeError::Jni(e) => (ILLEGAL_STATE, format!("JNI call failed: {e}")),
    };
    if env.throw_new(class, &msg).is_err() && !env.exception_check().unwrap_or(true) {
        // The exception class itself could not be found: fall back to a JDK class.
        let _ = env.throw_new("java/lang/RuntimeException", msg);
    }
}

/// The wrapper every `extern "system"` function uses. On error a Java exception is pending
/// and `on_error` is returned (the JVM ignores the return value then).
pub fn guard<'local, T>(
    env: &mut JNIEnv<'local>,
    on_error: T,
    f: impl FnOnce(&mut JNIEnv<'local>) -> BridgeResult<T>,
) -> T {
    let r = catch(|| f(&mut *env));
    match r {
        Ok(v) => v,
        Err(e) => {
            // throw() itself must not unwind into the JVM either.
            let _ = catch_unwind(AssertUnwindSafe(|| throw(env, e)));
            on_error
        }
    }
}

/// Checks `0 <= off`, `0 <= len`, `off + len <= capacity`; returns (off, len).
pub fn check_range(off: i32, len: i32, capacity: usize) -> BridgeResult<(usize, usize)> {
    if off < 0 || len < 0 {
        return illegal_argument(format!("negative offset {off} or length {len}"));
    }
    let (o, l) = (off as usize, len as usize);
    if o + l > capacity {
        return illegal_argument(format!(
            "offset {off} + length {len} exceeds buffer capacity {capacity}"
        ));
    }
    Ok((o, l))
}

/// Address and capacity of a direct ByteBuffer. Native code ignores position and limit:
/// the caller passes explicit offsets, results are always written at index 0.
#[derive(Clone, Copy)]
pub struct DirectBuf {
    pub ptr: *mut u8,
    pub capacity: usize,
}

impl DirectBuf {
    pub fn of(env: &JNIEnv, buf: &JByteBuffer, what: &str) -> BridgeResult<DirectBuf> {
        if buf.as_raw().is_null() {
            return illegal_argument(format!("{what} buffer is null"));
        }
        // A heap buffer has no address: the JNI call returns NULL / -1.
        let ptr = match env.get_direct_buffer_address(buf) {
            Ok(p) if !p.is_null() => p,
            _ => return illegal_argument(format!("{what} buffer is not a direct ByteBuffer")),
        };
        let capacity = match env.get_direct_buffer_capacity(buf) {
            Ok(c) => c,
            Err(_) => return illegal_argument(format!("{what} buffer is not a direct ByteBuffer")),
        };
        Ok(DirectBuf { ptr, capacity })
    }

    pub fn range(&self, off: i32, len: i32) -> BridgeResult<(*const u8, usize)> {
        let (o, l) = check_range(off, len, self.capacity)?;
        // SAFETY: o <= capacity, so the pointer stays inside (or one past) the buffer.
        Ok((unsafe { self.ptr.add(o) } as *const u8, l))
    }
}

/// Rejects a src range that overlaps dst: Rust may not hold &[u8] and &mut [u8] to one byte.
pub fn check_disjoint(src: *const u8, src_len: usize, dst: *const u8, dst_len: usize) -> BridgeResult<()> {
    let (s, d) = (src as usize, dst as usize);
    if src_len == 0 || dst_len == 0 || s + src_len <= d || d + dst_len <= s {
        Ok(())
    } else {
        illegal_argument("src range and dst buffer overlap")
    }
}

/// Borrows `src[off..off+len]` and the whole of `dst` for the duration of `f`.
///
/// The Java caller keeps both buffers reachable for the call (they are arguments) and must not
/// touch them from another thread meanwhile.
pub fn with_src_dst<R>(
    env: &JNIEnv,
    src: &JByteBuffer,
    off: i32,
    len: i32,
    dst: &JByteBuffer,
    f: impl FnOnce(&[u8], &mut [u8]) -> BridgeResult<R>,
) -> BridgeResult<R> {
    let s = DirectBuf::of(env, src, "src")?;
    let d = DirectBuf::of(env, dst, "dst")?;
    let (sp, sl) = s.range(off, len)?;
    check_disjoint(sp, sl, d.ptr, d.capacity)?;
    // SAFETY: both ranges lie inside live direct buffers and do not overlap.
    let (src, dst) = unsafe {
        (
            std::slice::from_raw_parts(sp, sl),
            std::slice::from_raw_parts_mut(d.ptr, d.capacity),
        )
    };
    f(src, dst)
}

/// Borrows the whole of `dst` for the duration of `f`.
pub fn with_dst<R>(env: &JNIEnv, dst: &JByteBuffer, f: impl FnOnce(&mut [u8]) -> BridgeResult<R>) -> BridgeResult<R> {
    let d = DirectBuf::of(env, dst, "dst")?;
    // SAFETY: the range is exactly the live direct buffer.
    let dst = unsafe { std::slice::from_raw_parts_mut(d.ptr, d.capacity) };
    f(dst)
}

/// Decodes the (hi, lo, family) form Java uses for a source address without an InetAddress:
/// 0 = none, 4 = IPv4 in the low 32 bits of lo, 6 = IPv6 as two big-endian longs.
pub fn source_address(hi: i64, lo: i64, family: i32) -> BridgeResult<Option<IpAddr>> {
    match family {
        0 => Ok(None),
        4 => Ok(Some(IpAddr::V4(Ipv4Addr::from(lo as u32)))),
        6 => Ok(Some(IpAddr::V6(Ipv6Addr::from(
            ((hi as u64 as u128) << 64) | lo as u64 as u128,
        )))),
        _ => illegal_argument(format!("address family {family} is not 0, 4 or 6")),
    }
}

/// Leaks `value` to a jlong handle owned by a Java object until [`free_handle`].
pub fn into_handle<T>(value: T) -> i64 {
    Box::into_raw(Box::new(value)) as i64
}

/// Borrows the object behind a handle.
///
/// # Safety
/// `h` is 0 or came from [`into_handle::<T>`] and has not been freed; the Java owner frees it
/// only from its Cleaner, when no thread can be inside a call with it.
pub unsafe fn from_handle<'a, T>(h: i64, what: &str) -> BridgeResult<&'a T> {
    if h == 0 {
        return illegal_state(format!("{what} handle is 0"));
    }
    Ok(&*(h as *const T))
}

/// Frees a handle (0 is ignored).
///
/// # Safety
/// As for [`from_handle`]; called exactly once.
pub unsafe fn free_handle<T>(h: i64) {
    if h != 0 {
        drop(Box::from_raw(h as *mut T));
    }
}

/// Copies a Java byte[] that must be exactly 32 bytes long (keys).
pub fn key_from_java(env: &JNIEnv, array: &JByteArray, what: &str) -> BridgeResult<[u8; 32]> {
    if array.as_raw().is_null() {
        return illegal_argument(format!("{what} is null"));
    }
    let len = env.get_array_length(array)?;
    if len != 32 {
        return illegal_argument(format!("{what} must be 32 bytes, got {len}"));
    }
    let mut out = [0u8; 32];
    let mut signed = [0i8; 32];
    env.get_byte_array_region(array, 0, &mut signed)?;
    for (o, s) in out.iter_mut().zip(signed.iter()) {
        *o = *s as u8;
    }
    zeroize::Zeroize::zeroize(&mut signed);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_in_wrapped_closure_becomes_an_error() {
        let r: BridgeResult<i32> = catch(|| panic!("boom {}", 42));
        match r {
            Err(BridgeError::Panic(m)) => assert_eq!(m, "boom 42"),
            other => panic!("expected Panic, got {other:?}"),
        }
        let r: BridgeResult<i32> = catch(|| panic!("static"));
        assert!(matches!(r, Err(BridgeError::Panic(m)) if m == "static"));
        assert!(matches!(catch(|| Ok(7)), Ok(7)));
        assert!(matches!(
            catch::<()>(|| illegal_state("x")),
            Err(BridgeError::IllegalState(_))
        ));
    }

    #[test]
    fn range_checks() {
        assert_eq!(check_range(0, 10, 10).unwrap(), (0, 10));
        assert_eq!(check_range(10, 0, 10).unwrap(), (10, 0));
        assert!(matches!(check_range(-1, 1, 10), Err(BridgeError::IllegalArgument(_))));
        assert!(matches!(check_range(0, -1, 10), Err(BridgeError::IllegalArgument(_))));
        assert!(matches!(check_range(5, 6, 10), Err(BridgeError::IllegalArgument(_))));
        assert!(matches!(
            check_range(i32::MAX, i32::MAX, 10),
            Err(BridgeError::IllegalArgument(_))
        ));
    }

    #[test]
    fn overlap_checks() {
        let buf = [0u8; 100];
        let p = buf.as_ptr();
        assert!(check_disjoint(p, 10, p.wrapping_add(10), 10).is_ok());
        assert!(check_disjoint(p.wrapping_add(10), 10, p, 10).is_ok());
        assert!(check_disjoint(p, 11, p.wrapping_add(10), 10).is_err());
        assert!(check_disjoint(p.wrapping_add(5), 1, p, 100).is_err());
        assert!(check_disjoint(p, 0, p, 100).is_ok());
    }

    #[test]
    fn source_addresses() {
        assert_eq!(source_address(0, 0, 0).unwrap(), None);
        assert_eq!(
            source_address(0, 0xC0A8_0102, 4).unwrap(),
            Some(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2)))
        );
        let v6: Ipv6Addr = "2001:db8::1:2".parse().unwrap();
        let bits = u128::from(v6);
        assert_eq!(
            source_address((bits >> 64) as u64 as i64, bits as u64 as i64, 6).unwrap(),
            Some(IpAddr::V6(v6))
        );
        assert!(source_address(0, 0, 5).is_err());
    }
}
