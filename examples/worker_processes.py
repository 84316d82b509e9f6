"""An SCTP gateway that uses every core: one Endpoint accepts, workers serve the associations.

    python examples/worker_processes.py [--workers 2] [--clients 4] [--messages 5] [--mode processes|threads]

The parent holds one one-to-many :class:`csctp.Endpoint`.  Each new
association (its ``COMM_UP`` event) is peeled off into its own socket and
handed to a worker, round robin:

* ``--mode processes`` (default): the descriptor goes to a worker *process*
  over a Unix socketpair (``socket.send_fds``, SCM_RIGHTS); the worker adopts
  it with ``csctp.Association(csctp.Socket(fileno=fd))``.  The parent
  closes its copy at once: the association lives on in the worker.  Each
  worker is a separate interpreter, so Python code runs on every core.
* ``--mode threads``: the :class:`csctp.Association` object goes to a worker
  thread through a queue.  csctp releases the GIL while a call waits, so
  threads blocked in ``recv`` never hold each other up; the Python work on
  the messages still runs one thread at a time (docs/scaling.md).

A worker serves its associations with one ``selectors`` loop and echoes
every message on the stream and PPID it came with, prefixed with its own
name.  The clients are threads of the parent; each prints one line.
A worker process is this program run as ``--worker FD``.
"""

from __future__ import annotations

import argparse
import os
import queue
import selectors
import socket
import subprocess
import sys
import threading
from typing import Dict, List, Optional, Tuple

import csctp

HOST = "127.0.0.1"
IDLE_LIMIT = 60.0         # seconds a worker waits with nothing to do before it gives up


class Inbox:
    """How associations reach a worker *thread*: a queue, and a socket pair that wakes its selector."""

    def __init__(self) -> None:
        self.queue: "queue.Queue[Optional[csctp.Association]]" = queue.Queue()
        self.bell, self._ringer = socket.socketpair()

    def put(self, a: Optional[csctp.Association]) -> None:
        """Hand over *a* (None: no more will come)."""
        self.queue.put(a)
        self._ringer.send(b"x")


def serve(name: str, ctl: Optional[socket.socket] = None, inbox: Optional[Inbox] = None) -> str:
    """Echo on every association handed over (descriptors on *ctl*, or objects in *inbox*) until told to stop."""
    sel = selectors.DefaultSelector()
    source = ctl if ctl is not None else inbox.bell if inbox is not None else None
    assert source is not None
    sel.register(source, selectors.EVENT_READ, "new")
    more, assocs, messages = True, 0, 0
    owned: Dict[int, csctp.Association] = {}
    while more or owned:
        ready = sel.select(timeout=IDLE_LIMIT)
        if not ready:
            raise SystemExit(f"{name}: idle for {IDLE_LIMIT:g} s, giving up")
        for key, _ in ready:
            new: List[Optional[csctp.Association]] = []
            if key.data == "new" and ctl is not None:
                msg, fds, _, _ = socket.recv_fds(ctl, 1, 1)
                # the parent closing its end (an empty read) means no more associations
                new += [csctp.Association(csctp.Socket(fileno=fd)) for fd in fds] if msg else [None]
            elif key.data == "new" and inbox is not None:
                inbox.bell.recv(1)
                new.append(inbox.queue.get_nowait())
            else:
                assoc = owned[key.fd]
                try:
                    m = assoc.recv()
                except BlockingIOError:  # only an event, or part of a message, was ready
                    continue
                except (csctp.AssociationClosed, ConnectionError):
                    sel.unregister(assoc)
                    del owned[key.fd]
                    assoc.close()
                    continue
                assoc.send(f"{name}: ".encode() + m.data, stream=m.stream, ppid=m.ppid)
                messages += 1
            for a in new:
                if a is None:
                    more = False
                    sel.unregister(source)
                    continue
                a.settimeout(0)          # the selector does the waiting
                owned[a.fileno()] = a
                sel.register(a, selectors.EVENT_READ, "assoc")
                assocs += 1
    return f"{name} served {assocs} association(s), {messages} message(s)"


def worker_main(ctl_fd: int) -> None:
    print(serve(f"worker pid {os.getpid()}", ctl=socket.socket(fileno=ctl_fd)), flush=True)


def client(i: int, port: int, n: int, lines: Dict[int, str]) -> None:
    with csctp.connect(f"{HOST}:{port}", timeout=30) as c:
        sent = [(f"client {i} message {k}".encode(), k % 4, 46 + i) for k in range(n)]
        for data, stream, ppid in sent:
            c.send(data, stream=stream, ppid=ppid)
        echoes = [c.recv() for _ in sent]
        intact = all(e.data.endswith(b": " + d) and (e.stream, e.ppid) == (s, p) for e, (d, s, p) in zip(echoes, sent))
        by = {e.data.split(b": ")[0].decode() for e in echoes}
        lines[i] = f"client {i}: {n} echoed by {', '.join(sorted(by))}; streams and PPIDs intact: {intact}"
        c.shutdown(wait=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--messages", type=int, default=5)
    ap.add_argument("--mode", choices=("processes", "threads"), default="processes")
    ap.add_argument("--worker", type=int, metavar="FD", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        worker_main(args.worker)
        return

    ep = csctp.Endpoint(f"{HOST}:0")
    ep.settimeout(30)
    ep.subscribe("assoc_change")
    port = ep.local_addresses[0][1]
    print(f"gateway on {HOST}:{port}, {args.workers} worker {args.mode}", flush=True)

    procs: List[Tuple[subprocess.Popen[bytes], socket.socket]] = []
    threads: List[Tuple[threading.Thread, Inbox]] = []
    reports: List[str] = []
    for k in range(args.workers):
        if args.mode == "processes":
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            p = subprocess.Popen([sys.executable, __file__, "--worker", str(theirs.fileno())],
                                 pass_fds=[theirs.fileno()], stdout=subprocess.PIPE)
            theirs.close()
            procs.append((p, mine))
        else:
            inbox = Inbox()
            t = threading.Thread(target=lambda k=k, inbox=inbox: reports.append(serve(f"thread {k}", inbox=inbox)))
            t.start()
            threads.append((t, inbox))

    lines: Dict[int, str] = {}
    clients = [threading.Thread(target=client, args=(i, port, args.messages, lines)) for i in range(args.clients)]
    for t in clients:
        t.start()

    handed = 0
    for item in ep.items():
        if not (isinstance(item, csctp.AssocChange) and item.state == csctp.AssocChangeState.COMM_UP):
            continue
        # at its COMM_UP nothing of the association was read here yet: all of it moves with the socket
        assoc = ep.peeloff(item.assoc_id)
        if args.mode == "processes":
            fd = assoc.detach()
            _, ctl = procs[handed % len(procs)]
            socket.send_fds(ctl, [b"A"], [fd])
            os.close(fd)                 # the worker holds its own copy now
        else:
            threads[handed % len(threads)][1].put(assoc)
        handed += 1
        if handed == args.clients:
            break
    ep.close()                           # a real gateway would go on accepting

    for t in clients:
        t.join()
    for p, ctl in procs:
        ctl.close()                      # end of file: that worker takes no more
        out, _ = p.communicate(timeout=120)
        reports.append(out.decode().strip())
    for t, inbox in threads:
        inbox.put(None)
        t.join()
    for i in sorted(lines):
        print(lines[i])
    for r in reports:
        print(r)


if __name__ == "__main__":
    main()
