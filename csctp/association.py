"""One-to-one SCTP: :func:`connect`, :func:`listen`, :class:`Listener`, :class:`Association`, :class:`Path`.

The front door of csctp, over :class:`csctp.Socket` (the low-level backend,
the Cython core).  It adds
what a signalling application wants by default and nothing that costs a
system call per message:

* ``SCTP_NODELAY`` on, RCVINFO on (every message carries stream, SSN, PPID,
  TSN and association id), no events until :meth:`Association.subscribe`;
* :meth:`Association.recv` returns *whole* user messages (partial deliveries
  are reassembled) and never returns a notification: those go to the events
  queue that :meth:`Association.events` drains;
* end of association is an exception, never an empty message: a graceful
  SHUTDOWN (either side's) raises :class:`AssociationClosed` (an
  ``EOFError``), an ABORT or a lost association ``ConnectionResetError``,
  after every message that came before it; :meth:`Association.items`
  yields messages and notifications in arrival order until that end.
"""

from __future__ import annotations

import collections
import errno as _errno
import socket as _socket
import struct
import time
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple, Type,
                    TypeVar, Union)

from csctp import _notify, _options, constants as C
from csctp._addr import parse as _parse_addrs
from csctp._core import Reassembler, Socket
from csctp._engine import Engine
from csctp._message import Message
from csctp._options import Status
from csctp.constants import AssocState, PathState

if TYPE_CHECKING:  # pragma: no cover
    from csctp._core import Buffer
    from csctp.endpoint import EndpointAssociation

#: A transport address as the kernel reports it: ``(host, port)`` for IPv4,
#: ``(host, port, flowinfo, scope_id)`` for IPv6.
SockAddr = Union[Tuple[str, int], Tuple[str, int, int, int]]
#: An address as csctp takes it: ``"host:port"``, ``"h1/h2:port"`` (multi-homed),
#: a :data:`SockAddr`, or a list of these.
Address = Union[str, SockAddr, Sequence[Union[str, SockAddr]]]
#: A notification, as ``events()`` and ``items()`` give them (unknown kinds as the base ``Notification``).
Event = Union[_notify.AssocChange, _notify.PeerAddrChange, _notify.SendFailed, _notify.SendFailedEvent,
              _notify.RemoteError, _notify.Shutdown, _notify.PartialDelivery, _notify.AdaptationIndication,
              _notify.Authentication, _notify.SenderDry, _notify.StreamReset, _notify.AssocReset,
              _notify.StreamChange, _notify.Notification]

__all__ = [
    "AssociationClosed", "Association", "Listener", "OutStream", "InStream", "PendingLimitError", "Path",
    "connect", "listen", "Address", "SockAddr", "Event",
]

# Default bound on messages read ahead of their reader (InStream.recv, poll_events).
DEFAULT_MAX_PENDING = 64 * 1024 * 1024


class AssociationClosed(EOFError):
    """The association ended gracefully (a SHUTDOWN, from either side, completed): no more messages will come.

    Raised by ``recv()`` so that end-of-association can never be mistaken for
    a message; an ABORT from the peer raises ``ConnectionResetError`` instead.
    """


# ---- helpers shared with csctp.endpoint --------------------------------------------------


def _family_of(*specs: Optional[Address]) -> int:
    """AF_INET6 if any address in *specs* is IPv6, else AF_INET."""
    for spec in specs:
        if spec is None:
            continue
        for addr in _parse_addrs(spec):
            if len(addr) == 4:
                return _socket.AF_INET6
    return _socket.AF_INET


def _reuse_port_flag(reuse_port: object, op: str) -> bool:
    """*reuse_port* as a bool: True/False (or 1/0); anything else is the caller's bug."""
    if not isinstance(reuse_port, int):
        raise TypeError(f"{op}: reuse_port must be a bool, got {type(reuse_port).__name__}")
    if reuse_port not in (0, 1):
        raise ValueError(f"{op}: reuse_port must be True or False, got {reuse_port!r}")
    return bool(reuse_port)


def _configure(sock: Socket, *, ostreams: int, instreams: int, nodelay: bool,
               max_attempts: Optional[int] = None, init_timeout: Optional[float] = None,
               udp_encaps_port: Optional[int] = None, reuse_port: bool = False) -> None:
    """Apply the defaults of a new csctp endpoint: INITMSG streams, NODELAY and, when
    given, the socket-wide remote UDP encapsulation port (RFC 6951) and ``SO_REUSEPORT``."""
    for name, v in (("ostreams", ostreams), ("instreams", instreams)):
        if not isinstance(v, int) or not 1 <= v <= 65535:
            raise ValueError(f"{name} must be an int in 1..65535, got {v!r}")
    if reuse_port:
        # before bind: the kernel checks it when the port is taken, and groups the
        # listening sockets that all set it (same user, same addresses) when they
        # listen; a new association's INIT then goes to one of them by a hash of
        # its addresses (seen on 6.1, docs/scaling.md).  RFC 6458's SCTP_REUSE_PORT
        # is another thing: one-to-one sockets share a port, only one may listen
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)
    kw: Dict[str, int] = {"ostreams": ostreams, "instreams": instreams}
    if max_attempts is not None:
        kw["max_attempts"] = max_attempts
    if init_timeout is not None:
        if init_timeout <= 0:
            raise ValueError(f"init_timeout must be > 0 seconds, got {init_timeout!r}")
        kw["max_init_timeout"] = int(init_timeout * 1000)      # INITMSG counts milliseconds
    _options.set_initmsg(sock, **kw)
    _options.set_nodelay(sock, bool(nodelay))
    if udp_encaps_port is not None:
        # before connect/listen: the INIT (or the INIT-ACK) is the first packet that must get through
        _options.set_remote_udp_encaps_port(sock, udp_encaps_port)


