#!/usr/bin/env python3
"""Side-by-side SCTP benchmark: C baseline, stdlib socket, pysctp, csctp (per message and batch).

Method
------
Everything runs in ONE invocation on ONE kernel (natively, or in the test VM
that ``python -m csctp.testing`` boots when this kernel has no SCTP), so the
ratios between implementations are measured under the same conditions.

* Each case is one (test, message size, streams, socket style, associations)
  point, measured for every implementation.  The two sides of a case are two
  separate processes (``bench/c/bin/sctpbench`` for C, ``bench/worker.py``
  for Python), each measuring its own CPU with ``getrusage(RUSAGE_SELF)``
  over the repetition only (start-up, connection set-up and imports are
  excluded).  Wall time is from the sender's first send to the receiver's
  last receive (CLOCK_MONOTONIC, shared by both processes).
* Tests:
  - ``tput``: one-way throughput, each implementation sending to itself
    (C ``sctp_sendmsg`` -> ``sctp_recvmsg``; C ``sendmmsg`` -> ``recvmmsg``;
    stdlib ``sendmsg`` + SNDINFO -> ``recv_into`` / ``recvmsg`` + RCVINFO;
    pysctp ``sctp_send`` -> ``sctp_recv``; csctp ``send`` -> ``recv`` /
    ``recv_into``; csctp ``send_batch`` -> ``BatchPool.recv``).
  - ``rx``: receive side alone: the same C ``sendmmsg`` sender feeds every
    receiver, so the receiver's CPU per message is compared under identical
    load (the receive-side targets use this test).
  - ``rtt``: ping-pong, one message in flight per association; the client
    records every round trip (p50/p99), the server echoes with the same API.
* A repetition sends up to ``--count`` messages or for ``--duration``
  seconds, whichever ends first, then a 1-byte end marker on every
  (association, stream); the receiver's message count must equal the
  sender's (checked: a mismatch is reported as an error).  Every case runs
  ``--reps`` repetitions (>= 5 by default) over the same associations; the
  report gives the median and min–max.
* Every sender sets ``SCTP_NODELAY``.  Senders are one-to-one client
  sockets; the style (one-to-one / one-to-many) is that of the receiving
  socket.  ``100`` associations means 100 client sockets sending round-robin
  to one one-to-many socket.
* ``mem``: RSS (``/proc/self/statm``) of a receiver across N messages
  (1,000,000 in the full run) through csctp ``recv``, ``recv_into`` and the
  batch pool, fed by the C ``sendmmsg`` sender.
* Targets are evaluated from the medians of this run and written
  as PASS/MISS with the measured ratio.

Run it under the harness (the VM can only write /tmp and --rwdir):

    python -m csctp.testing --rwdir bench/results -- python bench/run.py [--quick]
"""

import argparse
import datetime
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CBIN = os.path.join(HERE, "c", "bin", "sctpbench")
WORKER = os.path.join(HERE, "worker.py")

# label -> (sender program, receiver program); a program is ("c", api) or ("py", impl)
IMPLS = {
    "c-sctp": (("c", "sctp"), ("c", "sctp")),
    "c-mmsg": (("c", "mmsg"), ("c", "mmsg")),
    "stdlib-recv_into": (("py", "stdlib-recv_into"), ("py", "stdlib-recv_into")),
    "stdlib-recvmsg": (("py", "stdlib-recvmsg"), ("py", "stdlib-recvmsg")),
    "pysctp": (("py", "pysctp"), ("py", "pysctp")),
    "csctp-recv": (("py", "csctp-recv"), ("py", "csctp-recv")),
    "csctp-recv_into": (("py", "csctp-recv_into"), ("py", "csctp-recv_into")),
    "csctp-batch": (("py", "csctp-batch"), ("py", "csctp-batch")),
    "csctp-recv_batch": (("py", "front-send_batch"), ("py", "front-recv_batch")),
    # the asyncio rows: csctp.aio beside the sync Association it wraps, and asyncio TCP streams
    "csctp-assoc": (("py", "front-send"), ("py", "front-recv")),
    "aio-asyncio": (("py", "aio-send"), ("py", "aio-recv")),
    "aio-uvloop": (("py", "aio-uvloop-send"), ("py", "aio-uvloop-recv")),
    "aio-batch": (("py", "aio-send_batch"), ("py", "aio-recv_batch")),
    "aio-uvloop-batch": (("py", "aio-uvloop-send_batch"), ("py", "aio-uvloop-recv_batch")),
    "aio-proto": (("py", "proto-send"), ("py", "proto-recv")),
    "aio-uvloop-proto": (("py", "proto-uvloop-send"), ("py", "proto-uvloop-recv")),
    "asyncio-tcp": (("py", "tcp-send"), ("py", "tcp-recv")),
}
# implementations measured only in some cases (the front door's rows: one association, one-to-one)
ONLY_IN = {
    "csctp-recv_batch": lambda c: c["test"] in ("tput", "rx") and c["style"] == "1to1" and c["assocs"] == 1,
    "csctp-assoc": lambda c: c["style"] == "1to1" and c["assocs"] == 1,
    "aio-asyncio": lambda c: c["style"] == "1to1" and c["assocs"] == 1,
    "aio-uvloop": lambda c: c["style"] == "1to1" and c["assocs"] == 1,
    "aio-batch": lambda c: c["style"] == "1to1" and c["assocs"] == 1,
    "aio-uvloop-batch": lambda c: c["style"] == "1to1" and c["assocs"] == 1,
    "aio-proto": lambda c: c["style"] == "1to1" and c["assocs"] == 1,
    "aio-uvloop-proto": lambda c: c["style"] == "1to1" and c["assocs"] == 1,
    # TCP has no SCTP peer for the C sender (rx) and no streams
    "asyncio-tcp": lambda c: c["test"] in ("tput", "rtt") and c["style"] == "1to1" and c["assocs"] == 1
    and c["streams"] == 1,
}
# the asyncio rows, and what they are compared with (bench/run.py --only with these; results/aio.md)
AIO = ("csctp-assoc", "aio-asyncio", "aio-uvloop", "aio-batch", "aio-uvloop-batch", "aio-proto", "aio-uvloop-proto",
       "asyncio-tcp")
