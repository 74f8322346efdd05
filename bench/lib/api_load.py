#!/usr/bin/env python3
"""Load generator and report of the registration API benchmark (bench/api). Python 3 standard library only.

  api_load.py measure --url http://HOST:PORT --server-pid PID --out RAW.json [limits...]
      runs the phases against POST /v1/register (the token comes from $API_TOKEN) and writes the raw
      results; prints progress to stderr.
  api_load.py report --raw RAW.json --meta META.json --md OUT.md --json OUT.json
      prints the markdown table and writes OUT.md and OUT.json.

Phases (every loop is bounded in count and in time):
  seq_new   N sequential registrations of new keys (fresh random 32 bytes each) on one keep-alive connection
  seq_re    N sequential re-registrations of keys registered in seq_new (the server's fast path)
  conc_re   C threads, each with its own keep-alive connection, re-register known keys for D seconds
  conc_new  C threads register M new keys in all (shared counter), bounded by a time limit
Every answer must be 200 with a JSON body holding client_address; anything else (other status, bad body,
connection error, timeout) is an error; the first few are kept verbatim. Re-registrations must return the
address first given to the key, and no two keys may get the same address: violations are errors too.
Server CPU = utime + stime of the server process from /proc/PID/stat (all threads); the generator's own CPU
is measured the same way, because it shares the machine's CPUs with the server.
"""
import argparse
import base64
import http.client
import json
import os
import re
import resource
import sys
import threading
import time
from urllib.parse import urlsplit

CLK_TCK = os.sysconf("SC_CLK_TCK")
MAX_ERROR_SAMPLES = 8


def log(msg):
    sys.stderr.write(time.strftime("[%H:%M:%S] ") + msg + "\n")
    sys.stderr.flush()


def new_key():
    return base64.b64encode(os.urandom(32)).decode()


