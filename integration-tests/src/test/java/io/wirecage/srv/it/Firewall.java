package io.wirecage.srv.it;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the packet-filter rules of a namespace that carry a tag in their comment, from every
 * iptables flavour (nft-backed and legacy, IPv4 and IPv6), each line prefixed with the tool and
 * table so that equal rules in different tables stay distinct.
 */
public final class Firewall {

    private static final List<String> SAVE_TOOLS =
            List.of("iptables-save", "ip6tables-save", "iptables-legacy-save", "ip6tables-legacy-save");

    private Firewall() {
    }

    public static List<String> taggedRules(Netns ns, String tag) {
        List<String> rules = new ArrayList<>();
        for (String tool : SAVE_TOOLS) {
            if (Require.which(tool) == null) {
                continue;
            }
            Cmd.Result r = ns.tryExec(tool);
            if (!r.ok()) {
                continue;
            }
            String table = "?";
            for (String line : r.stdoutLines()) {
                if (line.startsWith("*")) {
                    table = line.substring(1);
                } else if (line.contains(tag)) {
                    rules.add(tool + " " + table + ": " + line);
                }
            }
        }
        return rules;
    }

    /** Lines of `nft list ruleset` that contain the tag (catches rules added with nft directly). */
    public static List<String> taggedNftLines(Netns ns, String tag) {
        List<String> lines = new ArrayList<>();
        if (Require.which("nft") == null) {
            return lines;
        }
        Cmd.Result r = ns.tryExec("nft", "list", "ruleset");
        for (String line : r.stdoutLines()) {
            if (line.contains(tag)) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Everything the namespace's firewall holds, for failure messages. */
    public static String dump(Netns ns) {
        return ns.tryExec("iptables-save").output();
    }
}
