"""Multi-homed client: several local and peer addresses in one association.

    python examples/multihomed_client.py SERVER [--local LOCAL]

SERVER and LOCAL are multi-homed specs: "127.0.0.1/127.0.0.2:PORT",
"127.0.0.3/127.0.0.4:0".  The client shows both address sets and the
primary path, moves the primary to the peer's last address, lists the
paths (state, RTT, RTO, congestion window, MTU), and checks that
an echo still comes back.  Run it against examples/echo_server.py listening
on the same multi-homed address.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import csctp


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="SCTP multi-homed client")
    ap.add_argument("server")
    ap.add_argument("--local", default=None)
    args = ap.parse_args(argv)

    with csctp.connect(args.server, local=args.local, timeout=10) as assoc:
        peers = assoc.peer_addresses
        print("local addresses:", ", ".join(f"{h}:{p}" for h, p, *_ in assoc.local_addresses))
        print("peer addresses: ", ", ".join(f"{h}:{p}" for h, p, *_ in peers))
        print("primary path:   ", assoc.primary)
        assoc.primary = peers[-1]                  # steer traffic to the peer's last address
        print("primary now:    ", assoc.primary)
        for path in assoc.paths():                 # one Path per peer address
            print(f"path {path.address[0]}:{path.address[1]} {path.state.name} srtt {path.srtt} ms "
                  f"rto {path.rto} ms cwnd {path.cwnd} mtu {path.mtu}{' (primary)' if path.primary else ''}")
        assoc.send(b"over the new primary", ppid=46)
        echo = assoc.recv()
        print("echo:", echo.data.decode(), "ppid", echo.ppid)
        assoc.shutdown()
        return 0 if echo.data == b"over the new primary" else 1


if __name__ == "__main__":
    sys.exit(main())
