"""asyncio for csctp: the twin of the synchronous API, name for name.

:func:`connect`, :func:`listen`, :class:`Association`, :class:`Endpoint`,
:class:`EndpointAssociation`, :class:`Listener`, :class:`OutStream`,
:class:`InStream` are those of :mod:`csctp` with coroutines where the sync
ones block (``await recv()``, ``await send()``, ``await accept()``).
asyncio-style extras: :func:`start_server` / :class:`Server` (a handler
task per association, as ``asyncio.start_server``),
``Association.wait_closed()`` (the sync ``shutdown(wait=...)``), and
protocols: :class:`Protocol` / :class:`Transport` with
:func:`create_connection` / :func:`create_server` (callbacks from the
loop instead of a task step per message, as asyncio's protocols: the
shortest round trip).

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
import collections
import errno as _errno
import os
import socket as _socket
from typing import (TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Deque, Generic, List, Optional,
                    Sequence, Set, Tuple, TypeVar, Union)

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
           "Server", "start_server", "Protocol", "Transport", "create_connection", "create_server"]


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


# ---- protocols: callbacks instead of coroutines ------------------------------------------


class Protocol:
    """Callbacks for one association, called by the event loop (the shape of ``asyncio.Protocol``).

    Subclass it and override what you need; :func:`create_connection` and
    :func:`create_server` attach one to each association.  Every call runs
    in the loop's thread, in this order: ``connection_made`` once, then
    ``message_received`` and ``event_received`` in the order the kernel
    delivered them, then ``connection_lost`` once.  No task, future or
    coroutine step lies between a message's arrival and its callback, so a
    reply sent from ``message_received`` leaves within the same loop turn:
    the fastest round trip asyncio allows (see docs/asyncio.md).
    """

    def connection_made(self, transport: "Transport") -> None:
        """The association is up; *transport* sends on it."""

    def message_received(self, message: Message) -> None:
        """One whole user message (pieces are joined first), with its stream, PPID and flags."""

    def event_received(self, event: Event) -> None:
        """A notification of a kind subscribed with ``transport.association.subscribe(...)``."""

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        """The association is gone: None after a graceful end or ``close()``/``abort()``; else why.

        ``ConnectionResetError`` after an ABORT or a lost association;
        :class:`csctp.AssociationClosed` when the peer shut down while
        messages were still queued in the transport; ``BrokenPipeError``
        when the kernel refused a queued message (the peer is shutting
        down); the exception of a callback that raised.  Whenever queued
        messages were dropped, the exception's ``unsent`` says how many.
        """

    def pause_writing(self) -> None:
        """The transport's queue went above its high-water mark: stop sending until resume_writing()."""

    def resume_writing(self) -> None:
        """The queue drained below its low-water mark."""


# a read callback handles at most this many items before the loop runs other callbacks
_READ_TURN = 64
# ... and a write callback sends at most this many queued messages
_WRITE_TURN = 1024
_HIGH_WATER = 64 * 1024