def _bind_listen(sock: Socket, address: Address, backlog: int, reuse_port: bool, op: str) -> None:
    """Bind *address* and listen: the one place :func:`listen` and :class:`csctp.Endpoint` do it."""
    try:
        sock.bind(address)
    except OSError as e:
        if e.errno != _errno.EADDRINUSE:
            raise
        hint = ("another socket holds it without reuse_port=True, or binds other addresses" if reuse_port
                else "to share it between workers pass reuse_port=True to every socket that binds it")
        raise OSError(e.errno, f"{op}: {e.strerror or e} ({hint})") from e
    sock.listen(backlog)


def _send_flags(unordered: bool, flags: int = 0) -> int:
    return flags | (C.SCTP_UNORDERED if unordered else 0)


@dataclass(frozen=True)
class Path:
    """One path of an association: a peer address and what the kernel knows of it.

    From ``SCTP_GET_PEER_ADDR_INFO`` (and ``SCTP_PRIMARY_ADDR`` for
    *primary*); a snapshot, taken when :meth:`Association.paths` was called.
    """

    address: SockAddr
    #: ``PathState.ACTIVE``, ``INACTIVE``, ``PF`` (potentially failed), ``UNCONFIRMED``
    state: PathState
    #: smoothed round-trip time, milliseconds
    srtt: int
    #: retransmission timeout, milliseconds
    rto: int
    #: congestion window, bytes
    cwnd: int
    #: path MTU, bytes
    mtu: int
    #: True for the path this side sends on by default
    primary: bool


def _same_addr(a: SockAddr, b: Optional[SockAddr]) -> bool:
    # flowinfo/scope may differ between the kernel's answers for the same address
    return b is not None and a[:2] == b[:2]


def _status(sock: Socket, assoc_id: int) -> Status:
    """``SCTP_STATUS`` with the states as enums (harmless when the options layer gives them already)."""
    st = _options.get_status(sock, assoc_id=assoc_id)
    p = st.primary
    return st._replace(state=AssocState(st.state), primary=p._replace(state=PathState(p.state)))


class _AssocQueries:
    """What every association object answers about itself: addresses, status, primary, paths.

    Shared by :class:`Association` (its own one-to-one socket: id 0) and
    :class:`csctp.EndpointAssociation` (the endpoint's socket and its id),
    so the two have the same names, the same property-or-method choice
    and the same return types.
    """

    _sock: Socket

    def _query_id(self) -> int:
        return 0

    @property
    def peer_addresses(self) -> List[SockAddr]:
        """The peer's transport addresses (``sctp_getpaddrs``), as ``(host, port[, flow, scope])`` tuples."""
        out: List[SockAddr] = self._sock.getpaddrs(self._query_id())
        return out

    @property
    def local_addresses(self) -> List[SockAddr]:
        """This side's transport addresses in the association (``sctp_getladdrs``)."""
        out: List[SockAddr] = self._sock.getladdrs(self._query_id())
        return out

    @property
    def primary(self) -> SockAddr:
        """The peer address used as primary path; assign an address (str or tuple) to change it."""
        p = _options.get_primary(self._sock, assoc_id=self._query_id())
        if p is None:
            raise OSError("primary: the kernel reported no primary address")
        return p

    @primary.setter
    def primary(self, address: Address) -> None:
        _options.set_primary(self._sock, address, assoc_id=self._query_id())

    @property
    def status(self) -> Status:
        """``SCTP_STATUS`` (a fresh query): ``state`` (an :class:`AssocState`), ``instreams``/``outstreams``
        (the negotiated stream counts), ``primary`` path, unacked and pending data, ..."""
        return _status(self._sock, self._query_id())

    def paths(self) -> List[Path]:
        """One :class:`Path` per peer address: state, srtt, rto, cwnd, MTU and whether it is the primary."""
        sock, aid = self._sock, self._query_id()
        primary = _options.get_primary(sock, assoc_id=aid)
        out = []
        for addr in sock.getpaddrs(aid):
            info = _options.get_peer_addr_info(sock, addr, assoc_id=aid)
            out.append(Path(addr, PathState(info.state), int(info.srtt), int(info.rto), int(info.cwnd),
                            int(info.mtu), _same_addr(addr, primary)))
        return out