DESCR = {
    "c-sctp": "C sctp_sendmsg -> sctp_recvmsg",
    "c-mmsg": "C sendmmsg (SNDINFO) -> recvmmsg (RCVINFO), 64/call",
    "stdlib-recv_into": "stdlib socket.sendmsg (SNDINFO) -> recv_into",
    "stdlib-recvmsg": "stdlib socket.sendmsg (SNDINFO) -> recvmsg + RCVINFO parse",
    "pysctp": "pysctp sctp_send -> sctp_recv (data_io on)",
    "csctp-recv": "csctp Socket.send -> Socket.recv",
    "csctp-recv_into": "csctp Socket.send -> Socket.recv_into",
    "csctp-batch": "csctp send_batch -> BatchPool.recv, 64/call",
    "csctp-recv_batch": "csctp Association.send_batch -> Association.recv_batch(64) + `for m in batch` "
                        "(tput and rx, 1-to-1)",
    "csctp-assoc": "csctp.connect() Association.send -> csctp.listen().accept() Association.recv (sync)",
    "aio-asyncio": "csctp.aio Association.send -> recv, asyncio event loop",
    "aio-uvloop": "csctp.aio Association.send -> recv, uvloop",
    "aio-batch": "csctp.aio send_batch (64) -> recv_batch(64) + `for m in batch`, asyncio event loop",
    "aio-uvloop-batch": "csctp.aio send_batch (64) -> recv_batch(64) + `for m in batch`, uvloop",
    "aio-proto": "csctp.aio Transport.send -> Protocol.message_received (callbacks), asyncio event loop",
    "aio-uvloop-proto": "csctp.aio Transport.send -> Protocol.message_received (callbacks), uvloop",
    "asyncio-tcp": "asyncio streams over TCP loopback, 4-byte length prefix per message (write+drain, "
                   "readexactly x2)",
}
C_MMSG_SENDER = ("c", "mmsg")


# ---- availability ----------------------------------------------------------------

def availability():
    """label -> None if runnable, else the reason it is not."""
    out = {}
    c_ok = None if os.access(CBIN, os.X_OK) else f"{os.path.relpath(CBIN, ROOT)} not built (make bench builds it)"
    try:
        import sctp  # pysctp's module
        py_sctp = None if hasattr(sctp, "sctpsocket_tcp") else "module 'sctp' is not pysctp"
    except Exception as e:  # ImportError, or a broken build
        py_sctp = f"import sctp failed: {e}"
    try:
        import csctp  # noqa: F401
        cs = None
    except Exception as e:
        cs = f"import csctp failed: {e}"
    try:
        from csctp import _batch
        missing = [n for n in ("BatchPool", "send_batch") if not hasattr(_batch, n)]
        batch = f"csctp._batch lacks {', '.join(missing)}" if missing else None
    except Exception as e:
        batch = f"csctp._batch not available ({e})"
    for label in IMPLS:
        if label.startswith("c-"):
            out[label] = c_ok
        elif label == "pysctp":
            out[label] = py_sctp
        elif label in ("csctp-batch", "csctp-recv_batch", "aio-batch", "aio-uvloop-batch"):
            out[label] = cs or batch
        elif label.startswith("aio-uvloop"):
            try:
                import uvloop  # noqa: F401
                out[label] = cs
            except ImportError as e:
                out[label] = f"uvloop not installed ({e})"
        elif label.startswith("aio"):
            out[label] = cs
        elif label.startswith("csctp"):
            out[label] = cs
        else:
            out[label] = None
    return out


