# cython: language_level=3, wraparound=True
"""SCTP transport addresses: parsing, resolution and tight packing.

Accepted forms (an *address spec*), as in the seed talk's Go API:

* ``"192.0.2.1:2905"``, ``"[2001:db8::1]:2905"``, ``"[fe80::1%eth0]:2905"``
* multi-homed: ``"192.0.2.1/198.51.100.1:2905"``,
  ``"[2001:db8::1]/192.0.2.1:2905"`` (one port for all addresses)
* a tuple ``(host, port)`` or ``(host, port, flowinfo, scope_id)``
* a list or tuple of any of the above.

Packing follows RFC 6458 section 9.1: a contiguous array of ``sockaddr_in``
and ``sockaddr_in6``, each taking exactly its own size, never a
``sockaddr_storage`` slot, which is what ``sctp_bindx`` and
``sctp_connectx`` expect.
"""

import socket as _socket

from libc.string cimport memcpy, memset
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from cpython.bytearray cimport PyByteArray_AS_STRING
from csctp.includes.socket cimport (
    sockaddr, sockaddr_in, sockaddr_in6, socklen_t, AF_INET, AF_INET6,
    htons, ntohs, htonl, ntohl)

cdef extern from "<arpa/inet.h>" nogil:
    const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)


cdef class AddrList:
    """A packed array of socket addresses, ready for bindx/connectx."""

    def __cinit__(self):
        self._buf = bytearray()
        self.count = 0
        self.families = 0
        self._p = NULL

    cdef sockaddr *ptr(self) noexcept nogil:
        return <sockaddr *>self._p

    cdef socklen_t first_len(self) noexcept nogil:
        if self.count == 0:
            return 0
        return sockaddr_len(self.ptr())

    def __len__(self):
        return self.count

    def to_list(self):
        """The addresses as ``(host, port[, flowinfo, scope_id])`` tuples."""
        return unpack_packed(PyByteArray_AS_STRING(self._buf), len(self._buf), self.count)

    def __repr__(self):
        return f"AddrList({self.to_list()!r})"

    cdef void _add(self, int family, bytes packed_ip, int port, uint32_t flowinfo, uint32_t scope_id):
        cdef sockaddr_in sin
        cdef sockaddr_in6 sin6
        cdef Py_ssize_t off = len(self._buf)
        if family == AF_INET:
            memset(&sin, 0, sizeof(sin))
            sin.sin_family = AF_INET
            sin.sin_port = htons(<uint16_t>port)
            memcpy(&sin.sin_addr, <char *>packed_ip, 4)
            self._buf.extend(b"\0" * sizeof(sin))
            memcpy(PyByteArray_AS_STRING(self._buf) + off, &sin, sizeof(sin))
            self.families |= 1
        else:
            memset(&sin6, 0, sizeof(sin6))
            sin6.sin6_family = AF_INET6
            sin6.sin6_port = htons(<uint16_t>port)
            sin6.sin6_flowinfo = htonl(flowinfo)
            sin6.sin6_scope_id = scope_id
            memcpy(&sin6.sin6_addr, <char *>packed_ip, 16)
            self._buf.extend(b"\0" * sizeof(sin6))
            memcpy(PyByteArray_AS_STRING(self._buf) + off, &sin6, sizeof(sin6))
            self.families |= 2
        self.count += 1
        self._p = PyByteArray_AS_STRING(self._buf)


cdef int sockaddr_len(const sockaddr *sa) noexcept nogil:
    if sa.sa_family == AF_INET:
        return sizeof(sockaddr_in)
    if sa.sa_family == AF_INET6:
        return sizeof(sockaddr_in6)
    return 0


cdef object sockaddr_to_py(const sockaddr *sa, socklen_t salen):
    """A ``sockaddr`` as the stdlib shows it: ``(host, port)`` or ``(host, port, flowinfo, scope_id)``."""
    cdef const sockaddr_in *sin
    cdef const sockaddr_in6 *sin6
    if sa == NULL or salen < sizeof(sa.sa_family):
        return None
    cdef char text[64]          # INET6_ADDRSTRLEN is 46
    if sa.sa_family == AF_INET and salen >= sizeof(sockaddr_in):
        sin = <const sockaddr_in *>sa
        inet_ntop(AF_INET, &sin.sin_addr, text, sizeof(text))
        return (text.decode("ascii"), ntohs(sin.sin_port))
    if sa.sa_family == AF_INET6 and salen >= sizeof(sockaddr_in6):
        sin6 = <const sockaddr_in6 *>sa
        inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof(text))
        return (text.decode("ascii"), ntohs(sin6.sin6_port), ntohl(sin6.sin6_flowinfo), sin6.sin6_scope_id)
    return None


cdef object unpack_packed(const char *buf, Py_ssize_t buflen, int count):
    cdef list out = []
    cdef Py_ssize_t off = 0
    cdef int n, i
    for i in range(count):
        if off + <Py_ssize_t>sizeof(sockaddr) > buflen and off + 2 > buflen:
            break
        n = sockaddr_len(<const sockaddr *>(buf + off))
        if n == 0 or off + n > buflen:
            break
        out.append(sockaddr_to_py(<const sockaddr *>(buf + off), n))
        off += n
    return out


