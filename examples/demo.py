"""csctp demo: an SCTP echo server and a client, over a real kernel SCTP stack.

The client opens one association with 5 outbound streams and sends messages
round-robin over them, each with a PPID (46 = Diameter, 3 = M3UA, 18 = S1AP,
60 = NGAP, ...).  The server echoes each message back on the stream and with
the PPID it came on.  The demo prints where each message went and came back,
then times a burst of echoes.

    python examples/demo.py [--messages N] [--streams S]
"""

import argparse
import socket
import sys
import threading
import time

import csctp

PPIDS = {46: "Diameter", 3: "M3UA", 18: "S1AP", 60: "NGAP", 0: "unspecified"}


def echo_server(srv: csctp.Socket, ready: threading.Event) -> None:
    ready.set()
    conn, peer = srv.accept()
    with conn:
        while True:
            m = conn.recv()
            if not m.data:            # peer shut down the association
                return
            conn.send(m.data, stream=m.stream, ppid=m.ppid)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000, help="messages in the timed burst")
    ap.add_argument("--streams", type=int, default=5, help="outbound streams to use")
    args = ap.parse_args()

    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    ready = threading.Event()
    t = threading.Thread(target=echo_server, args=(srv, ready), daemon=True)
    t.start()
    ready.wait(5)

    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.settimeout(10)
    # ask for enough outbound streams before connecting (INITMSG)
    import struct
    cli.setsockopt(csctp.constants.SOL_SCTP, csctp.constants.SCTP_INITMSG, struct.pack("HHHH", args.streams, args.streams, 0, 0))
    cli.setsockopt(csctp.constants.SOL_SCTP, csctp.constants.SCTP_NODELAY, 1)
    assoc = cli.connect(("127.0.0.1", port))
    print(f"association {assoc} up: 127.0.0.1:{cli.getsockname()[1]} -> 127.0.0.1:{port}, "
          f"{args.streams} streams, kernel {__import__('platform').release()}")

    ppids = list(PPIDS)[:4]
    for i in range(2 * args.streams):
        stream, ppid = i % args.streams, ppids[i % len(ppids)]
        payload = f"message {i} ({PPIDS[ppid]})".encode()
        cli.send(payload, stream=stream, ppid=ppid)
        m = cli.recv()
        ok = "ok" if (m.data, m.stream, m.ppid) == (payload, stream, ppid) else "MISMATCH"
        print(f"  sent stream {stream} ppid {ppid:>2} ({PPIDS[ppid]:<8}) {payload.decode()!r:<28}"
              f" -> echoed on stream {m.stream} ppid {m.ppid:>2} ssn {m.ssn}  {ok}")
        if ok != "ok":
            return 1

    payload = b"x" * 128
    t0 = time.perf_counter()
    window = 32
    sent = received = 0
    while received < args.messages:
        while sent < args.messages and sent - received < window:
            cli.send(payload, stream=sent % args.streams, ppid=46)
            sent += 1
        m = cli.recv()
        if m.data != payload:
            print("echo mismatch", file=sys.stderr)
            return 1
        received += 1
    dt = time.perf_counter() - t0
    print(f"echoed {received} x {len(payload)}-byte messages over {args.streams} streams in {dt:.2f} s: "
          f"{received / dt:,.0f} msg/s round trip ({window} in flight)")
    cli.shutdown()
    t.join(10)
    cli.close()
    srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
