//! JNI bridge between the wirecagesrv Java server and boringtun's WireGuard protocol engine.
//!
//! Java owns all I/O; this crate only transforms packets in caller-supplied direct buffers.
//! Each module is one concern and has one Java twin in io.wirecage.srv.nativebridge:
//! boundary (NativePanicException + argument checks), result (TunnelResult), keys (Keys),
//! identity (Identity), tunnel (Tunnel). The core of each module is plain Rust over slices,
//! so `cargo test` covers it without a JVM; the `extern "system"` functions are thin wrappers.
//!
//! No JNI_OnLoad: the functions are found by their mangled names and need no cached state.

pub mod boundary;
pub mod identity;
pub mod keys;
pub mod result;
pub mod tunnel;

#[cfg(test)]
mod tests;

use jni::objects::{JClass, JString};
use jni::JNIEnv;

/// NativeLibrary.panicForTest0: panics on purpose so tests can prove the boundary turns a panic
/// into NativePanicException instead of aborting the JVM.
#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_NativeLibrary_panicForTest0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    message: JString<'local>,
) {
    boundary::guard(&mut env, (), |env| {
        let msg: String = env.get_string(&message).map(Into::into).unwrap_or_default();
        panic!("{msg}");
    })
}
