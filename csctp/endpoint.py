"""One-to-many SCTP: :class:`Endpoint`, one socket for any number of associations.

A signalling gateway's shape: one ``SOCK_SEQPACKET`` socket, messages tagged
with their association id, replies addressed by id, ``sendall`` broadcasting,
``peeloff`` to hand one association its own socket (and thread or task).
``endpoint.association(assoc_id)`` is an :class:`EndpointAssociation`: one
association of the endpoint, with the names of :class:`csctp.Association`
(``status``, ``peer_addresses``, ``primary``, ``paths()``, ``send``,
``shutdown``, ``abort``, ...).
"""

from __future__ import annotations

import socket as _socket
from typing import TYPE_CHECKING, FrozenSet, Iterator, List, Optional, Sequence, Union

import csctp     # csctp.send_batch: loaded with numpy on first use (csctp.__getattr__)
from csctp import _options, constants as C
from csctp._core import Socket
from csctp._message import Message
from csctp.association import (Address, Association, OutStream, SockAddr, _AssocQueries, _bind_listen, _configure,
                               _family_of, _Receiver, _reuse_port_flag, _send_flags)

if TYPE_CHECKING:  # pragma: no cover
    from csctp._batch import Buffers, PerMessage
    from csctp._core import Buffer

__all__ = ["Endpoint", "EndpointAssociation"]


def _sendall_failed(e: BaseException, sent: List[int], pending: List[int]) -> None:
    """How far a sendall got (sync or aio): *sent* got the message, *pending* did not."""
    e.sent_to = sent            # type: ignore[attr-defined]
    e.pending = pending         # type: ignore[attr-defined]


