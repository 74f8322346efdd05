#!/usr/bin/env python3
"""Turns the samples of one bench/run into the results table: stdout and NAME.csv, NAME.json, NAME.md,
NAME.png (bar chart; skipped when matplotlib is missing) in --out, NAME being --name (default latest).
Input (from --work): samples.jsonl (one {"server","metric","rep","value"} per line), meta.json, notes.txt.
Every figure is the median of the repetitions with its spread (min-max); "ratio" is wirecagesrv's median
divided by the best median of the other WireGuard servers (wireguard-go, boringtun), best meaning the
higher for throughput and rate, the lower for everything else. Plain routing is the ceiling, not a rival.
"""
import argparse
import csv
import json
import math
import os
import statistics
import sys

SERVERS = ["wirecagesrv", "wireguard-go", "boringtun", "plain"]
RIVALS = ["wireguard-go", "boringtun"]
NAMES = {"wirecagesrv": "wirecagesrv", "wireguard-go": "wireguard-go", "boringtun": "boringtun-cli",
         "plain": "plain routing"}
COLORS = {"wirecagesrv": "#d62728", "wireguard-go": "#1f77b4", "boringtun": "#ff7f0e", "plain": "#7f7f7f"}


def metric_defs(meta, counts):
    p = meta.get("params", {})
    rate = p.get("udp_rate", "?")
    n = p.get("hs_clients", "N")
    pings = p.get("pings", "?")
    defs = [
        ("tcp1_up_gbps", "TCP 1 stream, client -> internet", "Gbit/s", "higher"),
        ("tcp1_down_gbps", "TCP 1 stream, internet -> client", "Gbit/s", "higher"),
        ("tcp4_up_gbps", "TCP 4 streams, client -> internet", "Gbit/s", "higher"),
        ("tcp1_up_v6outer_gbps", "TCP 1 stream, client -> internet, IPv6 outer path", "Gbit/s", "higher"),
        ("tcp4_down_gbps", "TCP 4 streams, internet -> client", "Gbit/s", "higher"),
        ("udp_up_loss_pct", f"UDP {rate}bit/s client -> internet: loss", "%", "lower"),
        ("udp_down_loss_pct", f"UDP {rate}bit/s internet -> client: loss", "%", "lower"),
        ("ping_idle_ms", f"ping RTT, idle (avg of {pings})", "ms", "lower"),
        ("ping_load_ms", "ping RTT under 4-stream TCP load", "ms", "lower"),
        ("ping_load_loss_pct", "ping loss under 4-stream TCP load", "%", "lower"),
        ("cpu_s_per_gb", "server CPU per GB moved (all TCP tests)", "CPU-s/GB", "lower"),
        ("client_cpu_s_per_gb", "client wireguard-go CPU per GB (info)", "CPU-s/GB", None),
        ("tcp1_up_host_busy_pct", "host CPU busy during TCP 1 up (info)", "%", None),
        ("tcp4_up_host_busy_pct", "host CPU busy during TCP 4 up (info)", "%", None),
        ("rss_after_load_mib", "server RSS after the traffic tests", "MiB", "lower"),
        ("hs_all_s", f"{n} clients at once: time until all handshaked", "s", "lower"),
        ("hs_rate", f"{n} clients at once: handshakes per second", "1/s", "higher"),
        ("hs_median_s", f"{n} clients at once: median time per client", "s", "lower"),
        ("hs_server_cpu_ms", f"{n} clients at once: server CPU for the burst", "CPU-ms", "lower"),
    ]
    for c in counts:
        defs.append((f"rss_{c}_mib", f"RSS, idle, {c:,} peer(s) configured", "MiB", "lower"))
    for c in counts:
        defs.append((f"startup_{c}_s", f"start-up to ready, {c:,} peer(s)", "s", "lower"))
    for c in counts:
        defs.append((f"jvm_heap_committed_{c}_mib", f"JVM heap committed, {c:,} peer(s) (NMT run, info)", "MiB", None))
        defs.append((f"jvm_nonheap_committed_{c}_mib", f"JVM non-heap committed (NMT), {c:,} peer(s) (info)", "MiB", None))
        defs.append((f"jvm_heap_live_{c}_mib", f"JVM live heap after a full GC, {c:,} peer(s) (info)", "MiB", None))
        defs.append((f"jvm_rss_after_gc_{c}_mib", f"RSS after a full GC, {c:,} peer(s) (info)", "MiB", None))
    return defs


