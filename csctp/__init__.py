"""csctp: SCTP for Python over the Linux kernel stack (RFC 6458).

The compiled core lives in ``csctp._core`` (sockets), ``csctp._message``
(messages and ancillary data) and ``csctp._addr`` (addresses); this package
re-exports what users need.
"""

from socket import AF_INET, AF_INET6, SOCK_SEQPACKET, SOCK_STREAM

from csctp._version import __version__
from csctp._errors import UnsupportedOption
from csctp._core import Socket
from csctp._message import Message, NxtInfo, SndRcvInfo
from csctp import _addr as addresses
from csctp.constants import *  # noqa: F401,F403

# socket options (issue 3)
from csctp import options  # noqa: E402

__all__ = [
    "__version__", "Socket", "Message", "NxtInfo", "SndRcvInfo", "UnsupportedOption",
    "addresses", "options", "AF_INET", "AF_INET6", "SOCK_STREAM", "SOCK_SEQPACKET",
]

# notifications (csctp._notify)
from csctp import _notify
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

# ---- the Python layer (issue 5): associations, endpoints, asyncio in csctp.aio ----
from csctp.association import (  # noqa: E402
    Association, AssociationClosed, InStream, Listener, OutStream, PendingLimitError, connect, listen)
from csctp.endpoint import Endpoint  # noqa: E402

__all__ += ["Association", "AssociationClosed", "InStream", "Listener", "OutStream", "PendingLimitError", "Endpoint",
            "connect", "listen"]

# ---- batch I/O (recvmmsg / sendmmsg), issue 4 ----
# Loaded on first use: csctp._batch needs numpy, whose import (and BLAS
# threads) would otherwise be paid by every `import csctp`.
_BATCH_NAMES = ("BatchPool", "Batch", "BatchMessage", "send_batch")
__all__ += list(_BATCH_NAMES)


def __getattr__(name: str):
    if name in _BATCH_NAMES:
        from csctp import _batch
        return getattr(_batch, name)
    raise AttributeError(f"module 'csctp' has no attribute {name!r}")
