"""Multi-stream client: one association, several streams, each with its own PPID.

    python examples/multistream_client.py ADDRESS [--streams 5] [--messages 20]

Sends round-robin on ``--streams`` outbound streams through stream handles
(``assoc.ostream(sid)``), reads the echoes, and checks that each came back
on its stream with its PPID and in order within the stream.  Run it against
examples/echo_server.py or ``csctp echo``.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from typing import Dict, List, Optional

import csctp

PPIDS = [46, 3, 18, 60]        # Diameter, M3UA, S1AP, NGAP


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="SCTP multi-stream client")
    ap.add_argument("address")
    ap.add_argument("--streams", type=int, default=5)
    ap.add_argument("--messages", type=int, default=20)
    args = ap.parse_args(argv)

    with csctp.connect(args.address, ostreams=args.streams, timeout=10) as assoc:
        granted = assoc.status.outstreams
        if granted < args.streams:
            print(f"peer granted only {granted} streams", file=sys.stderr)
            return 1
        streams = [assoc.ostream(sid) for sid in range(args.streams)]
        sent: Dict[int, List[bytes]] = defaultdict(list)
        for i in range(args.messages):
            out = streams[i % args.streams]
            data = f"message {i}".encode()
            out.send(data, ppid=PPIDS[out.sid % len(PPIDS)])
            sent[out.sid].append(data)
        got: Dict[int, List[bytes]] = defaultdict(list)
        for _ in range(args.messages):
            msg = assoc.recv()
            if msg.ppid != PPIDS[msg.stream % len(PPIDS)]:
                print(f"wrong PPID {msg.ppid} on stream {msg.stream}", file=sys.stderr)
                return 1
            got[msg.stream].append(msg.data)
        for sid in range(args.streams):
            ok = got[sid] == sent[sid]
            print(f"stream {sid}: ppid {PPIDS[sid % len(PPIDS)]:>2}, {len(got[sid])} echoed in order: {ok}")
            if not ok:
                return 1
        assoc.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
