package io.wirecage.srv.config;

import java.util.Collection;

/** Picks the next free host address of the subnet for a new peer: never the server's, never a taken one. */
public final class AddressPool {
    private AddressPool() {}

    public static Ipv4Prefix nextFree(Ipv4Prefix subnet, int serverAddress, Collection<Ipv4Prefix> taken) {
        long first = (subnet.network() & 0xffffffffL) + 1;
        long last = (subnet.network() & 0xffffffffL) + subnet.size() - 2; // skip the broadcast address
        for (long a = first; a <= last; a++) {
            int ip = (int) a;
            if (ip == serverAddress || isTaken(ip, taken)) {
                continue;
            }
            return new Ipv4Prefix(ip, 32);
        }
        throw new IllegalArgumentException("the subnet " + subnet + " has no free address left for a new peer");
    }

    private static boolean isTaken(int ip, Collection<Ipv4Prefix> taken) {
        for (Ipv4Prefix p : taken) {
            if (p.contains(ip)) {
                return true;
            }
        }
        return false;
    }
}
