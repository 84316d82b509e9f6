"""Type stubs for csctp._engine (the receive engine's compiled common case)."""

from typing import Any, Optional, Tuple, Type

from csctp._core import Buffer, Reassembler, Socket
from csctp._batch import Batch, Buffers, PerMessage
from csctp._message import Message

class Engine:
    _sock: Socket
    _reasm: Reassembler
    _pending: Any
    _end: Optional[Tuple[Type[BaseException], int, str]]
    _pool: Any
    def recv(self) -> Message: ...
    def recv_into(self, buffer: Buffer) -> Tuple[int, Message]: ...
    def recv_batch(self, max_messages: int = ...) -> Batch: ...
    def _recv_step(self) -> Optional[Message]: ...
    def send(self, data: Buffer, *, stream: int = ..., ppid: int = ..., unordered: bool = ...,
             ttl: Optional[int] = ..., context: int = ...) -> int: ...
    def send_batch(self, buffers: Buffers, *, streams: PerMessage = ..., ppids: PerMessage = ...,
                   flags: PerMessage = ...) -> int: ...
    def _send_args(self, data: Buffer, stream: int, ppid: int, unordered: bool, ttl: Optional[int],
                   context: int) -> int: ...

async def aio_send(self: Any, data: Buffer, *, stream: int = ..., ppid: int = ..., unordered: bool = ...,
                   ttl: Optional[int] = ..., context: int = ...) -> int: ...
