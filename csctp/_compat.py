"""Socket options the Python layer needs, through the core's raw get/setsockopt.

Used by csctp.association / csctp.endpoint only where the typed option and
notification modules (``csctp._options``, ``csctp._notify``) are not built;
when they are, :func:`options` and :func:`notify` return them instead.
Struct layouts are the Linux UAPI ones (``include/uapi/linux/sctp.h``).
"""

from __future__ import annotations

import struct
from types import ModuleType
from typing import Any, List, Optional

from csctp import constants as C

_INITMSG = struct.Struct("HHHH")                 # struct sctp_initmsg
_EVENT = struct.Struct("iHBx")                   # struct sctp_event (RFC 6458 6.2.2)
_ASSOC_CHANGE = struct.Struct("HHIHHHHi")        # struct sctp_assoc_change, fixed part

KINDS = {
    "data_io": C.SCTP_DATA_IO_EVENT, "assoc_change": C.SCTP_ASSOC_CHANGE,
    "peer_addr_change": C.SCTP_PEER_ADDR_CHANGE, "send_failed": C.SCTP_SEND_FAILED,
    "remote_error": C.SCTP_REMOTE_ERROR, "shutdown": C.SCTP_SHUTDOWN_EVENT,
    "partial_delivery": C.SCTP_PARTIAL_DELIVERY_EVENT, "adaptation_indication": C.SCTP_ADAPTATION_INDICATION,
    "authentication": C.SCTP_AUTHENTICATION_EVENT, "sender_dry": C.SCTP_SENDER_DRY_EVENT,
    "stream_reset": C.SCTP_STREAM_RESET_EVENT, "assoc_reset": C.SCTP_ASSOC_RESET_EVENT,
    "stream_change": C.SCTP_STREAM_CHANGE_EVENT, "send_failed_event": C.SCTP_SEND_FAILED_EVENT,
}
_NAMES = {v: k for k, v in KINDS.items()}


def options() -> Any:
    """``csctp._options`` when built, else this module (same function names)."""
    try:
        from csctp import _options
        return _options
    except ImportError:
        import csctp._compat as me
        return me


def notify() -> Any:
    """``csctp._notify`` when built, else this module (``parse``/``subscribe``/``KINDS``)."""
    try:
        from csctp import _notify
        return _notify
    except ImportError:
        import csctp._compat as me
        return me


def set_initmsg(sock: Any, ostreams: int = 0, instreams: int = 0, max_attempts: int = 0,
                max_init_timeout: int = 0) -> None:
    """SCTP_INITMSG: streams requested in INIT, INIT retransmissions and their timeout (ms)."""
    sock.setsockopt(C.SOL_SCTP, C.SCTP_INITMSG, _INITMSG.pack(ostreams, instreams, max_attempts, max_init_timeout))


def set_nodelay(sock: Any, on: bool) -> None:
    """SCTP_NODELAY (Nagle off)."""
    sock.setsockopt(C.SOL_SCTP, C.SCTP_NODELAY, int(bool(on)))


def get_autoclose(sock: Any) -> int:
    """SCTP_AUTOCLOSE in seconds (0: off)."""
    v: int = sock.getsockopt(C.SOL_SCTP, C.SCTP_AUTOCLOSE)
    return v


def set_autoclose(sock: Any, seconds: int) -> None:
    """SCTP_AUTOCLOSE (one-to-many only)."""
    if not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"autoclose must be an int >= 0 (seconds), got {seconds!r}")
    sock.setsockopt(C.SOL_SCTP, C.SCTP_AUTOCLOSE, seconds)


def get_assoc_ids(sock: Any) -> List[int]:
    """SCTP_GET_ASSOC_ID_LIST: the ids of the associations on a one-to-many socket."""
    n = sock.getsockopt(C.SOL_SCTP, C.SCTP_GET_ASSOC_NUMBER)
    raw = sock.getsockopt(C.SOL_SCTP, C.SCTP_GET_ASSOC_ID_LIST, 4 + 4 * (n + 8))
    (count,) = struct.unpack_from("I", raw)
    return list(struct.unpack_from(f"{count}i", raw, 4))


def subscribe(sock: Any, *kinds: str, on: bool = True, assoc_id: int = 0) -> None:
    """Turn notifications on or off per kind with SCTP_EVENT."""
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"subscribe: unknown notification kind {k!r} (one of {', '.join(KINDS)})")
        sock.setsockopt(C.SOL_SCTP, C.SCTP_EVENT, _EVENT.pack(assoc_id, KINDS[k], 1 if on else 0))