class _Pending(collections.deque):  # type: ignore[type-arg]
    """The receive engine's one ordered queue: whole messages and notifications, in arrival order.

    Holds what was read ahead of its reader (by a stream handle, an event
    poll, an events iterator, ``shutdown(wait=...)``) and the notifications
    the user subscribed to, in the order the kernel delivered them.
    :attr:`ndata` counts the messages among the items and :attr:`nbytes`
    their payload bytes, so that the readers that buffer can hold it to
    the owner's ``max_pending_bytes`` and ``recv()`` skips the queue at
    once when no message waits in it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.nbytes = 0
        self.ndata = 0

    def append(self, m: Any) -> None:
        super().append(m)
        if isinstance(m, Message):
            self.ndata += 1
            self.nbytes += len(m)

    def extend(self, ms: Any) -> None:
        for m in ms:
            self.append(m)

    def popleft(self) -> Any:
        m = super().popleft()
        if isinstance(m, Message):
            self.ndata -= 1
            self.nbytes -= len(m)
        return m

    def __delitem__(self, i: Any) -> None:
        m = self[i]
        super().__delitem__(i)
        if isinstance(m, Message):
            self.ndata -= 1
            self.nbytes -= len(m)

    def clear(self) -> None:
        super().clear()
        self.nbytes = 0
        self.ndata = 0

    def take(self, data: bool) -> Any:
        """Remove and return the first message (*data* True) or notification (False); None if there is none."""
        if len(self) == (0 if data else self.ndata) or (data and not self.ndata):
            return None
        for i, m in enumerate(self):
            if isinstance(m, Message) is data:
                if i == 0:
                    return self.popleft()
                del self[i]
                return m
        return None  # pragma: no cover - the counts above say there is one


class PendingLimitError(BufferError):
    """A stream handle would buffer more than ``max_pending_bytes`` of other streams' messages."""


# Notification kinds the engine subscribes on every socket it wraps, to see an
# association's end whatever the user subscribed to.
_WATCHED = frozenset((C.SCTP_ASSOC_CHANGE, C.SCTP_SHUTDOWN_EVENT))
_GRACEFUL = "the association was shut down"
# what _Receiver._next_item returns once the association has ended gracefully
_ENDED = object()


def _kind_type(kind: Any) -> int:
    """The ``sn_type`` of a kind name or int (ValueError/TypeError as :func:`csctp._notify.subscribe`)."""
    if isinstance(kind, str):
        try:
            return int(_notify.KINDS[kind])
        except KeyError:
            raise ValueError(f"subscribe: unknown notification kind {kind!r} "
                             f"(known: {', '.join(sorted(_notify.KINDS))})") from None
    if isinstance(kind, int) and not isinstance(kind, bool):
        return kind
    raise TypeError(f"subscribe: a notification kind is a name such as 'assoc_change' or an sn_type int, "
                    f"got {type(kind).__name__}")


_R = TypeVar("_R", bound="_Receiver")


