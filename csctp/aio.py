"""asyncio for csctp: the twin of the synchronous API, name for name.

:func:`connect`, :func:`listen`, :class:`Association`, :class:`Endpoint`,
:class:`EndpointAssociation`, :class:`Listener`, :class:`OutStream`,
:class:`InStream` are those of :mod:`csctp` with coroutines where the sync
ones block (``await recv()``, ``await send()``, ``await accept()``).  Two
asyncio-style extras: :func:`start_server` / :class:`Server` (a handler
task per association, as ``asyncio.start_server``), and
``Association.wait_closed()`` (the sync ``shutdown(wait=...)``).

Built on the event loop's reader/writer callbacks (``loop.add_reader`` /
``loop.add_writer``) on the socket's descriptor, with the socket
non-blocking, so it runs on the default loop and on uvloop alike.  Each
operation first tries the system call; only on ``EAGAIN`` does it register
for readiness and suspend.  Hence:

* back-pressure: a full send buffer suspends ``await send()`` until the
  socket is writable again; nothing is dropped (SCTP sends are atomic: a
  message is queued whole or not at all);
* one registration per descriptor and direction, shared by every coroutine
  waiting on it, removed as soon as it fires, is cancelled, or the object is
  closed: cancellation and ``close()`` leave no descriptor and no callback
  behind.
"""

from __future__ import annotations

import asyncio
import errno as _errno
import os
import socket as _socket
from typing import (TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Generic, List, Optional, Sequence,
                    Set, Tuple, TypeVar, Union)

import csctp.association as _assoc
import csctp.endpoint as _endpoint
from csctp import _engine, _options
from csctp.constants import AssocState
from csctp._addr import parse as parse_addresses
from csctp._core import Socket
from csctp._message import Message
from csctp._options import Status
from csctp.association import Address, AssociationClosed, Event, Path, SockAddr

if TYPE_CHECKING:  # pragma: no cover
    from csctp._batch import Batch, Buffers, PerMessage
    from csctp._core import Buffer

__all__ = ["Association", "Endpoint", "EndpointAssociation", "Listener", "OutStream", "InStream", "connect", "listen",
           "Server", "start_server"]


# readiness waits on one descriptor (compiled: the wake-up is every round trip's critical path)
_FdWaiter = _engine.FdWaiter


# bound of the receive loops: each turn takes an item or waits for readiness, so far more than any run needs
_FOREVER = 1 << 62


def _loop(loop: Optional[asyncio.AbstractEventLoop]) -> asyncio.AbstractEventLoop:
    return loop if loop is not None else asyncio.get_running_loop()


_S = TypeVar("_S", bound=_assoc._Receiver)
_A = TypeVar("_A", bound="_AsyncReceiver[Any]")


class _Watched:
    """An owner of an :class:`_FdWaiter`: dropped without close(), it stops the loop watching its descriptor."""

    _io: _FdWaiter

    def __del__(self) -> None:
        io = self.__dict__.get("_io")
        if io is not None:
            io.forget()


