package io.wirecage.srv.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Line numbers for config errors and edits, found by scanning the text: the TOML parser gives values,
 * this gives where they stand. Headers are lines like {@code [server]} or {@code [[peer]]}; a key's line
 * is the first {@code key =} line inside its table's block. (A header inside a multi-line string would
 * fool the scan; only the line number in a message would be off.)
 */
final class TomlLines {
    private static final Pattern HEADER = Pattern.compile("^\\s*(\\[\\[?)\\s*([A-Za-z0-9_.\"-]+)\\s*\\]\\]?\\s*(#.*)?$");

    /** Lines [first, end) of one table; header is the line of its [header], 0 for the top level. */
    record Block(int header, int first, int end) {
        static final Block UNKNOWN = new Block(0, 0, 0);
    }

    private final String[] lines;
    /** [name] tables and [[name]] arrays of tables, by name. */
    private final java.util.Map<String, Block> tables = new java.util.HashMap<>();
    private final java.util.Map<String, List<Block>> arrays = new java.util.HashMap<>();
    private final Block top;

    TomlLines(String text) {
        lines = text.split("\n", -1);
        int topEnd = lines.length;
        String current = null;
        int start = 0;
        int header = 0;
        for (int i = 0; i <= lines.length; i++) {
            Matcher m = i < lines.length ? HEADER.matcher(lines[i]) : null;
            if (i < lines.length && !m.matches()) {
                continue;
            }
            if (current == null) {
                topEnd = i;
            } else {
                close(current, header, start, i);
            }
            if (m != null) {
                current = (m.group(1).length() == 2 ? "[[" : "[") + m.group(2);
                header = i + 1;
                start = i + 1;
            }
        }
        top = new Block(0, 0, topEnd);
    }

    private void close(String name, int header, int first, int end) {
        Block b = new Block(header, first, end);
        if (name.startsWith("[[")) {
            arrays.computeIfAbsent(name.substring(2), k -> new ArrayList<>()).add(b);
        } else {
            tables.putIfAbsent(name.substring(1), b);
        }
    }

    Block topLevel() {
        return top;
    }

    /** The block of the [name] table, or {@link Block#UNKNOWN}. */
    Block table(String name) {
        return tables.getOrDefault(name, Block.UNKNOWN);
    }

    /** The blocks of the [[name]] tables, in file order. */
    List<Block> arrayBlocks(String name) {
        return arrays.getOrDefault(name, List.of());
    }

    /** The 1-based line of {@code key =} within the block; the block's header line when not found. */
    int keyLine(Block b, String key) {
        for (int i = b.first(); i < b.end() && i < lines.length; i++) {
            String l = lines[i].stripLeading();
            if (l.startsWith(key)) {
                String rest = l.substring(key.length()).stripLeading();
                if (rest.startsWith("=")) {
                    return i + 1;
                }
            }
        }
        return b.header();
    }
}
