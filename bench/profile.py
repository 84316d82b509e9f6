#!/usr/bin/env python3
"""User-space instructions per received message, by callgrind: where a binding's time goes.

    python -m csctp.testing -- python bench/profile.py [--small 2000] [--large 6000] [--only LABELS]

CPU time under the emulated, shared VM is noisy; the number of instructions a
receiver executes per message in user space is not.  Each receiver (the C
loops and every Python one) runs under ``valgrind --tool=callgrind`` twice,
fed by the C ``sendmmsg`` sender with a small and a large message count;
the difference of the two instruction totals divided by the difference of
the counts is the per-message cost with start-up cancelled out.  Kernel work
is invisible to valgrind (identical system calls cost the same for
everyone).  The top functions of the larger csctp runs are printed
(``callgrind_annotate``) to show where the binding spends them.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (bench/run.py: Proc, paths)

RECEIVERS = {
    "c-sctp": [R.CBIN, "recv", "--api", "sctp"],
    "c-mmsg": [R.CBIN, "recv", "--api", "mmsg"],
    "stdlib-recv_into": [sys.executable, R.WORKER, "recv", "stdlib-recv_into"],
    "stdlib-recvmsg": [sys.executable, R.WORKER, "recv", "stdlib-recvmsg"],
    "pysctp": [sys.executable, R.WORKER, "recv", "pysctp"],
    "csctp-recv": [sys.executable, R.WORKER, "recv", "csctp-recv"],
    "csctp-recv_into": [sys.executable, R.WORKER, "recv", "csctp-recv_into"],
    "csctp-batch": [sys.executable, R.WORKER, "recv", "csctp-batch"],
}


def total_ir(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def functions(path):
    """function -> exclusive Ir, from callgrind_annotate."""
    ann = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True).stdout
    out = {}
    for line in ann.splitlines():
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+(\S.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            out[m.group(2).strip()] = out.get(m.group(2).strip(), 0) + int(m.group(1).replace(",", ""))
    return out


def one(label, n, outdir):
    out = os.path.join(outdir, f"cg.{label}.{n}")
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--quiet"] + RECEIVERS[label] + [
        "--style", "1to1", "--size", "128", "--reps", "1"]
    recv = R.Proc(argv)
    try:
        port = recv.line(600)["port"]
        send = R.Proc([R.CBIN, "send", "--api", "mmsg", "--size", "128", "--reps", "1", "--port", str(port),
                       "--count", str(n), "--duration", "100000"])
        try:
            send.line(120)
            send.say("go")
            s = send.line(1200)
            r = recv.line(1200)
        finally:
            send.stop()
        recv.p.stdin.close()
        recv.p.wait(timeout=600)
    finally:
        recv.stop()
    if s["msgs"] != r["msgs"]:
        raise RuntimeError(f"{label}: sent {s['msgs']}, received {r['msgs']}")
    return total_ir(out), out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--large", type=int, default=6000)
    ap.add_argument("--only", default=None)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--out", default=None, help="also write the summary (Markdown) here")
    a = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("profile: valgrind is not installed (apt-get install valgrind)")
    labels = [l for l in RECEIVERS if not a.only or l in a.only.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label in labels:
            try:
                i1, _ = one(label, a.small, tmp)
                i2, big = one(label, a.large, tmp)
            except Exception as e:
                print(f"profile: {label}: {type(e).__name__}: {e}", flush=True)
                rows.append((label, None))
                continue
            per = (i2 - i1) / (a.large - a.small)
            rows.append((label, per))
            print(f"profile: {label:17s} {per:10,.0f} user-space instructions per message", flush=True)
            # per-message profile: the large run minus the small one cancels start-up and imports
            f1, f2 = functions(os.path.join(tmp, f"cg.{label}.{a.small}")), functions(big)
            diff = sorted(((f2.get(k, 0) - f1.get(k, 0)) / (a.large - a.small), k) for k in f2)
            print(f"profile: {label}: top functions, instructions per message:")
            for v, k in reversed(diff[-a.top:]):
                print(f"    {v:8,.0f}  {k[:150]}")
    base = dict(rows).get("c-sctp")
    md = ["| receiver | user-space instructions / message | vs C sctp_recvmsg |", "| --- | --- | --- |"]
    for label, per in rows:
        md.append(f"| {label} | {'–' if per is None else f'{per:,.0f}'} | "
                  f"{'–' if per is None or not base else f'{per / base:.1f}×'} |")
    print("\n".join(md))
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