class Notification:
    """A kernel notification: ``type``, ``kind``, ``assoc_id`` and the ``raw`` bytes."""

    def __init__(self, raw: bytes) -> None:
        self.raw = bytes(raw)
        self.type, self.flags = struct.unpack_from("HH", raw) if len(raw) >= 4 else (0, 0)
        self.kind = _NAMES.get(self.type, "unknown")
        self.assoc_id: int = 0
        self.state: Optional[int] = None
        if self.type == C.SCTP_ASSOC_CHANGE and len(raw) >= _ASSOC_CHANGE.size:
            _, _, _, self.state, self.error, self.outbound_streams, self.inbound_streams, self.assoc_id = \
                _ASSOC_CHANGE.unpack_from(raw)
        elif len(raw) >= 12 and self.type in (C.SCTP_SHUTDOWN_EVENT, C.SCTP_SENDER_DRY_EVENT):
            (self.assoc_id,) = struct.unpack_from("i", raw, 8)

    def __repr__(self) -> str:
        return f"<Notification {self.kind} assoc_id={self.assoc_id}>"


def parse(raw: bytes) -> Notification:
    """Parse a notification (only the header and the assoc id of common kinds)."""
    return Notification(raw)



_STATUS = struct.Struct("iiIHHHHI")              # struct sctp_status up to sstat_primary
_PADDRINFO = struct.Struct("i128siIIII")         # struct sctp_paddrinfo (packed, aligned 4)
_PRIM = struct.Struct("i128s")                   # struct sctp_prim (packed, aligned 4)


def _sockaddr(raw: bytes) -> Any:
    """A packed sockaddr_in/in6 as the stdlib shows it."""
    import socket as _socket
    (family,) = struct.unpack_from("H", raw)
    if family == _socket.AF_INET:
        return (_socket.inet_ntop(family, raw[4:8]), struct.unpack_from("!H", raw, 2)[0])
    if family == _socket.AF_INET6:
        port, flow = struct.unpack_from("!HI", raw, 2)
        return (_socket.inet_ntop(family, raw[8:24]), port, flow, struct.unpack_from("I", raw, 24)[0])
    return None


class Status:
    """SCTP_STATUS: ``state``, ``rwnd``, ``unackdata``, ``penddata``, ``instreams``, ``outstreams``,
    ``fragmentation_point``, ``primary`` (address), ``assoc_id``."""

    def __init__(self, raw: bytes) -> None:
        (self.assoc_id, self.state, self.rwnd, self.unackdata, self.penddata, self.instreams,
         self.outstreams, self.fragmentation_point) = _STATUS.unpack_from(raw)
        _, addr, self.primary_state, self.cwnd, self.srtt, self.rto, self.mtu = \
            _PADDRINFO.unpack_from(raw, _STATUS.size)
        self.primary = _sockaddr(addr)

    def __repr__(self) -> str:
        return (f"Status(assoc_id={self.assoc_id}, state={self.state}, instreams={self.instreams}, "
                f"outstreams={self.outstreams}, primary={self.primary})")


def get_status(sock: Any, assoc_id: int = 0) -> Status:
    """SCTP_STATUS of *assoc_id* (0 on a one-to-one socket)."""
    raw = struct.pack("i", assoc_id) + bytes(_STATUS.size + _PADDRINFO.size - 4)
    return Status(sock.getsockopt(C.SOL_SCTP, C.SCTP_STATUS, raw))


def get_primary(sock: Any, assoc_id: int = 0) -> Any:
    """SCTP_PRIMARY_ADDR: the peer address used as primary path."""
    raw = sock.getsockopt(C.SOL_SCTP, C.SCTP_PRIMARY_ADDR, _PRIM.pack(assoc_id, b""))
    return _sockaddr(_PRIM.unpack_from(raw)[1])


def set_primary(sock: Any, address: Any, assoc_id: int = 0) -> None:
    """SCTP_PRIMARY_ADDR: make *address* (one of the peer's) the primary path."""
    import socket as _socket
    from csctp._addr import parse
    addrs = parse(address)
    if len(addrs) != 1:
        raise ValueError(f"set_primary: need exactly one address, got {address!r}")
    a = addrs[0]
    if len(a) == 2:
        packed = struct.pack("H", _socket.AF_INET) + struct.pack("!H", a[1]) + _socket.inet_pton(_socket.AF_INET, a[0])
    else:
        packed = (struct.pack("H", _socket.AF_INET6) + struct.pack("!HI", a[1], a[2])
                  + _socket.inet_pton(_socket.AF_INET6, a[0]) + struct.pack("I", a[3]))
    sock.setsockopt(C.SOL_SCTP, C.SCTP_PRIMARY_ADDR, _PRIM.pack(assoc_id, packed))
