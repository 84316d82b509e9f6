# C-level interface of csctp._addr: AddrList, the packed address array bindx/connectx take,
# and the sockaddr converters the other compiled modules cimport.

from csctp.includes.socket cimport sockaddr, socklen_t
from libc.stdint cimport uint32_t

cdef class AddrList:
    cdef bytearray _buf
    cdef readonly int count
    cdef readonly int families      # bit 0: has IPv4, bit 1: has IPv6
    cdef char *_p                   # start of _buf, refreshed by _add
    cdef sockaddr *ptr(self) noexcept nogil
    cdef socklen_t first_len(self) noexcept nogil
    cdef void _add(self, int family, bytes packed_ip, int port, uint32_t flowinfo, uint32_t scope_id)

cpdef AddrList pack(object addrs, object port=*)
cdef object sockaddr_to_py(const sockaddr *sa, socklen_t salen)
cdef object unpack_packed(const char *buf, Py_ssize_t buflen, int count)
cdef int sockaddr_len(const sockaddr *sa) noexcept nogil
