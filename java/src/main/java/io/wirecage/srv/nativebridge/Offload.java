package io.wirecage.srv.nativebridge;

/**
 * Constants of the TUN offloads (mirrors offload.rs, which does the work: TSO split on read, GRO
 * coalescing of TCP segments on write, checksums). Java only configures the device with these.
 */
public final class Offload {
    /** struct virtio_net_hdr in front of every packet on an IFF_VNET_HDR TUN. */
    public static final int VNET_HDR_LEN = 10;
    /** TUNSETOFFLOAD flags: checksum offload and IPv4 TSO (the VPN is IPv4). */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;

    private Offload() {
    }
}
