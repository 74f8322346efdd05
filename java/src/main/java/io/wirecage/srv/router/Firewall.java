package io.wirecage.srv.router;

import io.wirecage.srv.config.Ipv4Prefix;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    private final String tunName;
    private final List<Rule> rules;
    /** The port forwards in place, with their rules, by "protocol/public port". */
    private final Map<String, InstalledForward> forwards = new LinkedHashMap<>();

    /** A rule: its table, chain, whether it goes first in the chain, and its match and target. */
    record Rule(String table, String chain, boolean first, List<String> spec) {}

    /** A port forward as the kernel sees it: public port to an inner address and port. */
    public record Forward(String protocol, int publicPort, int targetAddress, int targetPort) {
        String key() {
            return protocol + "/" + publicPort;
        }

        @Override
        public String toString() {
            return protocol + "/" + publicPort + " -> " + Ipv4Prefix.format(targetAddress) + ":" + targetPort;
        }
    }

    private record InstalledForward(Forward forward, List<Rule> rules) {}

    public Firewall(CommandRunner runner, String iptables, String tunName, Ipv4Prefix subnet, String outboundInterface) {
        this(runner, iptables, tunName, subnet.toString(), outboundInterface);
    }

    /**
     * @param iptables "iptables", or "ip6tables" for the IPv6 subnet: the same rules (NAT66 by MASQUERADE,
     *     FORWARD accepts, MSS clamp) with the same tag, in the IPv6 tables
     * @param net the VPN subnet in CIDR form
     */
    public Firewall(CommandRunner runner, String iptables, String tunName, String net, String outboundInterface) {
        this.runner = runner;
        this.iptables = iptables;
        this.tag = tagFor(tunName);
        this.tunName = tunName;
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
            throw new IOException(iptables + " not found (install the iptables package; looked for '" + iptables + "')", e);
        }
        if (!r.ok()) {
            throw new IOException(iptables + " does not work here: " + r.output().strip());
        }
    }

    /** Removes leftovers of an earlier run, then adds this instance's rules. */
    public void install() throws IOException {
        removeAll();
        for (Rule rule : rules) {
            add(rule);
        }
    }

    private void add(Rule rule) throws IOException {
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

    private void delete(Rule rule) throws IOException {
        List<String> argv = new ArrayList<>(List.of(iptables, "-w", "5", "-t", rule.table(), "-D", rule.chain()));
        argv.addAll(rule.spec());
        argv.addAll(List.of("-m", "comment", "--comment", tag));
        runner.check(argv);
    }

    /**
     * The rules of one forward: DNAT of what arrives for a local address of this host (not from the
     * tunnel) on the public port, and a FORWARD accept for exactly those DNATed connections into the
     * tunnel. No SNAT: the peer sees the caller's real address, and its replies return through the
     * tunnel, where conntrack undoes the DNAT.
     */
    List<Rule> forwardRules(Forward f) {
        String to = Ipv4Prefix.format(f.targetAddress());
        return List.of(
                new Rule("nat", "PREROUTING", false, List.of("!", "-i", tunName, "-m", "addrtype", "--dst-type", "LOCAL",
                        "-p", f.protocol(), "--dport", Integer.toString(f.publicPort()),
                        "-j", "DNAT", "--to-destination", to + ":" + f.targetPort())),
                new Rule("filter", "FORWARD", true, List.of("-o", tunName, "-d", to + "/32", "-p", f.protocol(),
                        "--dport", Integer.toString(f.targetPort()), "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT")));
    }

    /**
     * Makes the installed port forwards exactly {@code wanted}: removes the others, adds the missing ones.
     * Returns a short description of what changed ("" when nothing did).
     */
    public synchronized String applyForwards(Collection<Forward> wanted) throws IOException {
        Map<String, Forward> next = new LinkedHashMap<>();
        wanted.forEach(f -> next.put(f.key(), f));
        List<String> changes = new ArrayList<>();
        for (Iterator<InstalledForward> it = forwards.values().iterator(); it.hasNext(); ) {
            InstalledForward in = it.next();
            if (!in.forward().equals(next.get(in.forward().key()))) {
                for (Rule r : in.rules()) {
                    delete(r);
                }
                it.remove();
                changes.add("-" + in.forward());
            }
        }
        for (Forward f : next.values()) {
            if (!forwards.containsKey(f.key())) {
                List<Rule> rs = forwardRules(f);
                List<Rule> added = new ArrayList<>();
                try {
                    for (Rule r : rs) {
                        add(r);
                        added.add(r);
                    }
                } catch (IOException e) {
                    for (Rule r : added) {
                        try {
                            delete(r);
                        } catch (IOException ignored) {
                            // removeAll at stop still finds it by its tag
                        }
                    }
                    throw e;
                }
                forwards.put(f.key(), new InstalledForward(f, rs));
                changes.add("+" + f);
            }
        }
        return String.join(", ", changes);
    }

    /**
     * Deletes every rule tagged with this instance's comment, in all tables, and returns how many.
     * Idempotent: with nothing left it does nothing.
     */
    public synchronized int removeAll() throws IOException {
        forwards.clear();
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