# ---- one case ----------------------------------------------------------------------

class Proc:
    """A worker process speaking the JSON-lines protocol, with bounded waits."""

    def __init__(self, argv):
        self.argv = argv
        self.err = tempfile.TemporaryFile()   # a file, not a pipe: a chatty worker cannot block on it
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, cwd=ROOT)
        self.buf = b""

    def line(self, timeout):
        # own line buffer over the raw fd: select() cannot see lines already
        # sitting in a file object's buffer (two lines often arrive together)
        end = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {timeout:.0f} s from {' '.join(self.argv[:4])}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.err.seek(0)
                    err = self.err.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"{' '.join(self.argv[:4])} exited ({self.p.wait()}): {err.strip()}")
                self.buf += chunk
        s, self.buf = self.buf.split(b"\n", 1)
        obj = json.loads(s)
        if "error" in obj:
            raise RuntimeError(f"worker: {obj['error']}")
        return obj

    def say(self, s):
        self.p.stdin.write(s.encode() + b"\n")
        self.p.stdin.flush()

    def finish(self, timeout):
        """The case is over: let the process end (one-shot) or be ready for the next (persistent)."""
        self.stop()

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class PyWorker(Proc):
    """A persistent bench/worker.py (``serve``): imports once, then one case per command."""

    def __init__(self):
        super().__init__([sys.executable, WORKER, "serve"])
        self.line(300)  # {"serving": 1}, after the imports
        self.argv = [sys.executable, WORKER]

    def start(self, argv):
        self.argv = [sys.executable, WORKER] + argv[:2]
        self.say(json.dumps({"argv": argv}))

    def finish(self, timeout):
        self.line(timeout)  # {"done": 1}


_WORKERS = {}


def endpoint(prog, argv_tail, slot):
    """Start one side of a case: a fresh C process, or a command to a persistent Python worker."""
    kind, what = prog
    if kind == "c":
        return Proc([CBIN] + argv_tail[:1] + ["--api", what] + argv_tail[1:])
    w = _WORKERS.get(slot)
    if w is None or w.p.poll() is not None:
        w = _WORKERS[slot] = PyWorker()
    w.start(argv_tail[:1] + [what] + argv_tail[1:])
    return w


def kill_workers():
    for slot, w in list(_WORKERS.items()):
        w.p.kill()
        w.p.wait()
        del _WORKERS[slot]


def run_case(label, case, reps, count, duration):
    sender, receiver = IMPLS[label]
    test = case["test"]
    if test == "rx":
        sender = C_MMSG_SENDER
    rrole, srole = ("echo", "ping") if test == "rtt" else ("recv", "send")
    timeout = 60 + duration * 20
    common = ["--style", case["style"], "--size", str(case["size"]), "--streams", str(case["streams"]),
              "--assocs", str(case["assocs"]), "--reps", str(reps), "--batch", "64"]
    out = []
    recv = send = None
    try:
        recv = endpoint(receiver, [rrole] + common, "listen")
        port = recv.line(timeout)["port"]
        send = endpoint(sender, [srole] + common + ["--port", str(port), "--count", str(count),
                                                   "--duration", str(duration)], "client")
        send.line(timeout)  # ready
        for _ in range(reps):
            send.say("go")
            s = send.line(timeout)
            r = recv.line(timeout)
            out.append(combine(case, s, r))
        send.finish(timeout)
        recv.finish(timeout)
    except BaseException:
        # a half-finished case leaves workers mid-protocol: start afresh
        for e in (send, recv):
            if isinstance(e, Proc) and not isinstance(e, PyWorker):
                e.p.kill()
        kill_workers()
        raise
    return out


def combine(case, s, r):
    msgs = r["msgs"]
    wall = max(r["t_last"] - s["t0"], 1e-9)
    rec = {
        "sent": s["msgs"], "received": msgs,
        "msgs_per_s": msgs / wall,
        "mb_per_s": r["bytes"] / wall / 1e6,
        "recv_cpu_us_per_msg": (r["cpu_user"] + r["cpu_sys"]) / max(msgs, 1) * 1e6,
        "send_cpu_us_per_msg": (s["cpu_user"] + s["cpu_sys"]) / max(s["msgs"], 1) * 1e6,
        "recv_cpu_user_s": r["cpu_user"], "recv_cpu_sys_s": r["cpu_sys"],
        "send_cpu_user_s": s["cpu_user"], "send_cpu_sys_s": s["cpu_sys"],
        "wall_s": wall,
    }
    for k in ("rtt_p50_us", "rtt_p99_us", "rtt_min_us"):
        if k in s:
            rec[k] = s[k]
    for k in ("rss_start_kb", "rss_end_kb"):
        if k in r:
            rec[k] = r[k]
    if r.get("calls"):
        # batch receivers: how full each recvmmsg call came back (markers included)
        rec["recv_msgs_per_call"] = (msgs + case["assocs"] * case["streams"]) / r["calls"]
    if s["msgs"] != msgs:
        rec["error"] = f"sender sent {s['msgs']} but receiver counted {msgs}"
    return rec