def proc_cpu_s(pid):
    """utime + stime of a process (all its threads), in seconds; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # fields 14 and 15 of stat(5)


def proc_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def thread_cpu_s(pid):
    """CPU seconds per thread name of a process (digits folded: "api-12" and "api-3" are "api-#")."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                st = f.read()
        except OSError:
            continue
        name = re.sub(r"\d+", "#", st[st.index("(") + 1:st.rindex(")")])
        fields = st[st.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def self_cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)   # the whole process: all threads
    return r.ru_utime + r.ru_stime


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(-(-p * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def lat_summary(lat_s):
    v = sorted(x * 1000 for x in lat_s)
    if not v:
        return {"n": 0}
    return {"n": len(v), "p50_ms": percentile(v, 50), "p90_ms": percentile(v, 90), "p99_ms": percentile(v, 99),
            "max_ms": v[-1], "min_ms": v[0], "mean_ms": sum(v) / len(v)}


class Stats:
    """Counters shared by the threads of one phase."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.errors = 0
        self.statuses = {}
        self.error_samples = []
        self.reconnects = 0

    def error(self, what):
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < MAX_ERROR_SAMPLES:
                self.error_samples.append(what)

    def status(self, code):
        with self.lock:
            self.statuses[str(code)] = self.statuses.get(str(code), 0) + 1

    def as_dict(self):
        return {"ok": self.ok, "errors": self.errors, "statuses": self.statuses,
                "error_samples": self.error_samples, "reconnects": self.reconnects}


class OneWriteConnection(http.client.HTTPConnection):
    """Sends the request head and a small body in one write, as browsers, curl and hyper/reqwest (the wirecage
    client) do. Plain http.client writes them separately: the server then sees the head before the body and its
    handler waits for the body (see --split-writes)."""

    def _send_output(self, message_body=None, encode_chunked=False):
        if isinstance(message_body, (bytes, bytearray)) and not encode_chunked and len(message_body) < 16384:
            self._buffer.extend((b"", b""))
            msg = b"\r\n".join(self._buffer) + message_body
            del self._buffer[:]
            self.send(msg)
            return
        super()._send_output(message_body, encode_chunked)


CONNECTION_CLASS = OneWriteConnection


class Client:
    """One keep-alive connection; reopens (and counts it) when the server or an error closed it."""

    def __init__(self, host, port, token, timeout, stats, source=None):
        self.host, self.port, self.token, self.timeout, self.stats = host, port, token, timeout, stats
        self.source = (source, 0) if source else None
        self.conn = None
        self.opened = 0

    def _ensure(self):
        if self.conn is None or self.conn.sock is None:
            if self.conn is not None:
                self.conn.close()
            self.conn = CONNECTION_CLASS(self.host, self.port, timeout=self.timeout,
                                                   source_address=self.source)
            self.conn.connect()
            self.opened += 1
            if self.opened > 1:
                with self.stats.lock:
                    self.stats.reconnects += 1

    def register(self, key):
        """Returns (latency_s, client_address or None). Errors are recorded in stats."""
        body = json.dumps({"token": self.token, "client_public_key": key}).encode()
        t0 = time.perf_counter()
        try:
            self._ensure()
            self.conn.request("POST", "/v1/register", body=body,
                              headers={"Content-Type": "application/json", "Accept": "application/json"})
            resp = self.conn.getresponse()
            data = resp.read()
            lat = time.perf_counter() - t0
            if resp.will_close:
                self.conn.close()
        except (OSError, http.client.HTTPException) as e:
            lat = time.perf_counter() - t0
            self.stats.status("conn-error")
            self.stats.error(f"{type(e).__name__}: {e} after {lat * 1000:.1f} ms")
            self.close()
            return lat, None
        self.stats.status(resp.status)
        addr = None
        if resp.status == 200:
            try:
                addr = json.loads(data).get("client_address")
            except (ValueError, AttributeError):
                addr = None
        if resp.status != 200 or not isinstance(addr, str) or "/" not in addr:
            retry = resp.getheader("Retry-After")
            self.stats.error(f"HTTP {resp.status}{' Retry-After ' + retry if retry else ''}: "
                             f"{data[:200].decode('utf-8', 'replace')} (after {lat * 1000:.1f} ms)")
            return lat, None
        with self.stats.lock:
            self.stats.ok += 1
        return lat, addr

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Registry:
    """Every key registered so far and its address: checks that addresses stay the same and unique."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_key = {}
        self.by_addr = {}

    def check_new(self, key, addr, stats):
        with self.lock:
            other = self.by_addr.get(addr)
            if other is not None and other != key:
                stats.error(f"address {addr} given to two keys ({other[:8]}..., {key[:8]}...)")
                with stats.lock:
                    stats.ok -= 1
                return False
            self.by_key[key] = addr
            self.by_addr[addr] = key
            return True

    def check_known(self, key, addr, stats):
        first = self.by_key.get(key)
        if first != addr:
            stats.error(f"key {key[:8]}... re-registered as {addr}, first got {first}")
            with stats.lock:
                stats.ok -= 1
            return False
        return True

    def keys(self):
        with self.lock:
            return list(self.by_key)


class Sources:
    """Hands out the client's source addresses, one per connection slot (see --sources)."""

    def __init__(self, spec):
        self.lock = threading.Lock()
        self.addrs = []
        if spec:
            prefix, _, rng = spec.rpartition(".")
            lo, _, hi = rng.partition("-")
            self.addrs = [f"{prefix}.{i}" for i in range(int(lo), int(hi or lo) + 1)]
        self.next = 0

    def take(self):
        with self.lock:
            if not self.addrs:
                return None
            if self.next >= len(self.addrs):
                log(f"  more connection slots than --sources addresses ({len(self.addrs)}): using the default one")
                return None
            self.next += 1
            return self.addrs[self.next - 1]


def cpu_window(pid):
    return {"t": time.perf_counter(), "srv": proc_cpu_s(pid), "gen": self_cpu_s(), "threads": thread_cpu_s(pid)}


def cpu_delta(pid, w0):
    w1 = cpu_window(pid)
    wall = w1["t"] - w0["t"]
    out = {"wall_s": wall, "gen_cpu_s": w1["gen"] - w0["gen"], "server_rss_mib": proc_rss_mib(pid)}
    out["server_cpu_s"] = None if w0["srv"] is None or w1["srv"] is None else w1["srv"] - w0["srv"]
    # threads that ended during the phase are missing from the second snapshot: only a breakdown
    by_thread = {k: v - w0["threads"].get(k, 0) for k, v in w1["threads"].items()}
    out["server_cpu_by_thread_s"] = dict(sorted(((k, round(v, 2)) for k, v in by_thread.items() if v >= 0.01),
                                                key=lambda kv: -kv[1]))
    return out


def phase_sequential(args, reg, new, keys=None):
    stats = Stats()
    c = Client(args.host, args.port, args.token, args.request_timeout, stats, args.sources.take())
    lats = []
    deadline = time.monotonic() + args.phase_timeout
    w0 = cpu_window(args.server_pid)
    for i in range(args.seq):
        if time.monotonic() > deadline:
            log(f"  phase time limit ({args.phase_timeout}s) reached after {i} requests")
            break
        key = new_key() if new else keys[i % len(keys)]
        lat, addr = c.register(key)
        lats.append(lat)
        if addr is not None:
            (reg.check_new if new else reg.check_known)(key, addr, stats)
    c.close()
    res = {"requests": len(lats), "latency": lat_summary(lats), **stats.as_dict(), **cpu_delta(args.server_pid, w0)}
    res["connections_opened"] = c.opened
    return res


def phase_concurrent(args, reg, new, keys=None):
    """new: register args.conc_new fresh keys in all; else re-register `keys` for args.duration seconds."""
    stats = Stats()
    lock = threading.Lock()
    next_index = [0]
    lats_all = []   # (completion time, latency) of every request
    opened = [0]
    start = time.monotonic()
    stop_at = start + (args.conc_new_timeout if new else args.duration)
    max_requests = args.conc_new if new else args.max_requests

    def take():
        with lock:
            if next_index[0] >= max_requests:
                return None
            next_index[0] += 1
            return next_index[0] - 1

    sources = [args.sources.take() for _ in range(args.concurrency)]

    def worker(tid):
        c = Client(args.host, args.port, args.token, args.request_timeout, stats, sources[tid])
        mine = []
        while time.monotonic() < stop_at:
            i = take()
            if i is None:
                break
            key = new_key() if new else keys[(i * 7919 + tid) % len(keys)]
            lat, addr = c.register(key)
            mine.append((time.monotonic() - start, lat))
            if addr is not None:
                (reg.check_new if new else reg.check_known)(key, addr, stats)
        c.close()
        with lock:
            lats_all.extend(mine)
            opened[0] += c.opened

    w0 = cpu_window(args.server_pid)
    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(args.concurrency)]
    for t in threads:
        t.start()
    join_deadline = stop_at + args.request_timeout + 5
    for t in threads:
        t.join(max(0.1, join_deadline - time.monotonic()))
    hung = sum(t.is_alive() for t in threads)
    d = cpu_delta(args.server_pid, w0)
    lats_all.sort()
    n = len(lats_all)
    res = {"requests": n, "threads": args.concurrency, "hung_threads": hung,
           "time_limited": n < max_requests and time.monotonic() >= stop_at,
           "rps": n / d["wall_s"] if d["wall_s"] > 0 else None,
           "ok_rps": stats.ok / d["wall_s"] if d["wall_s"] > 0 else None,
           "latency": lat_summary([l for _, l in lats_all]), **stats.as_dict(), **d, "connections_opened": opened[0]}
    if not new and n and d["wall_s"] > 2:
        # the second half alone: the JVM compiles the hot path during the first seconds
        half = d["wall_s"] / 2
        late = [l for t, l in lats_all if t >= half]
        res["ok_rps_second_half"] = len(late) / (d["wall_s"] - half) if not stats.errors else None
        res["latency_second_half"] = lat_summary(late)
    if new and n >= 20:
        tenth = max(1, n // 10)   # in completion order: the first and last tenth (the config file grows)
        res["latency_first_tenth"] = lat_summary([l for _, l in lats_all[:tenth]])
        res["latency_last_tenth"] = lat_summary([l for _, l in lats_all[-tenth:]])
    if res["server_cpu_s"] is not None and stats.ok:
        res["server_cpu_ms_per_ok_request"] = 1000 * res["server_cpu_s"] / stats.ok
    return res


def phase_churn(args, reg, keys):
    """args.churn sequential connections from one source address, one re-registration each, each closed before
    the next opens: a server that counts open connections per source must never refuse one of these."""
    stats = Stats()
    source = args.sources.take()
    lats = []
    first_failure_at = None
    deadline = time.monotonic() + args.phase_timeout
    w0 = cpu_window(args.server_pid)
    for i in range(args.churn):
        if time.monotonic() > deadline:
            log(f"  phase time limit ({args.phase_timeout}s) reached after {i} connections")
            break
        c = Client(args.host, args.port, args.token, args.request_timeout, stats, source)
        key = keys[i % len(keys)]
        lat, addr = c.register(key)
        c.close()
        lats.append(lat)
        if addr is not None:
            reg.check_known(key, addr, stats)
        elif first_failure_at is None:
            first_failure_at = i + 1
            log(f"  first failure at connection {i + 1} from {source or 'the default address'}")
    res = {"requests": len(lats), "latency": lat_summary(lats), **stats.as_dict(), **cpu_delta(args.server_pid, w0)}
    res["source"] = source
    res["first_failure_at"] = first_failure_at
    return res


def measure(args):
    u = urlsplit(args.url)
    args.host, args.port = u.hostname, u.port or 80
    args.token = os.environ.get("API_TOKEN", "")
    args.sources = Sources(args.sources_spec)
    global CONNECTION_CLASS
    CONNECTION_CLASS = http.client.HTTPConnection if args.split_writes else OneWriteConnection
    if len(args.token) < 16:
        sys.exit("api_load.py: set API_TOKEN (at least 16 characters)")
    reg = Registry()
    out = {"params": {k: getattr(args, k) for k in
                      ("url", "seq", "concurrency", "duration", "conc_new", "conc_new_timeout", "max_requests",
                       "request_timeout", "phase_timeout", "churn", "sources_spec", "split_writes", "seq_end")},
           "server_rss_before_mib": proc_rss_mib(args.server_pid),
           "server_cpu_before_s": proc_cpu_s(args.server_pid)}
    t_start = time.monotonic()

    def done(name, r):
        out[name] = r
        lat = r.get("latency", {})
        log(f"  {name}: {r['requests']} requests, {r['ok']} ok, {r['errors']} errors"
            + (f", p50 {lat['p50_ms']:.2f} ms p99 {lat['p99_ms']:.2f} ms" if lat.get("n") else "")
            + (f", {r['rps']:.0f} req/s" if r.get("rps") else "")
            + (f", server CPU {r['server_cpu_s']:.2f} s" if r.get("server_cpu_s") is not None else "")
            + f", generator CPU {r['gen_cpu_s']:.2f} s")
        top = list(r.get("server_cpu_by_thread_s", {}).items())[:5]
        if top:
            log("    server CPU by thread: " + ", ".join(f"{k} {v:.2f} s" for k, v in top))
        for e in r["error_samples"][:3]:
            log(f"    error: {e}")

    log(f"seq_new: {args.seq} sequential registrations of new keys")
    done("seq_new", phase_sequential(args, reg, True))
    keys = reg.keys()
    if not keys:
        out["aborted"] = "no key could be registered: later phases skipped"
        log(out["aborted"])
    else:
        log(f"seq_re: {args.seq} sequential re-registrations of known keys")
        done("seq_re", phase_sequential(args, reg, False, keys))
        log(f"conc_re: {args.concurrency} clients re-registering known keys for {args.duration}s")
        done("conc_re", phase_concurrent(args, reg, False, keys))
        log(f"conc_new: {args.concurrency} clients registering {args.conc_new} new keys "
            f"(at most {args.conc_new_timeout}s)")
        done("conc_new", phase_concurrent(args, reg, True))
        if args.seq_end > 0:
            log(f"seq_new_end: {args.seq_end} sequential registrations of new keys, now that "
                f"{len(reg.by_key):,} keys are registered")
            n0 = args.seq
            args.seq = args.seq_end
            done("seq_new_end", phase_sequential(args, reg, True))
            args.seq = n0
            out["seq_new_end"]["keys_before"] = len(reg.by_key) - out["seq_new_end"]["ok"]
        if args.churn > 0:
            log(f"conn_churn: {args.churn} sequential connections from one address, one request each")
            done("conn_churn", phase_churn(args, reg, keys))
    out["keys_registered"] = len(reg.by_key)
    out["server_rss_after_mib"] = proc_rss_mib(args.server_pid)
    out["gen_cpu_total_s"] = self_cpu_s()
    out["elapsed_s"] = time.monotonic() - t_start
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)


# ------------------------------------------------------------------------------------------ report
def f(v, nd=1):
    if v is None:
        return "n/a"
    return f"{v:,.{nd}f}"


def report(args):
    raw = json.load(open(args.raw))
    meta = json.load(open(args.meta))
    p = raw.get("params", {})
    rows = []   # (figure, value, note)

    def lat_rows(name, label, keys):
        r = raw.get(name)
        if not r:
            return
        lat = r["latency"]
        for k in keys:
            rows.append((f"{label}: {k.split('_')[0]}", f(lat.get(k), 2), "ms"))
        rows.append((f"{label}: errors", f"{r['errors']} of {r['requests']}", ""))

    n = p.get("seq", "N")
    lat_rows("seq_new", f"a. {n} sequential NEW registrations", ["p50_ms", "p90_ms", "p99_ms", "max_ms"])
    lat_rows("seq_re", f"b. {n} sequential RE-registrations", ["p50_ms", "p99_ms"])
    c = raw.get("conc_re")
    if c:
        lbl = f"c. {c['threads']} clients re-registering, {p.get('duration')} s"
        rows.append((f"{lbl}: requests/s", f(c["ok_rps"], 0), "req/s (200 answers only)"))
        if c.get("ok_rps_second_half"):
            rows.append((f"{lbl}: requests/s in the second half", f(c["ok_rps_second_half"], 0),
                         f"req/s (JIT warmed up; p50 {f(c['latency_second_half'].get('p50_ms'), 2)} ms)"))
        rows.append((f"{lbl}: p50 / p99", f"{f(c['latency'].get('p50_ms'), 2)} / {f(c['latency'].get('p99_ms'), 2)}", "ms"))
        rows.append((f"{lbl}: errors", f"{c['errors']} of {c['requests']}", ""))
        rows.append((f"{lbl}: server CPU", f(c["server_cpu_s"], 2),
                     f"CPU-s in {f(c['wall_s'])} s wall ({f(c.get('server_cpu_ms_per_ok_request'), 3)} ms per request)"))
        rows.append((f"{lbl}: load generator CPU", f(c["gen_cpu_s"], 2), "CPU-s (same 2 cores)"))
    c = raw.get("conc_new")
    if c:
        lbl = f"d. {c['threads']} clients, {p.get('conc_new'):,} NEW registrations"
        rows.append((f"{lbl}: requests/s", f(c["ok_rps"], 1),
                     "req/s (200 answers only)" + (" - TIME LIMIT HIT, not all sent" if c["time_limited"] else "")))
        rows.append((f"{lbl}: p50 / p99", f"{f(c['latency'].get('p50_ms'), 1)} / {f(c['latency'].get('p99_ms'), 1)}", "ms"))
        rows.append((f"{lbl}: errors", f"{c['errors']} of {c['requests']}", ""))
        rows.append((f"{lbl}: server CPU", f(c["server_cpu_s"], 2),
                     f"CPU-s in {f(c['wall_s'])} s wall ({f(c.get('server_cpu_ms_per_ok_request'), 2)} ms per request)"))
        rows.append((f"{lbl}: load generator CPU", f(c["gen_cpu_s"], 2), "CPU-s (same 2 cores)"))
    c = raw.get("seq_new_end")
    if c:
        rows.append((f"a'. {c['requests']} sequential NEW registrations with {c.get('keys_before', 0):,} keys registered: "
                     "p50 / p99", f"{f(c['latency'].get('p50_ms'), 2)} / {f(c['latency'].get('p99_ms'), 2)}",
                     f"ms (compare with a.; errors: {c['errors']})"))
    rl = meta.get("reload_ms")
    if rl:
        rows.append(("server's own reload time per new key (its log), first / last 100",
                     f"{f(rl.get('first'), 1)} / {f(rl.get('last'), 1)}", f"ms (mean; {rl.get('count', 0):,} reloads)"))
    c = raw.get("conn_churn")
    if c:
        rows.append((f"f. {c['requests']} sequential connections from one address, one request each: refused",
                     f"{c['errors']} of {c['requests']}", "must be 0 (per-source connection accounting)"
                     + (f"; first refused: connection {c['first_failure_at']}" if c.get("first_failure_at") else "")))
    rows.append(("e. server RSS before / after all phases",
                 f"{f(raw.get('server_rss_before_mib'))} / {f(raw.get('server_rss_after_mib'))}",
                 f"MiB ({raw.get('keys_registered', 0):,} keys registered in all)"))
    if meta.get("server_rss_idle_mib") is not None:
        rows.append((f"e'. server RSS after {meta.get('idle_wait_s')} s without requests",
                     f(meta.get("server_rss_idle_mib")), "MiB (G1 gives back the heap of the burst once idle)"))
    rows.append(("load generator CPU, whole run", f(raw.get("gen_cpu_total_s"), 2), "CPU-s"))

    lines = ["# Registration API benchmark", "",
             f"{meta.get('date', '')} - {meta.get('cpu', '?')}, {meta.get('cpus', '?')} CPUs, kernel {meta.get('kernel', '?')}, "
             f"{meta.get('os', '')}", "",
             f"Server: {meta.get('version', '?')}; {meta.get('java', '')}. "
             f"Load generator: Python {meta.get('python', '?')} (http.client, keep-alive, threads; request head and body "
             + ("in two writes, --split-writes" if p.get("split_writes") else "in one write") + "), "
             "in its own network namespace, over a veth.", "",
             "| figure | value | unit / note |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", "The load generator runs on the same CPUs as the server and used "
              f"{f(raw.get('gen_cpu_total_s'), 1)} CPU-s itself: the rates are a lower bound of what the server can do "
              "(in (c) the Python client, not the server, is likely the limit; compare the two CPU rows).", ""]
    statuses = {ph: raw[ph]["statuses"] for ph in ("seq_new", "seq_re", "conc_re", "conc_new", "seq_new_end", "conn_churn")
                if ph in raw}
    lines.append("HTTP statuses per phase: " + "; ".join(f"{ph} {json.dumps(s)}" for ph, s in statuses.items()))
    for ph, label in (("conc_re", "c"), ("conc_new", "d")):
        top = list(raw.get(ph, {}).get("server_cpu_by_thread_s", {}).items())[:6]
        if top:
            lines.append("")
            lines.append(f"Server CPU by thread in ({label}), CPU-s: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
    recon = {ph: raw[ph]["reconnects"] for ph in statuses if raw[ph]["reconnects"]}
    if recon:
        lines.append("")
        lines.append(f"Connections reopened (server closed keep-alive or an error): {json.dumps(recon)}")
    samples = [(ph, e) for ph in statuses for e in raw[ph]["error_samples"]]
    if samples:
        lines += ["", "First errors:"]
        lines += [f"- {ph}: `{e}`" for ph, e in samples[:10]]
    if raw.get("aborted"):
        lines += ["", f"ABORTED: {raw['aborted']}"]
    for note in meta.get("notes", []):
        lines += ["", f"Note: {note}"]
    md = "\n".join(lines) + "\n"
    sys.stdout.write(md)
    with open(args.md, "w") as fh:
        fh.write(md)
    with open(args.json, "w") as fh:
        json.dump({"meta": meta, "results": raw, "table": [{"figure": a, "value": b, "note": c} for a, b, c in rows]},
                  fh, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--url", required=True)
    m.add_argument("--server-pid", type=int, required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--seq", type=int, default=200, help="requests of each sequential phase")
    m.add_argument("--concurrency", type=int, default=16)
    m.add_argument("--duration", type=float, default=10, help="seconds of the concurrent re-registration phase")
    m.add_argument("--max-requests", type=int, default=2_000_000, help="cap on requests of the timed phase")
    m.add_argument("--conc-new", type=int, default=2000, help="new keys in the concurrent phase")
    m.add_argument("--conc-new-timeout", type=float, default=90, help="time limit of the concurrent new-key phase")
    m.add_argument("--seq-end", type=int, default=50,
                   help="sequential new keys again after the concurrent phases (the config file is larger); 0: skip")
    m.add_argument("--churn", type=int, default=40,
                   help="sequential connections (one request each) from one address at the end; 0: skip")
    m.add_argument("--sources", dest="sources_spec", default="",
                   help="client source addresses A.B.C.X-Y, one per connection slot (default: the route's own)")
    m.add_argument("--split-writes", action="store_true",
                   help="send each request's head and body in two writes (plain http.client behaviour)")
    m.add_argument("--request-timeout", type=float, default=10)
    m.add_argument("--phase-timeout", type=float, default=60, help="time limit of each sequential phase")
    r = sub.add_parser("report")
    r.add_argument("--raw", required=True)
    r.add_argument("--meta", required=True)
    r.add_argument("--md", required=True)
    r.add_argument("--json", required=True)
    args = ap.parse_args()
    for k in ("seq", "concurrency", "conc_new", "max_requests"):
        if getattr(args, k, 1) < 1:
            sys.exit(f"api_load.py: --{k.replace('_', '-')} must be at least 1")
    measure(args) if args.cmd == "measure" else report(args)


if __name__ == "__main__":
    main()
