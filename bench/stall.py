#!/usr/bin/env python3
"""Reproduce and explain the receiver stall: a receiver that falls behind, then catches up, and waits.

    python -m csctp.testing -- python bench/stall.py [--pause 1.0] [--count 60000] [--rcvbuf BYTES]
        [--sack-delay MS --sack-freq N] [--batch] [--tshark] [--limit 60]

Method.  The C ``sendmmsg`` sender (bench/c/bin/sctpbench) sends ``--count``
128-byte messages on one one-to-one association as fast as it can.  This
process, the receiver (csctp ``Socket.recv``, or ``BatchPool.recv`` with
``--batch``), does not read for ``--pause`` seconds, so its receive buffer
fills and the sender must stop, and then reads as fast as it can until the
end marker.  It records every gap of more than 0.2 s between two receives,
samples ``/proc/net/sctp/assocs`` (TX_QUEUE, RX_QUEUE of both ends) every
50 ms, diffs ``/proc/net/sctp/snmp`` over the run and, with ``--tshark``,
captures the association on ``lo`` and prints the SACKs the receiver sent
(their a_rwnd) and the DATA retransmissions around each gap.

A healthy receiver shows no gap after the pause: as it drains, the kernel
sends window updates and the sender resumes within a round trip.  Every wait
is bounded (``--limit`` seconds for the whole run).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (bench/run.py: Proc, the C sender's path)

IPPROTO_SCTP = 132
SCTP_INITMSG = 2


def snmp():
    out = {}
    with open("/proc/net/sctp/snmp") as f:
        for line in f:
            k, v = line.split()
            out[k] = int(v)
    return out


def assocs():
    with open("/proc/net/sctp/assocs") as f:
        return f.read().splitlines()


def queues(lines, port):
    """(LPORT, TX_QUEUE, RX_QUEUE) of every association row that has *port* at one end."""
    out = []
    if not lines:
        return out
    head = lines[0].split()
    for row in lines[1:]:
        f = row.split()
        d = dict(zip(head, f))
        if str(port) in (d.get("LPORT"), d.get("RPORT")):
            out.append((int(d["LPORT"]), int(d["TX_QUEUE"]), int(d["RX_QUEUE"])))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=60000)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--pause", type=float, default=1.0, help="seconds the receiver does not read at first")
    ap.add_argument("--rcvbuf", type=int, default=0, help="SO_RCVBUF of the receiver (0: the default)")
    ap.add_argument("--rcvbuf-after", type=int, default=0,
                    help="SO_RCVBUF set on the accepted socket, after the window was announced (0: leave)")
    ap.add_argument("--sack-delay", type=int, default=0, help="SCTP_DELAYED_SACK delay in ms (0: leave)")
    ap.add_argument("--sack-freq", type=int, default=0, help="SCTP_DELAYED_SACK packets per SACK (0: leave)")
    ap.add_argument("--batch", action="store_true", help="receive with BatchPool.recv (64 a call)")
    ap.add_argument("--tshark", action="store_true", help="capture on lo and print the SACKs around gaps")
    ap.add_argument("--limit", type=float, default=60.0, help="bound of the whole run, seconds")
    ap.add_argument("--json", default=None, help="also write the summary here")
    a = ap.parse_args()
    import csctp
    from csctp import options

    lst = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(IPPROTO_SCTP, SCTP_INITMSG, bytes([16, 0, 16, 0, 0, 0, 0, 0]))
    if a.rcvbuf:
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)   # inherited by the accepted socket
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    port = lst.getsockname()[1]
    cap = None
    pcap = f"/tmp/stall-{os.getpid()}.pcap"
    if a.tshark:
        cap = subprocess.Popen(["tshark", "-q", "-i", "lo", "-f", f"sctp port {port}", "-w", pcap],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # tshark says "Capturing on 'Loopback'" once it is ready
        t_end = time.monotonic() + 30
        cap_err = b""
        while time.monotonic() < t_end and b"Capturing" not in cap_err and cap.poll() is None:
            cap_err += cap.stderr.read1(4096)
    send = R.Proc([R.CBIN, "send", "--api", "mmsg", "--style", "1to1", "--size", str(a.size), "--reps", "1",
                   "--port", str(port), "--count", str(a.count), "--duration", str(a.limit)])
    s, _ = lst.accept()
    s.settimeout(a.limit)
    if a.rcvbuf_after:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf_after)
    if a.sack_delay or a.sack_freq:
        options.set_delayed_sack(s, delay=a.sack_delay, freq=a.sack_freq)
    info = {"rcvbuf": s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
            "rcvbuf_set_before": a.rcvbuf, "rcvbuf_set_after": a.rcvbuf_after,
            "delayed_sack": list(options.get_delayed_sack(s)),
            "sysctl": {}}
    for k in ("rwnd_update_shift", "rto_min", "rto_initial", "rto_max", "rcvbuf_policy", "sctp_rmem", "sack_timeout"):
        try:
            with open(f"/proc/sys/net/sctp/{k}") as f:
                info["sysctl"][k] = f.read().split()
        except OSError:
            pass
    send.line(60)
    samples = []
    done = threading.Event()

    def watch():
        t0 = time.monotonic()
        while not done.is_set() and time.monotonic() - t0 < a.limit:
            samples.append((time.monotonic(), queues(assocs(), port)))
            time.sleep(0.05)

    w = threading.Thread(target=watch, daemon=True)
    snmp0 = snmp()
    w.start()
    send.say("go")
    t_go = time.monotonic()
    time.sleep(a.pause)
    t_read = time.monotonic()
    got = 0
    last = t_read
    gaps = []
    pool = csctp.BatchPool(64, 2048) if a.batch else None
    end = False
    while not end and time.monotonic() - t_go < a.limit:
        if pool is not None:
            b = pool.recv(s)
            lens = [m.length for m in b]
        else:
            lens = [len(s.recv().data)]
        t = time.monotonic()
        if t - last > 0.2:
            gaps.append((round(last - t_go, 3), round(t - last, 3), got))
        last = t
        for n in lens:
            if n == 1:
                end = True
            else:
                got += 1
    t_last = time.monotonic()
    done.set()
    w.join(5)
    r = send.line(a.limit)
    send.stop()
    snmp1 = snmp()
    s.close()
    lst.close()
    out = {"sent": r["msgs"], "received": got, "pause_s": a.pause, "batch": a.batch,
           "sender_busy_s": round(r["t1"] - r["t0"], 3), "receiver_last_s": round(t_last - t_go, 3),
           "gaps": [{"at_s": g[0], "length_s": g[1], "after_msgs": g[2]} for g in gaps],
           "snmp_delta": {k: snmp1[k] - snmp0.get(k, 0) for k in snmp1 if snmp1[k] != snmp0.get(k, 0)},
           **info}
    # the queues while the receiver waited: each gap's samples
    out["queues_in_gaps"] = []
    for g in gaps:
        lo, hi = t_go + g[0], t_go + g[0] + g[1]
        qs = [(round(t - t_go, 2), q) for t, q in samples if lo <= t <= hi]
        out["queues_in_gaps"].append(qs[:3] + qs[-2:] if len(qs) > 5 else qs)
    if cap is not None:
        cap.terminate()
        try:
            _, err = cap.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            cap.kill()
            _, err = cap.communicate()
        if os.path.exists(pcap):
            out["tshark"] = sacks(pcap, port, gaps)
            os.unlink(pcap)
        else:
            out["tshark"] = {"error": (cap_err + (err or b"")).decode(errors="replace")[-500:]}
    print(json.dumps(out, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


def sacks(pcap, port, gaps):
    """From the capture: the SACKs the receiver (port) sent, DATA retransmissions, around the gaps."""
    fields = ["frame.time_relative", "sctp.srcport", "sctp.chunk_type", "sctp.sack_a_rwnd",
              "sctp.sack_cumulative_tsn_ack", "sctp.data_tsn", "sctp.retransmission", "sctp.initack_credit"]
    cmd = ["tshark", "-r", pcap, "-T", "fields", "-E", "occurrence=f", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    rows = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout.splitlines()
    sack_rows, data_rows = [], []
    init_rwnd = None
    for line in rows:
        t, sport, ctype, arwnd, cum, tsn, rtx, credit = (line.split("|") + [""] * 8)[:8]
        if not t:
            continue
        if credit and sport == str(port):
            init_rwnd = int(credit)          # the window the receiver announced in its INIT ACK
        if sport == str(port) and arwnd:
            sack_rows.append((float(t), int(arwnd), int(cum or 0)))
        elif tsn:
            data_rows.append((float(t), int(tsn), bool(rtx)))
    zero = [x for x in sack_rows if x[1] == 0]
    res = {"receiver_initial_a_rwnd": init_rwnd, "sacks": len(sack_rows), "sacks_a_rwnd_0": len(zero),
           "data_packets": len(data_rows),
           "data_retransmissions": sum(1 for d in data_rows if d[2])}
    # the longest silences of the sender (no DATA for > 0.2 s) and the SACKs just before and after
    silences = []
    for d0, d1 in zip(data_rows, data_rows[1:]):
        if d1[0] - d0[0] > 0.2:
            before = [x for x in sack_rows if x[0] <= d1[0]][-3:]
            silences.append({"from_s": round(d0[0], 3), "to_s": round(d1[0], 3), "resumed_tsn": d1[1],
                             "resumed_is_retransmission": d1[2],
                             "last_sacks_before_resume": [(round(t, 3), w, c) for t, w, c in before]})
    res["sender_silences"] = silences[:10]
    return res


if __name__ == "__main__":
    main()
