"""Type stubs for csctp._batch (generated from the compiled module, then checked by hand)."""

from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

class Batch:
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, i: int) -> Any: ...
    def data(self, *args: Any, **kwargs: Any) -> Any: ...
    def copy(self, *args: Any, **kwargs: Any) -> Any: ...
    def addresses(self, *args: Any, **kwargs: Any) -> Any: ...
    def message_end(self, *args: Any, **kwargs: Any) -> Any: ...
    stale: Any
    lengths: Any
    streams: Any
    ppids: Any
    assoc_ids: Any
    msg_flags: Any
    rcv_flags: Any
    ssns: Any
    tsns: Any
    cumtsns: Any
    contexts: Any
    info: bytes
    nxt_lengths: Any
    nxt_streams: Any
    nxt_ppids: Any
    nxt_flags: Any
    eor: Any
    notification: Any
    unordered: Any
    pool: Any
    n: Any
    eof: Any
    starts_mid_message: Any
    has_addresses: Any

class BatchMessage:
    def __len__(self) -> int: ...
    def copy(self, *args: Any, **kwargs: Any) -> Any: ...
    data: bytes
    eor: Any
    is_notification: Any
    unordered: Any
    addr: Optional[Tuple[Any, ...]]
    batch: Any
    index: Any
    length: Any
    stream: Any
    ssn: Any
    ppid: Any
    tsn: Any
    assoc_id: Any
    msg_flags: Any
    rcv_flags: Any
    context: Any

class BatchPool:
    def __init__(self, max_messages: int = ..., slot_size: int = ...) -> None: ...
    def recv(self, sock: Any, *args: Any, **kwargs: Any) -> Batch: ...
    def complete(self, sock: Any, batch: Batch, i: int) -> bytes: ...
    generation: int
    exports: int
    max_messages: int
    slot_size: int
    buffer: Any

def reassemble(pool: Any, sock: Any, batch: Any, max_size: Any = ...) -> Any: ...
def send_batch(sock: Any, buffers: Any, streams: Any = ..., ppids: Any = ..., flags: Any = ..., assoc_ids: Any = ...,
               contexts: Any = ...) -> int: ...
