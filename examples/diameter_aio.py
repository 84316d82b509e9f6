"""asyncio Diameter-style framing over SCTP (RFC 6733 section 3 header, PPID 46).

    python examples/diameter_aio.py [--clients 3] [--requests 5]

Every Diameter message starts with a 20-byte header whose 24-bit Message
Length covers the whole message.  SCTP already preserves message
boundaries, so each SCTP user message carries exactly one Diameter message;
the receiver still checks the length prefix against what arrived (a
mismatch is a protocol error, answered with an ABORT).  The server is
``csctp.aio.start_server``; each client sends a CER, then watchdog requests
(DWR), on stream 0 and 1, and checks every answer's hop-by-hop id.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
from typing import List, NamedTuple, Optional, Tuple

import csctp
import csctp.aio

DIAMETER_PPID = 46
HEADER = struct.Struct("!B3sB3sIII")      # version, length(24), flags, code(24), app id, hop-by-hop, end-to-end
FLAG_REQUEST = 0x80
CER, DWR = 257, 280                         # Capabilities-Exchange, Device-Watchdog


class Header(NamedTuple):
    length: int
    request: bool
    code: int
    hop_by_hop: int
    end_to_end: int


def encode(code: int, request: bool, hop_by_hop: int, end_to_end: int, body: bytes = b"") -> bytes:
    """One Diameter message: the header with its length prefix, then *body* (AVPs, opaque here)."""
    length = HEADER.size + len(body)
    return HEADER.pack(1, length.to_bytes(3, "big"), FLAG_REQUEST if request else 0, code.to_bytes(3, "big"),
                       0, hop_by_hop, end_to_end) + body


def decode(data: bytes) -> Tuple[Header, bytes]:
    """Parse and check the framing; raises ValueError on a bad version or length."""
    if len(data) < HEADER.size:
        raise ValueError(f"short Diameter message: {len(data)} bytes")
    version, length_b, flags, code_b, _app, hbh, e2e = HEADER.unpack_from(data)
    length = int.from_bytes(length_b, "big")
    if version != 1 or length != len(data) or length % 4:
        raise ValueError(f"bad Diameter framing: version {version}, length field {length}, got {len(data)} bytes")
    return Header(length, bool(flags & FLAG_REQUEST), int.from_bytes(code_b, "big"), hbh, e2e), data[HEADER.size:]


async def handle(assoc: csctp.aio.Association) -> None:
    """Server side: answer every request with the same code and ids."""
    async for msg in assoc:
        try:
            hdr, body = decode(msg.data)
        except ValueError:
            assoc.abort()
            return
        if hdr.request:
            await assoc.send(encode(hdr.code, False, hdr.hop_by_hop, hdr.end_to_end, body),
                             stream=msg.stream, ppid=DIAMETER_PPID)


async def client(address: str, n: int, requests: int) -> List[str]:
    """Client side: CER on stream 0, then DWRs on stream 1; returns a log line per answer."""
    log: List[str] = []
    assoc = await csctp.aio.connect(address, timeout=10)
    async with assoc:
        for i in range(requests + 1):
            code, stream = (CER, 0) if i == 0 else (DWR, 1)
            hbh = (n << 16) | i
            await assoc.send(encode(code, True, hbh, hbh, b"\0" * 8), stream=stream, ppid=DIAMETER_PPID)
            msg = await assoc.recv()
            hdr, _ = decode(msg.data)
            if (hdr.code, hdr.hop_by_hop, hdr.request, msg.ppid) != (code, hbh, False, DIAMETER_PPID):
                raise RuntimeError(f"client {n}: unexpected answer {hdr}")
            log.append(f"client {n}: {'CEA' if code == CER else 'DWA'} hop-by-hop {hbh:#010x} "
                       f"on stream {msg.stream}, {hdr.length} bytes")
        assoc.shutdown()
    return log


async def run(clients: int, requests: int) -> int:
    server = await csctp.aio.start_server(handle, "127.0.0.1:0")
    async with server:
        address = f"127.0.0.1:{server.address[1]}"
        logs = await asyncio.gather(*(client(address, n, requests) for n in range(clients)))
    for log in logs:
        for line in log:
            print(line)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="asyncio Diameter-style framing over SCTP")
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--requests", type=int, default=5)
    args = ap.parse_args(argv)
    return asyncio.run(run(args.clients, args.requests))


if __name__ == "__main__":
    sys.exit(main())
