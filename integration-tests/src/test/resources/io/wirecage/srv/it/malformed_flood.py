#!/usr/bin/env python3
"""Sends COUNT malformed WireGuard datagrams to HOST:PORT as fast as one core can (sendmmsg through
ctypes, batches of 512), then prints one JSON line with what it sent.

Kinds (by share of a pool of 8192 datagrams whose header bytes are re-randomised every round):
random garbage of any length; initiations of the right size with a bad mac1, with a VALID mac1
(computed from the server's public key: they pass the cheap check and reach the rate limiter and
the X25519 work) and truncated; responses and cookie replies with random receiver indices, right
size and wrong; data messages with random receiver indices and truncated ones; unknown message
types; known types with non-zero reserved bytes; and 1 in 1024 oversized (1473..65507 bytes, IP
fragments on the wire). Used by MalformedFloodTest; bounded by COUNT and --max-seconds.
"""
import argparse, base64, ctypes, ctypes.util, errno, hashlib, json, os, random, socket, struct, sys, time

SLOT = 1472          # the largest datagram that fits a 1500-byte MTU without fragments
POOL = 8192
BATCH = 512
BIG = 65507          # the largest UDP payload over IPv4


class iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class msghdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(iovec)), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", msghdr), ("msg_len", ctypes.c_uint)]


def kinds_table(mac1_key):
    """(name, weight, make(rng) -> bytes header-complete datagram)."""
    rnd = lambda n: os.urandom(n)

    def init_valid_mac1(rng):
        body = struct.pack("<I", 1) + rnd(112)
        mac1 = hashlib.blake2s(body, digest_size=16, key=mac1_key).digest()
        return body + mac1 + bytes(16)

    return [
        ("garbage", 20, lambda rng: rnd(rng.randint(1, SLOT))),
        ("init_bad_mac1", 10, lambda rng: struct.pack("<I", 1) + rnd(144)),
        ("init_valid_mac1", 3, init_valid_mac1),
        ("init_truncated", 6, lambda rng: struct.pack("<I", 1) + rnd(rng.randint(0, 143))),
        ("response", 7, lambda rng: struct.pack("<I", 2) + rnd(88)),
        ("response_wrong_size", 4, lambda rng: struct.pack("<I", 2) + rnd(rng.choice([rng.randint(0, 87), rng.randint(89, 400)]))),
        ("cookie", 7, lambda rng: struct.pack("<I", 3) + rnd(60)),
        ("cookie_wrong_size", 4, lambda rng: struct.pack("<I", 3) + rnd(rng.choice([rng.randint(0, 59), rng.randint(61, 300)]))),
        ("data_random_index", 20, lambda rng: struct.pack("<I", 4) + rnd(rng.randint(28, SLOT - 4))),
        ("data_truncated", 5, lambda rng: struct.pack("<I", 4) + rnd(rng.randint(0, 27))),
        ("unknown_type", 7, lambda rng: bytes([rng.choice([0] + list(range(5, 256)))]) + bytes(3) + rnd(rng.randint(0, 200))),
        ("reserved_bytes_set", 7, lambda rng: bytes([rng.randint(1, 4)]) + rnd(3).replace(b"\0\0\0", b"\1\0\0")
            + rnd(rng.choice([144, 88, 60, 200]))),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--server-public-key", required=True, help="base64; for the valid-mac1 initiations")
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--rate", type=float, default=0, help="datagrams per second (0: as fast as possible)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    server_pub = base64.b64decode(a.server_public_key)
    mac1_key = hashlib.blake2s(b"mac1----" + server_pub).digest()
    rng = random.Random(a.seed)
    table = kinds_table(mac1_key)
    weights = [w for _, w, _ in table]

    pool = ctypes.create_string_buffer(POOL * SLOT)
    big = ctypes.create_string_buffer(os.urandom(BIG), BIG)
    base = ctypes.addressof(pool)
    names = [name for name, _, _ in table] + ["oversized"]
    OVERSIZED = len(table)
    kind_of = []
    # one iovec and one mmsghdr per pool slot: a batch is a window into the pool, no per-packet Python
    iovs = (iovec * POOL)()
    msgs = (mmsghdr * POOL)()
    for i in range(POOL):
        if i % 1024 == 1023:
            iovs[i].iov_base = ctypes.addressof(big)
            iovs[i].iov_len = rng.randint(SLOT + 1, BIG)
            kind_of.append(OVERSIZED)
        else:
            k = rng.choices(range(len(table)), weights)[0]
            d = table[k][2](rng)[:SLOT]
            ctypes.memmove(base + i * SLOT, d, len(d))
            iovs[i].iov_base = base + i * SLOT
            iovs[i].iov_len = len(d)
            kind_of.append(k)
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
    batch_counts = []  # per aligned batch: how many of each kind
    for b in range(POOL // BATCH):
        c = [0] * len(names)
        for i in range(b * BATCH, (b + 1) * BATCH):
            c[kind_of[i]] += 1
        batch_counts.append(c)
    counts = [0] * len(names)
    refresh = [i for i in range(POOL) if kind_of[i] != OVERSIZED and iovs[i].iov_len >= 16
               and names[kind_of[i]] != "init_valid_mac1"]

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.connect((a.host, a.port))
    fd = sock.fileno()
    msgs_at = ctypes.addressof(msgs)
    size = ctypes.sizeof(mmsghdr)

    sent = 0
    errors = {}
    slot = 0
    t0 = time.monotonic()
    deadline = t0 + a.max_seconds
    while sent < a.count and time.monotonic() < deadline:
        n = min(BATCH, a.count - sent)
        done = 0
        while done < n:
            r = libc.sendmmsg(fd, msgs_at + (slot + done) * size, n - done, 0)
            if r < 0:
                e = ctypes.get_errno()
                name = errno.errorcode.get(e, str(e))
                if e in (errno.EINTR, errno.EAGAIN, errno.ENOBUFS, errno.ECONNREFUSED):
                    # ECONNREFUSED: an ICMP port unreachable (the server not listening yet) reported once
                    errors[name] = errors.get(name, 0) + 1
                    time.sleep(0.0005)
                    continue
                raise OSError(e, os.strerror(e))
            done += r
        if n == BATCH:
            c = batch_counts[slot // BATCH]
            for k in range(len(names)):
                counts[k] += c[k]
        else:
            for i in range(slot, slot + n):
                counts[kind_of[i]] += 1
        sent += n
        slot += n
        if slot == POOL:
            slot = 0
            # fresh receiver/sender indices (bytes 4..16) for the next round
            fresh = os.urandom(len(refresh) * 12)
            for j, i in enumerate(refresh):
                ctypes.memmove(base + i * SLOT + 4, fresh[j * 12:(j + 1) * 12], 12)
        if a.rate > 0:
            ahead = sent / a.rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    took = time.monotonic() - t0
    print(json.dumps({"sent": sent, "seconds": round(took, 3), "rate": round(sent / took) if took > 0 else 0,
                      "kinds": dict(zip(names, counts)), "send_errors": errors}), flush=True)
    return 0 if sent == a.count else 3


if __name__ == "__main__":
    sys.exit(main())