def _split_spec(str spec):
    """``"a/b:port"`` -> (["a", "b"], port or None).  Brackets protect IPv6."""
    cdef str hosts_part = spec
    port = None
    if not spec.strip():
        raise ValueError(f"empty SCTP address {spec!r}")
    # The port, if any, follows the last ':' that is outside brackets.
    close = spec.rfind("]")
    colon = spec.rfind(":")
    if colon > close:
        before = spec[:colon]
        # a bare IPv6 literal without brackets ("::1") has more colons and no port
        if close >= 0 or before.count(":") == 0 or all(p.count(":") == 0 for p in before.split("/")):
            hosts_part, port_s = before, spec[colon + 1:]
            # int() would also take "+80", " 80", "8_0" and non-ASCII digits: a port is ASCII digits only
            if not (port_s.isascii() and port_s.isdigit()):
                if port_s[:1] == "-" and port_s[1:].isascii() and port_s[1:].isdigit():
                    raise ValueError(f"port {port_s} out of range 0..65535 in SCTP address {spec!r}")
                raise ValueError(f"bad port {port_s!r} in SCTP address {spec!r}")
            port = int(port_s)
    hosts = []
    for h in hosts_part.split("/"):
        h = h.strip()
        if h.startswith("[") and h.endswith("]"):
            h = h[1:-1]
        elif "[" in h or "]" in h:
            raise ValueError(f"unbalanced brackets in SCTP address {spec!r}")
        if not h:
            raise ValueError(f"empty host in SCTP address {spec!r}")
        hosts.append(h)
    return hosts, port


def _resolve(str host, int port, object spec):
    """-> (family, packed ip, flowinfo, scope_id).  Numeric first, then DNS."""
    scope = 0
    h = host
    if "%" in h:
        h, _, scope_s = h.partition("%")
        if scope_s.isascii() and scope_s.isdigit():
            scope = int(scope_s)
            if scope > 0xFFFFFFFF:
                raise ValueError(f"scope id {scope_s} out of range 0..4294967295 in SCTP address {spec!r}")
        else:
            try:
                scope = _socket.if_nametoindex(scope_s)
            except OSError:
                raise ValueError(f"unknown interface {scope_s!r} in SCTP address {spec!r}") from None
    try:
        packed = _socket.inet_pton(AF_INET, h)
    except OSError:
        pass
    else:
        if "%" in host:
            raise ValueError(f"a scope id (%...) applies to IPv6 addresses only, got {host!r} in SCTP address {spec!r}")
        return AF_INET, packed, 0, 0
    try:
        return AF_INET6, _socket.inet_pton(AF_INET6, h), 0, scope
    except OSError:
        pass
    if h == "" or h == "*":
        return AF_INET6, b"\0" * 16, 0, 0
    try:
        infos = _socket.getaddrinfo(h, port, 0, _socket.SOCK_STREAM)
    except _socket.gaierror as e:
        raise _socket.gaierror(e.errno, f"cannot resolve {host!r} in SCTP address {spec!r}: {e.strerror}") from None
    fam, _, _, _, sa = infos[0]
    packed = _socket.inet_pton(fam, sa[0].partition("%")[0])
    return fam, packed, (sa[2] if fam == AF_INET6 else 0), (sa[3] if fam == AF_INET6 else 0)


def _check_port(object port, object spec):
    if type(port) is bool or not isinstance(port, int):
        raise TypeError(f"port must be an int, got {type(port).__name__} in {spec!r}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} out of range 0..65535 in SCTP address {spec!r}")


cdef _pack_one(AddrList out, object item, object port):
    if isinstance(item, str):
        hosts, p = _split_spec(item)
        if p is None:
            p = port
        if p is None:
            raise ValueError(f"no port in SCTP address {item!r} (use 'host:port' or '[v6]:port')")
        _check_port(p, item)
        for h in hosts:
            fam, packed, flow, scope = _resolve(h, p, item)
            out._add(fam, packed, p, flow, scope)
    elif isinstance(item, tuple):
        if len(item) not in (2, 4):
            raise ValueError(f"an address tuple is (host, port) or (host, port, flowinfo, scope_id), got {item!r}")
        host = item[0]
        if not isinstance(host, str):
            raise TypeError(f"host must be a str, got {type(host).__name__} in {item!r}")
        p = item[1]
        _check_port(p, item)
        fam, packed, flow, scope = _resolve(host, p, item)
        if len(item) == 4:
            if fam != AF_INET6:
                raise ValueError(f"flowinfo/scope_id given for a non-IPv6 host in {item!r}")
            flow, scope = item[2], item[3]
            if not (isinstance(flow, int) and isinstance(scope, int)) or not (0 <= flow < 2**20 and 0 <= scope < 2**32):
                raise ValueError(f"bad flowinfo/scope_id in {item!r}")
        out._add(fam, packed, p, flow, scope)
    else:
        raise TypeError(
            f"an SCTP address is a str like '192.0.2.1/198.51.100.1:2905', a (host, port) tuple "
            f"or a list of them, not {type(item).__name__}")


cdef inline bint _is_one_tuple(tuple t):
    # ("host", port) or ("host", port, flowinfo, scope_id), as opposed to a tuple of specs
    return len(t) in (2, 4) and isinstance(t[0], str) and not isinstance(t[1], (str, tuple, list))


cpdef AddrList pack(object addrs, object port=None):
    """Pack an address spec (see the module doc) into an :class:`AddrList`.

    *port* is used for specs that carry none (``"192.0.2.1/198.51.100.1"``).
    """
    cdef AddrList out = AddrList()
    if isinstance(addrs, AddrList):
        return addrs
    if isinstance(addrs, list) or (isinstance(addrs, tuple) and not _is_one_tuple(addrs)):
        if len(addrs) == 0:
            raise ValueError("empty list of SCTP addresses")
        for item in addrs:
            _pack_one(out, item, port)
    else:
        _pack_one(out, addrs, port)
    if out.count == 0:
        raise ValueError(f"no address in {addrs!r}")
    return out


def parse(addrs, port=None):
    """Resolve an address spec into a list of stdlib-style address tuples."""
    return pack(addrs, port).to_list()