def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    return f"{v:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--name", default="latest")
    args = ap.parse_args()

    with open(os.path.join(args.work, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    meta["elapsed_s"] = args.elapsed
    samples = []
    with open(os.path.join(args.work, "samples.jsonl"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                samples.append(json.loads(line))
    notes = []
    notes_path = os.path.join(args.work, "notes.txt")
    if os.path.exists(notes_path):
        with open(notes_path, encoding="utf-8") as f:
            notes = [l.strip() for l in f if l.strip()]

    values = {}
    for s in samples:
        values.setdefault((s["server"], s["metric"]), []).append(float(s["value"]))
    servers = [s for s in SERVERS if any(k[0] == s for k in values)]
    counts = sorted({int(m.split("_")[1]) for (_, m) in values if m.startswith("rss_") and m.split("_")[1].isdigit()})
    defs = metric_defs(meta, counts)

    stats = {}
    for (srv, m), vs in values.items():
        stats[(srv, m)] = {"n": len(vs), "median": statistics.median(vs), "min": min(vs), "max": max(vs), "values": vs}

    rows = []
    for key, label, unit, better in defs:
        if not any((s, key) in stats for s in servers):
            continue
        ratio = None
        w = stats.get(("wirecagesrv", key))
        rivals = [stats[(r, key)]["median"] for r in RIVALS if (r, key) in stats]
        if better and w and rivals:
            best = max(rivals) if better == "higher" else min(rivals)
            if best != 0:
                ratio = w["median"] / best
        rows.append((key, label, unit, better, ratio))

    # ---------- text table
    def cell(srv, key):
        st = stats.get((srv, key))
        if not st:
            return "-"
        if st["n"] == 1 or st["min"] == st["max"]:
            return fmt(st["median"])
        return f"{fmt(st['median'])} [{fmt(st['min'])}-{fmt(st['max'])}]"

    header = ["metric", "unit"] + [NAMES[s] for s in servers] + ["ratio"]
    table = []
    for key, label, unit, better, ratio in rows:
        table.append([label, unit] + [cell(s, key) for s in servers] + [fmt(ratio) if ratio is not None else ""])
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]

    facts = [
        f"wirecagesrv benchmark, {meta.get('date', '')}, run time {args.elapsed // 60} min {args.elapsed % 60} s",
        f"machine: {meta.get('cpu')} x{meta.get('cpus')}, {meta.get('mem_gib')} GiB, {meta.get('os')}, kernel {meta.get('kernel')}",
        f"load before: {meta.get('load_before')}, CPU busy before start: {meta.get('background_busy_pct')}%",
        f"wirecagesrv: {meta.get('wirecagesrv')}; {meta.get('java')}",
        f"wireguard-go: {meta.get('wireguard_go')}; boringtun: {meta.get('boringtun_cli')}",
        f"client: {meta.get('client')}; {meta.get('iperf3')}; {meta.get('wg_tools')}",
        "parameters: " + ", ".join(f"{k}={v}" for k, v in meta.get("params", {}).items()),
    ]
    print()
    for line in facts:
        print(line)
    print()
    print("  ".join(h.ljust(widths[i]) for i, h in enumerate(header)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)))
    print()
    print("cells: median [min-max] over the repetitions; ratio: wirecagesrv / best of wireguard-go and boringtun-cli")
    print("(above 1 is better for Gbit/s and handshakes/s, below 1 is better for the others)")
    if notes:
        print("notes:")
        for n in notes:
            print("  - " + n)

    os.makedirs(args.out, exist_ok=True)
    # ---------- CSV
    with open(os.path.join(args.out, f"{args.name}.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["metric", "label", "unit", "better", "server", "n", "median", "min", "max", "values", "ratio_vs_best_other"])
        for key, label, unit, better, ratio in rows:
            for s in servers:
                st = stats.get((s, key))
                if not st:
                    continue
                w.writerow([key, label, unit, better or "", s, st["n"], st["median"], st["min"], st["max"],
                            " ".join(f"{v:g}" for v in st["values"]),
                            "" if ratio is None or s != "wirecagesrv" else f"{ratio:.4f}"])
    # ---------- JSON
    out = {
        "meta": meta,
        "notes": notes,
        "metrics": [
            {"metric": key, "label": label, "unit": unit, "better": better,
             "ratio_wirecagesrv_vs_best_other": ratio,
             "servers": {s: stats[(s, key)] for s in servers if (s, key) in stats}}
            for key, label, unit, better, ratio in rows
        ],
        "other_samples": sorted({m for (_, m) in values} - {r[0] for r in rows}),
        "samples": samples,
    }
    with open(os.path.join(args.out, f"{args.name}.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    # ---------- Markdown
    with open(os.path.join(args.out, f"{args.name}.md"), "w", encoding="utf-8") as f:
        f.write(f"Run of {meta.get('date', '')} ({args.elapsed // 60} min {args.elapsed % 60} s)"
                f"{' — QUICK MODE, not for comparison' if meta.get('params', {}).get('quick') else ''}.\n\n")
        for line in facts[1:]:
            f.write(f"- {line}\n")
        f.write("\n| " + " | ".join(header) + " |\n")
        f.write("|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 2)) + "|\n")
        for r in table:
            f.write("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |\n")
        f.write("\nCells: median [min-max] over the repetitions. Ratio: wirecagesrv / the best of wireguard-go and "
                "boringtun-cli (above 1 is better for Gbit/s and handshakes/s, below 1 is better for the rest); "
                "\"(info)\" rows have no better direction.\n")
        if notes:
            f.write("\nNotes of this run:\n\n")
            for n in notes:
                f.write(f"- {n}\n")
    # ---------- PNG
    try:
        chart(os.path.join(args.out, f"{args.name}.png"), stats, servers, counts, meta)
    except ImportError:
        print("matplotlib is not available: no chart", file=sys.stderr)
    except Exception as e:  # the chart is a convenience: the table and files above are already written
        print(f"the chart failed: {e!r}; no chart", file=sys.stderr)
    print(f"\nwritten: {args.out}/{args.name}.csv .json .md .png")
    return 0


def chart(path, stats, servers, counts, meta):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = meta.get("params", {})
    big = max(counts, default=0)
    panels = [
        ("TCP throughput (Gbit/s, higher is better)", [("tcp1_up_gbps", "1 stream up"), ("tcp1_down_gbps", "1 down"),
                                                       ("tcp4_up_gbps", "4 up"), ("tcp4_down_gbps", "4 down"),
                                                       ("tcp1_up_v6outer_gbps", "1 up, IPv6 outer")]),
        (f"UDP {p.get('udp_rate', '')}bit/s: loss (%, lower is better)",
         [("udp_up_loss_pct", "up"), ("udp_down_loss_pct", "down")]),
        ("ping RTT (ms, lower is better)", [("ping_idle_ms", "idle"), ("ping_load_ms", "under 4-stream load")]),
        ("server CPU per GB moved (CPU-s/GB, lower is better)", [("cpu_s_per_gb", "all TCP tests")]),
        ("RSS (MiB, lower is better)", [(f"rss_{c}_mib", f"idle, {c:,} peers") for c in counts]
         + [("rss_after_load_mib", "after traffic")]),
        (f"{p.get('hs_clients', 'N')} clients at once: time until all handshaked (s, lower is better)",
         [("hs_all_s", "all done"), ("hs_median_s", "median client")]),
        ("start-up to ready (s, lower is better)", [(f"startup_{c}_s", f"{c:,} peers") for c in counts]),
        (f"{p.get('hs_clients', 'N')} clients at once: handshakes/s (higher is better)", [("hs_rate", "handshakes/s")]),
    ]
    fig, axes = plt.subplots(2, 4, figsize=(22, 10))
    for ax, (title, metrics) in zip(axes.flat, panels):
        present = [s for s in servers if any((s, m) in stats for m, _ in metrics)]
        width = 0.8 / max(1, len(present))
        for i, s in enumerate(present):
            xs, ys, lo, hi = [], [], [], []
            for j, (m, _) in enumerate(metrics):
                st = stats.get((s, m))
                if not st:
                    continue
                xs.append(j + (i - (len(present) - 1) / 2) * width)
                ys.append(st["median"])
                lo.append(st["median"] - st["min"])
                hi.append(st["max"] - st["median"])
            if xs:
                bars = ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=NAMES[s], color=COLORS[s])
                ax.bar_label(bars, labels=[fmt(y) for y in ys], fontsize=7, padding=2)
        ax.set_xticks(range(len(metrics)))
        ax.set_xticklabels([l for _, l in metrics], fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.12)
    if "plain" in servers:
        axes.flat[0].set_yscale("log")
        axes.flat[0].set_title("TCP throughput (Gbit/s, log scale, higher is better)", fontsize=10)
    seen = {}
    for ax in axes.flat:
        for h, l in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(l, h)
    if seen:
        fig.legend(list(seen.values()), list(seen.keys()), loc="upper right", ncol=len(seen), fontsize=10)
    fig.suptitle(f"wirecagesrv benchmark {meta.get('date', '')} — {meta.get('cpu')} x{meta.get('cpus')}, kernel "
                 f"{meta.get('kernel')}; bars: median of {p.get('reps', '?')} runs, whiskers: min-max"
                 f"{' — QUICK MODE' if p.get('quick') else ''}", fontsize=11, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