class Transport:
    """One association driven by the loop's callbacks for a :class:`Protocol`.

    ``send()`` never blocks and never drops: a message the kernel's send
    buffer cannot take now is copied into the transport's queue and sent,
    in order, as soon as the socket is writable; past the high-water mark
    the protocol's ``pause_writing()`` is called.  ``close()`` sends what is
    queued, then shuts the association down; ``abort()`` ends it at once.
    """

    def __init__(self, association: _assoc.Association, protocol: Protocol,
                 loop: asyncio.AbstractEventLoop) -> None:
        association.settimeout(0)
        self._sync = association
        self._protocol = protocol
        self._loop = loop
        self._fd = association.fileno()
        self._queue: Deque[Tuple[bytes, int, int, bool, Optional[int], int]] = collections.deque()
        self._queued = 0                # bytes in _queue
        self._high = _HIGH_WATER
        self._low = _HIGH_WATER // 4
        self._writing_paused = False
        self._reading = False           # the reader callback is registered
        self._read_paused = False
        self._closing = False
        self._lost = False              # connection_lost() was scheduled
        self._ostreams = -1             # negotiated outbound streams, looked up when a send is queued
        #: Resolved once the protocol's connection_lost() has run.
        self.lost: "asyncio.Future[None]" = loop.create_future()

    def _start(self) -> None:
        """connection_made(), then deliver; if it raises, the association is closed and nothing more called."""
        try:
            self._protocol.connection_made(self)
        except BaseException:
            self._lost = self._closing = True
            self._sync.close()
            self.lost.set_result(None)
            raise
        if not self._closing and not self._read_paused:
            self._add_reader()
        if self._sync._pending or self._sync._end is not None:
            self._loop.call_soon(self._read_ready)      # what was read before the protocol came

    @property
    def association(self) -> _assoc.Association:
        """The (non-blocking) :class:`csctp.Association`: ``status``, ``paths()``, ``subscribe()``, ..."""
        return self._sync

    # ---- receiving ----

    def _add_reader(self) -> None:
        if not self._reading:
            self._loop.add_reader(self._fd, self._read_ready)
            self._reading = True

    def _remove_reader(self) -> None:
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    def _read_ready(self) -> None:
        eng = self._sync
        pending = eng._pending
        proto = self._protocol
        for _ in range(_READ_TURN):
            if self._closing or self._read_paused:      # a callback closed or paused it
                return
            if pending:
                item = pending.popleft()
            elif eng._end is not None:
                self._ended()
                return
            else:
                try:
                    m = eng._try_step()
                except Exception as e:  # noqa: BLE001 - the kernel's error ends it; anything else is reported
                    self._fatal(e, "receive failed", report=not isinstance(e, OSError))
                    return
                if m is False:
                    return
                if m is None:       # a notification or a piece queued, or the end recorded
                    continue
                item = m
            try:
                if type(item) is Message:
                    proto.message_received(item)
                else:
                    proto.event_received(item)
            except Exception as e:  # noqa: BLE001 - reported, and the association closed
                self._fatal(e, f"protocol.{'message' if type(item) is Message else 'event'}_received() failed")
                return

    def _ended(self) -> None:
        eng = self._sync
        assert eng._end is not None
        exc: Optional[BaseException] = None
        if eng._end[0] is not AssociationClosed:
            exc = eng._end_error("recv")
        elif self._queue:
            exc = eng._end_error("send")    # a graceful end, but not for the messages still queued
        self._force_close(exc)

    def pause_reading(self) -> None:
        """Stop calling ``message_received`` / ``event_received`` (the kernel's window closes behind)."""
        self._read_paused = True
        self._remove_reader()

    def resume_reading(self) -> None:
        """Deliver again, starting with what the kernel kept meanwhile."""
        if not self._read_paused:
            return
        self._read_paused = False
        if not self._closing and not self._lost:
            self._add_reader()
            self._loop.call_soon(self._read_ready)      # read ahead already queued: no readiness for it

    def is_reading(self) -> bool:
        """False while paused, closing or closed."""
        return not self._read_paused and not self._closing and not self._lost

    # ---- sending ----

    def send(self, data: Buffer, *, stream: int = 0, ppid: int = 0, unordered: bool = False,
             ttl: Optional[int] = None, context: int = 0) -> None:
        """Send one message now, or queue a copy of it if the send buffer is full (see the class).

        Arguments as :meth:`csctp.Association.send`.  Raises at once what
        that raises for bad arguments (a stream beyond the negotiated count
        included) and for an association that has ended; ``RuntimeError``
        after ``close()`` or ``abort()``.
        """
        if self._closing or self._lost:
            raise RuntimeError("send: the transport is closing or closed")
        if not self._queue:
            try:
                self._sync._send_args(data, stream, ppid, unordered, ttl, context)
                return
            except BlockingIOError:
                pass
        self._check_queued(stream, ppid, ttl, context)
        if type(data) is bytes:
            b = data                # immutable: kept as it is
        else:
            try:
                b = memoryview(data).tobytes()      # the caller may reuse its buffer once send() returns
            except TypeError:
                raise TypeError(f"send: data must be a bytes-like object, got {type(data).__name__}") from None
        self._queue.append((b, stream, ppid, unordered, ttl, context))
        self._queued += len(b)
        if len(self._queue) == 1:
            self._loop.add_writer(self._fd, self._write_ready)
        if not self._writing_paused and self._queued > self._high:
            self._writing_paused = True
            self._call_protocol("pause_writing")

    def _check_queued(self, stream: int, ppid: int, ttl: Optional[int], context: int) -> None:
        """What the kernel would refuse, refused now: a queued message is sent after send() returned."""
        self._sync._check_send_args(stream, ppid, ttl, context)
        if stream >= self._ostreams:
            self._ostreams = self._sync.status.outstreams     # streams can be added (RFC 6525)
            if stream >= self._ostreams:
                raise OSError(_errno.EINVAL, f"send: stream {stream} is beyond the {self._ostreams} "
                                             f"outbound streams negotiated")

    def _write_ready(self) -> None:
        q = self._queue
        send = self._sync._send_args
        for _ in range(_WRITE_TURN):
            if not q:
                break
            b, stream, ppid, unordered, ttl, context = q[0]
            try:
                send(b, stream, ppid, unordered, ttl, context)
            except BlockingIOError:
                return
            except OSError as e:
                self._fatal(e, "send of a queued message failed", report=False)
                return
            q.popleft()
            self._queued -= len(b)
            if self._writing_paused and self._queued <= self._low:
                self._writing_paused = False
                self._call_protocol("resume_writing")
                if self._lost:
                    return
        if q:
            return                  # more than a turn's worth (resume_writing queued more): next turn
        self._loop.remove_writer(self._fd)
        if self._closing and not self._lost:
            self._force_close(None)

    def get_write_buffer_size(self) -> int:
        """Bytes queued in the transport (not yet taken by the kernel)."""
        return self._queued

    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        """The queue's high- and low-water marks in bytes (default 64 KiB and a quarter of *high*)."""
        if high is None:
            high = _HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not isinstance(high, int) or not isinstance(low, int) or not 0 <= low <= high:
            raise ValueError(f"set_write_buffer_limits: need 0 <= low <= high, got high={high!r}, low={low!r}")
        self._high, self._low = high, low

    # ---- the end ----

    def is_closing(self) -> bool:
        """True once ``close()`` or ``abort()`` was called or the association ended."""
        return self._closing or self._lost

    def close(self) -> None:
        """Stop delivering, send what is queued, then shut the association down gracefully.

        ``connection_lost(None)`` follows (after the queue was sent).
        """
        if self._closing or self._lost:
            return
        self._closing = True
        self._remove_reader()
        if not self._queue:
            self._force_close(None)

    def abort(self) -> None:
        """End the association at once with an ABORT; the queue is dropped; ``connection_lost(None)``."""
        if self._lost:
            return
        try:
            if self._sync._end is None:
                self._sync.abort()
        except OSError:
            pass                    # already gone: closing is all that is left
        self._force_close(None)

    def _call_protocol(self, name: str) -> None:
        try:
            getattr(self._protocol, name)()
        except Exception as e:      # noqa: BLE001 - reported, and the association closed
            self._fatal(e, f"protocol.{name}() failed")

    def _fatal(self, exc: BaseException, what: str, report: bool = True) -> None:
        if report:
            self._loop.call_exception_handler({
                "message": f"csctp.aio transport: {what}; the association is closed",
                "exception": exc, "transport": self, "protocol": self._protocol})
        if not self._lost:
            self._force_close(exc)

    def _force_close(self, exc: Optional[BaseException]) -> None:
        """Remove the callbacks, close the socket (the kernel shuts an association still up down
        gracefully, or aborts it if unread data is left), then connection_lost(exc)."""
        if self._lost:
            return
        self._lost = self._closing = True
        self._remove_reader()
        if self._queue:
            if exc is not None:
                exc.unsent = len(self._queue)       # type: ignore[attr-defined]
            self._loop.remove_writer(self._fd)
            self._queue.clear()
            self._queued = 0
        self._sync.close()
        self._loop.call_soon(self._call_lost, exc)

    def _call_lost(self, exc: Optional[BaseException]) -> None:
        try:
            self._protocol.connection_lost(exc)
        except Exception as e:      # noqa: BLE001 - the last callback: reported only
            self._loop.call_exception_handler({
                "message": "csctp.aio transport: protocol.connection_lost() failed",
                "exception": e, "transport": self, "protocol": self._protocol})
        finally:
            if not self.lost.done():
                self.lost.set_result(None)

    def __repr__(self) -> str:
        state = "closed" if self._lost else "closing" if self._closing else "open"
        return f"<csctp.aio.Transport {state} queued={self._queued} {self._sync!r}>"


