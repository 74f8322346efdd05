package io.wirecage.srv.device;

import io.wirecage.srv.nativebridge.SocketFilter;
import io.wirecage.srv.nativebridge.SourceAddress;
import io.wirecage.srv.nativebridge.UdpIo;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the kernel drops before the receive thread sees it ({@link SocketFilter}): datagrams that cannot
 * be a WireGuard message for this server, and for {@value #BLOCK_MILLIS} ms the handshake messages
 * (never the data) of a source address that flooded past its handshake budget while the server was
 * under load. Either way the datagram costs no copy, no wake-up and no receive-queue space that legit
 * data needs. The receive thread's own checks stay: this is only a cheaper first cut.
 *
 * <p>A peer update raises the index limit before it publishes a table with new indexes
 * ({@link #indexLimit}); the receive thread blocks sources ({@link #block}) and installs its changes
 * ({@link #maintain}), at most every {@value #MIN_INSTALL_MILLIS} ms. Installs replace the filter
 * atomically; one that fails keeps the previous filter and is logged once.
 */
final class KernelScreen {
    private static final Logger log = LoggerFactory.getLogger(KernelScreen.class);
    static final long BLOCK_MILLIS = 5000;
    static final long MIN_INSTALL_MILLIS = 20;
    private static final long BLOCK_NANOS = BLOCK_MILLIS * 1_000_000;
    private static final long MIN_INSTALL_NANOS = MIN_INSTALL_MILLIS * 1_000_000;
    private static final int MAX = SocketFilter.MAX_BLOCKED;

    private final int fd;
    private int indexLimit = 1; // guarded by this
    private int[] blocked4 = {}; // guarded by this
    private int[] blocked6 = {}; // guarded by this
    private boolean failureLogged; // guarded by this

    // receive thread only: the blocked sources and until when
    private final int[] family = new int[2 * MAX];
    private final long[] hi = new long[2 * MAX];
    private final long[] lo = new long[2 * MAX];
    private final long[] until = new long[2 * MAX];
    private int count;
    private int count4;
    private boolean changed;
    private long lastInstall;

    KernelScreen(int fd) {
        this.fd = fd;
        install();
    }

    /** Peer indexes in use are 1..limit-1 (call before publishing a table that uses new ones). */
    synchronized void indexLimit(int limit) {
        if (limit != indexLimit) {
            indexLimit = limit;
            install();
        }
    }

    /**
     * Receive thread: this source went over its handshake budget; the kernel drops its handshakes for a
     * while (an IPv6 source: its whole /64, as the budget counts it).
     */
    void block(int fam, long h, long l, long now) {
        l = SourceBudget.sourceKeyLo(fam, l);
        for (int i = 0; i < count; i++) {
            if (family[i] == fam && hi[i] == h && lo[i] == l) {
                return; // blocked already: these are datagrams queued before the filter had it
            }
        }
        boolean v4 = fam == SourceAddress.IPV4;
        if (v4 ? count4 == MAX : count - count4 == MAX) {
            return; // full: the budget in the receive thread still applies to the rest
        }
        family[count] = fam;
        hi[count] = h;
        lo[count] = l;
        until[count] = now + BLOCK_NANOS;
        count++;
        count4 += v4 ? 1 : 0;
        changed = true;
        maintain(now);
    }

    /** Receive thread, after every batch or timeout: lifts expired blocks and installs changes. */
    void maintain(long now) {
        if (count == 0 || now - lastInstall < MIN_INSTALL_NANOS) {
            return;
        }
        for (int i = count - 1; i >= 0; i--) {
            if (until[i] - now <= 0) {
                count4 -= family[i] == SourceAddress.IPV4 ? 1 : 0;
                count--;
                family[i] = family[count];
                hi[i] = hi[count];
                lo[i] = lo[count];
                until[i] = until[count];
                changed = true;
            }
        }
        if (!changed) {
            return;
        }
        changed = false;
        lastInstall = now;
        int[] v4 = new int[count4];
        int[] v6 = new int[2 * (count - count4)];
        for (int i = 0, a = 0, b = 0; i < count; i++) {
            if (family[i] == SourceAddress.IPV4) {
                v4[a++] = (int) lo[i];
            } else {
                v6[b++] = (int) (hi[i] >>> 32); // the /64 prefix
                v6[b++] = (int) hi[i];
            }
        }
        blocked(v4, v6);
    }

    private synchronized void blocked(int[] v4, int[] v6) {
        blocked4 = v4;
        blocked6 = v6;
        install();
    }

    /** Sources blocked right now (receive thread's view), for tests. */
    int blockedCount() {
        return count;
    }

    /** Datagrams the kernel dropped for the socket: the filter's and any that found the receive buffer full. */
    long kernelDrops() {
        long r = SocketFilter.kernelDrops(fd);
        return Math.max(0, r);
    }

    private synchronized void install() {
        long r = SocketFilter.attach(fd, indexLimit, blocked4, blocked6);
        if (r < 0 && !failureLogged) {
            failureLogged = true;
            log.warn("cannot install the socket filter ({}): malformed datagrams are dropped by the receive thread instead",
                    UdpIo.describe((int) -r));
        } else if (r == 0 && log.isDebugEnabled()) {
            log.debug("socket filter: index limit {}, blocked {}", indexLimit, Arrays.toString(blocked4));
        }
    }
}
