"""Batch I/O over loopback: many messages per system call, in both directions.

    python examples/batch_echo.py [--messages 1000] [--streams 4] [--batch 64]

One process, one association on 127.0.0.1.  The client sends its messages
with ``send_batch`` (one ``sendmmsg`` for up to ``--batch`` messages, each on
its own stream), the server takes them with ``recv_batch`` (one ``recvmmsg``)
and echoes each whole batch back with one ``send_batch`` straight from the
receive pool (memoryviews, no copy), and the client receives the echoes in
batches too.  At the end it checks that every stream got its messages back,
in order, with their PPID.  Needs numpy (a csctp dependency): a batch's
metadata (streams, PPIDs, lengths) are numpy arrays.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np

import csctp

PPID = 46          # Diameter, for the sake of a non-zero PPID


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="SCTP batch echo over loopback")
    ap.add_argument("--messages", type=int, default=1000, help="messages to send (default 1000)")
    ap.add_argument("--streams", type=int, default=4, help="streams to spread them over (default 4)")
    ap.add_argument("--batch", type=int, default=64, help="messages per system call (default 64)")
    args = ap.parse_args(argv)
    if args.messages < 1 or not 1 <= args.streams <= 100 or args.batch < 1:
        ap.error("--messages and --batch must be >= 1, --streams in 1..100")

    messages = [f"message {i}".encode() for i in range(args.messages)]
    streams = np.arange(args.messages, dtype=np.int64) % args.streams
    with csctp.listen("127.0.0.1:0", ostreams=args.streams, instreams=args.streams) as lst:
        port = lst.local_addresses[0][1]
        with csctp.connect(f"127.0.0.1:{port}", ostreams=args.streams, instreams=args.streams,
                           timeout=10) as client, lst.accept() as server:
            server.settimeout(10)
            got: Dict[int, List[bytes]] = defaultdict(list)
            sent = echoed = received = calls = 0
            while received < args.messages:
                if sent < args.messages:
                    end = sent + args.batch
                    sent += client.send_batch(messages[sent:end], streams=streams[sent:end], ppids=PPID)
                    calls += 1
                if echoed < sent:
                    batch = server.recv_batch(args.batch)
                    calls += 1
                    keep = ~batch.notification
                    data = [batch.data(i) for i in np.flatnonzero(keep).tolist()]
                    if data:
                        echoed += server.send_batch(data, streams=batch.streams[keep], ppids=batch.ppids[keep])
                        calls += 1
                    del data             # release the pool's memory before its next receive
                if received == echoed:
                    continue
                back = client.recv_batch(args.batch)
                calls += 1
                for m in back:
                    if m.is_notification:
                        continue
                    if m.ppid != PPID:
                        print(f"stream {m.stream}: PPID {m.ppid}, sent {PPID}", file=sys.stderr)
                        return 1
                    got[m.stream].append(m.copy())
                    received += 1
            client.shutdown()

    ok = True
    for sid in range(args.streams):
        want = [messages[i] for i in range(args.messages) if streams[i] == sid]
        same = got[sid] == want
        ok = ok and same
        print(f"stream {sid}: {len(got[sid])} of {len(want)} echoed in order: {same}")
    print(f"{args.messages} messages there and back in {calls} system calls")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
