"""SCTP over UDP (RFC 6951) against plain SCTP: messages per second and CPU per message, 128-byte messages.

Method: one network namespace made for the run (``ip netns``), its loopback
up, ``net.sctp.udp_port=9899`` in it.  Per repetition a fresh one-to-one
association over 127.0.0.1 made with the front door (``csctp.listen`` /
``csctp.connect``, ``udp_encaps_port=9899`` or not); a sender thread sends
N messages of 128 bytes on stream 0 while the main thread receives them
(``recv``).  Wall time runs from the first send to the last message
received; CPU is this process's user+system time over the same span (both
sides of the association and the kernel's work done in their system calls,
softirq work charged to whichever task ran it).  The modes alternate, and
the median of the repetitions is reported.  Needs root and kernel SCTP:

    python -m csctp.testing -- .venv/bin/python bench/udp_encaps.py [--reps 5] [--messages 20000]

Prints a Markdown table; the machine's load average is printed beside it.
"""

import argparse
import ctypes
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time

import csctp

UDP_PORT = 9899
SIZE = 128
CLONE_NEWNET = 0x40000000


def _enter_fresh_netns():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        sys.exit(f"unshare(CLONE_NEWNET): {os.strerror(ctypes.get_errno())} (needs root)")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=60)
    with open("/proc/sys/net/sctp/udp_port", "w") as f:
        f.write(f"{UDP_PORT}\n")


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def one_run(messages, encaps):
    kw = {"udp_encaps_port": UDP_PORT} if encaps else {}
    lst = csctp.listen(("127.0.0.1", 0), **kw)
    lst.settimeout(30)
    cli = csctp.connect(lst.address, timeout=30, **kw)
    srv = lst.accept()
    srv.settimeout(60)
    payload = b"x" * SIZE
    errors = []

    def send():
        try:
            for _ in range(messages):
                cli.send(payload)
        except BaseException as e:
            errors.append(e)

    try:
        t = threading.Thread(target=send)
        c0, w0 = _cpu(), time.perf_counter()
        t.start()
        got = 0
        for _ in range(messages):
            got += len(srv.recv().data)
        w1, c1 = time.perf_counter(), _cpu()
        t.join(30)
        if errors:
            raise errors[0]
        assert got == messages * SIZE, got
    finally:
        for a in (cli, srv, lst):
            a.close()
    wall, cpu = w1 - w0, c1 - c0
    return messages / wall, cpu / messages * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--messages", type=int, default=20000)
    args = ap.parse_args()
    _enter_fresh_netns()
    one_run(1000, False)            # warm-up: module loading, first allocations
    one_run(1000, True)
    res = {False: [], True: []}
    for _ in range(args.reps):
        for encaps in (False, True):
            res[encaps].append(one_run(args.messages, encaps))
    load = open("/proc/loadavg").read().split()[:3]
    print(f"kernel {platform.release()}, {os.cpu_count()} CPUs, load average {' '.join(load)} at the end, "
          f"{args.messages} messages of {SIZE} B per repetition, median of {args.reps}\n")
    print("| mode | msg/s (median) | CPU µs/msg (median) | msg/s per rep |")
    print("| --- | ---: | ---: | --- |")
    med = {}
    for encaps, name in ((False, "plain SCTP"), (True, f"SCTP over UDP ({UDP_PORT})")):
        rates = [r for r, _ in res[encaps]]
        cpus = [c for _, c in res[encaps]]
        med[encaps] = (statistics.median(rates), statistics.median(cpus))
        print(f"| {name} | {med[encaps][0]:.0f} | {med[encaps][1]:.1f} | {', '.join(f'{r:.0f}' for r in rates)} |")
    print(f"\nSCTP over UDP / plain: rate x{med[True][0] / med[False][0]:.2f}, "
          f"CPU per message x{med[True][1] / med[False][1]:.2f}")


if __name__ == "__main__":
    main()