class _Receiver(Engine):
    """The receive engine of one socket, shared by Association and Endpoint.

    It owns everything received and not yet returned: the reassembler
    (partial deliveries, which survive ``BlockingIOError``, ``TimeoutError``
    and cancellation), one ordered queue of whole messages and
    notifications (:class:`_Pending`), and the association's state.
    ``recv``, ``recv_into``, ``recv_batch``, ``items``, ``events``,
    ``poll_events``, stream handles and :mod:`csctp.aio` are views onto it.

    **The end.**  On an association (one-to-one or peeled-off) the engine
    subscribes to ``assoc_change`` and ``shutdown`` notifications for itself
    and remembers which kinds the user subscribed to: the others are
    consumed silently (they still update the state) and never reach
    ``events()``.  SHUTDOWN_COMP (or the kernel's 0-byte read) ends the
    association gracefully and COMM_LOST / CANT_STR_ASSOC / ``ECONNRESET``
    end it with a reset; from then on every receive call raises that end
    again at once, after the messages queued before it were returned, and
    every events iterator stops.  An :class:`~csctp.Endpoint` never ends
    this way (one association's end is only a notification there), so it
    subscribes to nothing for itself.

    **The common case is compiled.**  ``recv``, ``recv_into``, ``send`` and
    ``_recv_step`` are :class:`csctp._engine.Engine`'s: one C call into the
    socket when nothing waits in the queue or the reassembler; the methods
    here take over for everything else.

    **The hook for non-blocking callers** (:mod:`csctp.aio`):
    ``_recv_step()`` makes one receive system call (with the socket's
    timeout) and returns a whole data message or None (a piece, or a
    notification queued or consumed); it never raises the end, it records
    it in ``_end``.  ``_try_step()`` is the same step that returns False
    instead of raising ``BlockingIOError`` when nothing is there yet.  ``_take(data)`` takes the next queued message or
    notification, ``_arrivals`` counts what was queued or ended (compare it
    around a step to know whether to wake other readers), and
    ``_end_error(op)`` builds the exception of the end.
    """

    _sock: Socket
    _reasm: Reassembler
    _pending: _Pending
    _pool: Any
    _end: Optional[Tuple[Type[BaseException], int, str]]
    _one_assoc: bool = True
    #: the notification kinds the engine keeps on for itself
    _watched: FrozenSet[int] = _WATCHED
    #: Bytes of whole messages a stream handle may hold for other streams (``InStream.recv``)
    #: and :meth:`poll_events` may read ahead, before refusing to read more.
    max_pending_bytes: int = DEFAULT_MAX_PENDING

    def _init_receiver(self, sock: Socket) -> None:
        self._sock = sock
        # the socket's own reassembler: csctp.Socket.peeloff moves an association's pieces with it
        self._reasm = sock.reassembler
        self._pending = _Pending()
        self._pool = None
        self._end = None
        self._arrivals = 0
        self._shut_local = False
        #: notification types the user subscribed to (the watched ones are shown only then)
        self._user_kinds: Set[int] = set()
        self._hidden: FrozenSet[int] = self._watched
        self.max_pending_bytes = DEFAULT_MAX_PENDING
        self._watch()

    def _watch(self) -> None:
        if not self._watched:
            return
        try:
            _notify.subscribe(self._sock, *self._watched)
        except OSError:
            # the association is already gone: the 0-byte read or the reset error tells the end
            pass

    # ---- the engine ---------------------------------------------------------------

    def _end_error(self, op: str) -> BaseException:
        assert self._end is not None
        cls, err, text = self._end
        if cls is AssociationClosed:
            return AssociationClosed(f"{op}: {text}")
        e: BaseException = cls(err, f"{op}: {text}")
        return e

    def _ended(self, cls: Type[BaseException], err: int, text: str) -> None:
        if self._end is None:
            self._end = (cls, err, text)
            self._arrivals += 1

    def _graceful(self) -> None:
        self._ended(AssociationClosed, 0, _GRACEFUL + ("" if self._shut_local else " by the peer"))

    def _sock_error(self, e: OSError) -> None:
        """Record the end an error of a receive call means (one association only); the caller re-raises."""
        if not self._one_assoc or self._end is not None:
            return
        if e.errno == _errno.ECONNRESET:
            self._ended(ConnectionResetError, _errno.ECONNRESET, "the association was aborted (ECONNRESET)")
            self._drain()
        elif e.errno == _errno.ENOTCONN:
            if self._shut_local:
                self._graceful()
            else:
                self._ended(ConnectionAbortedError, _errno.ENOTCONN, "the association is gone (ENOTCONN)")

    def _drain(self) -> None:
        # The kernel reports an ABORT before the messages that were queued ahead of
        # it: keep those, they come before the end.
        old = self._sock.gettimeout()
        self._sock.settimeout(0)
        try:
            for _ in range(100_000):
                m = self._sock.recv()
                if not m.data and not m.is_notification:
                    break
                whole = self._sort(m)
                if whole is not None:
                    self._pending.append(whole)
        except (OSError, ValueError):
            pass
        finally:
            try:
                self._sock.settimeout(old)
            except OSError:
                pass

    def _notification(self, data: Any, show: bool = True) -> None:
        ev: Any = _notify.parse(data)
        t = ev.type
        if t == C.SCTP_ASSOC_CHANGE:
            state = ev.state
            if state in (C.SCTP_SHUTDOWN_COMP, C.SCTP_COMM_LOST, C.SCTP_CANT_STR_ASSOC):
                if self._one_assoc:
                    if state == C.SCTP_SHUTDOWN_COMP:
                        self._graceful()
                    else:
                        what = "lost (COMM_LOST)" if state == C.SCTP_COMM_LOST else "not started (CANT_STR_ASSOC)"
                        self._ended(ConnectionResetError, _errno.ECONNRESET,
                                    f"the association was {what}, cause {ev.error}")
                else:
                    self._reasm.drop(ev.assoc_id)
        if not show or t in self._hidden:
            return
        self._pending.append(ev)
        self._arrivals += 1

    def _sort(self, m: Message) -> Optional[Message]:
        """What one read brought: a whole data message, or None (a piece, or a notification handled)."""
        if m.is_notification:
            whole = self._reasm.feed(m)
            if whole is not None:
                self._notification(whole.data)
            return None
        if not m.data:
            # a 0-byte read: the peer shut a one-to-one association down
            if self._sock.type == _socket.SOCK_STREAM:
                self._graceful()
            return None
        if m.eor and not self._reasm:
            return m
        return self._reasm.feed(m)

    def _next_item(self, op: str) -> Any:
        """The next queued item (message or notification); None when none is queued and the
        association goes on; :data:`_ENDED` after a graceful end; the end's exception after an abort."""
        if self._pending:
            return self._pending.popleft()
        if self._end is not None:
            if self._end[0] is AssociationClosed:
                return _ENDED
            raise self._end_error(op)
        return None

    def _take(self, data: bool) -> Any:
        """The next queued message (*data*) or notification, or None."""
        return self._pending.take(data)

    def _recv_message(self, op: str = "recv") -> Message:
        pending = self._pending
        while True:
            if pending.ndata:
                m: Message = pending.take(True)
                return m
            if self._end is not None:
                raise self._end_error(op)
            got = self._recv_step()
            if got is not None:
                return got

    def _recv_failed(self, e: OSError) -> Message:
        """``recv`` after its receive call raised *e*: record the end it means, or re-raise."""
        self._sock_error(e)
        if self._end is None:
            raise e
        return self._recv_message()

    def items(self) -> Iterator[Union[Message, Event]]:
        """Messages and notifications in the order the kernel delivered them, until the end.

        Yields :class:`csctp.Message` objects and notifications (of the
        subscribed kinds) from one ordered queue: what :meth:`recv` and
        :meth:`events` would return, interleaved as they arrived.  Blocks
        per :meth:`settimeout`.  Stops after a graceful end; an ABORT
        raises ``ConnectionResetError`` after the items before it.
        """
        while True:
            item = self._next_item("items")
            if item is _ENDED:
                return
            if item is None:
                item = self._recv_step()
            if item is not None:
                yield item

    def _recv_into_rest(self, buffer: Buffer, first: Any) -> Tuple[int, Message]:
        """``recv_into`` past its common case: *first* is what its receive call gave
        (``(n, Message)`` or an ``OSError``), or None when it made none."""
        if first is None and self._pending.ndata:
            m = next(x for x in self._pending if isinstance(x, Message))
            view = memoryview(buffer).cast("B")
            n = len(m)
            if n > len(view):
                raise ValueError(f"recv_into: buffered message of {n} bytes does not fit in {len(view)}")
            self._pending.take(True)
            if m.data is not None:
                view[:n] = m.data
            m.data = None       # type: ignore[assignment]  # as recv_into's own messages: the bytes are in *buffer*
            return n, m
        while True:
            if first is None:
                if self._end is not None:
                    raise self._end_error("recv_into")
                try:
                    first = self._sock.recv_into(buffer)
                except OSError as exc:
                    first = exc
            if isinstance(first, OSError):
                err, first = first, None
                self._sock_error(err)
                if self._end is not None:
                    continue
                raise err
            n, m = first
            first = None
            if m.is_notification:
                # rare path: the notification sits in the caller's buffer; parse a copy
                m.data = bytes(memoryview(buffer)[:n])
                self._sort(m)
                continue
            if n == 0:
                if self._sock.type == _socket.SOCK_STREAM:
                    self._graceful()
                continue
            return n, m

    def _batch_notifications(self, batch: Any) -> None:
        # the batch itself shows them to the user: only the state is learnt here
        for m in batch:
            if m.is_notification and m.eor:
                try:
                    self._notification(m.copy(), show=False)
                except ValueError:
                    pass

    def events(self) -> Iterator[Event]:
        """Iterate over the notifications received so far (typed, see :mod:`csctp._notify`).

        Notifications arrive only for kinds passed to :meth:`subscribe`, and
        are picked up by the receive calls; the iterator stops when none is
        queued (it never blocks).
        """
        pending = self._pending
        while len(pending) > pending.ndata:
            yield pending.take(False)

    def _read_ahead_full(self) -> bool:
        """True once the messages read ahead of their reader pass :attr:`max_pending_bytes`."""
        return self._pending.nbytes > self.max_pending_bytes

    def _check_read_ahead(self, op: str, held: str, advice: str) -> None:
        """Raise :class:`PendingLimitError` for *op* when reading ahead more would pass the limit."""
        if self._read_ahead_full():
            raise PendingLimitError(
                f"{op}: {self._pending.ndata} {held} ({self._pending.nbytes} bytes) are buffered, over "
                f"max_pending_bytes={self.max_pending_bytes}; nothing was dropped: {advice}, or raise the limit")

    def _subscribe(self, kinds: Sequence[Any], on: bool, every_assoc: bool = False) -> None:
        types = [_kind_type(k) for k in kinds]
        if not types:
            raise ValueError("subscribe: name at least one notification kind")
        # the watched kinds stay on in the kernel: the engine needs them to see the end
        kernel = [t for t in types if on or t not in self._watched]
        if kernel:
            if every_assoc:
                try:        # the associations already up too (Linux 5.0+), not only future ones
                    _notify.subscribe(self._sock, *kernel, on=on, assoc_id=C.SCTP_ALL_ASSOC)
                except OSError:
                    _notify.subscribe(self._sock, *kernel, on=on)
            else:
                _notify.subscribe(self._sock, *kernel, on=on)
        for t in types:
            if on:
                self._user_kinds.add(t)
            else:
                self._user_kinds.discard(t)
        self._hidden = frozenset(self._watched - self._user_kinds)

    def _wait_end(self, op: str, wait: float) -> None:
        """Read until the end (keeping messages for recv()), at most *wait* seconds; raise unless graceful."""
        deadline = time.monotonic() + wait
        old = self._sock.gettimeout()
        try:
            for _ in range(10_000_000):       # bounded by the deadline long before
                if self._end is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{op}: the association did not end within {wait:g} s")
                self._check_read_ahead(op, "messages that arrived while waiting for the end",
                                       "receive them with recv()")
                self._sock.settimeout(left)
                try:
                    m = self._recv_step()
                except TimeoutError:
                    continue
                if m is not None:
                    self._pending.append(m)
        finally:
            if not self._sock.closed:
                self._sock.settimeout(old)
        assert self._end is not None
        if self._end[0] is not AssociationClosed:
            raise self._end_error(op)

    def poll_events(self) -> List[Event]:
        """Read everything that is ready without blocking and return the queued notifications.

        Data messages read on the way are kept for the next :meth:`recv`, up
        to :attr:`max_pending_bytes`; beyond that reading stops (notifications
        queued behind the data come with a later call, after ``recv()``).
        """
        if self._end is None:
            old = self._sock.gettimeout()
            self._sock.settimeout(0)
            try:
                # bounded: past max_pending_bytes the rest stays queued in the kernel (its
                # receive window then holds the peer back) until recv() makes room
                while not self._read_ahead_full() and self._end is None:
                    m = self._recv_step()
                    if m is not None:
                        self._pending.append(m)
            except BlockingIOError:
                pass
            except ConnectionError:
                if self._end is None:
                    raise
            finally:
                if not self._sock.closed:
                    self._sock.settimeout(old)
        return list(self.events())

    def settimeout(self, value: Optional[float]) -> None:
        """``None`` blocks, ``0`` is non-blocking (``BlockingIOError``), ``t`` waits at most t seconds."""
        self._sock.settimeout(value)

    def gettimeout(self) -> Optional[float]:
        """The timeout set by :meth:`settimeout`."""
        t: Optional[float] = self._sock.gettimeout()
        return t

    def fileno(self) -> int:
        """The socket's file descriptor (-1 once closed), for ``select``/``selectors``/asyncio."""
        fd: int = self._sock.fileno()
        return fd

    @property
    def socket(self) -> Socket:
        """The underlying :class:`csctp.Socket` (the Cython core) for anything this layer does not wrap."""
        return self._sock

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return bool(self._sock.closed)

    def close(self) -> None:
        """Close the socket (an association still up is shut down gracefully by the kernel)."""
        self._sock.close()

    def __enter__(self: _R) -> _R:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Association(_Receiver, _AssocQueries):
    """One SCTP association on a one-to-one socket.

    Made by :func:`connect`, :meth:`Listener.accept` or
    :meth:`csctp.Endpoint.peeloff`; wraps a connected :class:`csctp.Socket`.
    """

    def __init__(self, sock: Socket, assoc_id: int = 0) -> None:
        if not isinstance(sock, Socket):
            raise TypeError(f"Association: need a csctp.Socket, got {type(sock).__name__}")
        if sock.type != _socket.SOCK_STREAM:
            raise ValueError("Association: need a one-to-one (SOCK_STREAM) socket; use csctp.Endpoint for one-to-many")
        self._init_receiver(sock)
        self._assoc_id = assoc_id
        # the kernel ignores shutdown(2) on a peeled-off socket (SCTP_EOF ends it instead); one
        # adopted by descriptor (Socket(fileno=) in a worker process) still says SOCK_SEQPACKET
        self._peeled = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_TYPE) == _socket.SOCK_SEQPACKET

    @property
    def assoc_id(self) -> int:
        """The kernel's association id (informational on a one-to-one socket)."""
        return self._assoc_id

    def __repr__(self) -> str:
        if self.closed:
            return "<csctp.Association closed>"
        try:
            peer = self.peer_addresses
        except OSError:
            peer = []
        return f"<csctp.Association fd={self.fileno()} assoc_id={self.assoc_id} peer={peer}>"

    def __iter__(self) -> Iterator[Message]:
        """Iterate over received messages until the association is shut down (an ABORT raises)."""
        while True:
            try:
                yield self.recv()
            except AssociationClosed:
                return

    # ---- sending --------------------------------------------------------------------

    # send() and send_batch() are Engine's: converted and sent in C

    def sendv(self, buffers: Sequence[Buffer], *, stream: int = 0, ppid: int = 0,
              unordered: bool = False, context: int = 0) -> int:
        """Send one message gathered from several buffers, without joining them."""
        n: int = self._sock.sendv(buffers, stream=stream, ppid=ppid, flags=_send_flags(unordered),
                                  context=context)
        return n

    def ostream(self, sid: int) -> OutStream:
        """A handle that sends on outbound stream *sid*: ``assoc.ostream(3).send(data, ppid=46)``."""
        return OutStream(self, sid)

    def istream(self, sid: int) -> InStream:
        """A handle that receives only messages of inbound stream *sid* (see :class:`InStream`)."""
        return InStream(self, sid)

    # ---- events, addresses, state ---------------------------------------------------------

    def subscribe(self, *kinds: Union[str, int], on: bool = True) -> None:
        """Turn notifications on (or off with ``on=False``): ``subscribe("assoc_change", "shutdown")``.

        Kind names are those of :data:`csctp._notify.KINDS`.  Subscribed
        notifications are picked up by the receive calls and yielded by
        :meth:`events` and :meth:`items`.  (``assoc_change`` and
        ``shutdown`` stay on in the kernel whatever is asked here: csctp
        needs them to see the association's end; it shows them only when
        subscribed.)
        """
        self._subscribe(kinds, on)

    # ---- ending -------------------------------------------------------------------------

    def shutdown(self, wait: Optional[float] = None) -> None:
        """Graceful SHUTDOWN (three-way, RFC 4960 9.2): everything queued is delivered first.

        Receiving still works until the shutdown completes, after which
        ``recv()`` raises :class:`AssociationClosed` (once the messages that
        came before it are returned).  With *wait* (seconds) this also
        waits for the completion, reading and keeping the messages that
        arrive meanwhile for ``recv()`` (up to :attr:`max_pending_bytes`:
        past it :class:`PendingLimitError`); raises ``TimeoutError`` when
        the shutdown does not complete in time and ``ConnectionResetError``
        when the association is aborted instead.  ``close()`` afterwards.
        """
        if self._end is None:
            self._shut_local = True
            if self._peeled:
                self._sock.send(b"", flags=C.SCTP_EOF)
            else:
                self._sock.shutdown(_socket.SHUT_WR)
        if wait is not None:
            self._wait_end("shutdown", wait)

    def abort(self, reason: bytes = b"") -> None:
        """Abort the association at once (an ABORT chunk, queued data dropped) and close the socket.

        Linux refuses ``SCTP_ABORT`` sends on one-to-one sockets, so the ABORT
        is made by ``close()`` with a zero ``SO_LINGER`` (RFC 6458 8.1.4) and
        carries an empty User-Initiated Abort cause: *reason* is accepted for
        symmetry with :meth:`csctp.EndpointAssociation.abort`, which does send it, and
        must be bytes.
        """
        if not isinstance(reason, (bytes, bytearray, memoryview)):
            raise TypeError(f"abort: reason must be bytes, got {type(reason).__name__}")
        if self.closed:
            return
        try:
            self._sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            self.close()

    # ---- handing over ---------------------------------------------------------------------

    def detach(self) -> int:
        """Give up the socket's descriptor without closing it, and return it: the association stays up.

        For handing an association to another owner, typically a worker
        process (``socket.send_fds`` over a Unix socket; the worker adopts it
        with ``csctp.Association(csctp.Socket(fileno=fd))``, see
        docs/scaling.md).  This object is closed afterwards; the caller owns
        the descriptor (``os.close`` it once sent).  Refused with
        ``RuntimeError`` while this object holds anything received and not
        yet returned (messages or events read ahead, part of a message):
        those live here, not in the kernel, and would not go with the
        descriptor; and, like :meth:`csctp.Socket.detach`, while other threads
        are inside calls on it.
        """
        if self.closed:
            raise OSError(_errno.EBADF, "Association.detach: the association is closed")
        if self._pending or self._reasm.pending:
            raise RuntimeError(f"Association.detach: {len(self._pending)} item(s) received and not yet returned "
                               f"and {self._reasm.pending} byte(s) of an unfinished message are held here and "
                               f"would be lost; take them with recv()/events() first")
        fd: int = self._sock.detach()
        return fd


