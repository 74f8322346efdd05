package io.wirecage.srv.router;

import io.wirecage.srv.config.Ipv4Prefix;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The iptables rules that let VPN clients reach the outside world: MASQUERADE of the VPN subnet out of
 * the outbound interface, FORWARD accepts for the TUN, and an MSS clamp so TCP through the tunnel does
 * not depend on PMTU discovery. Every rule carries the comment {@code wirecagesrv:<tun>}, which is how
 * {@link #removeAll()} finds exactly this instance's rules, also the leftovers of a crashed run
 * (the approach of Tailscale's wgengine/router).
 */
public final class Firewall {
    private final CommandRunner runner;
    private final String iptables;
    private final String tag;
    private final List<Rule> rules;

    /** A rule: its table, chain, whether it goes first in the chain, and its match and target. */
    record Rule(String table, String chain, boolean first, List<String> spec) {}

    public Firewall(CommandRunner runner, String iptables, String tunName, Ipv4Prefix subnet, String outboundInterface) {
        this.runner = runner;
        this.iptables = iptables;
        this.tag = tagFor(tunName);
        String net = subnet.toString();
        // FORWARD rules go first: Docker and distributions often set the FORWARD policy to DROP.
        this.rules = List.of(
                new Rule("nat", "POSTROUTING", false,
                        List.of("-s", net, "-o", outboundInterface, "-j", "MASQUERADE")),
                new Rule("filter", "FORWARD", true,
                        List.of("-i", tunName, "-j", "ACCEPT")),
                new Rule("filter", "FORWARD", true,
                        List.of("-o", tunName, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")),
                new Rule("mangle", "FORWARD", true,
                        List.of("-o", tunName, "-p", "tcp", "--tcp-flags", "SYN,RST", "SYN",
                                "-j", "TCPMSS", "--clamp-mss-to-pmtu")));
    }

    public static String tagFor(String tunName) {
        return "wirecagesrv:" + tunName;
    }

    /** Fails with one clear line when iptables cannot be run. */
    public void checkAvailable() throws IOException {
        CommandRunner.Result r;
        try {
            r = runner.run(List.of(iptables, "--version"));
        } catch (IOException e) {
            throw new IOException("iptables not found (install the iptables package; looked for '" + iptables + "')", e);
        }
        if (!r.ok()) {
            throw new IOException("iptables does not work here: " + r.output().strip());
        }
    }

    /** Removes leftovers of an earlier run, then adds this instance's rules. */
    public void install() throws IOException {
        removeAll();
        for (Rule rule : rules) {
            List<String> argv = new ArrayList<>(List.of(iptables, "-w", "5", "-t", rule.table()));
            if (rule.first()) {
                argv.addAll(List.of("-I", rule.chain(), "1"));
            } else {
                argv.addAll(List.of("-A", rule.chain()));
            }
            argv.addAll(rule.spec());
            argv.addAll(List.of("-m", "comment", "--comment", tag));
            runner.check(argv);
        }
    }

    /**
     * Deletes every rule tagged with this instance's comment, in all tables, and returns how many.
     * Idempotent: with nothing left it does nothing.
     */
    public int removeAll() throws IOException {
        int removed = 0;
        for (String table : List.of("nat", "filter", "mangle")) {
            CommandRunner.Result listing = runner.run(List.of(iptables, "-w", "5", "-t", table, "-S"));
            if (!listing.ok()) {
                continue; // table not available in this kernel: nothing of ours can be there
            }
            for (String line : listing.output().split("\n")) {
                List<String> words = Arrays.asList(line.strip().split("\\s+"));
                if (words.size() < 2 || !words.get(0).equals("-A") || !hasOurTag(words)) {
                    continue;
                }
                List<String> argv = new ArrayList<>(List.of(iptables, "-w", "5", "-t", table, "-D"));
                // -S quotes some words ("wirecagesrv:wg0"); as argv they must be passed bare
                words.subList(1, words.size()).forEach(w -> argv.add(unquote(w)));
                runner.check(argv);
                removed++;
            }
        }
        return removed;
    }

    private boolean hasOurTag(List<String> words) {
        for (int i = 0; i + 1 < words.size(); i++) {
            if (words.get(i).equals("--comment") && unquote(words.get(i + 1)).equals(tag)) {
                return true;
            }
        }
        return false;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }

    List<Rule> rules() {
        return rules;
    }
}
