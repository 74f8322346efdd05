package io.wirecage.srv.it;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key=value output of {@code wirecagesrv status}: device lines (interface=, public_key=,
 * listen_port=, counter.NAME=) before the first {@code peer=<key>} line, then one block per peer.
 */
public record ServerStatus(Map<String, String> device, Map<String, Map<String, String>> peers, String raw) {

    public static ServerStatus parse(String text) {
        Map<String, String> device = new LinkedHashMap<>();
        Map<String, Map<String, String>> peers = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : Cmd.nonBlankLines(text)) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (key.equals("peer")) {
                current = new LinkedHashMap<>();
                peers.put(value, current);
            } else if (current == null) {
                device.put(key, value);
            } else {
                current.put(key, value);
            }
        }
        return new ServerStatus(device, peers, text);
    }

    /** A device-wide counter {@code counter.<name>}; fails with the whole status if absent. */
    public long counter(String name) {
        String v = device.get("counter." + name);
        if (v == null) {
            throw new AssertionError("status has no counter." + name + "; status output:\n" + raw);
        }
        return Long.parseLong(v);
    }

    public Map<String, String> peer(String publicKey) {
        Map<String, String> p = peers.get(publicKey);
        if (p == null) {
            throw new AssertionError("status has no peer " + publicKey + "; status output:\n" + raw);
        }
        return p;
    }

    public String peerField(String publicKey, String field) {
        String v = peer(publicKey).get(field);
        if (v == null) {
            throw new AssertionError("status has no " + field + " for peer " + publicKey + "; status output:\n" + raw);
        }
        return v;
    }

    public long peerLong(String publicKey, String field) {
        return Long.parseLong(peerField(publicKey, field));
    }

    public String endpoint(String publicKey) {
        return peerField(publicKey, "endpoint");
    }
}