def _sid(sid: int, op: str) -> int:
    if not isinstance(sid, int) or isinstance(sid, bool) or not 0 <= sid <= 0xFFFF:
        raise ValueError(f"{op}: stream id must be an int in 0..65535, got {sid!r}")
    return sid


def _take_stream(pending: _Pending, sid: int) -> Optional[Message]:
    """Remove and return the first queued message of stream *sid* (None if none is queued)."""
    if pending.ndata:
        for i, m in enumerate(pending):
            if isinstance(m, Message) and m.stream == sid:
                del pending[i]
                return m
    return None


class OutStream:
    """An outbound stream of an association: ``send`` with the stream id fixed."""

    __slots__ = ("association", "sid")

    def __init__(self, association: Union[Association, EndpointAssociation], sid: int) -> None:
        self.association = association
        self.sid = _sid(sid, "ostream")

    def send(self, data: Buffer, *, ppid: int = 0, unordered: bool = False,
             ttl: Optional[int] = None, context: int = 0) -> int:
        """Send one message on this stream (see :meth:`Association.send`)."""
        return self.association.send(data, stream=self.sid, ppid=ppid, unordered=unordered,
                                     ttl=ttl, context=context)

    def __repr__(self) -> str:
        return f"<csctp.OutStream sid={self.sid}>"