_P = TypeVar("_P", bound=Protocol)


def _attach(a: Association, protocol_factory: Callable[[], _P]) -> Tuple[Transport, _P]:
    """Hand *a*'s descriptor over to a transport: the coroutine object must not read it any more."""
    if a._io.waiters[0] or a._io.waiters[1]:
        raise RuntimeError("create_connection: a coroutine is waiting on this association")
    loop = a._io.loop
    a._io.close()
    protocol = protocol_factory()
    transport = Transport(a._sync, protocol, loop)
    transport._start()      # before the caller can send: connection_made() comes first
    return transport, protocol


async def create_connection(protocol_factory: Callable[[], _P], address: Address, *,
                            local: Optional[Address] = None, ostreams: int = 10, instreams: int = 10,
                            max_attempts: Optional[int] = None, init_timeout: Optional[float] = None,
                            nodelay: bool = True, timeout: Optional[float] = None,
                            udp_encaps_port: Optional[int] = None) -> Tuple[Transport, _P]:
    """:func:`connect`, then drive the association with ``protocol_factory()``: ``(transport, protocol)``.

    As ``loop.create_connection`` for TCP: ``connection_made`` has run when
    it returns (if it raised, the association is closed and this raises
    it).  Arguments after *address* as :func:`connect`.
    """
    a = await connect(address, local=local, ostreams=ostreams, instreams=instreams, max_attempts=max_attempts,
                      init_timeout=init_timeout, nodelay=nodelay, timeout=timeout, udp_encaps_port=udp_encaps_port)
    try:
        return _attach(a, protocol_factory)
    except BaseException:
        a.close()
        raise


