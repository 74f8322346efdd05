package io.wirecage.srv.device;

/**
 * A handshake worker: takes control messages from the {@link HandshakeQueue} (proven sources first)
 * and completes them with {@link Handshakes}, so the X25519 work of handshakes runs beside the receive
 * thread instead of in it. The device runs one per core, as wireguard-go does.
 */
final class HandshakeWorker implements Runnable {
    private final Device device;
    private final HandshakeQueue queue;
    private final Supervisor supervisor;
    private final Handshakes handshakes;

    HandshakeWorker(Device device, HandshakeQueue queue, String name) {
        this.device = device;
        this.queue = queue;
        this.supervisor = new Supervisor(device, name);
        this.handshakes = new Handshakes(device, supervisor);
    }

    @Override
    public void run() {
        supervisor.loop(() -> {
            HandshakeQueue.Slot s;
            try {
                s = queue.take(Messages.POLL_MILLIS);
            } catch (InterruptedException e) {
                return false;
            }
            if (s == null) {
                return true;
            }
            try {
                handshakes.handle(s.data, s.length, Peer.socketAddress(s.family, s.port, s.hi, s.lo), s.family, s.hi, s.lo);
            } catch (IllegalStateException e) {
                device.counters().droppedPeerRemoved.incrementAndGet(); // removed by a reload meanwhile
            } finally {
                queue.release(s);
            }
            return true;
        });
    }
}
