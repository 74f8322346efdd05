#!/usr/bin/env python3
"""Handshake burst: N WireGuard clients (interfaces wcbh0..wcbhN-1, one wireguard-go each, no session yet)
each send one ICMP echo request to TARGET at the same moment; wireguard-go holds it until its handshake
with the server completes. Prints one line per client, "K ok SECONDS" or "K fail -", SECONDS counted from
the moment the first request was sent, then "send_all SECONDS" (how long sending all N took).

Usage: hs_probe.py N TARGET DEADLINE_S
Raw sockets bound to each interface (SO_BINDTODEVICE), so no process is started per client and the N
requests leave within milliseconds. An unanswered client is asked again every second (a client that got a
cookie reply retries its handshake by itself); the whole probe stops after DEADLINE_S.
"""
import os
import select
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo(ident: int, seq: int) -> bytes:
    payload = b"wirecagesrv-bench-handshake"
    head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, checksum(head + payload), ident, seq) + payload


def main() -> int:
    n, target, deadline = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    ident = os.getpid() & 0xFFFF
    socks = []
    for k in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, f"wcbh{k}".encode())
        s.setblocking(False)
        socks.append(s)
    poller = select.epoll()
    by_fd = {}
    for k, s in enumerate(socks):
        poller.register(s.fileno(), select.EPOLLIN)
        by_fd[s.fileno()] = k
    done = [None] * n
    last_sent = [0.0] * n
    t0 = time.monotonic()
    for k, s in enumerate(socks):
        try:
            s.sendto(echo(ident, k), (target, 0))
        except OSError:
            pass
        last_sent[k] = time.monotonic()
    send_all = time.monotonic() - t0
    remaining = n
    while remaining and time.monotonic() - t0 < deadline:
        for fd, _ in poller.poll(0.05):
            k = by_fd[fd]
            while True:
                try:
                    data = socks[k].recv(2048)
                except BlockingIOError:
                    break
                ihl = (data[0] & 0x0F) * 4
                if len(data) < ihl + 8:
                    continue
                typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if typ == 0 and rid == ident and rseq == k and done[k] is None:
                    done[k] = time.monotonic() - t0
                    remaining -= 1
        now = time.monotonic()
        for k in range(n):
            if done[k] is None and now - last_sent[k] >= 1.0:
                try:
                    socks[k].sendto(echo(ident, k), (target, 0))
                except OSError:
                    pass
                last_sent[k] = now
    for k in range(n):
        print(f"{k} ok {done[k]:.6f}" if done[k] is not None else f"{k} fail -")
    print(f"send_all {send_all:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
