package io.wirecage.srv.nativebridge;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Packets in native memory (mirrors batch.rs): an arena of packet bytes and a table of 32-byte
 * entries, both visible to Java as direct ByteBuffers, handed to native calls as one handle so no
 * call looks up buffer addresses. Owned by one thread; {@link #close()} frees the memory, after
 * which the views must not be touched (the owning thread closes it when it stops).
 *
 * <p>Entry i (in {@link #entries()}, little-endian) at byte i * {@value #ENTRY_SIZE}: off int,
 * len int, family short (0, 4, 6), port short (unsigned), aux int, hi long, lo long; the address
 * is in {@link SourceAddress}'s (hi, lo, family) form.
 */
public final class Batch implements AutoCloseable {
    public static final int ENTRY_SIZE = 32;
    /** Arena offsets are kept at multiples of this (see {@link #align}). */
    public static final int ALIGN = 16;
    public static final int OFF = 0;
    public static final int LEN = 4;
    public static final int FAMILY = 8;
    public static final int PORT = 10;
    public static final int AUX = 12;
    public static final int HI = 16;
    public static final int LO = 24;

    static {
        NativeLibrary.ensureAvailable();
    }

    private long handle;
    private final ByteBuffer data;
    private final ByteBuffer entries;
    private final int capacity;
    private final int maxEntries;

    public Batch(int dataCapacity, int entryCapacity) {
        handle = create0(dataCapacity, entryCapacity);
        data = ((ByteBuffer) view0(handle, 0)).order(ByteOrder.BIG_ENDIAN); // packet headers are big-endian
        entries = ((ByteBuffer) view0(handle, 1)).order(ByteOrder.LITTLE_ENDIAN);
        capacity = dataCapacity;
        maxEntries = entryCapacity;
    }

    /** The native handle for calls; 0 after close (native code then throws). */
    public long handle() {
        return handle;
    }

    /** Packet bytes; absolute gets only (position and limit mean nothing here). */
    public ByteBuffer data() {
        return data;
    }

    public ByteBuffer entries() {
        return entries;
    }

    public int capacity() {
        return capacity;
    }

    public int maxEntries() {
        return maxEntries;
    }

    public int off(int i) {
        return entries.getInt(i * ENTRY_SIZE + OFF);
    }

    public int len(int i) {
        return entries.getInt(i * ENTRY_SIZE + LEN);
    }

    public int family(int i) {
        return entries.getShort(i * ENTRY_SIZE + FAMILY);
    }

    public int port(int i) {
        return entries.getShort(i * ENTRY_SIZE + PORT) & 0xffff;
    }

    public int aux(int i) {
        return entries.getInt(i * ENTRY_SIZE + AUX);
    }

    public long hi(int i) {
        return entries.getLong(i * ENTRY_SIZE + HI);
    }

    public long lo(int i) {
        return entries.getLong(i * ENTRY_SIZE + LO);
    }

    /** Sets entry i: a packet at [off, off+len) and the UDP address it goes to. */
    public void set(int i, int off, int len, int family, int port, long hi, long lo) {
        int b = i * ENTRY_SIZE;
        entries.putInt(b + OFF, off);
        entries.putInt(b + LEN, len);
        entries.putShort(b + FAMILY, (short) family);
        entries.putShort(b + PORT, (short) port);
        entries.putInt(b + AUX, 0);
        entries.putLong(b + HI, hi);
        entries.putLong(b + LO, lo);
    }

    /** The next free arena offset after a packet at off of len bytes. */
    public static int align(int offPlusLen) {
        return (offPlusLen + ALIGN - 1) & -ALIGN;
    }

    @Override
    public void close() {
        long h = handle;
        handle = 0;
        if (h != 0) {
            free0(h);
        }
    }

    static native long create0(int dataCapacity, int entryCapacity);

    static native Object view0(long handle, int which);

    static native void free0(long handle);
}
