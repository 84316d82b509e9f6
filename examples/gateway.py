"""One-to-many gateway with peeloff.

    python examples/gateway.py [ADDRESS] [--messages N]

One socket serves every association: requests are answered by association
id ("ack: ..."); associations come and go as ASSOC_CHANGE events.  A client
that sends ``PEEL`` is branched off with ``peeloff()`` into its own
one-to-one association, served by its own thread ("private: ...").  Exits
after N messages (default: never).
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import List, Optional

import csctp


def private_session(assoc: csctp.Association) -> None:
    """Serve one peeled-off association on its own socket until it ends."""
    with assoc:
        try:
            # the loop ends at the peer's SHUTDOWN, on a peeled-off association too
            for msg in assoc:
                assoc.send(b"private: " + msg.data, stream=msg.stream, ppid=msg.ppid)
        except ConnectionError:        # ABORTed or lost; a reply racing the peer's SHUTDOWN
            pass
    print(f"association {assoc.assoc_id}: private session ended", flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="SCTP one-to-many gateway with peeloff")
    ap.add_argument("address", nargs="?", default="127.0.0.1:0")
    ap.add_argument("--messages", type=int, default=None, help="exit after N messages")
    args = ap.parse_args(argv)

    threads: List[threading.Thread] = []
    with csctp.Endpoint(args.address) as gw:            # one-to-many: one socket for every association
        gw.subscribe("assoc_change")
        addrs = ", ".join(f"{h}:{p}" for h, p, *_ in gw.local_addresses)
        print(f"gateway on {addrs}", flush=True)
        handled = 0
        while args.messages is None or handled < args.messages:
            msg = gw.recv()
            for ev in gw.events():
                if isinstance(ev, csctp.AssocChange):
                    print(f"association {ev.assoc_id}: state {csctp.AssocChangeState(ev.state).name}", flush=True)
            handled += 1
            if msg.data == b"PEEL":
                assoc = gw.peeloff(msg.assoc_id)
                assoc.send(b"peeled", stream=msg.stream, ppid=msg.ppid)
                t = threading.Thread(target=private_session, args=(assoc,), daemon=True)
                t.start()
                threads.append(t)
                print(f"association {msg.assoc_id} peeled off", flush=True)
            else:
                gw.send(b"ack: " + msg.data, assoc_id=msg.assoc_id, stream=msg.stream, ppid=msg.ppid)
    for t in threads:
        t.join(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
