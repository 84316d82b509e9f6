"""Bounded-time fuzzing of csctp's parsers (``make fuzz``).

    python tools/fuzz.py [--seconds N] [--engine atheris|random]

Targets, chosen by the input's first byte:

* ``csctp._addr.parse``: address specs as text, and as tuples built from
  the fuzz input;
* ``csctp._notify.parse``: raw notification bytes;
* the control-message parsers of the receive paths: ``csctp._core`` (one
  message, ``recv``/``recv_into``) and ``csctp._batch`` (a ``recvmmsg``
  slot), each given the bytes as the whole control buffer in a heap block of
  exactly that size (so ``make asan``'s build reports any read past it).

A target may raise ValueError, TypeError or socket.gaierror (the documented
errors); anything else, or a crash, is a finding.  Seeds are valid address
specs, notifications and control buffers, mutated byte-wise.  Hostname resolution is disabled (the
resolver always answers "no such name") so fuzz input never reaches DNS.

The default engine is a seeded mutation loop over seed specs plus random
bytes.  ``--engine atheris`` uses atheris' libFuzzer instead, but the
parsers are compiled Cython without coverage instrumentation, so libFuzzer
gets no feedback (tried: 2.7 M runs, corpus stuck at one 1-byte input); the
mutation engine exercises far more of the input space.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import struct
import sys
import time

# the checkout, after any PYTHONPATH entries (make fuzz-asan puts the sanitizer build there)
_pp = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
sys.path.insert(1 + len(_pp), os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from csctp import _addr, _batch, _core, _notify  # noqa: E402

ALLOWED = (ValueError, TypeError, socket.gaierror)


def _no_dns(*a, **kw):
    raise socket.gaierror(socket.EAI_NONAME, "resolver disabled while fuzzing")


socket.getaddrinfo = _no_dns

ADDR_SEEDS = [b"192.0.2.1:2905", b"192.0.2.1/198.51.100.1:2905", b"[2001:db8::1]/192.0.2.1:2905",
              b"[fe80::1%1]:2905", b"[::1]:0", b"127.0.0.1", b"::1", b"[2001:db8::1]"]


def _cmsg(ctype: int, payload: bytes) -> bytes:
    """One IPPROTO_SCTP control message as Linux lays it out (struct cmsghdr, 8-byte aligned)."""
    n = struct.calcsize("@Nii") + len(payload)
    return struct.pack("@Nii", n, socket.IPPROTO_SCTP, ctype) + payload + b"\0" * (-n % 8)


_RCVINFO = struct.pack("@HHHxxIIIIi", 3, 7, 1, 0x2E000000, 100, 99, 5, 42)
_NXTINFO = struct.pack("@HHIIi", 4, 0x20, 0x03000000, 128, 42)
_SNDRCV = struct.pack("@HHHxxIIIIIi", 3, 7, 1, 0x2E000000, 0, 0, 100, 99, 42)
CONTROL_SEEDS = [_cmsg(3, _RCVINFO), _cmsg(3, _RCVINFO) + _cmsg(4, _NXTINFO), _cmsg(1, _SNDRCV),
                 _cmsg(4, _NXTINFO), _cmsg(3, _RCVINFO)[:20]]
# SCTP_ASSOC_CHANGE (COMM_UP), SCTP_SHUTDOWN_EVENT, SCTP_SEND_FAILED_EVENT header + 4 bytes of data
NOTIFY_SEEDS = [struct.pack("@HHIHHHHi", 0x8001, 0, 20, 0, 0, 10, 10, 42),
                struct.pack("@HHIi", 0x8005, 0, 12, 42),
                struct.pack("@HHII", 0x800D, 0, 36, 1) + struct.pack("@HHIIi", 3, 0, 0x2E000000, 0, 42)
                + struct.pack("@i", 42) + b"abcd"]
TARGETS = ("addr", "addr-port", "addr-tuples", "notify", "control-core", "control-batch")
SEEDS = {"addr": ADDR_SEEDS, "addr-port": ADDR_SEEDS, "addr-tuples": ADDR_SEEDS, "notify": NOTIFY_SEEDS,
         "control-core": CONTROL_SEEDS, "control-batch": CONTROL_SEEDS}
COUNTS = dict.fromkeys(TARGETS, 0)


def one_input(data: bytes) -> None:
    if not data:
        return
    target, body = TARGETS[data[0] % len(TARGETS)], data[1:]
    COUNTS[target] += 1
    text = body.decode("utf-8", "surrogateescape")
    try:
        if target == "addr":
            _addr.parse(text)
        elif target == "addr-port":
            port = struct.unpack_from("<i", body.ljust(4, b"\0"))[0] if len(body) >= 4 else None
            _addr.parse(text[2:], port=port)
        elif target == "addr-tuples":
            parts = text.split("\x00")
            items = [(p, len(p) * 997 % 70000) for p in parts[:6]]
            _addr.parse(items if len(items) > 1 else items[0])
        elif target == "notify":
            _notify.parse(body)
        elif target == "control-core":
            _core._parse_control(body)
        else:
            _batch._parse_control(body, 0, len(body))
    except ALLOWED:
        pass


def _mutate(rng: random.Random, seed: bytes) -> bytes:
    b = bytearray(seed)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(4)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1:
            b.insert(rng.randrange(len(b) + 1), rng.choice(b":/[]%.0123456789abcdef\x00\xff"))
        elif op == 2 and b:
            del b[rng.randrange(len(b))]
        else:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(0, 8)))
    return bytes(b)


def run_random(seconds: float, seed: int) -> int:
    rng = random.Random(seed)
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end and n < 50_000_000:
        if rng.random() < 0.5:
            sel = rng.randrange(256)
            data = bytes([sel]) + _mutate(rng, rng.choice(SEEDS[TARGETS[sel % len(TARGETS)]]))
        else:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        one_input(data)
        n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--engine", choices=["auto", "atheris", "random"], default="auto")
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()
    targets = ", ".join(TARGETS)
    engine = args.engine
    if engine == "auto":
        engine = "random"
    print(f"fuzz: engine={engine} targets={targets} for {args.seconds:g} s; csctp from "
          f"{os.path.dirname(_core.__file__)}", flush=True)
    if engine == "atheris":
        import atheris
        corpus = os.path.join(os.environ.get("TMPDIR", "/tmp"), "csctp-fuzz-corpus")
        os.makedirs(corpus, exist_ok=True)
        for t, (name, seeds) in enumerate(SEEDS.items()):
            for i, seed in enumerate(seeds):
                with open(os.path.join(corpus, f"{name}-{i}"), "wb") as f:
                    f.write(bytes([TARGETS.index(name)]) + seed)
        atheris.Setup([sys.argv[0], f"-max_total_time={int(args.seconds)}", f"-seed={args.seed}",
                       "-print_final_stats=1", corpus], one_input)
        atheris.Fuzz()         # exits the process when the time is up
        return 0
    n = run_random(args.seconds, args.seed)
    print(f"fuzz: {n} inputs ({', '.join(f'{k} {v}' for k, v in COUNTS.items())}), "
          f"no unexpected exception or crash", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