METRICS = ("msgs_per_s", "mb_per_s", "recv_cpu_us_per_msg", "send_cpu_us_per_msg",
           "rtt_p50_us", "rtt_p99_us", "recv_msgs_per_call")


def summarise(reps):
    med, lo, hi = {}, {}, {}
    for k in METRICS:
        vals = [r[k] for r in reps if k in r]
        if vals:
            med[k], lo[k], hi[k] = statistics.median(vals), min(vals), max(vals)
    return med, lo, hi


# ---- cases ----------------------------------------------------------------------------

def case(test, size=128, streams=1, style="1to1", assocs=1):
    return {"test": test, "size": size, "streams": streams, "style": style, "assocs": assocs}


def case_id(c):
    tail = f" a{c['assocs']}" if c["style"] == "1tomany" else ""
    return f"{c['test']} {c['size']}B s{c['streams']} {c['style']}" + tail


def quick_cases():
    out = []
    for test in ("tput", "rx", "rtt"):
        out += [case(test), case(test, style="1tomany")]
    return out


def full_cases():
    out = [case("tput", size=s) for s in (64, 128, 256, 1024, 8192)]
    out += [case("tput", streams=10), case("tput", style="1tomany"), case("tput", style="1tomany", assocs=100),
            case("tput", style="1tomany", assocs=100, streams=10)]
    out += [case("rx", size=s) for s in (64, 128, 1024, 8192)]
    out += [case("rx", style="1tomany"), case("rx", style="1tomany", assocs=100)]
    out += [case("rtt", size=s) for s in (128, 1024)]
    out += [case("rtt", style="1tomany"), case("rtt", style="1tomany", assocs=100)]
    return out


# ---- memory ----------------------------------------------------------------------------

def run_mem(label, nmsgs, timeout=1800):
    """RSS of one receiver process across nmsgs messages, after a 20,000-message warm-up.

    The receiver is a one-to-many socket that stays up; a fresh C sendmmsg
    sender connects for the warm-up and again for the measured run.
    """
    recv = Proc([sys.executable, WORKER, "recv", label, "--style", "1tomany", "--size", "128", "--reps", "2"])
    try:
        port = recv.line(60)["port"]
        for n in (20000, nmsgs):
            send = Proc([CBIN, "send", "--api", "mmsg", "--style", "1tomany", "--size", "128", "--reps", "1",
                         "--port", str(port), "--count", str(n), "--duration", "1000000"])
            try:
                send.line(60)
                send.say("go")
                s = send.line(timeout)
                r = recv.line(timeout)
            finally:
                send.stop()
            if s["msgs"] != r["msgs"]:
                raise RuntimeError(f"sender sent {s['msgs']} but receiver counted {r['msgs']}")
    finally:
        recv.stop()
    return {"messages": r["msgs"], "warmup_messages": 20000, "rss_start_kb": r["rss_start_kb"],
            "rss_end_kb": r["rss_end_kb"], "msgs_per_s": r["msgs"] / max(r["t_last"] - s["t0"], 1e-9)}


# ---- reporting -------------------------------------------------------------------------

def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    path = os.environ.get("CSCTP_KERNEL_PATH", "direct (not under csctp.testing)")
    emulated = path == "vm" and os.environ.get("CSCTP_VM_KVM") != "1"
    try:
        import csctp
        cver = csctp.__version__
    except Exception:
        cver = None
    try:
        from importlib.metadata import version
        pysctp_ver = version("pysctp")
    except Exception:
        pysctp_ver = None
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except Exception:
        commit = None
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "kernel": platform.release(),
        "harness_path": path,
        "emulated": emulated,
        "emulation_note": ("QEMU software emulation (TCG): absolute figures are one to two orders of magnitude "
                           "below native and noisy; compare ratios within this run" if emulated else "native or KVM"),
        "cpu_model": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "csctp": cver,
        "pysctp": pysctp_ver,
        "commit": commit,
        # the VM cannot see the host: the Makefile passes the host's load average in
        "host_loadavg_at_start": os.environ.get("CSCTP_BENCH_HOST_LOADAVG"),
        "host_cpu_model": os.environ.get("CSCTP_BENCH_HOST_CPU"),
        "host_cpus": int(os.environ.get("CSCTP_BENCH_HOST_CPUS") or 0) or None,
    }


def fmt(v, digits=None):
    if v is None:
        return "–"
    if digits is None:
        digits = 0 if v >= 100 else 1 if v >= 10 else 2
    return f"{v:,.{digits}f}"


