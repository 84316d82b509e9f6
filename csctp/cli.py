"""The ``csctp`` command line: ``csctp check``, ``listen``, ``connect``, ``echo`` and ``perf``.

Installed as the ``csctp`` console script; ``python -m csctp`` and
``python -m csctp.cli`` run the same :func:`main`.  Each sub-command is a
function ``cmd_NAME(args) -> int`` registered in :func:`build_parser`;
``main`` parses and dispatches.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    import csctp
    from csctp.association import SockAddr

from csctp._version import __version__

SYSCTLS = [
    ("addip_enable", "dynamic address reconfiguration (RFC 5061)"),
    ("auth_enable", "SCTP-AUTH (RFC 4895)"),
    ("prsctp_enable", "partial reliability (RFC 3758)"),
    ("reconf_enable", "stream reconfiguration (RFC 6525)"),
    ("intl_enable", "message interleaving, I-DATA (RFC 8260)"),
    ("ecn_enable", "ECN"),
    ("sctp_mem", "memory limits (pages: min pressure max)"),
    ("sctp_rmem", "receive buffer (min default max)"),
    ("sctp_wmem", "send buffer (min default max)"),
    ("max_burst", "max burst"),
    ("association_max_retrans", "association max retransmissions"),
    ("path_max_retrans", "path max retransmissions"),
    ("hb_interval", "heartbeat interval (ms)"),
    ("rto_min", "RTO min (ms)"),
    ("rto_max", "RTO max (ms)"),
]


def _read(path: str) -> Optional[str]:
    try:
        with open(path) as f:
            return " ".join(f.read().split())
    except OSError:
        return None


# SCTP over UDP (RFC 6951, Linux >= 5.11): both are per network namespace
UDP_SYSCTLS = [
    ("udp_port", "local UDP port SCTP-over-UDP listens and sends on (0: off)"),
    ("encap_port", "default remote UDP port for new sockets (0: plain SCTP)"),
]
UDP_ENABLE_HINT = "sysctl -w net.sctp.udp_port=9899 net.sctp.encap_port=9899"


def udp_encapsulation_lines(root: str = "/proc/sys/net/sctp") -> List[str]:
    """The ``csctp check`` lines about SCTP over UDP: the two sysctls read from *root*
    ("absent" where the kernel predates them) and how to turn encapsulation on."""
    lines = []
    for name, what in UDP_SYSCTLS:
        val = _read(os.path.join(root, name))
        lines.append(f"  net.sctp.{name:<24} = {val if val is not None else 'absent':<24} {what}")
    lines.append(f"  SCTP over UDP (networks that drop IP protocol 132): {UDP_ENABLE_HINT}")
    return lines


def cmd_check(args: argparse.Namespace) -> int:
    """Say whether this kernel speaks SCTP, how it is configured, and what to do if not."""
    from csctp.testing import kernel_has_sctp, vm_problem

    print(f"csctp {__version__} on Linux {platform.release()} ({platform.machine()}), "
          f"Python {platform.python_version()}")
    ok = kernel_has_sctp(try_modprobe=True)
    loaded = os.path.isdir("/sys/module/sctp")
    print(f"kernel SCTP: {'yes' if ok else 'NO'} (module {'loaded' if loaded else 'not loaded or built in'})")
    if ok:
        for name, what in SYSCTLS:
            val = _read(f"/proc/sys/net/sctp/{name}")
            print(f"  net.sctp.{name:<24} = {val if val is not None else '(absent)':<24} {what}")
        for line in udp_encapsulation_lines():
            print(line)
        return 0
    print("To get SCTP:")
    print("  - load the module:      modprobe sctp   (Ubuntu: apt-get install linux-modules-extra-$(uname -r))")
    print("  - or, where the kernel cannot have it (WSL2, containers), run under the csctp VM harness:")
    print("        python -m csctp.testing -- CMD ...")
    why = vm_problem()
    print(f"    VM harness here: {'ready' if why is None else 'not ready: ' + why}")
    return 1


def build_parser() -> argparse.ArgumentParser:
    """The ``csctp`` argument parser: one sub-command per tool."""
    ap = argparse.ArgumentParser(prog="csctp", description="SCTP tools built on csctp.")
    ap.add_argument("--version", action="version", version=f"csctp {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("check", help="does this kernel support SCTP, and how is it configured",
                       description="Say whether this kernel can open SCTP sockets (loading the sctp module "
                                   "where permitted), print the net.sctp sysctls that shape its behaviour, "
                                   "and, without SCTP, what to install or how to run under the csctp VM "
                                   "harness. Exits 0 when SCTP works, 1 when it does not.")
    p.set_defaults(func=cmd_check)
    _add_tool_parsers(sub)
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    """Run the ``csctp`` command line on *argv* (default ``sys.argv[1:]``): the exit status.

    Without a command it prints the help and returns 0; usage errors exit 2
    (argparse) and failures (refused, unreachable) return 1.
    """
    ap = build_parser()
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, TypeError) as e:          # bad addresses and values: a usage error
        print(f"csctp {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:                          # refused, unreachable, permission ...
        print(f"csctp {args.command}: {e}", file=sys.stderr)
        return 1


# ---- listen / connect (ncat-like), echo, perf (iperf-like) ---------------------------------------

PERF_DATA, PERF_PING, PERF_REPORT = 0x70657201, 0x70657202, 0x70657203   # "per\\x01".. : perf's own PPIDs


def _say(args: argparse.Namespace, msg: str) -> None:
    print(f"csctp {args.command}: {msg}", file=sys.stderr, flush=True)


def _fmt_addr(a: "SockAddr") -> str:
    return f"[{a[0]}]:{a[1]}" if ":" in a[0] else f"{a[0]}:{a[1]}"


def _split_lines(buf: bytes, keep_ends: bool) -> Tuple[List[bytes], bytes]:
    """The complete lines in *buf* and the unterminated rest.

    With *keep_ends* each line keeps its end exactly (``\\n`` or ``\\r\\n``), so
    ``--raw`` sends the bytes it read; otherwise both ends are removed.
    """
    cut = buf.rfind(b"\n") + 1
    lines = buf[:cut].split(b"\n")[:-1]
    if keep_ends:
        lines = [line + b"\n" for line in lines]
    else:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    return lines, buf[cut:]


def _print_message(m: "csctp.Message", raw: bool) -> None:
    out = sys.stdout.buffer
    if raw:
        out.write(m.data)
    else:
        text = m.data.decode("utf-8", "backslashreplace")
        out.write(f"[assoc {m.assoc_id} stream {m.stream} ppid {m.ppid} ssn {m.ssn}"
                  f"{' unordered' if m.unordered else ''} {len(m.data)} B] {text}\n".encode())
    out.flush()


def _relay(args: argparse.Namespace, a: "csctp.Association", close_on_stdin_eof: bool) -> int:
    """stdin lines -> messages; received messages -> stdout; until the association ends."""
    import selectors
    import time

    import csctp

    a.settimeout(0)
    sel = selectors.DefaultSelector()
    sel.register(a.fileno(), selectors.EVENT_READ, "sctp")
    stdin_fd = sys.stdin.fileno() if sys.stdin is not None else -1
    if stdin_fd >= 0:
        try:
            sel.register(stdin_fd, selectors.EVENT_READ, "stdin")
        except (ValueError, PermissionError, OSError):   # e.g. /dev/null is not selectable everywhere
            stdin_fd = -1
    pending = b""
    received = 0
    stdin_done_at: Optional[float] = None
    last_rx = time.monotonic()
    try:
        while True:
            if args.expect is not None and received >= args.expect:
                break
            timeout = None
            if stdin_done_at is not None and close_on_stdin_eof:
                timeout = max(0.0, last_rx + args.idle_timeout - time.monotonic())
                if timeout == 0.0 and args.expect is None:
                    break
            for key, _ in sel.select(timeout):
                if key.data == "stdin":
                    chunk = os.read(stdin_fd, 65536)
                    if not chunk:
                        sel.unregister(stdin_fd)
                        stdin_done_at = time.monotonic()
                        # the last line may lack its end: sent as it is (--raw) or without a stray \r
                        lines = [pending if args.raw or not pending.endswith(b"\r") else pending[:-1]]
                        pending = b""
                    else:
                        lines, pending = _split_lines(pending + chunk, keep_ends=args.raw)
                    for line in lines:
                        if line:
                            a.settimeout(args.timeout)
                            a.send(line, stream=args.stream, ppid=args.ppid, unordered=args.unordered)
                            a.settimeout(0)
                else:
                    try:
                        while True:
                            m = a.recv()
                            received += 1
                            last_rx = time.monotonic()
                            _print_message(m, args.raw)
                    except BlockingIOError:
                        pass
                    except csctp.AssociationClosed:
                        return 0
    finally:
        sel.close()
    a.shutdown()
    a.settimeout(args.timeout)
    try:
        for m in a:                               # what the peer still had in flight
            _print_message(m, args.raw)
    except (TimeoutError, ConnectionError):
        pass
    return 0


def cmd_connect(args: argparse.Namespace) -> int:
    """ncat-like client: connect, send stdin lines as messages, print what comes back."""
    import csctp
    try:
        a = csctp.connect(args.address, local=args.local, ostreams=args.ostreams, instreams=args.instreams,
                          timeout=args.timeout, max_attempts=2, init_timeout=max(args.timeout or 3.0, 0.01))
    except OSError as e:
        _say(args, f"cannot connect to {args.address}: {e}")
        return 1
    with a:
        _say(args, f"connected to {', '.join(map(_fmt_addr, a.peer_addresses))}")
        return _relay(args, a, close_on_stdin_eof=True)


def cmd_listen(args: argparse.Namespace) -> int:
    """ncat-like server: accept one association, print its messages, send stdin lines to it."""
    import csctp
    with csctp.listen(args.address, ostreams=args.ostreams, instreams=args.instreams) as lst:
        _say(args, f"listening on {', '.join(map(_fmt_addr, lst.local_addresses))}")
        a = lst.accept()
    with a:
        _say(args, f"association from {', '.join(map(_fmt_addr, a.peer_addresses))}")
        return _relay(args, a, close_on_stdin_eof=False)


def cmd_echo(args: argparse.Namespace) -> int:
    """Echo server: every message goes back on its stream with its PPID, to its association."""
    import csctp
    ep = csctp.Endpoint(args.address, ostreams=args.ostreams, instreams=args.instreams)
    with ep:
        ep.subscribe("assoc_change")
        _say(args, f"echoing on {', '.join(map(_fmt_addr, ep.local_addresses))}")
        n = 0
        while args.count is None or n < args.count:
            m = ep.recv()
            ep.send(m.data, assoc_id=m.assoc_id, stream=m.stream, ppid=m.ppid, unordered=m.unordered)
            n += 1
            if args.verbose:
                for ev in ep.events():
                    _say(args, repr(ev))
                _print_message(m, raw=False)
            else:
                for _ in ep.events():
                    pass
    return 0


def _perf_report(data: bytes, assoc_id: int) -> Tuple[str, int]:
    """(run id, associations in that run) from a client's report.

    A client sends one report per association, each naming its run (a random
    id) and how many associations the run opened.  A report without them
    (another perf client) is a run of its own, of one association.
    """
    import json
    try:
        r = json.loads(data)
        run, n = r["run"], r["associations"]
        if isinstance(run, str) and isinstance(n, int) and not isinstance(n, bool) and n >= 1:
            return run, n
    except (ValueError, TypeError, KeyError):
        pass
    return f"assoc {assoc_id}", 1


def _perf_server(args: argparse.Namespace) -> int:
    import json

    import csctp
    if args.once is not None and args.once < 1:
        raise ValueError(f"--once must be >= 1 client runs, got {args.once}")
    ep = csctp.Endpoint(args.address, ostreams=args.streams_max, instreams=args.streams_max)
    counts: Dict[int, List[int]] = {}      # assoc_id -> [messages, bytes] received
    waiting: Dict[str, int] = {}           # run id -> reports still to come
    with ep:
        _say(args, f"perf server on {', '.join(map(_fmt_addr, ep.local_addresses))}")
        runs = 0
        while args.once is None or runs < args.once:
            m = ep.recv()
            if m.ppid == PERF_DATA:
                c = counts.setdefault(m.assoc_id, [0, 0])
                c[0] += 1
                c[1] += len(m.data)
            elif m.ppid == PERF_PING:
                ep.send(m.data, assoc_id=m.assoc_id, stream=m.stream, ppid=PERF_PING)
            elif m.ppid == PERF_REPORT:
                msgs, nbytes = counts.pop(m.assoc_id, [0, 0])
                ep.send(json.dumps({"messages": msgs, "bytes": nbytes}).encode(), assoc_id=m.assoc_id,
                        ppid=PERF_REPORT)
                # a run counts once, when the last of its associations has had its answer
                run, n = _perf_report(m.data, m.assoc_id)
                left = waiting.pop(run, n) - 1
                if left > 0:
                    waiting[run] = left
                else:
                    runs += 1
    return 0


class _Progress:
    """A one-line progress bar on a terminal (stderr); silent otherwise."""

    def __init__(self, enabled: bool, total: float) -> None:
        self.enabled = enabled
        self.total = total
        self.last = 0.0

    def update(self, elapsed: float, sent: int, force: bool = False) -> None:
        if not self.enabled or (not force and elapsed - self.last < 0.2):
            return
        self.last = elapsed
        frac = min(1.0, elapsed / self.total) if self.total else 1.0
        bar = "#" * int(frac * 30)
        rate = sent / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(f"\r[{bar:<30}] {elapsed:5.1f}/{self.total:.1f} s {sent:>10} msg {rate:>12,.0f} msg/s")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _percentile(sorted_values: List[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def _perf_client(args: argparse.Namespace) -> int:
    import json
    import selectors
    import struct
    import time

    import csctp
    if args.size < 8 or args.size > 65536:
        raise ValueError(f"--size must be in 8..65536 bytes, got {args.size}")
    if args.duration <= 0 or args.duration > 3600:
        raise ValueError(f"--duration must be in (0, 3600] seconds, got {args.duration}")
    if not 1 <= args.streams <= 1024 or not 1 <= args.associations <= 1000:
        raise ValueError("--streams must be in 1..1024 and --associations in 1..1000")
    assocs = []
    try:
        for _ in range(args.associations):
            try:
                assocs.append(csctp.connect(args.address, ostreams=args.streams, instreams=args.streams,
                                            timeout=args.timeout, max_attempts=2,
                                            init_timeout=max(args.timeout or 3.0, 0.01)))
            except OSError as e:
                _say(args, f"cannot connect to {args.address}: {e}")
                return 1
        payload = bytes(args.size)
        sel = selectors.DefaultSelector()
        for a in assocs:
            a.settimeout(0)
        progress = _Progress(sys.stderr.isatty() and not args.json, args.duration)
        sent = [0] * len(assocs)
        t0 = time.perf_counter()
        end = t0 + args.duration
        now = t0
        while now < end:
            blocked = []
            for i, a in enumerate(assocs):
                try:
                    for _ in range(64):
                        a.send(payload, stream=sent[i] % args.streams, ppid=PERF_DATA)
                        sent[i] += 1
                except BlockingIOError:
                    blocked.append(a)
            if len(blocked) == len(assocs):
                for a in blocked:
                    sel.register(a.fileno(), selectors.EVENT_WRITE)
                sel.select(min(0.2, max(0.0, end - now)))
                for a in blocked:
                    sel.unregister(a.fileno())
            now = time.perf_counter()
            progress.update(now - t0, sum(sent))
        elapsed = now - t0
        progress.update(elapsed, sum(sent), force=True)
        progress.done()
        sel.close()
        # wait until everything is acknowledged: then it sits in the server's queue ahead of what follows
        for a in assocs:
            a.settimeout(args.timeout)
            for _ in range(int((args.timeout or 30) / 0.01)):
                st = a.status
                if st.unackdata == 0 and st.penddata == 0:
                    break
                time.sleep(0.01)
        rtts: List[float] = []
        a = assocs[0]
        for k in range(args.rtt_count):
            t = time.perf_counter()
            a.send(struct.pack("!Q", k) + bytes(args.size - 8), ppid=PERF_PING)
            m = a.recv()
            rtts.append((time.perf_counter() - t) * 1e6)
            if struct.unpack_from("!Q", m.data)[0] != k:
                raise OSError(f"perf: ping {k} came back out of order")
        # last: the server may exit once every association of this run has its report (perf server --once N)
        report = json.dumps({"run": os.urandom(8).hex(), "associations": len(assocs)}).encode()
        received = nbytes = 0
        for a in assocs:
            a.send(report, ppid=PERF_REPORT)
            r = json.loads(a.recv().data)
            received += r["messages"]
            nbytes += r["bytes"]
        rtts.sort()
    finally:
        for a in assocs:
            a.close()
    total = sum(sent)
    result = {
        "address": args.address, "size": args.size, "streams": args.streams,
        "associations": args.associations, "duration_s": round(elapsed, 3),
        "sent_messages": total, "received_messages": received, "received_bytes": nbytes,
        "lost_messages": total - received,
        "msg_per_s": round(received / elapsed, 1), "mb_per_s": round(nbytes / elapsed / 1e6, 3),
        "rtt_us": {"count": len(rtts), "min": round(rtts[0], 1) if rtts else None,
                   "p50": round(_percentile(rtts, 50), 1), "p99": round(_percentile(rtts, 99), 1),
                   "max": round(rtts[-1], 1) if rtts else None},
        "kernel": platform.release(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        r = result["rtt_us"]
        print(f"{args.associations} association(s), {args.streams} stream(s), {args.size}-byte messages, "
              f"{elapsed:.2f} s on kernel {result['kernel']}")
        print(f"  throughput: {total} sent, {received} received ({total - received} lost), "
              f"{result['msg_per_s']:,.0f} msg/s, {result['mb_per_s']:.2f} MB/s")
        print(f"  RTT over {r['count']} pings: min {r['min']} us, p50 {r['p50']} us, p99 {r['p99']} us, "
              f"max {r['max']} us")
    return 0 if total == received else 1


def cmd_perf(args: argparse.Namespace) -> int:
    """iperf-like throughput and RTT over SCTP: ``perf server ADDR`` / ``perf client ADDR``."""
    return _perf_server(args) if args.role == "server" else _perf_client(args)


def _add_tool_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    def positive_timeout(v: str) -> Optional[float]:
        t = float(v)
        if t <= 0:
            raise argparse.ArgumentTypeError(f"timeout must be > 0 seconds, got {v}")
        return t

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ostreams", type=int, default=10, help="outbound streams to request (default 10)")
        p.add_argument("--instreams", type=int, default=10, help="inbound streams to allow (default 10)")

    def relay_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stream", type=int, default=0, help="stream to send stdin lines on (default 0)")
        p.add_argument("--ppid", type=lambda v: int(v, 0), default=0, help="PPID of sent messages (host order)")
        p.add_argument("--unordered", action="store_true", help="send unordered")
        p.add_argument("--raw", action="store_true",
                       help="bytes as they are: each stdin line is sent with its line end (\\n or \\r\\n), "
                            "received data is printed without metadata or added newlines")
        p.add_argument("--expect", type=int, default=None, metavar="N", help="exit after receiving N messages")
        p.add_argument("--timeout", type=positive_timeout, default=10.0, help="connect/send timeout in s")
        p.add_argument("--idle-timeout", type=float, default=2.0,
                       help="after stdin ends, wait this long without traffic before shutting down (default 2)")
        common(p)

    addr_help = 'SCTP address, multi-homed allowed: "127.0.0.1:2905", "192.0.2.1/198.51.100.1:2905", "[::1]:2905"'
    p = sub.add_parser("connect", help="connect and relay stdin lines as messages (like ncat)",
                       description="Connect to ADDRESS; each stdin line is one message; received messages are "
                                   "printed with their association, stream, PPID and SSN.")
    p.add_argument("address", help=addr_help)
    p.add_argument("--local", default=None, help="local address(es) to bind first")
    relay_opts(p)
    p.set_defaults(func=cmd_connect)

    p = sub.add_parser("listen", help="accept one association and relay it (like ncat -l)",
                       description="Listen on ADDRESS, accept one association, print its messages and send "
                                   "stdin lines to it; exits when the peer shuts down.")
    p.add_argument("address", help=addr_help + " (port 0 picks one; it is printed on stderr)")
    relay_opts(p)
    p.set_defaults(func=cmd_listen)

    p = sub.add_parser("echo", help="echo server (one-to-many)",
                       description="Echo every message back on its stream with its PPID, serving any number "
                                   "of associations on one one-to-many socket.")
    p.add_argument("address", help=addr_help)
    p.add_argument("--count", type=int, default=None, help="exit after echoing N messages")
    p.add_argument("-v", "--verbose", action="store_true", help="print each message and event")
    common(p)
    p.set_defaults(func=cmd_echo)

    p = sub.add_parser("perf", help="throughput and RTT benchmark (like iperf)",
                       description="Run 'perf server ADDRESS' on one side and 'perf client ADDRESS' on the other. "
                                   "The client sends for --duration seconds on every association and stream, "
                                   "asks the server how much arrived, then measures ping-pong RTT.")
    p.add_argument("role", choices=["server", "client"], help="which side this is")
    p.add_argument("address", help=addr_help)
    p.add_argument("--size", type=int, default=128, help="message size in bytes (default 128)")
    p.add_argument("--streams", type=int, default=1, help="streams to spread messages over (default 1)")
    p.add_argument("--associations", type=int, default=1, help="parallel associations (default 1)")
    p.add_argument("--duration", type=float, default=5.0, help="seconds of one-way traffic (default 5)")
    p.add_argument("--rtt-count", type=int, default=1000, help="ping-pongs for RTT percentiles (default 1000)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--timeout", type=positive_timeout, default=10.0, help="connect/report timeout in s")
    p.add_argument("--once", type=int, default=None, metavar="N",
                   help="server: exit after N client runs (a run counts once, however many --associations)")
    p.add_argument("--streams-max", type=int, default=1024, help="server: streams to accept (default 1024)")
    p.set_defaults(func=cmd_perf)


if __name__ == "__main__":
    sys.exit(main())
