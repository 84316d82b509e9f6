"""Raw RFC 6458 structures for the reliability tests, packed by hand with ``struct``.

Layouts are those of ``/usr/include/linux/sctp.h`` (the kernel ABI).  The
structures marked ``__attribute__((packed, aligned(4)))`` there are packed
here with ``=`` (no padding) and then padded to a multiple of 4, which is
what ``sizeof`` gives and what the kernel compares ``optlen`` against.

This module exists so the reliability tests do not depend on the typed
option and notification layers (branches ``options`` and ``notify``); when
those are merged, the tests can switch to ``csctp._options`` /
``csctp._notify`` without changing what they assert.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple, Optional, Tuple

from csctp import constants as C

SS_SIZE = 128            # sizeof(struct sockaddr_storage)

# spp_flags (enum sctp_spp_flags)
SPP_HB_ENABLE = 1 << 0
SPP_HB_DISABLE = 1 << 1
SPP_HB_DEMAND = 1 << 2
SPP_PMTUD_ENABLE = 1 << 3


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def pack_sockaddr(addr: Optional[Tuple]) -> bytes:
    """(host, port[, flowinfo, scope]) -> a zero-padded struct sockaddr_storage; None -> all zero."""
    if addr is None:
        return b"\0" * SS_SIZE
    host, port = addr[0], addr[1]
    try:
        raw = socket.inet_pton(socket.AF_INET, host)
        sa = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + raw
    except OSError:
        raw = socket.inet_pton(socket.AF_INET6, host)
        flow, scope = (addr[2], addr[3]) if len(addr) == 4 else (0, 0)
        sa = struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, flow) + raw + struct.pack("=I", scope)
    return sa + b"\0" * (SS_SIZE - len(sa))


def unpack_sockaddr(b: bytes) -> Optional[Tuple]:
    fam, = struct.unpack_from("=H", b, 0)
    port, = struct.unpack_from("!H", b, 2)
    if fam == socket.AF_INET:
        return socket.inet_ntop(socket.AF_INET, b[4:8]), port
    if fam == socket.AF_INET6:
        return socket.inet_ntop(socket.AF_INET6, b[8:24]), port
    return None


# ---- options ----------------------------------------------------------------

def rtoinfo(assoc_id: int = 0, initial: int = 0, max: int = 0, min: int = 0) -> bytes:
    """struct sctp_rtoinfo (ms; 0 leaves a field unchanged)."""
    return struct.pack("=iIII", assoc_id, initial, max, min)


def assocparams(assoc_id: int = 0, asocmaxrxt: int = 0) -> bytes:
    """struct sctp_assocparams with only the association retransmission limit set."""
    return struct.pack("=iHHIII", assoc_id, asocmaxrxt, 0, 0, 0, 0)


def paddrparams(assoc_id: int = 0, addr=None, hbinterval: int = 0, pathmaxrxt: int = 0,
                flags: int = SPP_HB_ENABLE) -> bytes:
    """struct sctp_paddrparams (packed, 156 bytes); *addr* None means every path."""
    b = struct.pack("=i", assoc_id) + pack_sockaddr(addr) + struct.pack(
        "=IHIIIIB", hbinterval, pathmaxrxt, 0, 0, flags, 0, 0)
    return _pad4(b)


def prim(assoc_id: int, addr) -> bytes:
    """struct sctp_prim (packed, 132 bytes)."""
    return _pad4(struct.pack("=i", assoc_id) + pack_sockaddr(addr))


def event(type: int, on: bool = True, assoc_id: int = 0) -> bytes:
    """struct sctp_event (8 bytes with its tail padding)."""
    return struct.pack("=iHBx", assoc_id, type, 1 if on else 0)


class PeerAddrInfo(NamedTuple):
    assoc_id: int
    addr: Optional[Tuple]
    state: int
    cwnd: int
    srtt: int
    rto: int
    mtu: int


def peer_addr_info(sock, addr, assoc_id: int = 0) -> PeerAddrInfo:
    """SCTP_GET_PEER_ADDR_INFO for one peer address."""
    req = _pad4(struct.pack("=i", assoc_id) + pack_sockaddr(addr) + struct.pack("=iIIII", 0, 0, 0, 0, 0))
    b = sock.getsockopt(C.SOL_SCTP, C.SCTP_GET_PEER_ADDR_INFO, req)
    aid, = struct.unpack_from("=i", b, 0)
    state, cwnd, srtt, rto, mtu = struct.unpack_from("=iIIII", b, 4 + SS_SIZE)
    return PeerAddrInfo(aid, unpack_sockaddr(b[4:4 + SS_SIZE]), state, cwnd, srtt, rto, mtu)


def primary(sock, assoc_id: int = 0) -> Optional[Tuple]:
    b = sock.getsockopt(C.SOL_SCTP, C.SCTP_PRIMARY_ADDR, prim(assoc_id, None))
    return unpack_sockaddr(b[4:4 + SS_SIZE])


def subscribe(sock, *types: int, assoc_id: int = 0) -> None:
    for t in types:
        sock.setsockopt(C.SOL_SCTP, C.SCTP_EVENT, event(t, True, assoc_id))


def tune_fast_failover(sock, assoc_id: int = 0, hbinterval: int = 100, pathmaxrxt: int = 1,
                       rto=(200, 100, 1000), asocmaxrxt: int = 0) -> None:
    """Short heartbeats, a small path retransmission limit and small RTOs (ms).

    RTO.max is 1 s, not less: under `make asan` (sanitizer and emulation) the
    peer once took longer than a 200 ms RTO.max allowed, ten timeouts in a row
    on the surviving path, and the association aborted (ETIMEDOUT) mid-test.
    """
    initial, lo, hi = rto
    sock.setsockopt(C.SOL_SCTP, C.SCTP_RTOINFO, rtoinfo(assoc_id, initial, hi, lo))
    sock.setsockopt(C.SOL_SCTP, C.SCTP_PEER_ADDR_PARAMS,
                    paddrparams(assoc_id, None, hbinterval, pathmaxrxt, SPP_HB_ENABLE))
    if asocmaxrxt:
        sock.setsockopt(C.SOL_SCTP, C.SCTP_ASSOCINFO, assocparams(assoc_id, asocmaxrxt))


# ---- notifications ------------------------------------------------------------

class AssocChange(NamedTuple):
    state: int
    error: int
    outbound_streams: int
    inbound_streams: int
    assoc_id: int


class PeerAddrChange(NamedTuple):
    addr: Optional[Tuple]
    state: int
    error: int
    assoc_id: int


class SendFailedEvent(NamedTuple):
    flags: int
    error: int
    stream: int
    ppid: int
    assoc_id: int
    data: bytes


class ShutdownEvent(NamedTuple):
    assoc_id: int


class OtherNotification(NamedTuple):
    type: int
    raw: bytes


def parse_notification(b: bytes):
    """One notification's bytes -> a typed tuple; lengths are checked against *b*."""
    if len(b) < 8:
        return OtherNotification(-1, b)
    typ, flags, length = struct.unpack_from("=HHI", b, 0)
    if length > len(b):
        return OtherNotification(typ, b)
    if typ == C.SCTP_ASSOC_CHANGE and length >= 20:
        st, err, ob, ib, aid = struct.unpack_from("=HHHHi", b, 8)
        return AssocChange(st, err, ob, ib, aid)
    if typ == C.SCTP_PEER_ADDR_CHANGE and length >= 8 + SS_SIZE + 12:
        st, err, aid = struct.unpack_from("=iii", b, 8 + SS_SIZE)
        return PeerAddrChange(unpack_sockaddr(b[8:8 + SS_SIZE]), st, err, aid)
    if typ == C.SCTP_SEND_FAILED_EVENT and length >= 32:
        err, = struct.unpack_from("=I", b, 8)
        sid, sflags, ppid, ctx, aid_info = struct.unpack_from("=HHIIi", b, 12)
        aid, = struct.unpack_from("=i", b, 28)
        return SendFailedEvent(flags, err, sid, socket.ntohl(ppid), aid, bytes(b[32:length]))
    if typ == C.SCTP_SEND_FAILED and length >= 48:
        # legacy struct sctp_send_failed: error, then a whole sctp_sndrcvinfo (32 bytes)
        err, = struct.unpack_from("=I", b, 8)
        sid, _ssn, _sflags, ppid = struct.unpack_from("=HHHxxI", b, 12)
        aid, = struct.unpack_from("=i", b, 44)
        return SendFailedEvent(flags, err, sid, socket.ntohl(ppid), aid, bytes(b[48:length]))
    if typ == C.SCTP_SHUTDOWN_EVENT and length >= 12:
        aid, = struct.unpack_from("=i", b, 8)
        return ShutdownEvent(aid)
    return OtherNotification(typ, bytes(b[:length]))
