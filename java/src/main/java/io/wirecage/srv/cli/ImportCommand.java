package io.wirecage.srv.cli;

import io.wirecage.srv.config.Base64Key;
import io.wirecage.srv.config.ConfigEditor;
import io.wirecage.srv.config.ConfigException;
import io.wirecage.srv.config.ConfigFile;
import io.wirecage.srv.config.Ipv4Prefix;
import io.wirecage.srv.config.Ipv6Prefix;
import io.wirecage.srv.config.ServerSettings;
import io.wirecage.srv.config.PeerEntry;
import io.wirecage.srv.config.WgQuickFile;
import io.wirecage.srv.config.WgQuickFile.Section;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code wirecagesrv import wg0.conf}: turns a wg-quick server file into a TOML config plus a key file.
 * wg-quick's hooks (PostUp, PostDown, ...) are not carried over: wirecagesrv sets up its own NAT.
 */
@Command(name = "import", description = "Convert a wg-quick server config (wg0.conf) into a wirecagesrv TOML config.")
final class ImportCommand implements Callable<Integer> {
    private static final Set<String> IGNORED = Set.of("postup", "postdown", "preup", "predown", "table", "saveconfig", "fwmark");

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "WG_CONF", description = "The wg-quick file to import.")
    Path source;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "The TOML file to write; the private key goes to server.key beside it (default: /var/lib/wirecagesrv/wirecagesrv.toml).")
    Path output;

    @Option(names = "--force", description = "Overwrite an existing output file.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        Path out = output != null ? output : StateDir.config(Path.of(StateDir.DEFAULT));
        if (Files.exists(out) && !force) {
            throw new IllegalArgumentException(out + " already exists (use --force to replace it)");
        }
        String text;
        try {
            text = Files.readString(source);
        } catch (IOException e) {
            throw new ConfigException(source, 0, "cannot read: " + e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        List<Section> sections = WgQuickFile.parse(source, text);
        Section iface = sections.stream().filter(s -> s.kind().equals("Interface")).findFirst()
                .orElseThrow(() -> new ConfigException(source, 0, "no [Interface] section"));
        String privateKey = iface.first("PrivateKey");
        if (privateKey == null) {
            throw new ConfigException(source, iface.line(), "[Interface] PrivateKey is missing");
        }
        try {
            Base64Key.parse(privateKey);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source, iface.line(), "[Interface] PrivateKey " + e.getMessage());
        }
        Ipv4Prefix subnet = null;
        Ipv6Prefix subnet6 = null;
        for (String a : iface.all("Address")) {
            if (Ipv6Prefix.isIpv6(a)) {
                if (subnet6 != null) {
                    continue;
                }
                try {
                    Ipv6Prefix host = Ipv6Prefix.parseHost(a);
                    subnet6 = ServerSettings.parseSubnet6(new Ipv6Prefix(host.networkHi(), host.networkLo(), host.length()).toString());
                    Ipv6Prefix server = ServerSettings.serverAddress6(subnet6);
                    if (host.hi() != server.hi() || host.lo() != server.lo()) {
                        err.println("wirecagesrv: import: the server will use " + server.address() + ", the first address of "
                                + subnet6 + ", instead of " + a);
                    }
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(source, iface.line(), "[Interface] Address " + e.getMessage());
                }
                continue;
            }
            if (subnet != null) {
                continue;
            }
            Ipv4Prefix host = Ipv4Prefix.parseHost(a);
            subnet = new Ipv4Prefix(host.network(), host.length());
            if (host.address() != subnet.network() + 1) {
                err.println("wirecagesrv: import: the server will use " + Ipv4Prefix.format(subnet.network() + 1)
                        + ", the first address of " + subnet + ", instead of " + a);
            }
        }
        if (subnet == null) {
            throw new ConfigException(source, iface.line(), "[Interface] Address with an IPv4 subnet is missing");
        }
        for (String key : iface.values().keySet()) {
            if (IGNORED.contains(key)) {
                err.println("wirecagesrv: import: ignoring " + key + " (wirecagesrv sets up forwarding and NAT itself)");
            }
        }
        StringBuilder toml = new StringBuilder("# Imported from " + source.toAbsolutePath() + "\n[server]\n");
        toml.append("private_key_file = \"server.key\"\n");
        String port = iface.first("ListenPort");
        toml.append("listen_addr = ").append(ConfigEditor.quote("[::]:" + (port != null ? port : "51820"))).append('\n');
        toml.append("subnet = ").append(ConfigEditor.quote(subnet.toString())).append('\n');
        if (subnet6 != null) {
            toml.append("subnet6 = ").append(ConfigEditor.quote(subnet6.toString())).append('\n');
        }
        if (iface.first("MTU") != null) {
            toml.append("mtu = ").append(Integer.parseInt(iface.first("MTU"))).append('\n');
        }
        List<String> dns = iface.all("DNS").stream().filter(d -> d.matches("[0-9.]+")).toList();
        if (!dns.isEmpty()) {
            toml.append("dns = [").append(String.join(", ", dns.stream().map(ConfigEditor::quote).toList())).append("]\n");
        }
        List<PeerEntry> peers = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Section s : sections) {
            if (!s.kind().equals("Peer")) {
                continue;
            }
            String pub = s.first("PublicKey");
            if (pub == null) {
                throw new ConfigException(source, s.line(), "[Peer] PublicKey is missing");
            }
            Base64Key key;
            Base64Key psk = null;
            try {
                key = Base64Key.parse(pub);
                if (s.first("PresharedKey") != null) {
                    psk = Base64Key.parse(s.first("PresharedKey"));
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source, s.line(), "[Peer] key " + e.getMessage());
            }
            List<Ipv4Prefix> ips = new ArrayList<>();
            List<Ipv6Prefix> ips6 = new ArrayList<>();
            for (String a : s.all("AllowedIPs")) {
                if (Ipv6Prefix.isIpv6(a)) {
                    if (subnet6 == null) {
                        err.println("wirecagesrv: import: skipping IPv6 allowed IP " + a + " (the [Interface] has no IPv6 Address)");
                        continue;
                    }
                    try {
                        ips6.add(Ipv6Prefix.parseNetwork(a));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(source, s.line(), "[Peer] AllowedIPs " + e.getMessage());
                    }
                    continue;
                }
                try {
                    ips.add(Ipv4Prefix.parseNetwork(a));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(source, s.line(), "[Peer] AllowedIPs " + e.getMessage());
                }
            }
            String ka = s.first("PersistentKeepalive");
            int keepalive = ka == null || ka.equalsIgnoreCase("off") ? 0 : Integer.parseInt(ka);
            peers.add(new PeerEntry(uniqueName(names, s.comment()), key, psk, ips, keepalive, true, 0, ips6));
        }
        for (PeerEntry p : peers) {
            toml.append('\n').append(ConfigEditor.render(p));
        }
        // Validate the result as the server would before writing anything.
        ConfigFile.parse(out, toml.toString());
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path keyFile = dir.resolve(StateDir.KEY);
        if (Files.exists(keyFile) && !force) {
            throw new IllegalArgumentException(keyFile + " already exists (use --force to replace it)");
        }
        ConfigEditor.writeAtomically(keyFile, privateKey.strip() + "\n");
        ConfigEditor.writeAtomically(out, toml.toString());
        err.println("wirecagesrv: imported " + peers.size() + " peer(s) into " + out + " (key in " + keyFile + ")");
        err.flush();
        return 0;
    }

    /**
     * A comment above [Peer] becomes the peer's name; names must be unique, so a repeated comment (say,
     * "# laptop" above two peers) gets "-2", "-3"... instead of failing the import.
     */
    static String uniqueName(java.util.Set<String> taken, String comment) {
        if (comment == null) {
            return null;
        }
        String name = comment;
        for (int i = 2; !taken.add(name); i++) {
            name = comment + "-" + i;
        }
        return name;
    }
}
