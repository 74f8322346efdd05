package io.wirecage.srv.it.containers;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key=value output of {@code wirecagesrv status}: device lines (interface=, counter.NAME=) before
 * the first {@code peer=<key>} line, then one block per peer (endpoint=, handshakes=, rx_bytes=, ...).
 */
record Status(Map<String, String> device, Map<String, Map<String, String>> peers, String raw) {

    static Status parse(String text) {
        Map<String, String> device = new LinkedHashMap<>();
        Map<String, Map<String, String>> peers = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : text.split("\n")) {
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
        return new Status(device, peers, text);
    }

    long counter(String name) {
        String v = device.get("counter." + name);
        if (v == null) {
            throw new AssertionError("status has no counter." + name + "; status output:\n" + raw);
        }
        return Long.parseLong(v);
    }

    String peerField(String publicKey, String field) {
        Map<String, String> p = peers.get(publicKey);
        if (p == null) {
            throw new AssertionError("status has no peer " + publicKey + "; status output:\n" + raw);
        }
        String v = p.get(field);
        if (v == null) {
            throw new AssertionError("status has no " + field + " for peer " + publicKey + "; status output:\n" + raw);
        }
        return v;
    }

    long peerLong(String publicKey, String field) {
        return Long.parseLong(peerField(publicKey, field));
    }

    String endpoint(String publicKey) {
        return peerField(publicKey, "endpoint");
    }
}
