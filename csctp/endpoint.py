"""One-to-many SCTP: :class:`Endpoint`, one socket for any number of associations.

A signalling gateway's shape: one ``SOCK_SEQPACKET`` socket, messages tagged
with their association id, replies addressed by id, ``sendall`` broadcasting,
``peeloff`` to hand one association its own socket (and thread or task).
"""

from __future__ import annotations

import socket as _socket
from typing import Any, FrozenSet, Iterator, List, Optional, Tuple

from csctp import _options, constants as C
from csctp._core import Socket
from csctp._message import Message
from csctp.association import Address, Association, _configure, _family_of, _Receiver, _send_flags

__all__ = ["Endpoint"]


class Endpoint(_Receiver):
    """A one-to-many SCTP endpoint (``SOCK_SEQPACKET``).

    One association's end is not the endpoint's: it shows up as an
    ``assoc_change`` notification (when subscribed) and ``recv()`` goes on
    serving the other associations.

    ``Endpoint(local=None, *, family=None, backlog=128, ostreams=10,
    instreams=10, nodelay=True)``.  With *local* (a multi-homed spec is
    fine) it binds there and accepts incoming associations (as
    ``csctp.listen(..., mode="one-to-many")`` does); without it, it is a
    client that adds associations with :meth:`connect` or implicitly with
    ``send(..., to=address)``.  *family* defaults to that of *local*
    (AF_INET without one); use AF_INET6 to reach IPv6 peers.
    """

    _one_assoc = False
    _watched: FrozenSet[int] = frozenset()

    def __init__(self, local: Optional[Address] = None, *, family: Optional[int] = None, backlog: int = 128,
                 ostreams: int = 10, instreams: int = 10, nodelay: bool = True,
                 sock: Optional[Socket] = None) -> None:
        if sock is None:
            sock = Socket(family if family is not None else _family_of(local), _socket.SOCK_SEQPACKET)
            try:
                _configure(sock, ostreams=ostreams, instreams=instreams, nodelay=nodelay)
                if local is not None:
                    sock.bind(local)
                    sock.listen(backlog)
            except BaseException:
                sock.close()
                raise
        elif sock.type != _socket.SOCK_SEQPACKET:
            raise ValueError("Endpoint: need a one-to-many (SOCK_SEQPACKET) socket; use csctp.Association")
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

    def connect(self, address: Address) -> int:
        """Set up a new association to *address* (multi-homed spec) and return its ``assoc_id``.

        Blocks until the association is up (or per :meth:`settimeout`).
        """
        aid: int = self._sock.connectx(address)
        return aid

    def associations(self) -> List[int]:
        """The ids of the associations currently on this endpoint (``SCTP_GET_ASSOC_ID_LIST``)."""
        return list(_options.get_assoc_ids(self._sock))

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

    def subscribe(self, *kinds: str, on: bool = True) -> None:
        """Turn notifications on (or off) for every association of this endpoint: ``subscribe("assoc_change")``.

        ``assoc_change`` is how a server learns of new associations (COMM_UP)
        and lost ones (COMM_LOST, SHUTDOWN_COMP); see :meth:`events`.
        Applies to the associations already up and to those to come.
        """
        self._subscribe(kinds, on, every_assoc=True)

    def peer_addresses(self, assoc_id: int) -> List[Tuple[Any, ...]]:
        """The peer addresses of association *assoc_id*."""
        out: List[Tuple[Any, ...]] = self._sock.getpaddrs(assoc_id)
        return out

    @property
    def local_addresses(self) -> List[Tuple[Any, ...]]:
        """The endpoint's bound addresses."""
        out: List[Tuple[Any, ...]] = self._sock.getladdrs(0)
        return out

    def status(self, assoc_id: int) -> Any:
        """``SCTP_STATUS`` of association *assoc_id*."""
        return _options.get_status(self._sock, assoc_id=assoc_id)

    # ---- sending --------------------------------------------------------------------------

    def send(self, data: Any, *, assoc_id: Optional[int] = None, to: Optional[Address] = None, stream: int = 0,
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

    def sendall(self, data: Any, *, stream: int = 0, ppid: int = 0, unordered: bool = False,
                ttl: Optional[int] = None, context: int = 0) -> int:
        """Send one message to every association of this endpoint at once (``SCTP_SENDALL``)."""
        n: int = self._sock.send(data, stream=stream, ppid=ppid, flags=_send_flags(unordered, C.SCTP_SENDALL),
                                 context=context, ttl=ttl)
        return n

    def send_batch(self, buffers: Any, *, streams: Any = 0, ppids: Any = 0, flags: Any = 0,
                   assoc_ids: Any = 0) -> int:
        """Send many messages in one system call (``sendmmsg``), each to its ``assoc_ids`` entry.

        Returns how many were sent (fewer when a non-blocking send buffer filled up).
        """
        from csctp import _batch
        n: int = _batch.send_batch(self._sock, buffers, streams=streams, ppids=ppids, flags=flags,
                                   assoc_ids=assoc_ids)
        return n

    def abort(self, assoc_id: int, reason: bytes = b"") -> None:
        """Abort one association (ABORT chunk with *reason* as User-Initiated Abort cause)."""
        self._sock.send(reason, flags=C.SCTP_ABORT, assoc_id=assoc_id)

    def shutdown(self, assoc_id: int) -> None:
        """Gracefully shut down one association (SCTP_EOF): queued data is delivered first."""
        self._sock.send(b"", flags=C.SCTP_EOF, assoc_id=assoc_id)

