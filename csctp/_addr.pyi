"""Type stubs for csctp._addr (address parsing and packing)."""

from typing import List, Optional, Union

from csctp.association import Address as AddressSpec, SockAddr

class AddrList:
    count: int
    families: int
    def __len__(self) -> int: ...
    def to_list(self) -> List[SockAddr]: ...

def pack(addrs: Union[AddressSpec, AddrList], port: Optional[int] = ...) -> AddrList: ...
def parse(addrs: AddressSpec, port: Optional[int] = ...) -> List[SockAddr]: ...