class InStream:
    """An inbound stream of an association: ``recv`` returns only this stream's messages.

    Messages of other streams read on the way are kept, in arrival order, in
    the association's buffer and returned by its ``recv()`` or by the other
    stream's handle: nothing is lost.  The buffer is bounded by the
    association's ``max_pending_bytes`` (64 MiB by default): when other
    streams' messages would take it past that, ``recv`` raises
    :class:`PendingLimitError` (a ``BufferError``) and keeps everything it
    read; read the other streams (``association.recv()``) or raise the limit.
    Order within a stream is always preserved.
    """

    __slots__ = ("association", "sid")

    def __init__(self, association: Association, sid: int) -> None:
        self.association = association
        self.sid = _sid(sid, "istream")

    def recv(self) -> Message:
        """The next whole message on this stream (other streams' messages are buffered)."""
        a = self.association
        pending = a._pending
        m = _take_stream(pending, self.sid)
        if m is not None:
            return m
        while True:
            if a._end is not None:
                raise a._end_error(f"istream({self.sid}).recv")
            a._check_read_ahead(f"istream({self.sid}).recv", "messages of other streams",
                                "read them with recv() (or their streams' handles)")
            got = a._recv_step()
            if got is None:
                continue
            if got.stream == self.sid:
                return got
            pending.append(got)

    def __iter__(self) -> Iterator[Message]:
        """Messages of this stream until the association is shut down."""
        while True:
            try:
                yield self.recv()
            except AssociationClosed:
                return

    def __repr__(self) -> str:
        return f"<csctp.InStream sid={self.sid}>"


