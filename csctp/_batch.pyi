"""Type stubs for csctp._batch (recvmmsg/sendmmsg batch I/O into a reusable pool)."""

import socket
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

from csctp._core import Buffer, Socket
from csctp.association import SockAddr

#: What send_batch sends: a sequence of bytes-like objects, or a 2-D C-contiguous array whose rows are messages.
Buffers = Union[Sequence[Buffer], npt.NDArray[Any]]
#: A per-message value of send_batch: one int for every message, or one per message.
PerMessage = Union[None, int, Sequence[int], npt.NDArray[np.integer[Any]]]
_Sock = Union[Socket, socket.socket, int]   # a csctp.Socket, a socket.socket or a descriptor

class Batch:
    def __iter__(self) -> Iterator[BatchMessage]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, i: int) -> BatchMessage: ...
    def data(self, i: int) -> memoryview: ...
    def copy(self, i: int) -> bytes: ...
    @overload
    def addresses(self, i: None = ...) -> List[Optional[SockAddr]]: ...
    @overload
    def addresses(self, i: int) -> Optional[SockAddr]: ...
    def message_end(self, i: int) -> int: ...
    def length(self, i: int) -> int: ...
    def stream(self, i: int) -> int: ...
    def ppid(self, i: int) -> int: ...
    def assoc_id(self, i: int) -> int: ...
    def is_notification(self, i: int) -> bool: ...
    @property
    def stale(self) -> bool: ...
    lengths: npt.NDArray[np.integer[Any]]
    streams: npt.NDArray[np.integer[Any]]
    ppids: npt.NDArray[np.integer[Any]]
    assoc_ids: npt.NDArray[np.integer[Any]]
    msg_flags: npt.NDArray[np.integer[Any]]
    rcv_flags: npt.NDArray[np.integer[Any]]
    ssns: npt.NDArray[np.integer[Any]]
    tsns: npt.NDArray[np.integer[Any]]
    cumtsns: npt.NDArray[np.integer[Any]]
    contexts: npt.NDArray[np.integer[Any]]
    info: bytes
    nxt_lengths: npt.NDArray[np.integer[Any]]
    nxt_streams: npt.NDArray[np.integer[Any]]
    nxt_ppids: npt.NDArray[np.integer[Any]]
    nxt_flags: npt.NDArray[np.integer[Any]]
    eor: npt.NDArray[np.bool_]
    notification: npt.NDArray[np.bool_]
    unordered: npt.NDArray[np.bool_]
    pool: BatchPool
    n: int
    eof: bool
    starts_mid_message: bool
    has_addresses: bool
    has_notifications: bool

class BatchMessage:
    def __len__(self) -> int: ...
    def copy(self) -> bytes: ...
    @property
    def data(self) -> memoryview: ...
    eor: bool
    is_notification: bool
    unordered: bool
    addr: Optional[SockAddr]
    batch: Batch
    index: int
    length: int
    stream: int
    ssn: int
    ppid: int
    tsn: int
    assoc_id: int
    msg_flags: int
    rcv_flags: int
    context: int

class BatchPool:
    def __init__(self, max_messages: int = ..., slot_size: int = ...) -> None: ...
    def recv(self, sock: _Sock, max_messages: Optional[int] = ..., flags: int = ..., *,
             want_addresses: bool = ...) -> Batch: ...
    def complete(self, sock: _Sock, batch: Batch, i: int, max_size: int = ...) -> bytes: ...
    generation: int
    exports: int
    max_messages: int
    slot_size: int
    buffer: npt.NDArray[np.uint8]

def reassemble(pool: BatchPool, sock: _Sock, batch: Batch,
               max_size: int = ...) -> Iterator[Tuple[int, Union[memoryview, bytes]]]: ...
def send_batch(sock: _Sock, buffers: Buffers, streams: PerMessage = ..., ppids: PerMessage = ...,
               flags: PerMessage = ..., assoc_ids: PerMessage = ..., contexts: PerMessage = ...) -> int: ...
