package io.wirecage.srv.ipc;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.PeerSettings;
import io.wirecage.srv.device.Device;
import io.wirecage.srv.nativebridge.Identity;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/** For tests of the UAPI: a real device and peer table (real boringtun identity) without sockets. */
final class DeviceHost implements Uapi.Host {
    final byte[] privateKey;
    final Device device;

    DeviceHost(byte[] privateKey) {
        this.privateKey = privateKey;
        this.device = new Device(Identity.create(privateKey, 100), null, null);
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public Base64Key privateKey() {
        return Base64Key.of(privateKey);
    }

    @Override
    public int listenPort() {
        return 51820;
    }

    @Override
    public String applyPeers(List<PeerSettings> peers, Map<Base64Key, InetSocketAddress> endpoints) {
        try {
            device.updatePeers(peers);
        } catch (RuntimeException e) {
            return e.getMessage();
        }
        endpoints.forEach(device::setEndpoint);
        return null;
    }
}