def cell(run, k):
    if k not in run.get("median", {}):
        return "–"
    return f"{fmt(run['median'][k])} ({fmt(run['min'][k])}–{fmt(run['max'][k])})"


def _meets(r, op, limit):
    return r <= limit if op == "≤" else r >= limit


def _load_note(meta):
    """What the host's load average at start says (the VM cannot see the host's other work)."""
    try:
        load = float(str(meta.get("host_loadavg_at_start") or "").split()[0])
    except (ValueError, IndexError):
        return "host load unknown"
    ncpu = meta.get("host_cpus") or os.cpu_count() or 1
    if load < ncpu:
        return f"below the host's {ncpu} CPUs: no other heavy work ran"
    return f"at or above the host's {ncpu} CPUs: other work competed, and every figure includes it"


def markdown(meta, runs, avail, targets, mem):
    L = [f"# csctp side-by-side benchmark ({meta['mode']})", "",
         f"- date: {meta['date_utc']}; kernel {meta['kernel']} (path: {meta['harness_path']}; "
         f"{'under emulation' if meta['emulated'] else 'not emulated'}: {meta['emulation_note']})",
         f"- host: CPU {meta['host_cpu_model']}, load average at start {meta['host_loadavg_at_start']} "
         f"({_load_note(meta)})",
         f"- CPU seen by the kernel: {meta['cpu_model']} × {meta['cpus']}; "
         f"Python {meta['python']}; csctp {meta['csctp']}; "
         f"pysctp {meta['pysctp'] or 'unavailable'}; commit {meta['commit']}",
         f"- each cell: median (min–max) of {meta['reps']} repetitions; a repetition is up to "
         f"{meta['count']:,} messages or {meta['duration']} s",
         ""]
    un = {k: v for k, v in avail.items() if v}
    if un:
        L += ["Unavailable: " + "; ".join(f"{k}: unavailable ({v})" for k, v in un.items()), ""]
    L += ["## Targets", "",
          "| target | measured | ratio | limit | result | C on the same ratio |",
          "| --- | --- | --- | --- | --- | --- |"]
    for t in targets:
        ceil = "–"
        if "ceiling_ratio" in t:
            ceil = (f"{t['ceiling_impl']}: {fmt(t['ceiling_ratio'], 2)} "
                    f"(csctp reaches {t['share_of_ceiling'] * 100:.0f} % of C)")
        L.append(f"| {t['name']} | {t['detail']} | {fmt(t['ratio'], 2) if t['ratio'] is not None else '–'} | "
                 f"{t['op']} {t['limit']} | **{t['result']}** | {ceil} |")
    L.append("")
    if any(t["result"] == "MISS" and t.get("ceiling_ratio") is not None
           and not _meets(t["ceiling_ratio"], t["op"], t["limit"]) for t in targets):
        L += ["A msg/s target marked MISS whose C column also misses the limit is out of reach of any "
              "binding on this kernel path: the C programs pay only the system calls, so their ratio is "
              "the most the kernel allows. Receiver CPU per message (the rows above and the `rx` tables) "
              "is the binding's own cost.", ""]
    if mem:
        L += ["## Memory (RSS of the receiver)", "",
              "| API | messages | RSS before (kB) | RSS after (kB) | growth (kB) |",
              "| --- | --- | --- | --- | --- |"]
        for m in mem:
            if "error" in m:
                L.append(f"| {m['impl']} | – | – | – | error: {m['error']} |")
            else:
                L.append(f"| {m['impl']} | {m['messages']:,} | {m['rss_start_kb']:,} | {m['rss_end_kb']:,} | "
                         f"{m['rss_end_kb'] - m['rss_start_kb']:,} |")
        L.append("")
    groups = {}
    for r in runs:
        groups.setdefault(r["case_id"], []).append(r)
    for cid, rs in groups.items():
        test = rs[0]["case"]["test"]
        L += [f"## {cid}", ""]
        if test == "rtt":
            L += ["| implementation | RTT p50 µs | RTT p99 µs | round trips/s "
                  "| server CPU µs/msg | client CPU µs/msg |",
                  "| --- | --- | --- | --- | --- | --- |"]
            for r in rs:
                if "median" not in r:
                    L.append(f"| {r['impl']} | {r.get('error')} | | | | |")
                    continue
                L.append(f"| {r['impl']} | {cell(r, 'rtt_p50_us')} | {cell(r, 'rtt_p99_us')} | "
                         f"{cell(r, 'msgs_per_s')} | {cell(r, 'recv_cpu_us_per_msg')} | "
                         f"{cell(r, 'send_cpu_us_per_msg')} |")
        else:
            L += ["| implementation | msg/s | MB/s | receiver CPU µs/msg | sender CPU µs/msg "
                  "| messages per receive call |",
                  "| --- | --- | --- | --- | --- | --- |"]
            for r in rs:
                if "median" not in r:
                    L.append(f"| {r['impl']} | {r.get('error')} | | | | |")
                    continue
                L.append(f"| {r['impl']} | {cell(r, 'msgs_per_s')} | {cell(r, 'mb_per_s')} | "
                         f"{cell(r, 'recv_cpu_us_per_msg')} | {cell(r, 'send_cpu_us_per_msg')} | "
                         f"{cell(r, 'recv_msgs_per_call')} |")
        L.append("")
    L += ["Implementations:", ""] + [f"- `{k}`: {v}" for k, v in DESCR.items()] + [
        "- test `rx`: every receiver is fed by the same C sendmmsg sender (sender column = that C sender)", ""]
    return "\n".join(L)


