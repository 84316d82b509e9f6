#!/usr/bin/env python3
"""Scaling benchmark: N associations served by 1 and by 2 workers (C processes, Python processes, Python threads).

Method
------
* One case is (implementation, workers, work per message).  A C sender
  (``bench/c/bin/sctpbench send --api sctp``, one process, ``--assocs N``
  one-to-one client sockets, 128-byte messages, ``SCTP_NODELAY``) sends
  round-robin over the N associations as fast as they take it, for
  ``--duration`` seconds, then a 1-byte end marker on each.
* The serving side, N associations split round robin between W workers:
  - ``c``: ``sctpbench recv --workers W``: one process accepts the N
    associations on a one-to-one listener and forks W workers; each
    ``poll``s its associations and reads with ``sctp_recvmsg``.
  - ``py-processes``: this script's ``serve`` role: a one-to-many
    ``csctp.Endpoint`` peels off each association at its COMM_UP and hands
    the descriptor to one of W worker processes (``socket.send_fds``; the
    worker adopts it with ``csctp.Association(csctp.Socket(fileno=fd))``),
    the pattern of docs/scaling.md and examples/worker_processes.py.
  - ``py-threads``: the same, the peeled-off ``csctp.Association`` objects
    handed to W threads of the serving process.
  Each worker ``poll``s its associations and reads with
  ``Association.recv_into`` (stream, PPID and association id parsed into a
  ``Message``).  W=1 is the same program with one worker.
* ``--work-us U``: after each message a worker spends U microseconds of its
  own CPU time (a loop on ``CLOCK_THREAD_CPUTIME_ID``; in Python on
  ``time.thread_time_ns``, holding the GIL as Python code does), standing
  for the application's work (decoding, routing).  U=0 measures the
  receive path alone, which on loopback is bounded by the sender (its
  system call runs most of the kernel's SCTP work), so more workers cannot
  help there; U > 0 makes the serving side the bottleneck, as in a real
  gateway.
* msg/s = messages received by all workers / (last worker's last receive -
  sender's first send), CLOCK_MONOTONIC; the workers' count must equal the
  sender's.  Each case runs ``--reps`` times, interleaved (every case once,
  then again), each time in fresh processes; reported: the median and
  min-max.  Scaling = median msg/s with 2 workers / with 1.  Target:
  py-processes >= 1.6x where C reaches >= 1.8x in the same run.
* The load average of the VM (``/proc/loadavg``) is recorded with every
  repetition; the host's (which the VM cannot see) is passed in by the
  Makefile at the start and, by ``--finish``, at the end.  Other VMs on
  the same 2-core host take CPU from this one: compare ratios, and read
  them with the load beside them.

    python -m csctp.testing --rwdir bench/results -- python bench/scaling.py [--reps 3] [--duration 2]
    python bench/scaling.py --finish bench/results/scaling.json --host-loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
"""

import argparse
import json
import os
import resource
import select
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCTPBENCH = os.path.join(HERE, "c", "bin", "sctpbench")
SIZE = 128
IMPLS = ("c", "py-processes", "py-threads")
RUN_TIMEOUT = 120.0           # seconds one repetition may take before it counts as failed


# ---- the Python serving side ----------------------------------------------------------------


def spin(work_ns):
    """Spend *work_ns* of this thread's CPU time (the GIL held, as Python code holds it)."""
    if work_ns:
        end = time.thread_time_ns() + work_ns
        while time.thread_time_ns() < end:
            pass


