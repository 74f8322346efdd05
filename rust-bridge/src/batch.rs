//! A batch of packets in native memory, shared with Java without copies: one data arena and one
//! table of fixed 32-byte entries, both exposed to Java as direct ByteBuffers (Batch.java).
//! Native code owns the memory so packet calls pass a handle instead of buffers, which saves the
//! GetDirectBufferAddress lookups (about 30 ns each) on every packet.
//!
//! Entry layout (little-endian, `Entry`): off u32, len u32, family u16, port u16, aux i32,
//! addr_hi i64, addr_lo i64. off/len locate a packet in the arena; family/port/addr
//! name a UDP peer (the source of a received datagram, the destination of one to send) in the
//! (hi, lo, family) form of boundary::source_address; aux is the GRO segment size of a received
//! message (0 = one datagram, -1 = truncated). Java writes entries too, so native code checks every entry before it follows one.

use jni::objects::{JByteBuffer, JClass};
use jni::sys::{jint, jlong, jobject};
use jni::JNIEnv;

use crate::boundary::{free_handle, from_handle, guard, illegal_argument, into_handle, BridgeResult};

pub const ENTRY_SIZE: usize = 32;
/// Arena offsets Java hands out are aligned to this, so headers can be read with aligned loads.
pub const ALIGN: usize = 16;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub off: u32,
    pub len: u32,
    pub family: u16,
    pub port: u16,
    pub aux: i32,
    pub hi: i64,
    pub lo: i64,
}

const _: () = assert!(std::mem::size_of::<Entry>() == ENTRY_SIZE);

pub struct Batch {
    pub(crate) data: Box<[u8]>,
    pub(crate) entries: Box<[Entry]>,
    /// Per-batch working memory of the I/O calls, reused so no call allocates once warmed up.
    pub(crate) scratch: Scratch,
}

/// Syscall argument arrays and GRO state; grown on first use, then only cleared.
#[derive(Default)]
pub(crate) struct Scratch {
    pub iov: Vec<libc::iovec>,
    pub msgs: Vec<libc::mmsghdr>,
    pub names: Vec<libc::sockaddr_in6>,
    pub cmsgs: Vec<[u64; 4]>,
    /// Which entries each sendmmsg message carries: (first entry, count).
    pub spans: Vec<(u32, u32)>,
    pub gro: crate::offload::Gro,
    /// One TUN read (virtio header + up to 64 KB) before it is split into the arena.
    pub read_buf: Vec<u8>,
    /// A packet read but not yet split because the arena was full: split first next time.
    pub pending: usize,
}

impl Batch {
    pub fn new(data_capacity: usize, entry_capacity: usize) -> Batch {
        Batch {
            data: vec![0u8; data_capacity].into_boxed_slice(),
            entries: vec![Entry::default(); entry_capacity].into_boxed_slice(),
            scratch: Scratch::default(),
        }
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.entries
    }

    /// The first `count` entries, after checking count against the table.
    pub fn used(&self, count: i32) -> BridgeResult<&[Entry]> {
        if count < 0 || count as usize > self.entries.len() {
            return illegal_argument(format!("entry count {count} outside 0..={}", self.entries.len()));
        }
        Ok(&self.entries[..count as usize])
    }

    /// Checked (off, len) window of the arena for packet calls from Java.
    pub fn window(&self, off: i32, len: i32) -> BridgeResult<std::ops::Range<usize>> {
        let (o, l) = crate::boundary::check_range(off, len, self.data.len())?;
        Ok(o..o + l)
    }
}

/// SAFETY of every use: the Java Batch is used by one thread and frees its handle only after that
/// thread stopped using it (Batch.close), and keeps itself reachable for every call.
pub(crate) fn batch<'a>(h: jlong) -> BridgeResult<&'a mut Batch> {
    // Checks for the 0 handle; the pointer itself came from into_handle.
    unsafe { from_handle::<Batch>(h, "batch") }?;
    // SAFETY: one thread owns a batch (see above), so this is the only live reference.
    Ok(unsafe { &mut *(h as *mut Batch) })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Batch_create0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    data_capacity: jint,
    entry_capacity: jint,
) -> jlong {
    guard(&mut env, 0, |_| {
        if !(1..=(256 << 20)).contains(&data_capacity) || !(1..=(1 << 20)).contains(&entry_capacity) {
            return illegal_argument(format!(
                "batch sizes {data_capacity} bytes / {entry_capacity} entries out of range"
            ));
        }
        Ok(into_handle(Batch::new(data_capacity as usize, entry_capacity as usize)))
    })
}

/// A direct ByteBuffer over the arena (which = 0) or the entry table (which = 1).
#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Batch_view0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
    which: jint,
) -> jobject {
    guard(&mut env, std::ptr::null_mut(), |env| {
        let b = batch(h)?;
        let (ptr, len) = match which {
            0 => (b.data.as_mut_ptr(), b.data.len()),
            1 => (b.entries.as_mut_ptr() as *mut u8, b.entries.len() * ENTRY_SIZE),
            _ => return illegal_argument(format!("view {which} is not 0 or 1")),
        };
        // SAFETY: the memory lives until free0, which Batch.close calls after dropping its views.
        let buf: JByteBuffer = unsafe { env.new_direct_byte_buffer(ptr, len) }?;
        Ok(buf.into_raw())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_wirecage_srv_nativebridge_Batch_free0<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    h: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: called once by Batch.close.
        unsafe { free_handle::<Batch>(h) };
        Ok(())
    })
}