def find(runs, impl, test, **kw):
    for r in runs:
        c = r["case"]
        if r["impl"] == impl and c["test"] == test and all(c[k] == v for k, v in kw.items()) and "median" in r \
                and "error" not in r:
            return r["median"]
    return None


def evaluate_targets(runs, mem):
    base = dict(size=128, streams=1, style="1to1", assocs=1)
    T = []

    def ratio(name, a_impl, b_impl, test, metric, op, limit, ceiling=None):
        """a/b against the limit.  *ceiling*: the C implementation whose ratio to b in the
        same run shows what the kernel path allows at all (written next to msg/s targets:
        when C itself cannot reach the limit, no binding can)."""
        a, b = find(runs, a_impl, test, **base), find(runs, b_impl, test, **base)
        if a is None or b is None or metric not in a or metric not in b or not b[metric]:
            missing = a_impl if a is None else b_impl
            T.append({"name": name, "detail": f"{missing}: not measured", "ratio": None, "op": op,
                      "limit": limit, "result": "NOT MEASURED"})
            return
        r = a[metric] / b[metric]
        ok = r <= limit if op == "≤" else r >= limit
        t = {"name": name, "detail": f"{a_impl} {fmt(a[metric])} vs {b_impl} {fmt(b[metric])} ({metric})",
             "ratio": r, "op": op, "limit": limit, "result": "PASS" if ok else "MISS"}
        c = find(runs, ceiling, test, **base) if ceiling else None
        if c is not None and metric in c:
            t["ceiling_impl"] = ceiling
            t["ceiling_ratio"] = c[metric] / b[metric]
            t["share_of_ceiling"] = a[metric] / c[metric]
        T.append(t)

    ratio("batch receiver CPU/msg vs C recvmmsg (128 B, rx)", "csctp-batch", "c-mmsg", "rx",
          "recv_cpu_us_per_msg", "≤", 1.15)
    ratio("batch echo RTT p50 vs recv_into, one message in flight (128 B, rtt)", "csctp-batch", "csctp-recv_into",
          "rtt", "rtt_p50_us", "≤", 1.1)
    ratio("Association.recv_batch receiver CPU/msg vs Socket.recv_into (128 B, rx)", "csctp-recv_batch",
          "csctp-recv_into", "rx", "recv_cpu_us_per_msg", "≤", 1.0)
    ratio("Association.recv_batch receiver CPU/msg vs C recvmmsg (128 B, rx)", "csctp-recv_batch", "c-mmsg",
          "rx", "recv_cpu_us_per_msg", "≤", 1.15)
    for aio_impl in ("aio-asyncio", "aio-uvloop", "aio-proto", "aio-uvloop-proto"):
        ratio(f"{aio_impl} one-way msg/s vs sync Association (128 B, tput)", aio_impl, "csctp-assoc", "tput",
              "msgs_per_s", "≥", 0.8)
        ratio(f"{aio_impl} RTT p50 vs sync Association (128 B, rtt)", aio_impl, "csctp-assoc", "rtt",
              "rtt_p50_us", "≤", 1.3)
    for aio_impl in ("aio-batch", "aio-uvloop-batch"):
        ratio(f"{aio_impl} msg/s vs sync per message (Association, 128 B, tput)", aio_impl, "csctp-assoc", "tput",
              "msgs_per_s", "≥", 1.0)
    ratio("recv_into receiver CPU/msg vs C sctp_recvmsg (128 B, rx)", "csctp-recv_into", "c-sctp", "rx",
          "recv_cpu_us_per_msg", "≤", 1.3)
    ratio("batch send+recv msg/s vs C sendmmsg/recvmmsg (128 B, tput)", "csctp-batch", "c-mmsg", "tput",
          "msgs_per_s", "≥", 0.9)
    ratio("csctp per message (recv) msg/s vs pysctp (128 B, tput)", "csctp-recv", "pysctp", "tput",
          "msgs_per_s", "≥", 4, ceiling="c-sctp")
    ratio("csctp per message (recv_into) msg/s vs pysctp (128 B, tput)", "csctp-recv_into", "pysctp", "tput",
          "msgs_per_s", "≥", 4, ceiling="c-sctp")
    ratio("csctp per message (recv) receiver CPU/msg vs pysctp (128 B, tput)", "csctp-recv", "pysctp", "tput",
          "recv_cpu_us_per_msg", "≤", 0.6)
    ratio("csctp per message (recv_into) receiver CPU/msg vs pysctp (128 B, tput)", "csctp-recv_into", "pysctp",
          "tput", "recv_cpu_us_per_msg", "≤", 0.6)
    ratio("csctp batch msg/s vs stdlib recv_into loop (128 B, tput)", "csctp-batch", "stdlib-recv_into", "tput",
          "msgs_per_s", "≥", 2, ceiling="c-mmsg")
    for m in mem:
        name = f"RSS growth < 5 MB over {m.get('messages', 0):,} messages ({m['impl']})"
        if "error" in m:
            T.append({"name": name, "detail": m["error"], "ratio": None, "op": "<", "limit": "5 MB",
                      "result": "NOT MEASURED"})
            continue
        g = (m["rss_end_kb"] - m["rss_start_kb"]) / 1024
        T.append({"name": name, "detail": f"{g:.2f} MB", "ratio": None, "op": "<", "limit": "5 MB",
                  "result": "PASS" if g < 5 else "MISS"})
    return T