class Endpoint(_Receiver):
    """A one-to-many SCTP endpoint (``SOCK_SEQPACKET``).

    One association's end is not the endpoint's: it shows up as an
    ``assoc_change`` notification (when subscribed) and ``recv()`` goes on
    serving the other associations.

    ``Endpoint(local=None, *, family=None, backlog=128, ostreams=10,
    instreams=10, nodelay=True, udp_encaps_port=None, reuse_port=False)``.  With *local* (a multi-homed spec is
    fine) it binds there and accepts incoming associations; without it, it is a
    client that adds associations with :meth:`connect` or implicitly with
    ``send(..., to=address)``.  *family* defaults to that of *local*
    (AF_INET without one); use AF_INET6 to reach IPv6 peers.
    *udp_encaps_port* is the socket-wide remote UDP encapsulation port
    (RFC 6951), as for :func:`csctp.connect`.  *reuse_port* (with *local*)
    sets ``SO_REUSEPORT`` before the bind, as for :func:`csctp.listen`: one
    endpoint per worker process on the same addresses and port, each new
    association landing on one of them (docs/scaling.md).
    """

    _one_assoc = False
    _watched: FrozenSet[int] = frozenset()

    def __init__(self, local: Optional[Address] = None, *, family: Optional[int] = None, backlog: int = 128,
                 ostreams: int = 10, instreams: int = 10, nodelay: bool = True,
                 sock: Optional[Socket] = None, udp_encaps_port: Optional[int] = None,
                 reuse_port: bool = False) -> None:
        reuse_port = _reuse_port_flag(reuse_port, "Endpoint")
        if reuse_port and (local is None or sock is not None):
            raise ValueError("Endpoint: reuse_port=True needs local= (it is set before the bind, "
                             "and only a bound, listening endpoint shares its port)")
        if sock is None:
            sock = Socket(family if family is not None else _family_of(local), _socket.SOCK_SEQPACKET)
            try:
                _configure(sock, ostreams=ostreams, instreams=instreams, nodelay=nodelay,
                           udp_encaps_port=udp_encaps_port, reuse_port=reuse_port)
                if local is not None:
                    _bind_listen(sock, local, backlog, reuse_port, "Endpoint")
            except BaseException:
                sock.close()
                raise
        elif sock.type != _socket.SOCK_SEQPACKET:
            raise ValueError("Endpoint: need a one-to-many (SOCK_SEQPACKET) socket; use csctp.Association")
        elif udp_encaps_port is not None:
            _options.set_remote_udp_encaps_port(sock, udp_encaps_port)
        self._init_receiver(sock)

    def __repr__(self) -> str:
        if self.closed:
            return "<csctp.Endpoint closed>"
        return f"<csctp.Endpoint fd={self.fileno()} {self.local_addresses} associations={len(self.associations())}>"

    def __iter__(self) -> Iterator[Message]:
        """Iterate over received messages forever (each carries ``assoc_id``)."""
        while True:
            yield self.recv()

    # ---- associations -------------------------------------------------------------------

    def connect(self, address: Address, *, timeout: Optional[float] = None) -> int:
        """Set up a new association to *address* (multi-homed spec) and return its ``assoc_id``.

        Blocks until the association is up: at most *timeout* seconds
        (``TimeoutError``) when given, else per :meth:`settimeout`.
        """
        if timeout is None:
            aid: int = self._sock.connectx(address)
            return aid
        old = self._sock.gettimeout()
        self._sock.settimeout(timeout)
        try:
            aid = self._sock.connectx(address)
        finally:
            self._sock.settimeout(old)
        return aid

    def associations(self) -> List[int]:
        """The ids of the associations currently on this endpoint (``SCTP_GET_ASSOC_ID_LIST``)."""
        return list(_options.get_assoc_ids(self._sock))

    def association(self, assoc_id: int) -> "EndpointAssociation":
        """Association *assoc_id* of this endpoint as an object: :class:`EndpointAssociation`.

        It answers with the names of :class:`csctp.Association` (``status``,
        ``peer_addresses``, ``local_addresses``, ``primary``, ``paths()``) and
        sends, shuts down or aborts that one association; receiving stays
        the endpoint's (``recv()``, messages carry ``assoc_id``).  Raises
        ``LookupError`` when the endpoint has no such association (ended,
        peeled off, or never there).
        """
        if not isinstance(assoc_id, int) or isinstance(assoc_id, bool):
            raise TypeError(f"Endpoint.association: assoc_id must be an int, got {type(assoc_id).__name__}")
        if assoc_id not in self.associations():
            raise LookupError(f"Endpoint.association: no association {assoc_id} on this endpoint "
                              f"(ended, peeled off, or never set up)")
        return EndpointAssociation(self, assoc_id)

    def peeloff(self, assoc_id: int) -> Association:
        """Branch association *assoc_id* off into its own one-to-one :class:`Association`.

        Messages of that association this endpoint already read but nobody
        received yet move with it, and so does the part of a message
        received so far (its next pieces come on the new socket): nothing is
        lost or spliced.  Notifications already queued stay here; the new
        association shows the kinds subscribed on this endpoint.
        """
        sock = self._sock.peeloff(assoc_id)
        a = Association(sock, assoc_id)
        a._peeled = True
        a._user_kinds = set(self._user_kinds)
        a._hidden = frozenset(a._watched - a._user_kinds)
        mine = [m for m in self._pending if isinstance(m, Message) and m.assoc_id == assoc_id]
        if mine:
            keep = [m for m in self._pending if not (isinstance(m, Message) and m.assoc_id == assoc_id)]
            self._pending.clear()
            self._pending.extend(keep)
            a._pending.extend(mine)
        # the pieces of a message begun here moved with the socket (csctp.Socket.peeloff)
        return a

    @property
    def autoclose(self) -> int:
        """Seconds of idleness after which the kernel closes an association (0: never)."""
        v: int = _options.get_autoclose(self._sock)
        return v

    @autoclose.setter
    def autoclose(self, seconds: int) -> None:
        _options.set_autoclose(self._sock, seconds)

    def subscribe(self, *kinds: Union[str, int], on: bool = True) -> None:
        """Turn notifications on (or off) for every association of this endpoint: ``subscribe("assoc_change")``.

        ``assoc_change`` is how a server learns of new associations (COMM_UP)
        and lost ones (COMM_LOST, SHUTDOWN_COMP); see :meth:`events`.
        Applies to the associations already up and to those to come.
        """
        self._subscribe(kinds, on, every_assoc=True)

    @property
    def local_addresses(self) -> List[SockAddr]:
        """The endpoint's bound addresses."""
        out: List[SockAddr] = self._sock.getladdrs(0)
        return out

    # ---- sending --------------------------------------------------------------------------

    def send(self, data: Buffer, *, assoc_id: Optional[int] = None, to: Optional[Address] = None, stream: int = 0,
             ppid: int = 0, unordered: bool = False, ttl: Optional[int] = None, context: int = 0) -> int:
        """Send one message to association *assoc_id*, or to address *to*.

        Sending *to* an address with no association sets one up implicitly
        (the message rides in the COOKIE-ECHO).  Returns the bytes sent.
        """
        if (assoc_id is None) == (to is None):
            raise ValueError("Endpoint.send: give exactly one of assoc_id= or to=")
        n: int = self._sock.send(data, stream=stream, ppid=ppid, flags=_send_flags(unordered), context=context,
                                 assoc_id=assoc_id or 0, ttl=ttl, to=to)
        return n

    def sendall(self, data: Buffer, *, stream: int = 0, ppid: int = 0, unordered: bool = False,
                ttl: Optional[int] = None, context: int = 0) -> List[int]:
        """Send one message to every association of this endpoint, each exactly once.

        Returns the ids of the associations it went to.  One send per
        association, each all or nothing, rather than the kernel's
        ``SCTP_SENDALL``: when the send buffer fills part-way through the
        associations, that one fails with EAGAIN after some of them got the
        message, without saying which, and a retry would deliver it twice.
        An association that ends meanwhile is skipped (as ``SCTP_SENDALL``
        skips it).  A blocking endpoint waits for room association by
        association (the timeout applies to each send).  Any error, such as
        ``BlockingIOError`` on a non-blocking endpoint or ``TimeoutError``,
        says how far it got: ``e.sent_to`` lists the ids the message went
        to, ``e.pending`` the ids it did not (the failed one first); send to
        those to finish.
        """
        ids = self.associations()
        sent: List[int] = []
        for k, aid in enumerate(ids):
            try:
                self.send(data, assoc_id=aid, stream=stream, ppid=ppid, unordered=unordered, ttl=ttl, context=context)
            except BrokenPipeError:
                continue            # ended since it was listed
            except OSError as e:
                _sendall_failed(e, sent, ids[k:])
                raise
            sent.append(aid)
        return sent

    def send_batch(self, buffers: Buffers, *, streams: PerMessage = 0, ppids: PerMessage = 0,
                   flags: PerMessage = 0, assoc_ids: PerMessage = 0) -> int:
        """Send many messages in one system call (``sendmmsg``), each to its ``assoc_ids`` entry.

        Returns how many were sent (fewer when a non-blocking send buffer filled up).
        """
        n: int = csctp.send_batch(self._sock, buffers, streams, ppids, flags, assoc_ids)
        return n


