"""A peer for the SIGKILL test: connects, says "ready" on stdout, then reads slowly forever.

    python tests/peer_child.py HOST PORT

Reading slowly keeps unread data in its receive queue, so when it is
killed the kernel closes its socket with an ABORT (a graceful SHUTDOWN is
only used when nothing was left unread), the way a crashed peer looks.
"""

import socket
import sys
import time

import csctp


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    s = csctp.Socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect((host, port))
    s.send(b"ready", stream=0)
    print("ready", flush=True)
    for _ in range(600_000):           # bounded: at most ~100 minutes, killed long before
        s.recv()
        time.sleep(0.01)
    return 0


if __name__ == "__main__":
    sys.exit(main())