async def create_server(protocol_factory: Callable[[], Protocol], address: Address, *,
                        backlog: int = 128, ostreams: int = 10, instreams: int = 10, nodelay: bool = True,
                        reuse_port: bool = False) -> Server:
    """Listen on *address* and drive each new association with its own ``protocol_factory()``.

    As ``loop.create_server`` for TCP; the :class:`Server` is the one
    :func:`start_server` returns (``close()`` closes the associations too,
    each protocol getting ``connection_lost(None)``).  A protocol whose
    ``connection_made`` raises is reported through the loop's exception
    handler and its association closed.
    """
    async def run(a: Association) -> None:
        try:
            transport, _ = _attach(a, protocol_factory)
        except Exception as e:      # noqa: BLE001 - one association's protocol; the server goes on
            asyncio.get_running_loop().call_exception_handler({
                "message": f"csctp.aio server: the protocol factory or connection_made() failed ({e!r}); "
                           f"the association is closed",
                "exception": e})
            return
        try:
            await asyncio.shield(transport.lost)
        finally:
            if not transport.lost.done():       # the server is closing: end the association here
                transport._force_close(None)
    return await start_server(run, address, backlog=backlog, ostreams=ostreams, instreams=instreams,
                              nodelay=nodelay, reuse_port=reuse_port)