class EndpointAssociation(_AssocQueries):
    """One association of an :class:`Endpoint`: what :meth:`Endpoint.association` returns.

    The one-to-many twin of :class:`csctp.Association` (as Java's
    ``SctpMultiChannel`` has ``Association`` objects): the same names and
    the same property-or-method choices for what concerns one association
    (``assoc_id``, ``status``, ``peer_addresses``, ``local_addresses``,
    ``primary``, ``paths()``, ``send``, ``sendv``, ``ostream``,
    ``shutdown``, ``abort``), each a call on the endpoint's socket with
    this association's id.  Receiving is the endpoint's: messages of every
    association come from :meth:`Endpoint.recv`, tagged with ``assoc_id``.
    A cheap handle, holding no state but the id: once the association has
    ended, its queries raise ``OSError``.
    """

    __slots__ = ("endpoint", "assoc_id", "_sock")

    def __init__(self, endpoint: Endpoint, assoc_id: int) -> None:
        #: The :class:`Endpoint` this association belongs to.
        self.endpoint = endpoint
        #: The kernel's id of the association on the endpoint's socket.
        self.assoc_id = assoc_id
        self._sock = endpoint.socket

    def _query_id(self) -> int:
        return self.assoc_id

    def __repr__(self) -> str:
        return f"<csctp.EndpointAssociation assoc_id={self.assoc_id} on {self.endpoint!r}>"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, EndpointAssociation) and other.endpoint is self.endpoint
                and other.assoc_id == self.assoc_id)

    def __hash__(self) -> int:
        return hash((id(self.endpoint), self.assoc_id))

    def send(self, data: Buffer, *, stream: int = 0, ppid: int = 0, unordered: bool = False,
             ttl: Optional[int] = None, context: int = 0) -> int:
        """Send one message on this association (see :meth:`csctp.Association.send`): returns the bytes sent."""
        return self.endpoint.send(data, assoc_id=self.assoc_id, stream=stream, ppid=ppid, unordered=unordered,
                                  ttl=ttl, context=context)

    def sendv(self, buffers: Sequence[Buffer], *, stream: int = 0, ppid: int = 0,
              unordered: bool = False, context: int = 0) -> int:
        """Send one message gathered from several buffers, without joining them."""
        n: int = self._sock.sendv(buffers, stream=stream, ppid=ppid, flags=_send_flags(unordered),
                                  context=context, assoc_id=self.assoc_id)
        return n

    def ostream(self, sid: int) -> OutStream:
        """A handle that sends on outbound stream *sid* of this association."""
        return OutStream(self, sid)

    def shutdown(self) -> None:
        """Gracefully shut this association down (``SCTP_EOF``): queued data is delivered first.

        The endpoint learns of the completion as an ``assoc_change``
        notification (``SHUTDOWN_COMP``) once subscribed.
        """
        self._sock.send(b"", flags=C.SCTP_EOF, assoc_id=self.assoc_id)

    def abort(self, reason: bytes = b"") -> None:
        """Abort this association at once (an ABORT chunk carrying *reason* as User-Initiated Abort cause)."""
        if not isinstance(reason, (bytes, bytearray, memoryview)):
            raise TypeError(f"abort: reason must be bytes, got {type(reason).__name__}")
        self._sock.send(reason, flags=C.SCTP_ABORT, assoc_id=self.assoc_id)
