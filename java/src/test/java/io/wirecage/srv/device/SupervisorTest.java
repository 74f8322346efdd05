package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.nativebridge.Identity;
import io.wirecage.srv.nativebridge.Keys;
import io.wirecage.srv.nativebridge.NativePanicException;
import io.wirecage.srv.nativebridge.Tunnel;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * No data-path thread dies silently (issue 9, defect 3): a step that throws is counted and the loop
 * goes on; a tunnel poisoned by a native panic is replaced; an Error stops the server with a reason.
 */
class SupervisorTest {
    private final Device device = new Device(Identity.create(Keys.generatePrivateKey(), 100), null, null);

    @Test
    void anUnexpectedExceptionIsCountedAndTheLoopGoesOn() {
        device.markRunningForTest(true);
        Supervisor s = new Supervisor(device, "test");
        int[] steps = {0};
        s.loop(() -> {
            steps[0]++;
            if (steps[0] <= 3) {
                throw new IllegalArgumentException("boom " + steps[0]); // not the ISE of a removed peer
            }
            return steps[0] < 5;
        });
        assertThat(steps[0]).isEqualTo(5);
        assertThat(device.counters().snapshot()).containsEntry("internal_errors", 3L);
        assertThat(device.failure()).isNotDone();
    }

    @Test
    void aNativePanicDiscardsThePeersTunnelAndTheNextHandshakeGetsAFreshOne() {
        device.markRunningForTest(true);
        device.updatePeers(List.of(new PeerSettings("p", Base64Key.of(Keys.publicKey(Keys.generatePrivateKey())),
                List.of(Ipv4Prefix.parseNetwork("10.0.0.2/32")), null, 0)));
        Peer peer = device.peers().all().get(0);
        Tunnel poisoned = peer.activeTunnel();
        Supervisor s = new Supervisor(device, "test");
        int[] steps = {0};
        s.loop(() -> {
            if (steps[0]++ == 0) {
                s.current = peer;
                throw new NativePanicException("panic in the bridge");
            }
            return false;
        });
        assertThat(peer.tunnel()).as("the poisoned tunnel is gone").isNull();
        assertThatThrownBy(() -> poisoned.updateTimers(ByteBuffer.allocateDirect(256))).isInstanceOf(IllegalStateException.class);
        assertThat(peer.activeTunnel()).isNotNull().isNotSameAs(poisoned);
        assertThat(device.counters().snapshot()).containsEntry("tunnels_discarded", 1L).containsEntry("internal_errors", 1L);
    }

    @Test
    void anErrorFailsTheDeviceSoTheProcessExitsNonZero() {
        device.markRunningForTest(true);
        OutOfMemoryError oom = new OutOfMemoryError("test");
        new Supervisor(device, "test").loop(() -> {
            throw oom;
        });
        assertThat(device.failure()).isCompletedWithValue(oom);
    }

    @Test
    void backoffDoublesAndResetsAndLogsAreRateLimited() throws Exception {
        Supervisor.Backoff b = new Supervisor.Backoff();
        b.failed();
        b.failed();
        b.failed();
        assertThat(b.currentMillis()).isEqualTo(4);
        b.succeeded();
        assertThat(b.currentMillis()).isZero();

        Supervisor.RateLimitedLog log = new Supervisor.RateLimitedLog(60_000_000_000L);
        assertThat(log.tryLog()).isZero();
        assertThat(log.tryLog()).isEqualTo(-1);
        assertThat(log.tryLog()).isEqualTo(-1);
        Supervisor.RateLimitedLog fast = new Supervisor.RateLimitedLog(0);
        assertThat(fast.tryLog()).isZero();
        assertThat(fast.tryLog()).isZero();
    }
}