def chart(path, meta, runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("tput", "msgs_per_s", "one-way msg/s (tput, 128 B, 1-to-1)"),
              ("rx", "recv_cpu_us_per_msg", "receiver CPU µs/msg (rx, 128 B, 1-to-1)"),
              ("tput", "send_cpu_us_per_msg", "sender CPU µs/msg (tput, 128 B, 1-to-1)"),
              ("rtt", "rtt_p50_us", "ping-pong RTT p50 µs (128 B, 1-to-1)")]
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    base = dict(size=128, streams=1, style="1to1", assocs=1)
    for ax, (test, metric, title) in zip(axes.flat, panels):
        labels, vals, lo, hi = [], [], [], []
        for impl in IMPLS:
            for r in runs:
                c = r["case"]
                if r["impl"] == impl and c["test"] == test and all(c[k] == v for k, v in base.items()) \
                        and metric in r.get("median", {}):
                    labels.append(impl)
                    vals.append(r["median"][metric])
                    lo.append(r["median"][metric] - r["min"][metric])
                    hi.append(r["max"][metric] - r["median"][metric])
        colors = ["#555555" if l.startswith("c-") else "#1f77b4" if l.startswith("csctp") else "#ff7f0e"
                  for l in labels]
        ax.barh(labels, vals, xerr=[lo, hi], color=colors, capsize=3)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        for i, v in enumerate(vals):
            ax.text(v, i, f" {fmt(v)}", va="center", fontsize=8)
    fig.suptitle(f"csctp benchmark ({meta['mode']}) — kernel {meta['kernel']}, "
                 f"{'QEMU emulation' if meta['emulated'] else meta['harness_path']}, {meta['cpu_model']}, "
                 f"Python {meta['python']}, {meta['date_utc']}\nmedian of {meta['reps']} reps, bars = min–max",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---- main -------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="csctp side-by-side SCTP benchmark (see the module docstring).")
    ap.add_argument("--quick", action="store_true", help="128 B, 1 stream, 1-to-1 and 1-to-many (1 assoc)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--duration", type=float, default=None, help="seconds per repetition (cap)")
    ap.add_argument("--count", type=int, default=None, help="messages per repetition (cap)")
    ap.add_argument("--mem-messages", type=int, default=None, help="messages for the RSS check (0: skip)")
    ap.add_argument("--only", default=None, help="comma-separated implementation labels")
    ap.add_argument("--tests", default=None, help="comma-separated tests to run (tput, rx, rtt; default: all)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--name", default=None, help="output file stem (default: quick / full)")
    ap.add_argument("--render", metavar="JSON", default=None,
                    help="no measuring: recompute targets and rewrite the .md/.png of a results JSON")
    a = ap.parse_args(argv)
    if a.render:
        return render(a.render)
    if a.reps < 1:
        ap.error("--reps must be >= 1")
    mode = "quick" if a.quick else "full"
    duration = a.duration if a.duration is not None else 1.0
    count = a.count if a.count is not None else 200000
    mem_n = a.mem_messages if a.mem_messages is not None else (100000 if a.quick else 1000000)
    name = a.name or mode
    os.makedirs(a.out, exist_ok=True)

    meta = machine()
    meta.update(mode=mode, reps=a.reps, duration=duration, count=count)
    avail = availability()
    labels = [l for l in IMPLS if not a.only or l in a.only.split(",")]
    print(f"bench: kernel {meta['kernel']} ({meta['harness_path']}, "
          f"{'emulated' if meta['emulated'] else 'not emulated'}), CPU {meta['cpu_model']}", flush=True)
    for l in labels:
        if avail[l]:
            print(f"bench: {l}: unavailable ({avail[l]})", flush=True)
    cases = quick_cases() if a.quick else full_cases()
    if a.tests:
        cases = [c for c in cases if c["test"] in a.tests.split(",")]
    runs = []
    t_start = time.monotonic()
    # Repetition-major order: repetition r of every (case, implementation)
    # runs before repetition r+1 of any, so a slow spell of a shared machine
    # spreads over all implementations instead of sinking one of them.
    recs = {}
    for c in cases:
        for l in labels:
            if l in ONLY_IN and not ONLY_IN[l](c):
                continue
            rec = recs[(case_id(c), l)] = {"impl": l, "case": c, "case_id": case_id(c), "reps": []}
            if avail[l]:
                rec["error"] = f"unavailable ({avail[l]})"
            runs.append(rec)
    for rep in range(a.reps):
        for c in cases:
            for l in labels:
                rec = recs.get((case_id(c), l))
                if rec is None or avail[l]:
                    continue
                t = time.monotonic()
                try:
                    r = run_case(l, c, 1, count, duration)[0]
                except Exception as e:
                    r = {"error": f"{type(e).__name__}: {e}"}
                r["rep"] = rep
                rec["reps"].append(r)
                print(f"bench: rep {rep + 1}/{a.reps} {case_id(c):28s} {l:17s} " + (
                    f"ERROR {r['error']}" if "error" in r else
                    f"{fmt(r.get('msgs_per_s'))} msg/s  rx {fmt(r.get('recv_cpu_us_per_msg'))} µs/msg  "
                    f"tx {fmt(r.get('send_cpu_us_per_msg'))} µs/msg" +
                    (f"  rtt p50 {fmt(r['rtt_p50_us'])} p99 {fmt(r['rtt_p99_us'])} µs" if "rtt_p50_us" in r else "")) +
                    f"  [{time.monotonic() - t:.1f} s]", flush=True)
    for rec in runs:
        good = [r for r in rec["reps"] if "error" not in r]
        errs = [r["error"] for r in rec["reps"] if "error" in r]
        if good:
            med, lo, hi = summarise(good)
            rec.update(median=med, min=lo, max=hi, good_reps=len(good))
        if errs and "error" not in rec:
            rec["rep_errors"] = errs
            if not good:
                rec["error"] = errs[0]
    mem = []
    if mem_n:
        for l in ("csctp-recv", "csctp-recv_into", "csctp-batch"):
            if l not in labels:
                continue
            if avail[l] or avail["c-mmsg"]:
                mem.append({"impl": l, "error": f"unavailable ({avail[l] or avail['c-mmsg']})"})
                continue
            try:
                mem.append(dict(run_mem(l, mem_n), impl=l))
            except Exception as e:
                mem.append({"impl": l, "error": f"{type(e).__name__}: {e}"})
            print(f"bench: mem {l}: {mem[-1]}", flush=True)
    targets = evaluate_targets(runs, mem)
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)
    doc = {"meta": meta, "availability": {k: v or "available" for k, v in avail.items()},
           "implementations": DESCR, "runs": runs, "memory": mem, "targets": targets}
    jpath = os.path.join(a.out, f"{name}.json")
    with open(jpath, "w") as f:
        json.dump(doc, f, indent=1)
    md = markdown(meta, runs, avail, targets, mem)
    with open(os.path.join(a.out, f"{name}.md"), "w") as f:
        f.write(md + "\n")
    try:
        chart(os.path.join(a.out, f"{name}.png"), meta, runs)
    except Exception as e:
        print(f"bench: chart not written: {type(e).__name__}: {e}", flush=True)
    print("\n" + md, flush=True)
    for t in targets:
        print(f"bench: target {t['result']}: {t['name']}: {t['detail']}"
              + (f" ratio {t['ratio']:.2f} (limit {t['op']} {t['limit']})" if t["ratio"] is not None else ""))
    kill_workers()
    print(f"bench: wrote {jpath} (+ .md, .png) in {meta['elapsed_s']} s", flush=True)
    return 0


def render(jpath):
    """Targets, Markdown and chart again from a results JSON (after a change to the report)."""
    with open(jpath) as f:
        doc = json.load(f)
    meta, runs, mem = doc["meta"], doc["runs"], doc["memory"]
    avail = {k: (None if v == "available" else v) for k, v in doc["availability"].items()}
    doc["targets"] = targets = evaluate_targets(runs, mem)
    with open(jpath, "w") as f:
        json.dump(doc, f, indent=1)
    stem = os.path.splitext(jpath)[0]
    with open(stem + ".md", "w") as f:
        f.write(markdown(meta, runs, avail, targets, mem) + "\n")
    chart(stem + ".png", meta, runs)
    print(f"bench: rewrote {stem}.md/.png and the targets of {jpath}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
