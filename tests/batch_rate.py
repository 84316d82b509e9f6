"""Rough msg/s of batch vs per-message I/O, 128-byte one-way over loopback (not a test, not a benchmark suite).

    python -m csctp.testing -- .venv/bin/python tests/batch_rate.py [N]

A forked sender pushes N messages of 128 bytes; the receiver (this process)
times from its first to its last message and reads its own CPU time.  Mode
"batch": send_batch (64 per call) -> BatchPool.recv; mode "per-message":
Socket.send -> Socket.recv.  SCTP_NODELAY on the sender.  The real
side-by-side benchmarks live in bench/.
"""

import os
import resource
import socket
import sys
import time

import numpy as np

import csctp
from csctp import constants as C
from csctp._batch import BatchPool, send_batch

SIZE, PER_CALL = 128, 64


def run(mode, n):
    lst = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    addr = lst.getsockname()
    pid = os.fork()
    if pid == 0:
        try:
            cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
            cli.setsockopt(C.SOL_SCTP, C.SCTP_NODELAY, 1)
            cli.connect(addr)
            if mode == "batch":
                rows = np.full((PER_CALL, SIZE), 0x61, dtype=np.uint8)
                sent = 0
                while sent < n:
                    k = min(PER_CALL, n - sent)
                    sent += send_batch(cli, rows[:k], ppids=46)
            else:
                payload = b"a" * SIZE
                for _ in range(n):
                    cli.send(payload, ppid=46)
            cli.recv(16)            # wait for the receiver's "done" before closing
        finally:
            os._exit(0)
    conn, _ = lst.accept()
    got = 0
    if mode == "batch":
        pool = BatchPool(PER_CALL, 256)
        b = pool.recv(conn)
        t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        got = len(b)
        while got < n:
            got += len(pool.recv(conn))
    else:
        conn.recv(512)
        t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        got = 1
        while got < n:
            conn.recv(512)
            got += 1
    t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    conn.send(b"done")
    os.waitpid(pid, 0)
    conn.close()
    lst.close()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return (got - 1) / (t1 - t0), cpu / (got - 1) * 1e6


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"kernel {os.uname().release}, {n} messages of {SIZE} bytes, 3 runs each (median)")
    for mode in ("per-message", "batch"):
        runs = sorted(run(mode, n) for _ in range(3))
        rate, cpu = runs[1]
        print(f"{mode:12s} {rate:10.0f} msg/s   receiver CPU {cpu:6.2f} us/msg   "
              f"(runs: {', '.join(f'{r:.0f}' for r, _ in runs)})")


if __name__ == "__main__":
    main()
