"""csctp demo: an SCTP echo server and a client, over a real kernel SCTP stack.

The client opens one association with 5 outbound streams and sends messages
round-robin over them, each with a PPID (46 = Diameter, 3 = M3UA, 18 = S1AP,
60 = NGAP, ...).  The server echoes each message back on the stream and with
the PPID it came on.  The demo prints where each message went and came back,
then times a burst of echoes.

    python examples/demo.py [--messages N] [--streams S]
"""

import argparse
import platform
import sys
import threading
import time

import csctp

PPIDS = {46: "Diameter", 3: "M3UA", 18: "S1AP", 60: "NGAP", 0: "unspecified"}


def echo_server(listener: csctp.Listener) -> None:
    with listener.accept() as conn:
        for m in conn:                # whole messages, until the peer shuts the association down
            conn.send(m.data, stream=m.stream, ppid=m.ppid)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000, help="messages in the timed burst")
    ap.add_argument("--streams", type=int, default=5, help="outbound streams to use")
    args = ap.parse_args()

    listener = csctp.listen("127.0.0.1:0", ostreams=args.streams, instreams=args.streams)
    port = listener.address[1]
    t = threading.Thread(target=echo_server, args=(listener,), daemon=True)
    t.start()

    cli = csctp.connect(f"127.0.0.1:{port}", ostreams=args.streams, instreams=args.streams, timeout=10)
    print(f"association {cli.assoc_id} up: 127.0.0.1:{cli.local_addresses[0][1]} -> 127.0.0.1:{port}, "
          f"{cli.status.outstreams} streams, {cli.status.state.name}, kernel {platform.release()}")

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
    cli.shutdown(wait=10)                 # graceful SHUTDOWN, waiting for its completion
    t.join(10)
    cli.close()
    listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
