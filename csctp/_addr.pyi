"""Type stubs for csctp._addr (address parsing and packing)."""

from typing import Any, List, Optional, Sequence, Tuple, Union

AddressSpec = Union[str, Tuple[Any, ...], Sequence[Union[str, Tuple[Any, ...]]]]

class AddrList:
    count: int
    families: int
    def __len__(self) -> int: ...
    def to_list(self) -> List[Tuple[Any, ...]]: ...

def pack(addrs: Union[AddressSpec, AddrList], port: Optional[int] = ...) -> AddrList: ...
def parse(addrs: AddressSpec, port: Optional[int] = ...) -> List[Tuple[Any, ...]]: ...