class Listener:
    """A listening one-to-one socket: :meth:`accept` returns :class:`Association` objects."""

    def __init__(self, sock: Socket) -> None:
        self._sock = sock

    def accept(self) -> Association:
        """Wait for the next incoming association (per :meth:`settimeout`)."""
        conn, _peer = self._sock.accept()
        return Association(conn)

    def __iter__(self) -> Iterator[Association]:
        """Accept associations forever (until closed or an error)."""
        while True:
            yield self.accept()

    @property
    def address(self) -> SockAddr:
        """The first bound address ``(host, port[, flow, scope])``: useful after binding port 0."""
        return self.local_addresses[0]

    @property
    def local_addresses(self) -> List[SockAddr]:
        """Every bound address (several when multi-homed)."""
        out: List[SockAddr] = self._sock.getladdrs(0)
        return out

    @property
    def socket(self) -> Socket:
        """The underlying :class:`csctp.Socket`."""
        return self._sock

    def settimeout(self, value: Optional[float]) -> None:
        """Timeout for :meth:`accept` (``None`` blocks, 0 is non-blocking)."""
        self._sock.settimeout(value)

    def gettimeout(self) -> Optional[float]:
        """The timeout set by :meth:`settimeout`."""
        t: Optional[float] = self._sock.gettimeout()
        return t

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return bool(self._sock.closed)

    def fileno(self) -> int:
        """The listening socket's file descriptor."""
        fd: int = self._sock.fileno()
        return fd

    def close(self) -> None:
        """Stop listening (associations already accepted stay up)."""
        self._sock.close()

    def __enter__(self) -> "Listener":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._sock.closed:
            return "<csctp.Listener closed>"
        return f"<csctp.Listener {self.local_addresses}>"