def serve_loop(assocs, work_ns, out, worker, threaded, lock):
    """Read every association of this worker until each has sent its end marker; print one result line."""
    import csctp  # noqa: F401  (imported before the timing in the process roles)
    buf = bytearray(65536)
    poller = select.poll()
    by_fd = {}
    for a in assocs:
        a.settimeout(0)
        poller.register(a.fileno(), select.POLLIN)
        by_fd[a.fileno()] = a
    msgs = markers = 0
    t_first = 0.0
    cpu0 = time.thread_time() if threaded else sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    for _ in range(1 << 40):
        if markers >= len(assocs):
            break
        ready = poller.poll(RUN_TIMEOUT * 1000)
        if not ready:
            raise SystemExit(f"scaling worker {worker}: nothing for {RUN_TIMEOUT:g} s")
        for fd, _ev in ready:
            try:
                n, m = by_fd[fd].recv_into(buf)
            except BlockingIOError:
                continue
            if not t_first:
                t_first = time.monotonic()
            if n == 1:                   # its end marker: the shutdown that follows is not ours to read
                markers += 1
                poller.unregister(fd)
            else:
                msgs += 1
                spin(work_ns)
    t_last = time.monotonic()
    cpu1 = time.thread_time() if threaded else sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    line = json.dumps({"rep": 0, "msgs": msgs, "t_first": t_first, "t_last": t_last, "cpu": cpu1 - cpu0,
                       "worker": worker})
    with lock:
        out.write(line + "\n")
        out.flush()


def role_serve(args):
    """The serving process: a one-to-many Endpoint peeling associations off to W workers."""
    import csctp
    ep = csctp.Endpoint("127.0.0.1:0", instreams=16)
    ep.settimeout(RUN_TIMEOUT)
    ep.subscribe("assoc_change")
    procs, ctls = [], []
    if args.mode == "processes":
        for w in range(args.workers):
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            procs.append(subprocess.Popen([sys.executable, __file__, "worker", str(theirs.fileno()), str(w),
                                           "--work-us", str(args.work_us)], pass_fds=[theirs.fileno()]))
            theirs.close()
            ctls.append(mine)
        for c in ctls:                   # each worker says it is ready (interpreter and imports paid)
            c.settimeout(RUN_TIMEOUT)
            assert c.recv(1) == b"R"
    print(json.dumps({"port": ep.local_addresses[0][1]}), flush=True)
    shares = [[] for _ in range(args.workers)]
    handed = 0
    for item in ep.items():
        if isinstance(item, csctp.AssocChange) and item.state == csctp.AssocChangeState.COMM_UP:
            a = ep.peeloff(item.assoc_id)
            w = handed % args.workers
            if procs:
                fd = a.detach()
                socket.send_fds(ctls[w], [b"A"], [fd])
                os.close(fd)
            else:
                shares[w].append(a)
            handed += 1
            if handed == args.assocs:
                break
    ep.close()
    if procs:
        for c in ctls:
            c.sendall(b"G")              # every association handed: start
        print(json.dumps({"serving": args.workers}), flush=True)
        for p in procs:
            p.wait(RUN_TIMEOUT)
        sys.exit(max(p.returncode for p in procs))
    lock = threading.Lock()
    threads = [threading.Thread(target=serve_loop, args=(shares[w], args.work_us * 1000, sys.stdout, w, True, lock))
               for w in range(args.workers)]
    for t in threads:
        t.start()
    with lock:
        print(json.dumps({"serving": args.workers}), flush=True)
    for t in threads:
        t.join()


def role_worker(args):
    """A worker process: adopt the descriptors the serving process sends, then serve them."""
    import csctp
    ctl = socket.socket(fileno=args.fd)
    ctl.sendall(b"R")
    assocs = []
    for _ in range(1024):
        msg, fds, _, _ = socket.recv_fds(ctl, 1, 1)
        if msg == b"G" or not msg:
            break
        assocs.extend(csctp.Association(csctp.Socket(fileno=fd)) for fd in fds)
    serve_loop(assocs, args.work_us * 1000, sys.stdout, args.index, False, threading.Lock())


# ---- the orchestrator -------------------------------------------------------------------------


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def read_json(p, what):
    """The next JSON line of *p* (a watchdog kills the processes of a repetition that hangs)."""
    line = p.stdout.readline()
    if not line:
        raise RuntimeError(f"{what}: exited ({p.wait()}) without a result")
    return json.loads(line)