class _AsyncReceiver(_Watched, Generic[_S]):
    """What aio.Association and aio.Endpoint share: recv, items, events, batches, close.

    A view onto the wrapped object's receive engine (see
    :class:`csctp.association._Receiver`): every coroutine makes at most one
    engine step and one readiness wait at a time, and wakes the other
    waiting readers whenever its step queued something or saw the end, so
    that each of them (``recv``, ``events``, ``items``) re-checks the one
    queue at once, whoever read.
    """

    _sync: _S

    def _init(self, sync: _S, loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self._sync = sync
        sync.settimeout(0)
        self._io = _FdWaiter(_loop(loop), sync.fileno())

    async def _step(self) -> Optional[Message]:
        """One engine step, or one wait for readiness (then None: the caller re-checks the queue)."""
        eng = self._sync
        before = eng._arrivals
        try:
            m: Union[Message, None, bool] = eng._try_step()
        except BaseException:
            self._io.wake_readers()
            raise
        if m is False:
            await self._io.wait(0)
            return None
        assert not isinstance(m, bool)
        if m is not None or eng._arrivals != before:
            self._io.wake_readers()
        return m

    # compiled (csctp._engine): the common case of every asyncio receiver, then _recv_rest
    recv = _engine.aio_recv

    async def _recv_rest(self) -> Message:
        """:meth:`recv` past its common case: read-ahead, the end, other readers waiting."""
        eng = self._sync
        pending = eng._pending
        for _ in range(_FOREVER):
            if pending.ndata:
                m: Message = pending.take(True)
                return m
            if eng._end is not None:
                raise eng._end_error("recv")
            m2 = await self._step()
            if m2 is not None:
                return m2
        raise AssertionError("unreachable")  # pragma: no cover

    async def items(self) -> AsyncIterator[Union[Message, Event]]:
        """Messages and notifications in arrival order until the end (see :meth:`csctp.Association.items`)."""
        eng = self._sync
        for _ in range(_FOREVER):
            item = eng._next_item("items")
            if item is _assoc._ENDED:
                return
            if item is None:
                item = await self._step()
            if item is not None:
                yield item

    async def recv_into(self, buffer: Buffer) -> Tuple[int, Message]:
        """Receive one message or piece straight into *buffer* (see :meth:`csctp.Association.recv_into`)."""
        for _ in range(_FOREVER):
            try:
                r: Tuple[int, Message] = self._sync.recv_into(buffer)
                return r
            except BlockingIOError:
                await self._io.wait(0)
        raise AssertionError("unreachable")  # pragma: no cover

    async def recv_batch(self, max_messages: int = 64) -> Batch:
        """Receive up to *max_messages* with one ``recvmmsg``, suspending until at least one is there.

        A raw batch, as :meth:`csctp.Association.recv_batch` returns.
        """
        for _ in range(_FOREVER):
            try:
                return self._sync.recv_batch(max_messages)
            except BlockingIOError:
                await self._io.wait(0)
        raise AssertionError("unreachable")  # pragma: no cover

    async def events(self) -> AsyncIterator[Event]:
        """Yield notifications (of the subscribed kinds) as they arrive, until the association ends.

        Ends after the last notification queued before the end (graceful or
        not) on an association; an endpoint's goes on.  Data messages read
        while waiting are kept for :meth:`recv`, up to the wrapped object's
        ``max_pending_bytes``: past that this raises
        :class:`csctp.PendingLimitError` (nothing is dropped) until
        ``recv()`` makes room.  Wakes as soon as any task's receive queues
        a notification.
        """
        eng = self._sync
        pending = eng._pending
        for _ in range(_FOREVER):
            if len(pending) > pending.ndata:
                ev: Event = pending.take(False)
                yield ev
                continue
            if eng._end is not None or self.closed:
                return
            eng._check_read_ahead("events", "data messages read while waiting for events",
                                  "receive them with recv()")
            m = await self._step()
            if m is not None:
                pending.append(m)

    async def _wait_end(self, op: str, timeout: Optional[float]) -> None:
        eng = self._sync
        for _ in range(_FOREVER):
            if eng._end is not None:
                break
            eng._check_read_ahead(op, "messages that arrived while waiting for the end", "receive them with recv()")
            m = await self._step()
            if m is not None:
                eng._pending.append(m)
        if eng._end is not None and eng._end[0] is not AssociationClosed:
            raise eng._end_error(op)

    def subscribe(self, *kinds: Union[str, int], on: bool = True) -> None:
        """Turn notifications on (or off); see :meth:`csctp.Association.subscribe`."""
        sync = self._sync
        assert isinstance(sync, (_assoc.Association, _endpoint.Endpoint))
        sync.subscribe(*kinds, on=on)

    async def _retry_send(self, fn: Callable[[], int]) -> int:
        while True:
            try:
                return fn()
            except BlockingIOError:
                await self._io.wait(1)

    @property
    def closed(self) -> bool:
        """True once closed."""
        return bool(self._sync.closed)

    @property
    def socket(self) -> Socket:
        """The underlying :class:`csctp.Socket` (non-blocking: the loop waits for it)."""
        return self._sync.socket

    @property
    def max_pending_bytes(self) -> int:
        """See :attr:`csctp.Association.max_pending_bytes`: the bound on messages read ahead of their reader."""
        return self._sync.max_pending_bytes

    @max_pending_bytes.setter
    def max_pending_bytes(self, value: int) -> None:
        self._sync.max_pending_bytes = value

    def fileno(self) -> int:
        """The socket's descriptor."""
        fd: int = self._sync.fileno()
        return fd

    def close(self) -> None:
        """Close now: remove the loop callbacks, wake waiters with ``OSError(EBADF)``, close the socket."""
        self._io.close()
        self._sync.close()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class _AsyncQueries:
    """The association queries the aio twins pass through to the wrapped sync object (no system call waits)."""

    _queries: _assoc._AssocQueries

    @property
    def peer_addresses(self) -> List[SockAddr]:
        """See :attr:`csctp.Association.peer_addresses`."""
        return self._queries.peer_addresses

    @property
    def local_addresses(self) -> List[SockAddr]:
        """See :attr:`csctp.Association.local_addresses`."""
        return self._queries.local_addresses

    @property
    def status(self) -> Status:
        """See :attr:`csctp.Association.status`."""
        return self._queries.status

    @property
    def primary(self) -> SockAddr:
        """See :attr:`csctp.Association.primary`."""
        return self._queries.primary

    @primary.setter
    def primary(self, address: Address) -> None:
        self._queries.primary = address

    def paths(self) -> List[Path]:
        """See :meth:`csctp.Association.paths`."""
        return self._queries.paths()


class Association(_AsyncReceiver[_assoc.Association], _AsyncQueries):
    """An association for asyncio: ``await recv()``, ``await send()``, ``async for msg in assoc``.

    Wraps a :class:`csctp.Association` (made non-blocking); :func:`connect`,
    :meth:`Listener.accept` and :func:`start_server` make them.  Properties
    and non-blocking calls (``peer_addresses``, ``status``, ``primary``,
    ``paths()``, ``shutdown``, ``abort``, ...) are those of the wrapped
    object, available as :attr:`sync` too.
    """

    def __init__(self, assoc: _assoc.Association, *, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._init(assoc, loop)
        self._queries = assoc

    @property
    def sync(self) -> _assoc.Association:
        """The wrapped (non-blocking) :class:`csctp.Association`."""
        return self._sync

    @property
    def assoc_id(self) -> int:
        """See :attr:`csctp.Association.assoc_id`."""
        return self._sync.assoc_id

    def detach(self) -> int:
        """See :meth:`csctp.Association.detach`; the loop stops watching the descriptor first."""
        fd = self._sync.detach()
        self._io.close()
        return fd

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.recv()
            except AssociationClosed:
                return

    # compiled (csctp._engine): the per-message send of every asyncio gateway
    send = _engine.aio_send

    async def _send_when_room(self, data: Buffer, stream: int, ppid: int, unordered: bool, ttl: Optional[int],
                              context: int) -> int:
        return await self._retry_send(lambda: self._sync._send_args(data, stream, ppid, unordered, ttl, context))

    async def sendv(self, buffers: Sequence[Buffer], *, stream: int = 0, ppid: int = 0,
                    unordered: bool = False, context: int = 0) -> int:
        """Send one message gathered from several buffers; suspends while the send buffer is full."""
        return await self._retry_send(lambda: self._sync.sendv(
            buffers, stream=stream, ppid=ppid, unordered=unordered, context=context))

    async def send_batch(self, buffers: Buffers, *, streams: PerMessage = 0, ppids: PerMessage = 0,
                         flags: PerMessage = 0) -> int:
        """Send every buffer (``sendmmsg``), suspending on a full send buffer; returns ``len(buffers)``."""
        return await _send_all(self, buffers, lambda k: self._sync.send_batch(
            buffers[k:], streams=_tail(streams, k), ppids=_tail(ppids, k), flags=_tail(flags, k)))

    def ostream(self, sid: int) -> OutStream:
        """An async handle sending on stream *sid*."""
        return OutStream(self, sid)

    def istream(self, sid: int) -> InStream:
        """An async handle receiving only the messages of inbound stream *sid* (see :class:`InStream`)."""
        return InStream(self, sid)

    def shutdown(self) -> None:
        """Graceful SHUTDOWN; keep receiving until ``recv`` raises :class:`csctp.AssociationClosed`.

        Does not wait: ``await wait_closed()`` waits for the shutdown to complete.
        """
        self._sync.shutdown()

    async def wait_closed(self, timeout: Optional[float] = None) -> None:
        """Wait until the association has ended (after :meth:`shutdown`, or the peer's).

        Messages that arrive meanwhile are kept for :meth:`recv` (up to
        ``max_pending_bytes``).  Returns after a graceful end; raises
        ``ConnectionResetError`` after an ABORT, ``TimeoutError`` after
        *timeout* seconds (the association stays usable).
        """
        if timeout is None:
            await self._wait_end("wait_closed", None)
            return
        try:
            await asyncio.wait_for(self._wait_end("wait_closed", timeout), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"wait_closed: the association did not end within {timeout:g} s") from None

    def abort(self, reason: bytes = b"") -> None:
        """ABORT the association and close (see :meth:`csctp.Association.abort`)."""
        self._io.close()
        self._sync.abort(reason)

    def __repr__(self) -> str:
        return f"<csctp.aio.Association {self._sync!r}>"


class OutStream:
    """An outbound stream of an association: ``await ostream.send(data, ppid=...)``."""

    __slots__ = ("association", "sid")

    def __init__(self, association: Union[Association, "EndpointAssociation"], sid: int) -> None:
        self.association = association
        self.sid = _assoc._sid(sid, "ostream")

    async def send(self, data: Buffer, *, ppid: int = 0, unordered: bool = False,
                   ttl: Optional[int] = None, context: int = 0) -> int:
        """Send one message on this stream."""
        return await self.association.send(data, stream=self.sid, ppid=ppid, unordered=unordered,
                                           ttl=ttl, context=context)

    def __repr__(self) -> str:
        return f"<csctp.aio.OutStream sid={self.sid}>"


class InStream:
    """An inbound stream of an :class:`Association`: ``await istream.recv()`` returns only its messages.

    As :class:`csctp.InStream`: other streams' messages read on the way stay
    queued, in order, for the association's ``recv()`` and the other
    handles (up to ``max_pending_bytes``, then :class:`csctp.PendingLimitError`).
    """

    __slots__ = ("association", "sid")

    def __init__(self, association: Association, sid: int) -> None:
        self.association = association
        self.sid = _assoc._sid(sid, "istream")

    async def recv(self) -> Message:
        """The next whole message on this stream; suspends until one arrives."""
        a = self.association
        eng = a._sync
        op = f"istream({self.sid}).recv"
        for _ in range(_FOREVER):
            m = _assoc._take_stream(eng._pending, self.sid)
            if m is not None:
                return m
            if eng._end is not None:
                raise eng._end_error(op)
            eng._check_read_ahead(op, "messages of other streams", "read them with recv() (or their streams' handles)")
            got = await a._step()
            if got is None:
                continue
            if got.stream == self.sid:
                return got
            eng._pending.append(got)
        raise AssertionError("unreachable")  # pragma: no cover

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.recv()
            except AssociationClosed:
                return

    def __repr__(self) -> str:
        return f"<csctp.aio.InStream sid={self.sid}>"


def _tail(v: PerMessage, k: int) -> PerMessage:
    return v[k:] if v is not None and not isinstance(v, int) else v


async def _send_all(owner: "_AsyncReceiver[Any]", buffers: Buffers, send_from: Callable[[int], int]) -> int:
    """Send ``buffers[k:]`` until all went, suspending while the send buffer is full."""
    sent = 0
    while sent < len(buffers):
        k = sent
        n = await owner._retry_send(lambda: send_from(k))
        sent += n
        if n == 0:
            await owner._io.wait(1)
    return sent


class Endpoint(_AsyncReceiver[_endpoint.Endpoint]):
    """A one-to-many endpoint for asyncio; the same arguments as :class:`csctp.Endpoint`.

    ``await recv()`` gives messages carrying ``assoc_id``; ``await send(...,
    assoc_id=...)``; ``await connect(address)``; ``association(assoc_id)``
    returns an :class:`EndpointAssociation`; ``peeloff`` an :class:`Association`.
    """

    def __init__(self, local: Optional[Address] = None, *, family: Optional[int] = None, backlog: int = 128,
                 ostreams: int = 10, instreams: int = 10, nodelay: bool = True, sock: Optional[Socket] = None,
                 udp_encaps_port: Optional[int] = None, loop: Optional[asyncio.AbstractEventLoop] = None,
                 endpoint: Optional[_endpoint.Endpoint] = None, reuse_port: bool = False) -> None:
        if endpoint is None:
            endpoint = _endpoint.Endpoint(local, family=family, backlog=backlog, ostreams=ostreams,
                                          instreams=instreams, nodelay=nodelay, sock=sock,
                                          udp_encaps_port=udp_encaps_port, reuse_port=reuse_port)
        self._init(endpoint, loop)

    @property
    def sync(self) -> _endpoint.Endpoint:
        """The wrapped (non-blocking) :class:`csctp.Endpoint`."""
        return self._sync

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Message]:
        while True:
            yield await self.recv()

    async def send(self, data: Buffer, *, assoc_id: Optional[int] = None, to: Optional[Address] = None,
                   stream: int = 0, ppid: int = 0, unordered: bool = False, ttl: Optional[int] = None,
                   context: int = 0) -> int:
        """Send to one association (or address); suspends while the send buffer is full."""
        return await self._retry_send(lambda: self._sync.send(
            data, assoc_id=assoc_id, to=to, stream=stream, ppid=ppid, unordered=unordered, ttl=ttl,
            context=context))

    async def sendall(self, data: Buffer, *, stream: int = 0, ppid: int = 0, unordered: bool = False,
                      ttl: Optional[int] = None, context: int = 0) -> List[int]:
        """Send one message to every association, each exactly once; suspends while the send buffer is full.

        Returns the ids it went to; an error carries ``sent_to`` and
        ``pending`` (see :meth:`csctp.Endpoint.sendall`).  Cancelled part-way,
        the associations before the cancelled send have the message.
        """
        ids = self._sync.associations()
        sent: List[int] = []
        for k, aid in enumerate(ids):
            try:
                await self.send(data, assoc_id=aid, stream=stream, ppid=ppid, unordered=unordered, ttl=ttl,
                                context=context)
            except BrokenPipeError:
                continue            # ended since it was listed
            except OSError as e:
                _endpoint._sendall_failed(e, sent, ids[k:])
                raise
            sent.append(aid)
        return sent

    async def send_batch(self, buffers: Buffers, *, streams: PerMessage = 0, ppids: PerMessage = 0,
                         flags: PerMessage = 0, assoc_ids: PerMessage = 0) -> int:
        """Send every buffer (``sendmmsg``), suspending on a full send buffer; returns ``len(buffers)``."""
        return await _send_all(self, buffers, lambda k: self._sync.send_batch(
            buffers[k:], streams=_tail(streams, k), ppids=_tail(ppids, k), flags=_tail(flags, k),
            assoc_ids=_tail(assoc_ids, k)))

    async def connect(self, address: Address, *, timeout: Optional[float] = None) -> int:
        """Add an association to *address*; returns its ``assoc_id`` once it is up.

        A non-blocking ``sctp_connectx`` on a one-to-many socket gives no
        readiness signal for the new association (the socket is writable
        all along), so this checks ``SCTP_STATUS`` with a back-off (1 ms
        growing to 50 ms) until ESTABLISHED.  Raises ``ConnectionRefusedError``
        if the association ends before it is up, ``TimeoutError`` after *timeout*.
        """
        sock: Socket = self._sync.socket
        before = set(self.sync.associations())
        try:
            return sock.connectx(address)
        except BlockingIOError as e:
            if e.errno != _errno.EINPROGRESS:
                raise
        new = [a for a in self.sync.associations() if a not in before]
        want = {a[:2] for a in parse_addresses(address)}
        mine = [a for a in new if want & {p[:2] for p in self._peer_addrs(a)}]
        if len(mine) > 1:
            raise OSError(_errno.EIO, f"sctp_connectx({address!r}): cannot tell the new association apart")
        delay = 0.001
        refused = ConnectionRefusedError(
            _errno.ECONNREFUSED, f"sctp_connectx({address!r}): the association ended before it was "
                                 f"established (refused, or INIT retries exhausted)")
        if not mine:              # on loopback an ABORT can end it before connectx even returns
            raise refused
        aid = mine[0]

        async def established() -> int:
            nonlocal delay
            while True:
                try:
                    st = _options.get_status(sock, assoc_id=aid)
                except OSError:
                    raise refused from None
                if st.state == AssocState.ESTABLISHED:
                    return aid
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)

        if timeout is None:
            return await established()
        try:
            return await asyncio.wait_for(established(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"sctp_connectx({address!r}): timed out after {timeout:g} s") from None

    def _peer_addrs(self, aid: int) -> List[SockAddr]:
        try:
            return self._sync.socket.getpaddrs(aid)
        except OSError:
            return []

    def associations(self) -> List[int]:
        """See :meth:`csctp.Endpoint.associations`."""
        return self.sync.associations()

    def association(self, assoc_id: int) -> "EndpointAssociation":
        """Association *assoc_id* as an :class:`EndpointAssociation` (see :meth:`csctp.Endpoint.association`)."""
        return EndpointAssociation(self, self._sync.association(assoc_id))

    def peeloff(self, assoc_id: int) -> Association:
        """Branch *assoc_id* off into its own :class:`Association` (on the same loop)."""
        return Association(self._sync.peeloff(assoc_id), loop=self._io.loop)

    @property
    def local_addresses(self) -> List[SockAddr]:
        """See :attr:`csctp.Endpoint.local_addresses`."""
        return self.sync.local_addresses

    @property
    def autoclose(self) -> int:
        """See :attr:`csctp.Endpoint.autoclose`."""
        return self.sync.autoclose

    @autoclose.setter
    def autoclose(self, seconds: int) -> None:
        self._sync.autoclose = seconds

    def __repr__(self) -> str:
        return f"<csctp.aio.Endpoint {self._sync!r}>"


class EndpointAssociation(_AsyncQueries):
    """One association of an :class:`Endpoint` for asyncio: :meth:`Endpoint.association` returns them.

    The twin of :class:`csctp.EndpointAssociation`, with ``send``/``sendv``
    as coroutines that suspend while the endpoint's send buffer is full.
    """

    def __init__(self, endpoint: Endpoint, sync: _endpoint.EndpointAssociation) -> None:
        self._endpoint = endpoint
        self._queries = self._ea = sync

    @property
    def endpoint(self) -> Endpoint:
        """The :class:`Endpoint` this association belongs to."""
        return self._endpoint

    @property
    def sync(self) -> _endpoint.EndpointAssociation:
        """The wrapped :class:`csctp.EndpointAssociation`."""
        return self._ea

    @property
    def assoc_id(self) -> int:
        """The kernel's id of the association on the endpoint's socket."""
        return self.sync.assoc_id

    async def send(self, data: Buffer, *, stream: int = 0, ppid: int = 0, unordered: bool = False,
                   ttl: Optional[int] = None, context: int = 0) -> int:
        """Send one message on this association; suspends while the send buffer is full."""
        return await self.endpoint._retry_send(lambda: self.sync.send(
            data, stream=stream, ppid=ppid, unordered=unordered, ttl=ttl, context=context))

    async def sendv(self, buffers: Sequence[Buffer], *, stream: int = 0, ppid: int = 0,
                    unordered: bool = False, context: int = 0) -> int:
        """Send one message gathered from several buffers; suspends while the send buffer is full."""
        return await self.endpoint._retry_send(lambda: self.sync.sendv(
            buffers, stream=stream, ppid=ppid, unordered=unordered, context=context))

    def ostream(self, sid: int) -> OutStream:
        """An async handle sending on stream *sid* of this association."""
        return OutStream(self, sid)

    def shutdown(self) -> None:
        """Graceful SHUTDOWN of this association (see :meth:`csctp.EndpointAssociation.shutdown`)."""
        self.sync.shutdown()

    def abort(self, reason: bytes = b"") -> None:
        """ABORT this association (see :meth:`csctp.EndpointAssociation.abort`)."""
        self.sync.abort(reason)

    def __repr__(self) -> str:
        return f"<csctp.aio.EndpointAssociation assoc_id={self.assoc_id} on {self.endpoint!r}>"


class Listener(_Watched):
    """A listening one-to-one socket for asyncio: ``await accept()`` returns an :class:`Association`.

    What :func:`listen` returns; wraps a :class:`csctp.Listener` (made non-blocking).
    """

    def __init__(self, listener: _assoc.Listener, *, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._sync = listener
        listener.settimeout(0)
        self._io = _FdWaiter(_loop(loop), listener.fileno())

    @property
    def sync(self) -> _assoc.Listener:
        """The wrapped (non-blocking) :class:`csctp.Listener`."""
        return self._sync

    async def accept(self) -> Association:
        """Wait for the next incoming association without blocking the loop."""
        for _ in range(_FOREVER):
            try:
                a = self._sync.accept()
            except BlockingIOError:
                await self._io.wait(0)
                continue
            return Association(a, loop=self._io.loop)
        raise AssertionError("unreachable")  # pragma: no cover

    def __aiter__(self) -> AsyncIterator[Association]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[Association]:
        while True:
            yield await self.accept()

    @property
    def address(self) -> SockAddr:
        """See :attr:`csctp.Listener.address`."""
        return self._sync.address

    @property
    def local_addresses(self) -> List[SockAddr]:
        """See :attr:`csctp.Listener.local_addresses`."""
        return self._sync.local_addresses

    @property
    def socket(self) -> Socket:
        """The underlying :class:`csctp.Socket`."""
        return self._sync.socket

    @property
    def closed(self) -> bool:
        """True once closed."""
        return self._sync.closed

    def fileno(self) -> int:
        """The listening socket's descriptor."""
        return self._sync.fileno()

    def close(self) -> None:
        """Stop listening: remove the loop callbacks, wake a waiting ``accept`` with ``OSError(EBADF)``."""
        self._io.close()
        self._sync.close()

    async def __aenter__(self) -> "Listener":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<csctp.aio.Listener {self._sync!r}>"


# ---- entry points --------------------------------------------------------------------------


async def _connected(sock: Socket, io: _FdWaiter, address: Address) -> int:
    try:
        aid: int = sock.connectx(address)
        return aid
    except BlockingIOError as e:
        if e.errno != _errno.EINPROGRESS:
            raise
    await io.wait(1)
    err = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
    if err:
        assert isinstance(err, int)
        raise OSError(err, f"sctp_connectx({address!r}): {os.strerror(err)}")
    return 0


async def connect(address: Address, *, local: Optional[Address] = None, ostreams: int = 10, instreams: int = 10,
                  max_attempts: Optional[int] = None, init_timeout: Optional[float] = None, nodelay: bool = True,
                  timeout: Optional[float] = None, udp_encaps_port: Optional[int] = None) -> Association:
    """Open a one-to-one association without blocking the loop; arguments as :func:`csctp.connect`.

    A refused peer raises ``ConnectionRefusedError``; *timeout* (seconds)
    raises ``TimeoutError``.  Cancelling it closes the half-open socket.
    """
    loop = asyncio.get_running_loop()
    sock = Socket(_assoc._family_of(address, local), _socket.SOCK_STREAM)
    io = None
    try:
        _assoc._configure(sock, ostreams=ostreams, instreams=instreams, nodelay=nodelay,
                          max_attempts=max_attempts, init_timeout=init_timeout, udp_encaps_port=udp_encaps_port)
        if local is not None:
            sock.bind(local)
        sock.settimeout(0)
        io = _FdWaiter(loop, sock.fileno())
        try:
            aid = await asyncio.wait_for(_connected(sock, io, address), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"sctp_connectx({address!r}): timed out after {timeout:g} s") from None
        io.close()
    except BaseException:
        if io is not None:
            io.close()
        sock.close()
        raise
    return Association(_assoc.Association(sock, aid), loop=loop)


async def listen(address: Address, *, backlog: int = 128, ostreams: int = 10, instreams: int = 10,
                 nodelay: bool = True, udp_encaps_port: Optional[int] = None, reuse_port: bool = False) -> Listener:
    """Bind *address* and listen on a one-to-one socket; arguments as :func:`csctp.listen`.

    Returns a :class:`Listener`: ``await listener.accept()`` gives one
    :class:`Association` per peer.  For one socket serving every
    association use :class:`Endpoint`; for a handler task per association,
    :func:`start_server`.
    """
    loop = asyncio.get_running_loop()
    return Listener(_assoc.listen(address, backlog=backlog, ostreams=ostreams, instreams=instreams,
                                  nodelay=nodelay, udp_encaps_port=udp_encaps_port, reuse_port=reuse_port), loop=loop)


# accept() errors that pass: the server reports them and tries again after a pause
_ACCEPT_RESOURCE_ERRNOS = frozenset((_errno.EMFILE, _errno.ENFILE, _errno.ENOBUFS, _errno.ENOMEM))
_ACCEPT_BACKOFF = 0.1


class Server:
    """What :func:`start_server` returns: an accept loop running a handler per association.

    An asyncio-style extra over :class:`Listener` (as ``asyncio.start_server``
    is over sockets).  ``close()`` stops accepting and cancels running
    handlers; ``await wait_closed()`` waits for them to finish; ``async
    with`` does both.  Running out of descriptors or memory (``EMFILE``,
    ``ENFILE``, ``ENOBUFS``, ``ENOMEM``) does not stop it: each failed
    ``accept`` is reported through ``loop.call_exception_handler`` and
    retried after 0.1 s, as asyncio's own servers do.
    """

    def __init__(self, listener: Listener, handler: Callable[[Association], Awaitable[object]],
                 loop: asyncio.AbstractEventLoop) -> None:
        #: The :class:`Listener` the server accepts on.
        self.listener = listener
        self._handler = handler
        self._loop = loop
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._associations: Set[Association] = set()
        self._accepting = loop.create_task(self._accept_loop())

    @property
    def address(self) -> SockAddr:
        """The first bound address ``(host, port, ...)``."""
        return self.listener.address

    @property
    def local_addresses(self) -> List[SockAddr]:
        """Every bound address."""
        return self.listener.local_addresses

    async def _accept_loop(self) -> None:
        for _ in range(_FOREVER):
            try:
                aa = await self.listener.accept()
            except (ConnectionAbortedError, ConnectionResetError):
                continue
            except OSError as e:
                if e.errno not in _ACCEPT_RESOURCE_ERRNOS:
                    raise
                # out of descriptors or memory: the association waits in the backlog;
                # say so and try again shortly, as asyncio's own servers do
                self._loop.call_exception_handler({
                    "message": f"csctp.aio server: accept failed ({e}); retrying in {_ACCEPT_BACKOFF:g} s",
                    "exception": e,
                    "server": self,
                })
                await asyncio.sleep(_ACCEPT_BACKOFF)
                continue
            self._associations.add(aa)
            t = self._loop.create_task(self._run(aa))
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)

    async def _run(self, a: Association) -> None:
        try:
            await self._handler(a)
        finally:
            a.close()
            self._associations.discard(a)

    def close(self) -> None:
        """Stop accepting, cancel the handlers (their associations get closed), close the listener."""
        self._accepting.cancel()
        for t in list(self._tasks):
            t.cancel()
        self.listener.close()

    async def wait_closed(self) -> None:
        """Wait until the accept loop and every handler have finished."""
        await asyncio.gather(self._accepting, *self._tasks, return_exceptions=True)
        for a in list(self._associations):
            a.close()

    async def serve_forever(self) -> None:
        """Run until cancelled (then close)."""
        try:
            await asyncio.shield(self._accepting)
        finally:
            self.close()
            await self.wait_closed()

    async def __aenter__(self) -> "Server":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        await self.wait_closed()


async def start_server(handler: Callable[[Association], Awaitable[object]], address: Address, *,
                       backlog: int = 128, ostreams: int = 10, instreams: int = 10, nodelay: bool = True,
                       reuse_port: bool = False) -> Server:
    """Listen on *address* and run ``await handler(association)`` for each new association.

    An asyncio-style extra (as ``asyncio.start_server``): :func:`listen` plus
    an accept loop.  The association is closed when its handler returns.
    One-to-one sockets (one descriptor per association); for a single
    socket serving every association use :class:`Endpoint`.  *reuse_port* as
    for :func:`csctp.listen`: one server per worker process on one port.
    """
    loop = asyncio.get_running_loop()
    lst = await listen(address, backlog=backlog, ostreams=ostreams, instreams=instreams, nodelay=nodelay,
                       reuse_port=reuse_port)
    return Server(lst, handler, loop)
