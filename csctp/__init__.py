"""csctp: SCTP for Python over the Linux kernel stack (RFC 6458).

The front door: :func:`connect` and :func:`listen` (one-to-one
:class:`Association` objects), :class:`Endpoint` (one-to-many, its
associations as :class:`EndpointAssociation` objects), and their asyncio
twins in :mod:`csctp.aio`.  :class:`Socket` is the low-level backend they
are built on (the Cython core in ``csctp._core``, with messages in
``csctp._message`` and addresses in ``csctp._addr``), there for what the
front door does not wrap.
"""

from socket import AF_INET, AF_INET6, SOCK_SEQPACKET, SOCK_STREAM
from typing import TYPE_CHECKING, List

from csctp._version import __version__
from csctp._errors import UnsupportedOption
from csctp._core import Socket
from csctp._message import Message, NxtInfo, SndRcvInfo
from csctp import _addr as addresses
from csctp.constants import *  # noqa: F401,F403
from csctp.constants import (  # named: constants computes its __all__, which type checkers cannot follow
    AssocChangeState, AssocState, NotificationType, PathState, PeerAddrChangeState, PrPolicy, Scheduler)

# socket options: the table-driven csctp.options module
from csctp import options  # noqa: E402

__all__ = [
    "__version__", "Socket", "Message", "NxtInfo", "SndRcvInfo", "UnsupportedOption",
    "addresses", "options", "AF_INET", "AF_INET6", "SOCK_STREAM", "SOCK_SEQPACKET",
]
# the IntEnums of csctp.constants (their members are the SCTP_* values)
__all__ += ["AssocState", "PathState", "AssocChangeState", "PeerAddrChangeState", "NotificationType", "Scheduler",
            "PrPolicy"]

# notifications (csctp._notify)
from csctp import _notify  # noqa: E402
from csctp._notify import (  # noqa: E402
    KINDS as NOTIFICATION_KINDS, AdaptationIndication, AssocChange, AssocReset, Authentication,
    Notification, PartialDelivery, PeerAddrChange, RemoteError, SendFailed, SendFailedEvent,
    SenderDry, Shutdown, StreamChange, StreamReset, subscribe, subscribed)
parse_notification = _notify.parse
__all__ += [
    "parse_notification", "subscribe", "subscribed", "NOTIFICATION_KINDS", "Notification",
    "AssocChange", "PeerAddrChange", "SendFailed", "SendFailedEvent", "RemoteError", "Shutdown",
    "PartialDelivery", "AdaptationIndication", "Authentication", "SenderDry", "StreamReset",
    "AssocReset", "StreamChange",
]

# ---- the front door: associations, endpoints (asyncio twins in csctp.aio) ----
from csctp.association import (  # noqa: E402
    Address, Association, AssociationClosed, Event, InStream, Listener, OutStream, Path, PendingLimitError,
    SockAddr, connect, listen)
from csctp.endpoint import Endpoint, EndpointAssociation  # noqa: E402

__all__ += ["Association", "AssociationClosed", "InStream", "Listener", "OutStream", "PendingLimitError", "Endpoint",
            "EndpointAssociation", "Path", "connect", "listen", "Address", "SockAddr", "Event"]

# ---- batch I/O (recvmmsg / sendmmsg) ----
# Loaded on first use: csctp._batch needs numpy, whose import (and BLAS
# threads) would otherwise be paid by every `import csctp`.
if TYPE_CHECKING:  # pragma: no cover
    from csctp._batch import (Batch as Batch, BatchMessage as BatchMessage, BatchPool as BatchPool,  # noqa: F401
                              send_batch as send_batch)

_BATCH_NAMES = ("BatchPool", "Batch", "BatchMessage", "send_batch")
__all__ += list(_BATCH_NAMES)


def __getattr__(name: str) -> object:
    if name in _BATCH_NAMES:
        from csctp import _batch
        value: object = getattr(_batch, name)
        globals()[name] = value        # later lookups are plain attribute reads
        return value
    raise AttributeError(f"module 'csctp' has no attribute {name!r}")


def __dir__() -> List[str]:
    # the lazily loaded batch names are listed before their first use too
    return sorted(set(globals()) | set(_BATCH_NAMES))
