# cython: language_level=3
"""Error mapping: every failed call in csctp goes through :func:`raise_errno`.

``OSError(errno, text)`` picks the matching subclass itself (EAGAIN becomes
``BlockingIOError``, ECONNREFUSED ``ConnectionRefusedError``, ...), so the
mapping is the interpreter's own and the message always names the operation.
"""

from libc.errno cimport errno
from libc.string cimport strerror


class UnsupportedOption(OSError):
    """The running kernel does not know this SCTP socket option.

    Raised instead of a bare ``OSError(ENOPROTOOPT)`` so callers can tell an
    old kernel from a bad value.  ``.option`` holds the option's name.
    """

    def __init__(self, errno, strerror, option=None):
        super().__init__(errno, strerror)
        self.option = option


cdef int raise_errno(str op, int err) except -1:
    raise OSError(err, f"{op}: {strerror(err).decode('utf-8', 'replace')}")


cdef int raise_last(str op) except -1:
    return raise_errno(op, errno)
