"""Echo server: one thread per association, every message back on its stream with its PPID.

    python examples/echo_server.py [ADDRESS] [--associations N]

ADDRESS defaults to 127.0.0.1:0 (any free port; the chosen one is printed).
Multi-homed: "127.0.0.1/127.0.0.2:2905".  With --associations N the server
exits after serving N associations.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import List, Optional

import csctp


def serve(assoc: csctp.Association) -> None:
    """Echo until the peer shuts the association down (or aborts it)."""
    with assoc:
        try:
            for msg in assoc:                      # whole messages; ends at SHUTDOWN
                assoc.send(msg.data, stream=msg.stream, ppid=msg.ppid, unordered=msg.unordered)
        except ConnectionResetError:
            pass                                   # the peer aborted


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="SCTP echo server")
    ap.add_argument("address", nargs="?", default="127.0.0.1:0")
    ap.add_argument("--associations", type=int, default=None, help="exit after serving N associations")
    args = ap.parse_args(argv)

    threads: List[threading.Thread] = []
    with csctp.listen(args.address, ostreams=32, instreams=32) as listener:
        addrs = ", ".join(f"{h}:{p}" for h, p, *_ in listener.local_addresses)
        print(f"listening on {addrs}", flush=True)
        served = 0
        while args.associations is None or served < args.associations:
            assoc = listener.accept()
            t = threading.Thread(target=serve, args=(assoc,), daemon=True)
            t.start()
            threads.append(t)
            served += 1
    for t in threads:
        t.join(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
