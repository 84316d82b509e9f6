"""Type stubs for csctp._errors."""

from typing import Optional

class UnsupportedOption(OSError):
    option: Optional[str]
    def __init__(self, errno: int, strerror: str, option: Optional[str] = ...) -> None: ...
