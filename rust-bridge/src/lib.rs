//! JNI bridge between the wirecagesrv Java server and boringtun's WireGuard protocol engine.
//!
//! Java owns the sockets and the TUN device (creation, configuration, closing); for batch syscalls
//! that NIO lacks, udpio/tunio borrow the file descriptors Java passes in.
//! Each module is one concern and has one Java twin in io.wirecage.srv.nativebridge:
//! boundary (NativePanicException + argument checks), result (TunnelResult), keys (Keys),
//! identity (Identity), tunnel (Tunnel); the fast data path: batch (Batch: packets in native
//! memory), udpio (UdpIo: recvmmsg/sendmmsg with GRO/GSO), tunio (TunIo: TUN reads and writes with
//! a virtio header), offload (Offload: TSO split and GRO coalescing of TCP segments). The core of each module is plain Rust over slices,
//! so `cargo test` covers it without a JVM; the `extern "system"` functions are thin wrappers.
//!
//! No JNI_OnLoad: the functions are found by their mangled names and need no cached state.

pub mod batch;
pub mod boundary;
pub mod identity;
pub mod initiation;
pub mod keys;
pub mod offload;
pub mod result;
pub mod sockfilter;
pub mod tunio;
pub mod tunnel;
pub mod udpio;

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
