#!/usr/bin/env python3
"""Reads one iperf3 -J result file and prints the figures the benchmark records, space-separated.

tcp FILE -> "<receiver bits/s> <receiver bytes> <retransmits>"
udp FILE -> "<loss %> <receiver bits/s> <lost packets> <packets>"
Exits 1 with a message on stderr when the file holds an error or no result.
"""
import json
import sys


def main() -> int:
    kind, path = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"iperf3 result {path}: unreadable ({e})", file=sys.stderr)
        return 1
    if data.get("error"):
        print(f"iperf3 error: {data['error']}", file=sys.stderr)
        return 1
    end = data.get("end") or {}
    if kind == "tcp":
        recv = end.get("sum_received") or {}
        sent = end.get("sum_sent") or {}
        if not recv.get("bytes"):
            print("iperf3: no bytes received", file=sys.stderr)
            return 1
        print(f"{recv['bits_per_second']:.0f} {recv['bytes']} {sent.get('retransmits', 0)}")
    else:
        s = end.get("sum") or {}
        if "lost_percent" not in s:
            print("iperf3: no UDP summary", file=sys.stderr)
            return 1
        print(f"{s['lost_percent']:.4f} {s.get('bits_per_second', 0):.0f} {s.get('lost_packets', 0)} {s.get('packets', 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
