"""Type stubs for csctp._notify (generated from the compiled module, then checked by hand)."""

from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union
from csctp._errors import UnsupportedOption as UnsupportedOption

class AdaptationIndication(Notification):
    adaptation_ind: int

class AssocChange(Notification):
    supported_features: Any
    state: int
    error: int
    outbound_streams: int
    inbound_streams: int
    info: bytes

class AssocReset(Notification):
    local_tsn: int
    remote_tsn: int

class Authentication(Notification):
    keynumber: int
    altkeynumber: int
    indication: int

KINDS: Dict[str, int]
KIND_NAMES: Dict[int, str]

class Notification:
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    kind: str
    type: int
    flags: int
    length: int
    assoc_id: int
    raw: bytes

class PartialDelivery(Notification):
    indication: int
    stream: int
    seq: int

class PeerAddrChange(Notification):
    addr: Optional[Tuple[Any, ...]]
    state: int
    error: int

class RemoteError(Notification):
    error: int
    data: bytes

class SendFailed(Notification):
    sent: int
    error: int
    stream: int
    ssn: int
    info_flags: int
    ppid: int
    context: int
    timetolive: int
    tsn: int
    cumtsn: int
    data: bytes

class SendFailedEvent(Notification):
    sent: int
    error: int
    stream: int
    info_flags: int
    ppid: int
    context: int
    data: bytes

class SenderDry(Notification):
    ...

class Shutdown(Notification):
    ...

class StreamChange(Notification):
    instreams: int
    outstreams: int

class StreamReset(Notification):
    streams: Any

def parse(data: Any) -> Notification: ...
def subscribe(sock: Any, *kinds: Union[str, int], on: bool = ..., assoc_id: int = ...) -> None: ...
def subscribed(sock: Any, kind: Any, assoc_id: Any = ...) -> Any: ...