def one_rep(impl, workers, work_us, args):
    """Start the serving side and the C sender, run one repetition, return its figures."""
    if impl == "c":
        cmd = [SCTPBENCH, "recv", "--api", "sctp", "--style", "1to1", "--assocs", str(args.assocs), "--streams", "1",
               "--size", str(SIZE), "--reps", "1", "--workers", str(workers), "--work-us", str(work_us)]
    else:
        cmd = [sys.executable, __file__, "serve", "--mode", impl.split("-")[1], "--workers", str(workers),
               "--assocs", str(args.assocs), "--work-us", str(work_us)]
    procs = [subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)]
    srv = procs[0]
    timer = threading.Timer(RUN_TIMEOUT, lambda: [p.kill() for p in procs])
    timer.start()
    try:
        port = read_json(srv, f"{impl} serve")["port"]
        snd = subprocess.Popen([SCTPBENCH, "send", "--api", "sctp", "--assocs", str(args.assocs), "--port", str(port),
                                "--streams", "1", "--size", str(SIZE), "--count", "100000000",
                                "--duration", str(args.duration), "--reps", "1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(snd)
        read_json(snd, "sender")                         # {"ready": 1}: every association is up
        if impl != "c":
            read_json(srv, f"{impl} serve")              # {"serving": W}: every association handed over
        load = loadavg()
        snd.stdin.write("go\n")
        snd.stdin.flush()
        sent = read_json(snd, "sender")
        lines = [read_json(srv, f"{impl} worker") for _ in range(workers)]
        srv.wait(RUN_TIMEOUT)
        snd.wait(RUN_TIMEOUT)
    finally:
        timer.cancel()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    got = sum(ln["msgs"] for ln in lines)
    if got != sent["msgs"]:
        raise RuntimeError(f"{impl} x{workers}: received {got} of {sent['msgs']} messages")
    wall = max(ln["t_last"] for ln in lines) - sent["t0"]
    cpu = [ln.get("cpu", ln.get("cpu_user", 0) + ln.get("cpu_sys", 0)) for ln in lines]
    return {"msgs": got, "wall": wall, "msg_per_s": got / wall, "per_worker_msgs": [ln["msgs"] for ln in lines],
            "worker_cpu_s": cpu, "sender_cpu_s": sent["cpu_user"] + sent["cpu_sys"], "vm_loadavg": load}


def summarise(results):
    rows = []
    for key, reps in results["cases"].items():
        impl, workers, work = key.split("/")
        rates = [r["msg_per_s"] for r in reps if "msg_per_s" in r]
        rows.append({"impl": impl, "workers": int(workers), "work_us": float(work),
                     "median": statistics.median(rates) if rates else None,
                     "min": min(rates) if rates else None, "max": max(rates) if rates else None,
                     "n": len(rates), "errors": [r["error"] for r in reps if "error" in r],
                     "vm_loadavg": [r["vm_loadavg"] for r in reps if "vm_loadavg" in r]})
    return rows


def scaling_table(rows):
    by = {(r["impl"], r["workers"], r["work_us"]): r for r in rows}
    out = []
    for impl, w2, work in sorted({(r["impl"], r["workers"], r["work_us"]) for r in rows if r["workers"] > 1}):
        one, two = by.get((impl, 1, work)), by.get((impl, w2, work))
        if one and two and one["median"] and two["median"]:
            out.append({"impl": impl, "workers": w2, "work_us": work, "ratio": two["median"] / one["median"]})
    return out


def render(results):
    rows = summarise(results)
    ratios = scaling_table(rows)
    m = results["machine"]
    a = results["args"]
    md = ["# Scaling: N associations served by 1 and 2 workers", "",
          f"`bench/scaling.py` (method at its top), {m['date_utc']}, commit {m['commit']}, kernel {m['kernel']} "
          f"({'VM, software emulation (TCG)' if m['emulated'] else m['harness_path']}), {m['cpus']} CPUs; "
          f"{a['assocs']} associations, 128 B messages, one C `sctp_sendmsg` sender process, "
          f"{a['duration']:g} s per repetition, {a['reps']} repetitions per case, interleaved.", "",
          f"Host load average (1, 5, 15 min) at the start: {m.get('host_loadavg_at_start') or 'not recorded'}; "
          f"at the end: {results.get('host_loadavg_at_end') or 'not recorded'} "
          f"(host: {m.get('host_cpus') or '?'} CPUs, {m.get('host_cpu_model') or '?'}).", "",
          "| implementation | workers | work µs/msg | msg/s median | min–max | reps | VM load average per rep |",
          "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        med = f"{r['median']:,.0f}" if r["median"] else "–"
        rng = f"{r['min']:,.0f}–{r['max']:,.0f}" if r["median"] else "–"
        err = f" ({len(r['errors'])} failed: {r['errors'][0]})" if r["errors"] else ""
        md.append(f"| {r['impl']} | {r['workers']} | {r['work_us']:g} | {med} | {rng} | {r['n']}{err} | "
                  f"{'; '.join(r['vm_loadavg'])} |")
    md += ["", "## Scaling (median msg/s with 2 workers / with 1)", "",
           "| work µs/msg | c | py-processes | py-threads | target: py-processes ≥ 1.6× where C ≥ 1.8× |",
           "| --- | --- | --- | --- | --- |"]
    for work in sorted({r["work_us"] for r in ratios}):
        got = {r["impl"]: r["ratio"] for r in ratios if r["work_us"] == work}
        c, pp = got.get("c"), got.get("py-processes")
        if c is None or pp is None:
            verdict = "not measured"
        elif c < 1.8:
            verdict = f"not applicable: C reached {c:.2f}× (< 1.8×)"
        else:
            verdict = f"{'PASS' if pp >= 1.6 else 'MISS'} ({pp:.2f}×, {pp / c:.0%} of C's scaling)"
        cells = [f"{got[i]:.2f}×" if i in got else "–" for i in IMPLS]
        md.append(f"| {work:g} | " + " | ".join(cells) + f" | {verdict} |")
    results["summary"] = rows
    results["scaling"] = ratios
    return "\n".join(md) + "\n"


def write(results, out):
    md = render(results)
    with open(out + ".json", "w") as f:
        json.dump(results, f, indent=1)
    with open(out + ".md", "w") as f:
        f.write(md)


def role_run(args):
    sys.path.insert(0, HERE)
    from run import machine
    works = [float(w) for w in args.work_us.split(",")]
    impls = [i for i in args.impls.split(",")]
    for i in impls:
        if i not in IMPLS:
            raise SystemExit(f"scaling: unknown implementation {i!r} (known: {', '.join(IMPLS)})")
    workers = [int(w) for w in args.workers.split(",")]
    results = {"machine": machine(), "args": vars(args), "cases": {}}
    for rep in range(args.reps):
        for work in works:
            for impl in impls:
                for w in workers:
                    key = f"{impl}/{w}/{work:g}"
                    try:
                        r = one_rep(impl, w, work, args)
                    except Exception as e:   # recorded, never dropped
                        r = {"error": f"{type(e).__name__}: {e}"}
                    results["cases"].setdefault(key, []).append(r)
                    print(f"rep {rep + 1}/{args.reps} {key}: "
                          + (f"{r['msg_per_s']:,.0f} msg/s, per worker {r['per_worker_msgs']}, "
                             f"VM load {r['vm_loadavg']}" if "msg_per_s" in r else r["error"]), flush=True)
                    write(results, args.out)  # a run cut short keeps what it measured
    print(open(args.out + ".md").read())


def role_finish(args):
    with open(args.finish) as f:
        results = json.load(f)
    results["host_loadavg_at_end"] = args.host_loadavg
    write(results, args.finish[:-len(".json")])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("role", nargs="?", default="run", choices=("run", "serve", "worker"))
    ap.add_argument("fd", nargs="?", type=int, help="worker: the control socket's descriptor")
    ap.add_argument("index", nargs="?", type=int, default=0, help="worker: its number")
    ap.add_argument("--assocs", type=int, default=4)
    ap.add_argument("--workers", default="1,2", help="run: the worker counts; serve: the count")
    ap.add_argument("--work-us", default="0,500", help="run: CPU µs per message, comma-separated; serve/worker: one")
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--mode", choices=("processes", "threads"), default="processes")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "scaling"))
    ap.add_argument("--finish", metavar="JSON", help="record --host-loadavg as the end load and re-render")
    ap.add_argument("--host-loadavg")
    args = ap.parse_args()
    if args.finish:
        role_finish(args)
    elif args.role == "serve":
        args.workers = int(args.workers)
        args.work_us = float(args.work_us)
        role_serve(args)
    elif args.role == "worker":
        args.work_us = float(args.work_us)
        role_worker(args)
    else:
        role_run(args)


if __name__ == "__main__":
    main()