# ---- the two entry points -------------------------------------------------------------------


def connect(address: Address, *, local: Optional[Address] = None, ostreams: int = 10, instreams: int = 10,
            max_attempts: Optional[int] = None, init_timeout: Optional[float] = None, nodelay: bool = True,
            timeout: Optional[float] = None, udp_encaps_port: Optional[int] = None) -> Association:
    """Open a one-to-one association to *address* and return it once it is up.

    *address* and *local* take multi-homed specs (``"192.0.2.1/198.51.100.1:2905"``,
    tuples, lists).  *ostreams*/*instreams* are requested in INIT (the peer
    may grant fewer: see :attr:`Association.status`); *max_attempts* and
    *init_timeout* (seconds) bound the INIT retransmissions; *timeout* bounds
    the connect and becomes the association's timeout.  A refused or
    unreachable peer raises ``ConnectionRefusedError`` / ``TimeoutError`` /
    ``OSError`` naming ``sctp_connectx``.  *udp_encaps_port* sends SCTP inside
    UDP to that remote port (RFC 6951; needs ``net.sctp.udp_port`` set on both
    hosts, see docs/udp-encapsulation.md).
    """
    sock = Socket(_family_of(address, local), _socket.SOCK_STREAM)
    try:
        _configure(sock, ostreams=ostreams, instreams=instreams, nodelay=nodelay,
                   max_attempts=max_attempts, init_timeout=init_timeout, udp_encaps_port=udp_encaps_port)
        if local is not None:
            sock.bind(local)
        if timeout is not None:
            sock.settimeout(timeout)
        aid = sock.connectx(address)
    except BaseException:
        sock.close()
        raise
    return Association(sock, aid)


def listen(address: Address, *, backlog: int = 128, ostreams: int = 10, instreams: int = 10,
           nodelay: bool = True, udp_encaps_port: Optional[int] = None, reuse_port: bool = False) -> Listener:
    """Bind *address* (multi-homed specs welcome) and listen on a one-to-one socket.

    Returns a :class:`Listener` whose ``accept()`` gives one
    :class:`Association` per peer.  For one socket serving every
    association, use :class:`csctp.Endpoint` (``csctp.Endpoint(address)``).
    *udp_encaps_port* as for :func:`connect` (a peer that reaches this side over
    UDP is answered over UDP anyway).  *reuse_port* sets ``SO_REUSEPORT``
    before the bind, so that several listeners (one per worker process) can
    bind the same addresses and port; the kernel hands each new association
    to one of them (docs/scaling.md).  Without it a port already bound raises
    ``OSError(EADDRINUSE)`` naming ``listen``.
    """
    reuse_port = _reuse_port_flag(reuse_port, "listen")
    sock = Socket(_family_of(address), _socket.SOCK_STREAM)
    try:
        _configure(sock, ostreams=ostreams, instreams=instreams, nodelay=nodelay, udp_encaps_port=udp_encaps_port,
                   reuse_port=reuse_port)
        _bind_listen(sock, address, backlog, reuse_port, "listen")
    except BaseException:
        sock.close()
        raise
    return Listener(sock)
