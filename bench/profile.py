#!/usr/bin/env python3
"""User-space instructions per message, by callgrind: a binding's own cost, and where it goes.

    python -m csctp.testing -- python bench/profile.py [--small 2000] [--large 6000]
        [--direction recv|send|both] [--only LABELS] [--top N] [--out FILE.md]

CPU time under the emulated, shared VM is noisy; the number of instructions a
process executes per message in user space is not.  Receive rows: each
receiver (the C loops, the stdlib, pysctp, py3-sctp, csctp's Socket and its
front door: Association, Endpoint, csctp.aio on asyncio and uvloop) runs
under ``valgrind --tool=callgrind`` twice, fed by the C ``sendmmsg`` sender
with a small and a large message count.  Send rows: each sender runs under
callgrind the same way, the C ``sctp_recvmsg`` receiver counting what
arrives.  The difference of the two instruction totals divided by the
difference of the counts is the per-message cost with start-up cancelled
out (every Python process runs with PYTHONHASHSEED=0, so that its start-up
is the same in both runs, and with one BLAS thread: numpy's idle worker
threads spin, and callgrind would count their spinning).  Kernel work is
invisible to valgrind (identical system calls cost the same for everyone).
The top functions per message of each row are printed (``callgrind_annotate``)
to show where the time goes; ``--out`` writes the table, its ratios to the
stdlib row of the same direction and the targets (met/missed) as Markdown,
and the figures as JSON beside it (``make bench-cost``).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (bench/run.py: Proc, paths)

W = [sys.executable, R.WORKER]
# receive rows: the receiver runs under callgrind, fed by the C sendmmsg sender
RECEIVERS = {
    "c-sctp": [R.CBIN, "recv", "--api", "sctp"],
    "c-mmsg": [R.CBIN, "recv", "--api", "mmsg"],
    "stdlib-recv_into": W + ["recv", "stdlib-recv_into"],
    "stdlib-recvmsg": W + ["recv", "stdlib-recvmsg"],
    "pysctp": W + ["recv", "pysctp"],
    "py3-sctp": W + ["recv", "py3-sctp"],
    "csctp-recv": W + ["recv", "csctp-recv"],
    "csctp-recv_into": W + ["recv", "csctp-recv_into"],
    "csctp-batch": W + ["recv", "csctp-batch"],
    "front-recv": W + ["recv", "front-recv"],
    "front-recv_into": W + ["recv", "front-recv_into"],
    "front-recv_batch": W + ["recv", "front-recv_batch"],
    "front-recv_batch-call": W + ["recv", "front-recv_batch-call"],
    "endpoint-recv": W + ["recv", "endpoint-recv", "--style", "1tomany"],
    "aio-recv": W + ["recv", "aio-recv"],
    "aio-uvloop-recv": W + ["recv", "aio-uvloop-recv"],
}
# send rows: the sender runs under callgrind, the C sctp_recvmsg receiver counts what arrives
SENDERS = {
    "c-sctp": [R.CBIN, "send", "--api", "sctp"],
    "c-mmsg": [R.CBIN, "send", "--api", "mmsg"],
    "stdlib-send": W + ["send", "stdlib-send"],
    "stdlib-sendmsg": W + ["send", "stdlib-recv_into"],
    "pysctp": W + ["send", "pysctp"],
    "py3-sctp": W + ["send", "py3-sctp"],
    "csctp-send": W + ["send", "csctp-recv"],
    "csctp-send_batch": W + ["send", "csctp-batch"],
    "front-send": W + ["send", "front-send"],
    "front-send_batch": W + ["send", "front-send_batch"],
    "aio-send": W + ["send", "aio-send"],
    "aio-uvloop-send": W + ["send", "aio-uvloop-send"],
}
DESCR = {
    ("recv", "c-sctp"): "C sctp_recvmsg",
    ("recv", "c-mmsg"): "C recvmmsg + RCVINFO, 64/call",
    ("recv", "stdlib-recv_into"): "stdlib socket.recv_into (no metadata)",
    ("recv", "stdlib-recvmsg"): "stdlib socket.recvmsg + RCVINFO parsed",
    ("recv", "pysctp"): "pysctp sctp_recv (data_io on)",
    ("recv", "py3-sctp"): "py3-sctp sctp_recvv (RCVINFO on)",
    ("recv", "csctp-recv"): "csctp Socket.recv",
    ("recv", "csctp-recv_into"): "csctp Socket.recv_into",
    ("recv", "csctp-batch"): "csctp BatchPool(64).recv + `for m in batch` (m.length)",
    ("recv", "front-recv"): "csctp.listen().accept() -> Association.recv",
    ("recv", "front-recv_into"): "Association.recv_into",
    ("recv", "front-recv_batch"): "Association.recv_batch(64) + `for m in batch`",
    ("recv", "front-recv_batch-call"): "Association.recv_batch(64), the call alone",
    ("recv", "endpoint-recv"): "csctp.Endpoint.recv (one-to-many)",
    ("recv", "aio-recv"): "csctp.aio Association.recv, asyncio",
    ("recv", "aio-uvloop-recv"): "csctp.aio Association.recv, uvloop",
    ("send", "c-sctp"): "C sctp_sendmsg",
    ("send", "c-mmsg"): "C sendmmsg + SNDINFO, 64/call",
    ("send", "stdlib-send"): "stdlib socket.send (no metadata)",
    ("send", "stdlib-sendmsg"): "stdlib socket.sendmsg + SNDINFO",
    ("send", "pysctp"): "pysctp sctp_send",
    ("send", "py3-sctp"): "py3-sctp sctp_sendv + sctp_sndinfo",
    ("send", "csctp-send"): "csctp Socket.send",
    ("send", "csctp-send_batch"): "csctp send_batch, 64 numpy rows/call",
    ("send", "front-send"): "csctp.connect() -> Association.send",
    ("send", "front-send_batch"): "Association.send_batch, 64 messages a call",
    ("send", "aio-send"): "csctp.aio Association.send, asyncio",
    ("send", "aio-uvloop-send"): "csctp.aio Association.send, uvloop",
}
# Batch rows whose target is the call alone, not the row's Python loop around it: the function
# whose inclusive cost (callgrind, everything from entering it to its return) is the call.
CALL_OF = {
    ("recv", "front-recv_batch-call"): r"_engine\.c:__pyx_pw_\w*Engine_\d+recv_batch \[",
    ("send", "front-send_batch"): r"_engine\.c:__pyx_pw_\w*Engine_\d+send_batch \[",
    ("send", "csctp-send_batch"): r"_batch\.c:__pyx_pw_5csctp_6_batch_\d+send_batch \[",
}
# direction -> the stdlib row the ratios are taken against
BASE = {"recv": "stdlib-recv_into", "send": "stdlib-send"}
# rows whose receiver counts a notification or two as messages (constant, so it cancels out)
LOOSE_COUNT = {"front-recv_batch-call"}


def _ratio(rows, a, b):
    x, y = rows.get(a), rows.get(b)
    return None if x is None or y is None or not y else x / y


# (direction, row, target text, measured text, met) from the measured rows; None met = not measured
def targets(res):
    out = []
    rv, sd = res.get("recv", {}), res.get("send", {})

    def cap(d, rows, row, base, limit, text):
        r = _ratio(rows, row, base)
        out.append((d, row, text, "–" if r is None else f"{r:.2f}× {base}", None if r is None else r <= limit))

    for row in ("csctp-recv_into", "front-recv_into"):
        cap("recv", rv, row, "stdlib-recv_into", 1.0, "≤ 1.0× stdlib recv_into")
    for row in ("csctp-recv", "front-recv", "endpoint-recv"):
        cap("recv", rv, row, "stdlib-recv_into", 1.2, "≤ 1.2× stdlib recv_into")
    for row in ("csctp-send", "front-send"):
        cap("send", sd, row, "stdlib-send", 1.0, "≤ 1.0× stdlib send")
    calls = res.get("call", {})
    for d, rows, row in (("recv", rv, "front-recv_batch-call"), ("send", sd, "front-send_batch")):
        v = calls.get(d, {}).get(row)
        out.append((d, row, "≤ 150 / message (the call)", "–" if v is None else f"{v:,.0f} (row {rows[row]:,.0f})",
                    None if v is None else v <= 150))
    cap("recv", rv, "aio-uvloop-recv", "front-recv", 2.5, "≤ 2.5× sync (Association.recv)")
    cap("send", sd, "aio-uvloop-send", "front-send", 2.5, "≤ 2.5× sync (Association.send)")
    for d, rows, row in (("recv", rv, "front-recv"), ("recv", rv, "front-recv_into"), ("send", sd, "front-send")):
        r = _ratio(rows, "pysctp", row)
        out.append((d, row, "≥ 8× fewer than pysctp", "–" if r is None else f"{r:.1f}× fewer",
                    None if r is None else r >= 8))
        r = _ratio(rows, "py3-sctp", row)
        out.append((d, row, "fewer than py3-sctp", "–" if r is None else f"{r:.2f}× fewer",
                    None if r is None else r > 1))
    return out


def total_ir(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def functions(path, inclusive=False):
    """function -> exclusive (or inclusive) Ir, from callgrind_annotate."""
    ann = subprocess.run(["callgrind_annotate", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", path],
                         capture_output=True, text=True).stdout
    out = {}
    for line in ann.splitlines():
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+(\S.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            # an inclusive line ("=> f (N x)") names its call count: drop it, or the two runs'
            # lines would not pair up and the large run's whole total would show as per-message
            name = re.sub(r"\s+\([\d,]+x\)$", "", m.group(2).strip())
            out[name] = out.get(name, 0) + int(m.group(1).replace(",", ""))
    return out


def one(direction, label, n, outdir, size):
    """Instructions of one run of *label* moving *n* messages, and its callgrind file."""
    out = os.path.join(outdir, f"cg.{direction}.{label}.{n}")
    vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--quiet"]
    common = ["--size", str(size), "--reps", "1"]
    if direction == "recv":
        style = [] if "--style" in RECEIVERS[label] else ["--style", "1to1"]
        recv_argv = vg + RECEIVERS[label] + common + style
        send_argv = [R.CBIN, "send", "--api", "mmsg"] + common
    else:
        recv_argv = [R.CBIN, "recv", "--api", "sctp", "--style", "1to1"] + common
        send_argv = vg + SENDERS[label] + common
    recv = R.Proc(recv_argv)
    try:
        port = recv.line(600)["port"]
        send = R.Proc(send_argv + ["--port", str(port), "--count", str(n), "--duration", "100000"])
        try:
            send.line(600)
            send.say("go")
            s = send.line(1800)
            r = recv.line(1800)
            # the measured process must end by itself: callgrind writes its file at exit
            send.p.stdin.close()
            send.p.wait(timeout=600)
        finally:
            send.stop()
        recv.p.stdin.close()
        recv.p.wait(timeout=600)
    finally:
        recv.stop()
    if direction == "recv" and r.get("calls"):
        print(f"profile: {label} at {n}: {r['msgs'] / r['calls']:.1f} messages per receive call", flush=True)
    extra = r["msgs"] - s["msgs"]
    if extra != 0 and not (label in LOOSE_COUNT and 0 < extra <= 4):
        raise RuntimeError(f"{label}: sent {s['msgs']}, received {r['msgs']}")
    return total_ir(out), out


def measure(direction, label, a, tmp):
    """Per-message instructions: (Ir_large - Ir_small) / (n_large - n_small); prints the top functions."""
    i1, small = one(direction, label, a.small, tmp, a.size)
    i2, big = one(direction, label, a.large, tmp, a.size)
    per = (i2 - i1) / (a.large - a.small)
    print(f"profile: {direction} {label:22s} {per:10,.0f} user-space instructions per message", flush=True)
    call = None
    if (direction, label) in CALL_OF:
        pat = re.compile(CALL_OF[direction, label])
        f1, f2 = functions(small, inclusive=True), functions(big, inclusive=True)
        inc = [k for k in f2 if pat.search(k) and not k.startswith("=>")]
        if len(inc) == 1:
            call = (f2[inc[0]] - f1.get(inc[0], 0)) / (a.large - a.small)
            print(f"profile: {direction} {label:22s} {call:10,.0f} of them in the call itself", flush=True)
    if a.keep:
        # for callgrind_annotate --inclusive=yes --tree=caller: who calls what
        os.makedirs(a.keep, exist_ok=True)
        for f in (small, big):
            shutil.copy(f, a.keep)
    if a.top:
        # per-message profile: the large run minus the small one cancels start-up and imports
        f1, f2 = functions(small), functions(big)
        diff = sorted(((f2.get(k, 0) - f1.get(k, 0)) / (a.large - a.small), k) for k in f2)
        print(f"profile: {direction} {label}: top functions, instructions per message:")
        for v, k in reversed(diff[-a.top:]):
            print(f"    {v:8,.0f}  {k[:150]}")
    return per, call


def markdown(res, errors, meta):
    md = [f"Measured {meta['date']} at commit {meta['commit']}, kernel {meta['kernel']}, "
          f"{meta['size']} B messages, one-to-one unless noted, "
          f"--small {meta['small']} --large {meta['large']}.", ""]
    for when, rows in meta.get("later", {}).items():
        md[-1:-1] = [f"Measured again at commit {when}: {', '.join(rows)}."]
    for d, title in (("recv", "Receive"), ("send", "Send")):
        rows = res.get(d, {})
        if not rows and not errors.get(d):
            continue
        base = BASE[d]
        md += [f"### {title} (ratio to {base})", "",
               "| row | what | instructions / message | vs " + base + " |", "| --- | --- | --- | --- |"]
        labels = RECEIVERS if d == "recv" else SENDERS
        for label in labels:
            if label not in rows and label not in errors.get(d, {}):
                continue
            per = rows.get(label)
            r = _ratio(rows, label, base)
            call = res.get("call", {}).get(d, {}).get(label)
            md.append(f"| {label} | {DESCR[(d, label)]}{'' if call is None else f' (the call itself: {call:,.0f})'} | "
                      f"{'not measured: ' + errors[d][label] if per is None else f'{per:,.0f}'} | "
                      f"{'–' if r is None else f'{r:.2f}×'} |")
        md.append("")
    md += ["### Targets", "", "| direction | row | target | measured | |", "| --- | --- | --- | --- | --- |"]
    for d, row, text, got, met in targets(res):
        md.append(f"| {d} | {row} | {text} | {got} | {'–' if met is None else 'met' if met else 'missed'} |")
    return "\n".join(md) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--large", type=int, default=6000)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--only", default=None, help="comma-separated rows (recv:LABEL, send:LABEL or LABEL for both)")
    ap.add_argument("--direction", choices=("recv", "send", "both"), default="recv")
    ap.add_argument("--top", type=int, default=25, help="top functions printed per row (0: none)")
    ap.add_argument("--keep", default=None, help="copy each row's two callgrind files into this directory")
    ap.add_argument("--commit", default=None, help="the commit measured (default: git rev-parse, if it can)")
    ap.add_argument("--out", default=None, help="also write the summary (Markdown) here, and its data as .json")
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows already in --out's .json; the rows measured now replace theirs")
    a = ap.parse_args()
    # One hash seed for every measured process: with a random one, the probe lengths of the
    # start-up's dict lookups differ between the small and the large run and their difference
    # (hundreds of instructions per message at these counts) would not cancel out.
    os.environ["PYTHONHASHSEED"] = "0"
    # numpy (loaded by the batch rows) starts OpenBLAS's worker threads, which spin for a while
    # after start-up; callgrind counts every thread, so their spinning, which grows with the
    # run's length, was counted as per-message cost (~700 a message).  csctp does no BLAS work.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    if not shutil.which("valgrind"):
        raise SystemExit("profile: valgrind is not installed (apt-get install valgrind)")
    if a.large <= a.small:
        raise SystemExit("profile: --large must exceed --small")
    tables = {"recv": RECEIVERS, "send": SENDERS}
    dirs = [d for d in tables if a.direction in (d, "both")]
    if a.only:
        # in the order given (the first rows are measured first; a run cut short keeps them)
        todo = []
        for item in a.only.split(","):
            d, _, label = item.rpartition(":")
            for dd in ([d] if d else dirs):
                if dd not in tables or label not in tables[dd]:
                    if d:
                        raise SystemExit(f"profile: no row {item!r}")
                    continue
                todo.append((dd, label))
    else:
        todo = [(d, label) for d in dirs for label in tables[d]]
    res, errors = {}, {}
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": a.commit or commit(), "kernel": platform.release(), "size": a.size,
            "small": a.small, "large": a.large}
    if a.merge and a.out and os.path.exists(os.path.splitext(a.out)[0] + ".json"):
        with open(os.path.splitext(a.out)[0] + ".json") as f:
            old = json.load(f)
        res, errors = old["instructions_per_message"], old["errors"]
        for d, label in todo:
            errors.get(d, {}).pop(label, None)
        later = dict(old["meta"].get("later", {}))
        later[f"{meta['commit']} ({meta['date']}, --small {a.small} --large {a.large})"] = \
            [f"{d}:{label}" for d, label in todo]
        meta = dict(old["meta"], later=later)
    with tempfile.TemporaryDirectory() as tmp:
        for d, label in todo:
            try:
                res.setdefault(d, {})[label], call = measure(d, label, a, tmp)
                if call is not None:
                    res.setdefault("call", {}).setdefault(d, {})[label] = call
            except Exception as e:
                msg = f"{type(e).__name__}: {e}"
                print(f"profile: {d} {label}: {msg}", flush=True)
                errors.setdefault(d, {})[label] = msg.splitlines()[0][:200]
            write(a.out, res, errors, meta)      # after every row: a run cut short keeps what it measured
    print(markdown(res, errors, meta))


def write(out, res, errors, meta):
    if not out:
        return
    with open(out, "w") as f:
        f.write(markdown(res, errors, meta))
    with open(os.path.splitext(out)[0] + ".json", "w") as f:
        json.dump({"meta": meta, "instructions_per_message": res, "errors": errors,
                   "targets": [dict(zip(("direction", "row", "target", "measured", "met"), t))
                               for t in targets(res)]}, f, indent=1)
        f.write("\n")

def commit():
    try:
        return subprocess.run(["git", "-C", R.ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=30).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


if __name__ == "__main__":
    main()
