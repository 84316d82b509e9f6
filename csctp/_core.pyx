# cython: language_level=3
"""The socket core: one SCTP socket, its system calls, and nothing else.

Design rules (see docs/design.md):

* every system call that can wait goes through one helper, :meth:`Socket.call`
  (CPython's ``sock_call_ex`` is the model): the GIL released, EINTR retried
  after running signal handlers (PEP 475), EAGAIN turned into a ``poll`` until
  the deadline, every other errno into the matching ``OSError`` subclass naming
  the operation (``csctp._errors``).  A new call is a five-line ``sys_impl``
  function, never a new loop;
* **close-safety**: ``close()`` while other threads are inside calls on the
  socket never lets them act on a reused descriptor number.  Calls are counted
  while they run (under the GIL); ``close()`` marks the socket closing, wakes
  every waiting call, and the descriptor itself is closed by whichever call
  leaves last.  Until then the number stays allocated, so the kernel cannot
  hand it to a new socket.  For the wake-up to reach every waiter, csctp never
  blocks inside the kernel: the descriptor it owns is always ``O_NONBLOCK``
  and "blocking" means an unbounded ``poll`` (Go's runtime does the same).
  A connected one-to-one socket is woken by ``shutdown(SHUT_RD)``, which has
  no SCTP-level effect but makes the socket readable (``POLLRDHUP``), so it
  costs no descriptor; a listening or one-to-many socket, which shutdown
  cannot wake, polls an eventfd beside it, made the first time a call waits.
  The JDK's answer (``dup2`` of a dead socket onto the number, plus signals
  to interrupt threads blocked in the kernel) needs a signal handler in every
  process that imports csctp; the counter needs nothing;
* data paths call ``sendmsg``/``recvmsg`` with RFC 6458 control messages
  (SNDINFO, PRINFO, RCVINFO, NXTINFO) directly rather than through
  libsctp's ``sctp_sendmsg``/``sctp_recvmsg``: those use the deprecated
  SNDRCV structure, need ``data_io`` events subscribed to report stream and
  PPID, and cost an extra layer per message;
* buffers are borrowed through the buffer protocol and never copied:
  ``send`` sends straight from the caller's object, ``recv_into`` receives
  straight into it, and ``recv`` receives into the ``bytes`` it returns.
"""

from libc.errno cimport errno, EINTR, EAGAIN, EINPROGRESS, EBADF, EPROTONOSUPPORT, EINVAL, ECONNREFUSED
from libc.string cimport memset, memcpy
from libc.stdint cimport uint16_t, uint32_t, int32_t, uint64_t
from libc.stdlib cimport free, malloc
from cpython.buffer cimport (PyObject_GetBuffer, PyBuffer_Release, PyObject_CheckBuffer, PyBUF_SIMPLE,
                             PyBUF_WRITABLE)
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING
from cpython.exc cimport PyErr_CheckSignals
from cpython.object cimport PyObject
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from posix.time cimport clock_gettime, CLOCK_MONOTONIC, timespec as posix_timespec

from csctp.includes.socket cimport *
from csctp.includes.sctp cimport *
from csctp._errors cimport raise_errno, raise_last
from csctp._convert cimport as_int, as_u16, as_u32, as_assoc_id
from csctp._addr cimport AddrList, pack, sockaddr_to_py, unpack_packed, sockaddr_len
from csctp._message cimport Message, message_new, message_set_addr, message_set_meta, rcv_meta, parse_rcv_cmsgs

cdef extern from "Python.h":
    # raw-pointer forms: recv() owns the new bytes object by hand until it is
    # sized, because _PyBytes_Resize needs the one and only reference.
    PyObject *_bytes_new "PyBytes_FromStringAndSize"(const char *v, Py_ssize_t n) except NULL
    char *_bytes_buf "PyBytes_AS_STRING"(PyObject *o)
    int _PyBytes_Resize(PyObject **bytes, Py_ssize_t newsize) except -1
    void Py_XDECREF(PyObject *o)
    Py_ssize_t Py_SIZE(PyObject *o)

cdef enum:
    DEFAULT_RECV_SIZE = 65536
    CBUF_WORDS = 64                 # 512 bytes of aligned control buffer
    INT_MAX = 2147483647
    MAX_RECV = 1 << 30              # a single recv buffer: 1 GiB is already absurd for SCTP
    # sends and receives up to this size keep the GIL (they never wait: MSG_DONTWAIT); larger
    # copies between user and kernel memory release it, so that other threads run meanwhile
    HOLD_GIL_MAX = 65536
    # recv: messages up to this size are copied out of the socket's reused buffer (a small
    # allocation and copy cost less than a recv_size bytes allocated and sized down)
    RECV_COPY_MAX = 4096

# a one-to-many connectx polls SCTP_STATUS until the association is up: from 1 ms, doubling to 50 ms
cdef double CONNECT_POLL_FIRST = 0.001
cdef double CONNECT_POLL_MAX = 0.05
# Largest message a whole-message receive reassembles by default.
MAX_MESSAGE = 16 * 1024 * 1024


cdef inline double _now() noexcept nogil:
    cdef posix_timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef inline int _get_buffer(object obj, Py_buffer *view, int flags, str op) except -1:
    try:
        PyObject_GetBuffer(obj, view, flags)
    except (BufferError, ValueError) as e:     # numpy says ValueError('ndarray is not C-contiguous')
        if flags & PyBUF_WRITABLE:
            raise TypeError(f"{op}: need a writable C-contiguous buffer, got {type(obj).__name__} ({e})") from None
        raise TypeError(f"{op}: need a C-contiguous bytes-like object, got {type(obj).__name__} ({e})") from None
    except TypeError:
        if flags & PyBUF_WRITABLE:
            raise TypeError(f"{op}: need a writable bytes-like object (bytearray, memoryview, numpy array, mmap), "
                            f"got {type(obj).__name__}") from None
        raise TypeError(f"{op}: need a bytes-like object, got {type(obj).__name__}") from None
    return 0


cdef int _fd_of(object sock) except -2:
    """The descriptor of a non-csctp socket argument: an int, or an object with fileno()."""
    if isinstance(sock, bool):
        raise TypeError("expected a socket, a file descriptor or an object with fileno(), got bool")
    if isinstance(sock, int):
        return <int>as_int(sock, "file descriptor", -1, INT_MAX)
    try:
        fn = sock.fileno
    except AttributeError:
        raise TypeError(f"expected a socket, a file descriptor or an object with fileno(), "
                        f"got {type(sock).__name__}") from None
    return <int>as_int(fn(), "fileno()", -1, INT_MAX)


cdef Socket as_socket(object sock):
    """*sock* as a :class:`Socket`: itself, the one an Association/Endpoint wraps, or a borrowed one.

    A borrowed Socket wraps a caller's descriptor (an int, a ``socket.socket``):
    it never closes it and never changes its flags, so a blocking descriptor
    blocks in the kernel as the caller set it up; EAGAIN waits for the
    ``socket.socket``'s own timeout, or raises ``BlockingIOError`` for a bare
    descriptor.  Close-safety is the caller's business then: csctp cannot know
    when a descriptor it does not own is closed.
    """
    cdef Socket s
    cdef int fd
    if isinstance(sock, Socket):
        return <Socket>sock
    inner = getattr(sock, "socket", None)
    if isinstance(inner, Socket):
        return <Socket>inner
    fd = _fd_of(sock)
    if fd < 0:
        raise OSError(EBADF, "socket is closed")
    s = Socket.__new__(Socket)
    s._fd = fd
    s._borrowed = True
    try:
        t = sock.gettimeout()
    except AttributeError:
        t = None
    s._timeout = float(t) if t is not None and t > 0 else 0.0
    return s


cdef int fileno_of(object sock) except -1:
    """The file descriptor of a csctp Socket (or what wraps one), a socket.socket, or an int."""
    cdef int fd
    if not isinstance(sock, Socket):
        inner = getattr(sock, "socket", None)
        if not isinstance(inner, Socket):
            fd = _fd_of(sock)
            if fd < 0:
                raise OSError(EBADF, "socket is closed")
            return fd
        sock = inner
    fd = -1 if (<Socket>sock)._closing else (<Socket>sock)._fd
    if fd < 0:
        raise OSError(EBADF, "socket is closed")
    return fd


cdef inline void _parse_cmsgs(msghdr *msg, Message m) noexcept:
    """Fill *m* from the received message's control messages (the one parser, csctp._message)."""
    cdef rcv_meta meta
    parse_rcv_cmsgs(msg, &meta)
    if meta.info:
        message_set_meta(m, &meta)


def _parse_control(data, int msg_flags=0):
    """Fuzz and test entry point: parse *data* as a received message's control buffer.

    Returns the :class:`Message` the receive calls would build from it
    (``data`` None).  The bytes are copied into a heap block of exactly their
    length, so a sanitizer build reports any read past them.
    """
    cdef const unsigned char[:] v = data
    cdef Py_ssize_t n = v.shape[0]
    cdef msghdr msg
    cdef Message m = message_new()
    cdef void *buf = malloc(n if n else 1)
    if buf == NULL:
        raise MemoryError()
    try:
        if n:
            memcpy(buf, &v[0], n)
        memset(&msg, 0, sizeof(msg))
        msg.msg_control = buf
        msg.msg_controllen = n
        msg.msg_flags = msg_flags
        m.msg_flags = msg_flags
        if n:
            _parse_cmsgs(&msg, m)
    finally:
        free(buf)
    return m


cdef inline unsigned char *_put_cmsg(cmsghdr **cur, int type, size_t size) noexcept:
    """Write an IPPROTO_SCTP control message header at *cur*, advance *cur* past it, return its data."""
    cdef cmsghdr *c = cur[0]
    c.cmsg_level = IPPROTO_SCTP
    c.cmsg_type = type
    c.cmsg_len = csctp_cmsg_len(size)
    cur[0] = <cmsghdr *>(<char *>c + csctp_cmsg_space(size))
    return csctp_cmsg_data(c)


# ---- the system calls, one small function each (run by Socket.call) -----------------

cdef inline size_t _iov_total(const msghdr *msg) noexcept nogil:
    cdef size_t i, total = 0
    for i in range(<size_t>msg.msg_iovlen):
        total += msg.msg_iov[i].iov_len
    return total


cdef struct msg_call:
    msghdr *msg
    int flags
    size_t controllen               # recvmsg: the sizes to re-arm before each attempt
    socklen_t namelen


cdef Py_ssize_t _sendmsg_impl(int fd, void *arg) noexcept nogil:
    cdef msg_call *c = <msg_call *>arg
    return sendmsg(fd, c.msg, c.flags | MSG_NOSIGNAL)


cdef Py_ssize_t _recvmsg_impl(int fd, void *arg) noexcept nogil:
    cdef msg_call *c = <msg_call *>arg
    c.msg.msg_controllen = c.controllen
    c.msg.msg_namelen = c.namelen
    c.msg.msg_flags = 0
    return recvmsg(fd, c.msg, c.flags)


cdef struct accept_call:
    sockaddr_storage ss
    socklen_t sl


cdef Py_ssize_t _accept_impl(int fd, void *arg) noexcept nogil:
    cdef accept_call *c = <accept_call *>arg
    c.sl = sizeof(c.ss)
    return accept4(fd, <sockaddr *>&c.ss, &c.sl, SOCK_CLOEXEC | SOCK_NONBLOCK)


cdef Py_ssize_t _connectx_impl(int fd, void *arg) noexcept nogil:
    cdef connectx_call *c = <connectx_call *>arg
    return sctp_connectx(fd, c.addrs, c.count, &c.aid)


cdef struct peeloff_call:
    sctp_assoc_t aid
    unsigned int flags


cdef Py_ssize_t _peeloff_impl(int fd, void *arg) noexcept nogil:
    cdef peeloff_call *c = <peeloff_call *>arg
    if c.flags:
        return csctp_peeloff_flags(fd, c.aid, c.flags)   # libsctp lacks it, see csctp.h
    return sctp_peeloff(fd, c.aid)


cdef int _set_nonblocking(int fd, bint on, str op) except -1:
    cdef int fl = fcntl(fd, F_GETFL)
    if fl < 0:
        raise_last(f"{op}: fcntl(F_GETFL)")
    if bool(fl & O_NONBLOCK) != on:
        if fcntl(fd, F_SETFL, (fl | O_NONBLOCK) if on else (fl & ~O_NONBLOCK)) < 0:
            raise_last(f"{op}: fcntl(F_SETFL)")
    return 0


cdef int _sockopt_int(int fd, int level, int name, str op) except? -1:
    cdef int v = 0
    cdef socklen_t sl = sizeof(int)
    if getsockopt(fd, level, name, &v, &sl) < 0:
        raise_last(op)
    return v


cdef bint _is_peeled_off(int fd) noexcept:
    """A SOCK_SEQPACKET SCTP socket with a peer name is a peeled-off association (one-to-many ones have none)."""
    cdef sockaddr_storage ss
    cdef socklen_t sl = sizeof(ss)
    return getpeername(fd, <sockaddr *>&ss, &sl) == 0


cdef class Reassembler:
    """Joins partial deliveries into whole messages: the one reassembler of csctp.

    Pieces are keyed by (assoc_id, stream, notification?) so that the result
    is right even when the kernel interleaves partial deliveries
    (``SCTP_FRAGMENT_INTERLEAVE`` level 2).  The pieces read so far stay here
    across a timeout, a non-blocking ``BlockingIOError`` or a cancelled task,
    and move with an association that is peeled off (:meth:`take`): bytes in
    are bytes out, a message is never spliced.  A message longer than
    :attr:`max_size` is read to its end and discarded with ``ValueError``.
    """

    def __cinit__(self, Py_ssize_t max_size=MAX_MESSAGE):
        self._parts = {}
        self._sizes = {}
        self.max_size = max_size

    cpdef object feed(self, Message m):
        """A whole message (possibly *m* itself, its data joined) or None while pieces are missing."""
        cdef bint notif = (m.msg_flags & MSG_NOTIFICATION) != 0
        cdef bint eor = (m.msg_flags & MSG_EOR) != 0
        cdef Py_ssize_t size
        if eor and not self._parts:
            if m.data is not None and len(m.data) > self.max_size:
                raise ValueError(f"recv: message of {len(m.data)} bytes exceeds max_size={self.max_size} "
                                 f"(discarded)")
            return m
        key = (m.assoc_id, -1 if notif else m.stream, notif)
        parts = self._parts.get(key)
        if parts is None:
            if eor:
                if m.data is not None and len(m.data) > self.max_size:
                    raise ValueError(f"recv: message of {len(m.data)} bytes exceeds max_size={self.max_size} "
                                     f"(discarded)")
                return m
            parts = self._parts[key] = []
            self._sizes[key] = 0
        size = <Py_ssize_t>self._sizes[key] + len(m.data)
        self._sizes[key] = size
        if size <= self.max_size:
            parts.append(m.data)
        if not eor:
            return None
        del self._parts[key], self._sizes[key]
        if size > self.max_size:
            raise ValueError(f"recv: message of {size} bytes exceeds max_size={self.max_size} (discarded)")
        m.data = b"".join(parts)
        return m

    cpdef drop(self, int assoc_id):
        """Forget the pieces of *assoc_id* (the association is gone: the rest will never come)."""
        for key in [k for k in self._parts if k[0] == assoc_id]:
            del self._parts[key], self._sizes[key]

    def take(self, assoc_id, Reassembler into):
        """Move the pieces of *assoc_id* into *into* (a peeled-off association's reassembler)."""
        aid = as_assoc_id(assoc_id, "Reassembler.take: assoc_id")
        for key in [k for k in self._parts if k[0] == aid]:
            into._parts[key] = self._parts.pop(key)
            into._sizes[key] = self._sizes.pop(key)

    @property
    def pending(self):
        """Bytes of unfinished messages held (0 when no message is mid-way)."""
        return sum(self._sizes.values())

    def __bool__(self):
        return bool(self._parts)

    def __repr__(self):
        return f"<csctp.Reassembler {len(self._parts)} unfinished message(s), {self.pending} bytes>"


cdef class Socket:
    """An SCTP socket: one-to-one (``SOCK_STREAM``) or one-to-many (``SOCK_SEQPACKET``).

    ``Socket(family=AF_INET, type=SOCK_STREAM, fileno=None)``.  With *fileno*
    (an int) the socket adopts (and will close) that descriptor, like
    ``socket.socket(fileno=...)``: it must be an SCTP socket; *family* and
    *type* default to the descriptor's own and must match it when given.
    New sockets have ``SCTP_RECVRCVINFO`` enabled, so every received message
    carries its stream, SSN, PPID, TSN and association id.

    Safe to close from another thread while calls are in progress: they end
    with ``OSError(EBADF)`` and never touch a descriptor number that the
    kernel has handed to someone else (see the module documentation).
    """

    def __cinit__(self, *args, **kwargs):
        self._fd = -1
        self._wakefd = -1
        self._timeout = -1.0
        self._recv_size = DEFAULT_RECV_SIZE
        self.reassembler = Reassembler()

    def __init__(self, family=None, type=None, fileno=None, *, bint rcvinfo=True):
        cdef int fd, err, fam, typ, proto
        if self._fd >= 0 or self._closing:
            raise RuntimeError("Socket.__init__: already initialised")
        if fileno is not None:
            if isinstance(fileno, bool) or not isinstance(fileno, int):
                raise TypeError(f"Socket: fileno must be an int file descriptor, got {fileno.__class__.__name__} "
                                f"(to hand over a socket object, pass sock.detach())")
            fd = <int>as_int(fileno, "Socket: fileno", -1, INT_MAX)
            if fd < 0:
                raise OSError(EBADF, f"Socket: fileno {fd}: socket is closed")
            fam = _sockopt_int(fd, SOL_SOCKET, SO_DOMAIN, f"Socket(fileno={fd}): getsockopt(SO_DOMAIN)")
            typ = _sockopt_int(fd, SOL_SOCKET, SO_TYPE, f"Socket(fileno={fd}): getsockopt(SO_TYPE)")
            proto = _sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, f"Socket(fileno={fd}): getsockopt(SO_PROTOCOL)")
            if proto != IPPROTO_SCTP:
                raise ValueError(f"Socket: descriptor {fd} is not an SCTP socket (protocol {proto})")
            if typ == SOCK_SEQPACKET and _is_peeled_off(fd):
                # Linux makes a peeled-off association's socket SOCK_SEQPACKET, yet it is
                # one-to-one (connected to its one peer): that is what it is used as
                typ = SOCK_STREAM
            if family is not None and as_int(family, "Socket: family", 0, INT_MAX) != fam:
                raise ValueError(f"Socket: descriptor {fd} has family {fam}, not {family}")
            if type is not None and as_int(type, "Socket: type", 0, INT_MAX) != typ:
                raise ValueError(f"Socket: descriptor {fd} has type {typ}, not {type}")
            self._adopt_fd(fd, fam, typ)
            return
        fam = AF_INET if family is None else <int>as_int(family, "Socket: family", 0, INT_MAX)
        typ = SOCK_STREAM if type is None else <int>as_int(type, "Socket: type", 0, INT_MAX)
        if typ != SOCK_STREAM and typ != SOCK_SEQPACKET:
            raise ValueError(f"SCTP sockets are SOCK_STREAM (one-to-one) or SOCK_SEQPACKET (one-to-many), got type {typ}")
        if fam != AF_INET and fam != AF_INET6:
            raise ValueError(f"SCTP sockets are AF_INET or AF_INET6, got family {fam}")
        with nogil:
            fd = socket(fam, typ | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_SCTP)
            err = errno
        if fd < 0:
            if err == EPROTONOSUPPORT:
                raise OSError(err, "socket: this kernel has no SCTP (EPROTONOSUPPORT); try 'modprobe sctp', "
                                   "see 'csctp check', or run under 'python -m csctp.testing -- CMD'")
            raise_errno("socket", err)
        self.family = fam
        self.type = typ
        self._fd = fd
        if rcvinfo:
            self._setint(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "setsockopt(SCTP_RECVRCVINFO)")

    cdef int _adopt_fd(self, int fd, int family, int type) except -1:
        """Take ownership of *fd* (a new descriptor from accept/peeloff, or a caller's)."""
        cdef int fl = fcntl(fd, F_GETFL)
        if fl < 0:
            raise_last(f"Socket(fileno={fd}): fcntl(F_GETFL)")
        self.family = family
        self.type = type
        self._fd = fd
        self._listening = _sockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, "getsockopt(SO_ACCEPTCONN)") != 0
        if fl & O_NONBLOCK:
            self._timeout = 0.0         # adopted non-blocking: behave as setblocking(False)
        else:
            _set_nonblocking(fd, True, f"Socket(fileno={fd})")
        return 0

    def __dealloc__(self):
        Py_XDECREF(self._spare)
        self._spare = NULL
        if self._fd >= 0 and not self._borrowed:
            close(self._fd)
        if self._wakefd >= 0:
            close(self._wakefd)

    # ---- life cycle ---------------------------------------------------------

    def fileno(self):
        """The file descriptor, or -1 once closed.

        csctp keeps its own descriptors ``O_NONBLOCK`` whatever the timeout
        (see the module documentation); :meth:`detach` gives one back in the
        mode the timeout says.
        """
        return -1 if self._closing else self._fd

    @property
    def closed(self):
        return self._fd < 0 or self._closing

    @property
    def recv_size(self):
        """Buffer size of :meth:`recv` when no *bufsize* is given (1 .. 2**30; default 65536)."""
        return self._recv_size

    @recv_size.setter
    def recv_size(self, value):
        self._recv_size = <Py_ssize_t>as_int(value, "recv_size", 1, MAX_RECV)

    def close(self):
        """Close the socket.  Safe to call twice, and from any thread.

        Calls running in other threads end with ``OSError(EBADF)``; the
        descriptor is closed when the last of them has left, so its number
        cannot be reused under them.
        """
        cdef uint64_t one = 1
        if self._fd < 0 or self._closing:
            return
        self._closing = True
        if self._inflight == 0:
            self._release(False)
        elif self._wakefd >= 0:
            write(self._wakefd, &one, sizeof(one))
        elif not self._borrowed:
            # waiters on a connected one-to-one socket poll for POLLRDHUP: SHUT_RD sets it and
            # wakes them, with no effect on the association (the close that follows decides that)
            shutdown(self._fd, SHUT_RD)

    cdef int _release(self, bint quiet) except -1:
        """Close the descriptor for real (no call is using it any more); *quiet*: ignore errors."""
        cdef int fd = self._fd, rc = 0, err = 0
        self._fd = -1
        Py_XDECREF(self._spare)
        self._spare = NULL
        if self._wakefd >= 0:
            close(self._wakefd)
            self._wakefd = -1
        if fd >= 0 and not self._borrowed:
            with nogil:                 # SO_LINGER can make an SCTP close wait for the SHUTDOWN
                rc = close(fd)
                err = errno
        if rc < 0 and err != EINTR and not quiet:
            raise_errno("close", err)
        return 0

    def detach(self):
        """Give up the descriptor without closing it; returns it (-1 when closed).

        The descriptor is put back in the blocking mode the timeout implies.
        Refused while other threads are inside calls on this socket.
        """
        cdef int fd = self._fd
        if fd < 0 or self._closing:
            return -1
        if self._inflight:
            raise RuntimeError(f"detach: {self._inflight} call(s) on this socket are still running in other threads")
        if not self._borrowed and self._timeout < 0:
            _set_nonblocking(fd, False, "detach")
        self._fd = -1
        self._closing = True
        if self._wakefd >= 0:
            close(self._wakefd)
            self._wakefd = -1
        return fd

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        kind = "one-to-one" if self.type == SOCK_STREAM else "one-to-many"
        fam = "AF_INET" if self.family == AF_INET else "AF_INET6"
        return f"<csctp.Socket fd={self.fileno()} {fam} {kind}>"

    # ---- blocking and timeouts ---------------------------------------------

    def settimeout(self, value):
        """``None``: blocking; ``0``: non-blocking (EAGAIN -> BlockingIOError); ``t > 0``: wait at most t seconds."""
        cdef double t
        if value is None:
            t = -1.0
        else:
            if isinstance(value, (str, bytes, bytearray)) or not (
                    isinstance(value, (int, float)) or hasattr(type(value), "__float__")):
                raise TypeError(f"settimeout: timeout must be None or a number, got {type(value).__name__}")
            t = float(value)
            # poll() takes milliseconds in an int: anything past ~24 days cannot be waited for exactly
            if not (0.0 <= t <= 2000000.0):
                raise ValueError(f"settimeout: timeout must be None or 0..2000000 seconds, got {value!r}")
        self._check_open("settimeout")
        self._timeout = t

    def gettimeout(self):
        return None if self._timeout < 0 else self._timeout

    def setblocking(self, bint flag):
        self.settimeout(None if flag else 0.0)

    cdef int _check_open(self, str op) except -1:
        if self._fd < 0 or self._closing:
            raise OSError(EBADF, f"{op}: socket is closed")
        return 0

    cdef Py_ssize_t call(self, short events, sys_impl impl, void *arg, str op, bint hold=False,
                         bint again=False) except -1:
        """Run *impl* on this socket's descriptor: the one system-call loop of csctp.

        The GIL is released around the call, unless *hold*: then *impl* must
        never wait in the kernel (a ``MSG_DONTWAIT`` send or receive of a
        bounded size), and keeping the GIL for the few microseconds it takes
        is cheaper than handing it over and taking it back, which is most of a
        small message's cost in user space; the waits (``poll``) always release
        it.  EINTR runs the signal handlers and
        retries; EAGAIN returns ``CALL_AGAIN`` if *again* (an event loop's
        try before it waits: "not yet" is its common case, and an exception
        with its traceback is most of that case's cost), raises
        ``BlockingIOError`` (timeout 0), or waits for
        *events* until the deadline (``TimeoutError``) and retries; any other
        errno raises the matching ``OSError`` naming *op*.  The call is counted
        while it runs, so that a concurrent :meth:`close` cannot free the
        descriptor number under it (see the module documentation).
        """
        cdef Py_ssize_t r
        cdef int err, fd
        cdef double deadline = 0.0
        if self._fd < 0 or self._closing:
            raise OSError(EBADF, f"{op}: socket is closed")
        fd = self._fd
        self._inflight += 1
        try:
            while True:
                if hold:
                    r = impl(fd, arg)
                    err = errno
                else:
                    with nogil:
                        r = impl(fd, arg)
                        err = errno
                if r > 0 or (r == 0 and not (self._closing and events & POLLIN)):
                    # data read before a concurrent close() belongs to this association and is
                    # returned (as Java does); an empty read then is close()'s own SHUT_RD, not
                    # the peer's end, and raises below
                    return r
                if r == 0:
                    break
                if err == EINTR:
                    PyErr_CheckSignals()
                elif err == EAGAIN:
                    if again:
                        return CALL_AGAIN
                    if self._timeout == 0.0:
                        raise BlockingIOError(err, f"{op}: resource temporarily unavailable (non-blocking socket)")
                    if self._closing:
                        break
                    self._wait(fd, events, op, &deadline)
                else:
                    raise_errno(op, err)
                if self._closing:
                    break
            raise OSError(EBADF, f"{op}: the socket was closed while the call was in progress")
        finally:
            self._inflight -= 1
            if self._closing and self._inflight == 0 and self._fd >= 0:
                self._release(True)

    cdef int _wait(self, int fd, short events, str op, double *deadline) except -1:
        """Wait until *fd* is ready for *events* or close() is called; TimeoutError past the deadline.

        *deadline* is set on the first call (0.0 = not yet) and kept across
        retries.  Returns normally when the descriptor is ready or the socket
        is closing (the caller checks which).
        """
        cdef pollfd p[2]
        cdef int rc, ms, err, nfds = 1
        cdef double left
        if self._borrowed or (self.type == SOCK_STREAM and not self._listening):
            events |= POLLRDHUP         # close() wakes us with shutdown(SHUT_RD), see close()
        else:
            self._wake_fd(op)
            nfds = 2
        if self._timeout > 0.0 and deadline[0] == 0.0:
            deadline[0] = _now() + self._timeout
        while True:
            if self._timeout > 0.0:
                left = deadline[0] - _now()
                if left <= 0:
                    raise TimeoutError(f"{op}: timed out after {self._timeout:g} s")
                ms = <int>(left * 1000.0) + 1
            else:
                ms = -1
            p[0].fd = fd
            p[0].events = events
            p[0].revents = 0
            p[1].fd = self._wakefd
            p[1].events = POLLIN
            p[1].revents = 0
            with nogil:
                rc = poll(p, nfds, ms)
                err = errno
            if rc > 0 or self._closing:
                return 0
            if rc < 0:
                if err != EINTR:
                    raise_errno(f"{op}: poll", err)
                PyErr_CheckSignals()

    cdef int _sleep(self, double seconds, str op) except -1:
        """Sleep *seconds* with the GIL released, waking early when close() is called."""
        cdef pollfd p
        cdef int rc, err
        cdef int ms = <int>(seconds * 1000.0) + 1
        p.fd = self._wake_fd(op)
        p.events = POLLIN
        p.revents = 0
        with nogil:
            rc = poll(&p, 1, ms)
            err = errno
        if rc < 0 and err == EINTR:
            PyErr_CheckSignals()
        return 0

    cdef int _wake_fd(self, str op) except -1:
        """The eventfd close() signals (made on first use: only sockets that wait need one)."""
        if self._wakefd < 0:
            self._wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)
            if self._wakefd < 0:
                raise_last(f"{op}: eventfd")
        return self._wakefd

    cdef bint may_hold(self, size_t nbytes, size_t limit) noexcept:
        """Whether a call that copies at most *nbytes* keeps the GIL (see call()): a descriptor
        of csctp's own (a borrowed one blocks as its owner set it up), and at most *limit*."""
        return not self._borrowed and nbytes <= limit

    cdef bint _holds(self, const msghdr *msg) noexcept:
        """Whether a send or receive of *msg* keeps the GIL (see may_hold())."""
        return self.may_hold(_iov_total(msg), HOLD_GIL_MAX)

    cdef Py_ssize_t _sendmsg(self, msghdr *msg, int flags, str op) except -1:
        cdef msg_call c
        cdef bint hold = self._holds(msg)
        c.msg = msg
        # MSG_DONTWAIT: the GIL is kept only for a call that cannot wait in the kernel, even if
        # someone cleared O_NONBLOCK on the descriptor behind csctp's back
        c.flags = (flags | MSG_DONTWAIT) if hold else flags
        return self.call(POLLOUT, _sendmsg_impl, &c, op, hold)

    cdef Py_ssize_t _recvmsg(self, msghdr *msg, int flags, str op, bint again=False) except -1:
        cdef msg_call c
        cdef bint hold = self._holds(msg)
        c.msg = msg
        c.flags = (flags | MSG_DONTWAIT) if hold else flags
        c.controllen = msg.msg_controllen
        c.namelen = msg.msg_namelen
        return self.call(POLLIN, _recvmsg_impl, &c, op, hold, again)

    # ---- addresses and associations ----------------------------------------

    cdef AddrList _pack(self, object addrs, str op):
        cdef AddrList al = pack(addrs)
        if self.family == AF_INET and al.families & 2:
            raise ValueError(f"{op}: IPv6 address in {addrs!r} on an AF_INET socket (use family=AF_INET6)")
        return al

    def bind(self, addrs):
        """Bind to one address or, multi-homed, several (``"192.0.2.1/198.51.100.1:2905"``)."""
        cdef AddrList al
        cdef int rc
        self._check_open("bind")
        al = self._pack(addrs, "bind")
        # instant calls keep the GIL: no close() can run between the check and the call
        if al.count == 1:
            rc = bind(self._fd, al.ptr(), al.first_len())
        else:
            rc = sctp_bindx(self._fd, al.ptr(), al.count, SCTP_BINDX_ADD_ADDR)
        if rc < 0:
            raise_last(f"bind({addrs!r})")

    def bindx(self, addrs, flags=SCTP_BINDX_ADD_ADDR):
        """``sctp_bindx``: add (default) or remove (``SCTP_BINDX_REM_ADDR``) local addresses."""
        cdef AddrList al
        cdef int fl = <int>as_int(flags, "sctp_bindx: flags", 0, INT_MAX)
        self._check_open("sctp_bindx")
        if fl != SCTP_BINDX_ADD_ADDR and fl != SCTP_BINDX_REM_ADDR:
            raise ValueError(f"sctp_bindx: flags must be BINDX_ADD_ADDR or BINDX_REM_ADDR, got {flags}")
        al = self._pack(addrs, "sctp_bindx")
        if sctp_bindx(self._fd, al.ptr(), al.count, fl) < 0:
            raise_last(f"sctp_bindx({addrs!r})")

    def listen(self, backlog=128):
        cdef int bl = <int>as_int(backlog, "listen: backlog", 0, INT_MAX)
        self._check_open("listen")
        if listen(self._fd, bl) < 0:
            raise_last("listen")
        self._listening = True

    def connectx(self, addrs):
        """``sctp_connectx``: start an association to one or several peer addresses.

        Returns the association id.  Waits until the association is up (or
        the timeout expires) unless the socket is non-blocking, where it
        raises ``BlockingIOError(EINPROGRESS)`` once the INIT is on its way.
        A refused or unreachable peer raises the kernel's error
        (``ConnectionRefusedError``, ``TimeoutError`` ...) naming the call.
        """
        cdef AddrList al
        cdef connectx_call c
        cdef str op
        self._check_open("sctp_connectx")
        al = self._pack(addrs, "sctp_connectx")
        op = f"sctp_connectx({addrs!r})"
        c.addrs = al.ptr()
        c.count = al.count
        c.aid = 0
        self._inflight += 1
        try:
            return self._connectx(&c, op)
        finally:
            self._inflight -= 1
            if self._closing and self._inflight == 0 and self._fd >= 0:
                self._release(True)

    cdef sctp_assoc_t _connectx(self, connectx_call *c, str op) except? -1:
        cdef int err, fd = self._fd
        cdef double deadline = 0.0, delay = CONNECT_POLL_FIRST
        cdef sctp_status st
        cdef socklen_t sl
        try:
            self.call(POLLOUT, _connectx_impl, c, op)
            return c.aid
        except BlockingIOError as e:
            if e.errno != EINPROGRESS:
                raise
        if self._timeout == 0.0:
            raise BlockingIOError(EINPROGRESS, f"{op}: operation in progress (non-blocking socket)")
        if self.type == SOCK_STREAM:
            # one-to-one: writable once the association is up, an error (SO_ERROR) when it failed
            self._wait(fd, POLLOUT, op, &deadline)
            if self._closing:
                raise OSError(EBADF, f"{op}: the socket was closed while the call was in progress")
            err = _sockopt_int(fd, SOL_SOCKET, SO_ERROR, "getsockopt(SO_ERROR)")
            if err:
                raise_errno(op, err)
            return c.aid
        # one-to-many: the socket is writable all along, so the association's own state tells
        if self._timeout > 0.0:
            deadline = _now() + self._timeout
        while True:
            memset(&st, 0, sizeof(st))
            st.sstat_assoc_id = c.aid
            sl = sizeof(st)
            if getsockopt(fd, SOL_SCTP, SCTP_STATUS, &st, &sl) < 0:
                err = errno
                if err == EINVAL:       # the association is gone: refused, or INIT retries ran out
                    raise ConnectionRefusedError(
                        ECONNREFUSED, f"{op}: the association ended before it was established "
                                      f"(refused, or INIT retransmissions exhausted)")
                raise_errno(f"{op}: getsockopt(SCTP_STATUS)", err)
            if st.sstat_state == SCTP_ESTABLISHED:
                return c.aid
            if self._timeout > 0.0 and _now() >= deadline:
                raise TimeoutError(f"{op}: timed out after {self._timeout:g} s")
            self._sleep(delay, op)
            if self._closing:
                raise OSError(EBADF, f"{op}: the socket was closed while the call was in progress")
            delay = min(delay * 2, CONNECT_POLL_MAX)

    def connect(self, addrs):
        """Connect (one-to-one) or set up an association (one-to-many); same as :meth:`connectx`."""
        return self.connectx(addrs)

    def accept(self):
        """Accept an association on a listening one-to-one socket: ``(Socket, peer_address)``."""
        cdef accept_call c
        cdef int fd
        cdef Socket s
        fd = <int>self.call(POLLIN, _accept_impl, &c, "accept")
        s = Socket.__new__(Socket)
        s._fd = fd                      # owned from here: closed by s if anything below fails
        s.family = self.family
        s.type = SOCK_STREAM
        s._setint(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "setsockopt(SCTP_RECVRCVINFO)")
        return s, sockaddr_to_py(<sockaddr *>&c.ss, c.sl)

    def peeloff(self, assoc_id, flags=0):
        """``sctp_peeloff`` / ``sctp_peeloff_flags``: branch an association off into a one-to-one Socket.

        The new socket is blocking (non-blocking with ``SOCK_NONBLOCK`` in
        *flags*), and its reassembler holds the pieces of the association's
        current message that this socket's whole-message receives had read, so
        that message arrives whole on the new socket.
        """
        cdef peeloff_call c
        cdef int fd
        cdef Socket s
        self._check_open("sctp_peeloff")
        c.aid = as_assoc_id(assoc_id, "sctp_peeloff: assoc_id")
        c.flags = <unsigned int>as_int(flags, "sctp_peeloff: flags", 0, INT_MAX)
        fd = <int>self.call(0, _peeloff_impl, &c, f"sctp_peeloff(assoc_id={assoc_id})")
        s = Socket.__new__(Socket)
        s._fd = fd
        s.family = self.family
        s.type = SOCK_STREAM
        if c.flags & SOCK_NONBLOCK:
            s._timeout = 0.0
        else:
            _set_nonblocking(fd, True, "sctp_peeloff")
        s._setint(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "setsockopt(SCTP_RECVRCVINFO)")
        self.reassembler.take(c.aid, s.reassembler)
        return s

    def getpaddrs(self, assoc_id=0):
        """``sctp_getpaddrs``: the peer's addresses for *assoc_id* (0 on a one-to-one socket)."""
        cdef sctp_assoc_t aid = as_assoc_id(assoc_id, "sctp_getpaddrs: assoc_id")
        self._check_open("sctp_getpaddrs")
        return get_addrs(self._fd, aid, True)

    def getladdrs(self, assoc_id=0):
        """``sctp_getladdrs``: the local addresses (of *assoc_id*, or of the endpoint for 0)."""
        cdef sctp_assoc_t aid = as_assoc_id(assoc_id, "sctp_getladdrs: assoc_id")
        self._check_open("sctp_getladdrs")
        return get_addrs(self._fd, aid, False)

    def getsockname(self):
        cdef sockaddr_storage ss
        cdef socklen_t sl = sizeof(ss)
        self._check_open("getsockname")
        if getsockname(self._fd, <sockaddr *>&ss, &sl) < 0:
            raise_last("getsockname")
        return sockaddr_to_py(<sockaddr *>&ss, sl)

    def getpeername(self):
        cdef sockaddr_storage ss
        cdef socklen_t sl = sizeof(ss)
        self._check_open("getpeername")
        if getpeername(self._fd, <sockaddr *>&ss, &sl) < 0:
            raise_last("getpeername")
        return sockaddr_to_py(<sockaddr *>&ss, sl)

    def shutdown(self, how=SHUT_WR):
        """Graceful SCTP SHUTDOWN (``SHUT_WR``/``SHUT_RDWR``): queued data is delivered first."""
        cdef int h = <int>as_int(how, "shutdown: how", 0, 2)
        self._check_open("shutdown")
        if shutdown(self._fd, h) < 0:
            raise_last("shutdown")

    # ---- raw options --------------------------------------------------------

    cdef int _setint(self, int level, int name, int value, str op) except -1:
        if setsockopt(self._fd, level, name, &value, sizeof(int)) < 0:
            raise_last(op)
        return 0

    def setsockopt(self, level, optname, value):
        """Raw ``setsockopt``: *value* is an int or a bytes-like object."""
        cdef int ival
        cdef Py_buffer view
        cdef int rc
        cdef int lvl = <int>as_int(level, "setsockopt: level", 0, INT_MAX)
        cdef int name = <int>as_int(optname, "setsockopt: optname", 0, INT_MAX)
        self._check_open("setsockopt")
        if isinstance(value, int):
            ival = <int>as_int(value, "setsockopt: value", -INT_MAX - 1, INT_MAX)
            rc = setsockopt(self._fd, lvl, name, &ival, sizeof(int))
        else:
            _get_buffer(value, &view, PyBUF_SIMPLE, "setsockopt")
            try:
                rc = setsockopt(self._fd, lvl, name, view.buf, <socklen_t>view.len)
            finally:
                PyBuffer_Release(&view)
        if rc < 0:
            raise_last(f"setsockopt(level={level}, optname={optname})")

    def getsockopt(self, level, optname, value=0):
        """Raw ``getsockopt``.  *value*: 0 for an int; a length for a bytes result;
        or a bytes-like input (an in/out structure such as one keyed by assoc_id)."""
        cdef int ival = 0
        cdef socklen_t sl
        cdef bytearray buf
        cdef int lvl = <int>as_int(level, "getsockopt: level", 0, INT_MAX)
        cdef int name = <int>as_int(optname, "getsockopt: optname", 0, INT_MAX)
        self._check_open("getsockopt")
        if isinstance(value, int) and value == 0:
            sl = sizeof(int)
            if getsockopt(self._fd, lvl, name, &ival, &sl) < 0:
                raise_last(f"getsockopt(level={level}, optname={optname})")
            return ival
        if isinstance(value, int):
            if value < 0 or value > 1 << 20:
                raise ValueError(f"getsockopt: buffer length must be in 0..1048576, got {value}")
            buf = bytearray(value)
        else:
            try:
                buf = bytearray(value)
            except TypeError:
                raise TypeError(f"getsockopt: value must be 0, a buffer length or a bytes-like input, "
                                f"got {type(value).__name__}") from None
        sl = len(buf)
        if getsockopt(self._fd, lvl, name, <char *>buf, &sl) < 0:
            raise_last(f"getsockopt(level={level}, optname={optname})")
        return bytes(buf[:sl])

    # ---- data ---------------------------------------------------------------

    def send(self, data, stream=0, ppid=0, flags=0, context=0, assoc_id=0, ttl=None, to=None):
        """Send one message from any C-contiguous buffer, without copying it.

        *stream*, *ppid* (host order), *flags* (``SCTP_UNORDERED``,
        ``SCTP_EOF``, ``SCTP_ABORT``, ``SCTP_SENDALL``, ``SCTP_ADDR_OVER``,
        ``SCTP_SACK_IMMEDIATELY``), *context* and *assoc_id* go in an SNDINFO
        control message; *ttl* (milliseconds) adds PR-SCTP PRINFO with the
        TTL policy; *to* names the destination (one-to-many, or with
        ``SCTP_ADDR_OVER``).  Returns the number of bytes sent.
        """
        cdef uint16_t sid = <uint16_t>as_int(stream, "send: stream", 0, 0xFFFF)
        cdef uint32_t p = as_u32(ppid, "send: ppid")
        cdef uint32_t ctx = as_u32(context, "send: context")
        cdef uint16_t fl = <uint16_t>as_int(flags, "send: flags", 0, 0xFFFF)
        cdef sctp_assoc_t aid = as_assoc_id(assoc_id, "send: assoc_id")
        return self.send_msg(data, sid, p, fl, ctx, aid, ttl, to)

    cdef Py_ssize_t send_msg(self, object data, uint16_t sid, uint32_t p, uint16_t fl, uint32_t ctx,
                             sctp_assoc_t aid, object ttl, object to) except -1:
        """:meth:`send` with its arguments converted (the front door's send calls it directly)."""
        cdef Py_buffer view
        cdef msghdr msg
        cdef iovec iov
        cdef size_t cbuf[CBUF_WORDS]
        cdef cmsghdr *c
        cdef sctp_sndinfo *si
        cdef sctp_prinfo *pi
        cdef size_t clen
        cdef AddrList dest
        cdef Py_ssize_t n
        _get_buffer(data, &view, PyBUF_SIMPLE, "send")
        try:
            if view.len == 0 and not (fl & (SCTP_EOF | SCTP_ABORT)):
                raise ValueError("send: empty message (SCTP carries no zero-length user messages; "
                                 "use flags=SCTP_EOF or SCTP_ABORT to end an association)")
            memset(&msg, 0, sizeof(msg))
            iov.iov_base = view.buf
            iov.iov_len = view.len
            msg.msg_iov = &iov
            msg.msg_iovlen = 1
            clen = csctp_cmsg_space(sizeof(sctp_sndinfo))
            if ttl is not None:
                clen += csctp_cmsg_space(sizeof(sctp_prinfo))
            memset(cbuf, 0, clen)
            msg.msg_control = cbuf
            msg.msg_controllen = clen
            c = <cmsghdr *>cbuf
            si = <sctp_sndinfo *>_put_cmsg(&c, CSCTP_CMSG_SNDINFO, sizeof(sctp_sndinfo))
            si.snd_sid = sid
            si.snd_flags = fl
            si.snd_ppid = htonl(p)
            si.snd_context = ctx
            si.snd_assoc_id = aid
            if ttl is not None:
                pi = <sctp_prinfo *>_put_cmsg(&c, CSCTP_CMSG_PRINFO, sizeof(sctp_prinfo))
                pi.pr_policy = SCTP_PR_SCTP_TTL
                pi.pr_value = as_u32(ttl, "send: ttl")
            if to is not None:
                dest = self._pack(to, "send")
                msg.msg_name = dest.ptr()
                msg.msg_namelen = dest.first_len()
            n = self._sendmsg(&msg, 0, "send")
        finally:
            PyBuffer_Release(&view)
        return n

    def sendv(self, buffers, stream=0, ppid=0, flags=0, context=0,
              assoc_id=0, pr_policy=0, pr_value=0, auth_key=None, to=None):
        """Send one message gathered from several buffers (an ``iovec``), without joining them.

        Like ``sctp_sendv`` with SPA info: SNDINFO always, PRINFO when
        *pr_policy* is set (``PR_SCTP_TTL``/``RTX``/``PRIO`` with *pr_value*),
        AUTHINFO when *auth_key* (a key number) is given.  *to* may list several
        addresses (implicit association setup on a one-to-many socket).
        """
        cdef list views = []
        cdef Py_buffer *bufs = NULL
        cdef iovec *iovs = NULL
        cdef Py_ssize_t i, nb, total = 0, n
        cdef msghdr msg
        cdef size_t cbuf[CBUF_WORDS]
        cdef bytearray big_cbuf = None
        cdef cmsghdr *c
        cdef sctp_sndinfo *si
        cdef sctp_prinfo *pi
        cdef sctp_authinfo *ai
        cdef size_t clen
        cdef AddrList dest = None
        cdef const char *sa
        cdef int salen, k
        cdef uint16_t sid = <uint16_t>as_int(stream, "sendv: stream", 0, 0xFFFF)
        cdef uint16_t fl = <uint16_t>as_int(flags, "sendv: flags", 0, 0xFFFF)
        cdef sctp_assoc_t aid = as_assoc_id(assoc_id, "sendv: assoc_id")
        cdef int prp = <int>as_int(pr_policy, "sendv: pr_policy", 0, 0xFFFF)
        cdef int akey = -1 if auth_key is None else <int>as_int(auth_key, "sendv: auth_key", 0, 0xFFFF)
        cdef uint32_t p = as_u32(ppid, "sendv: ppid")
        cdef uint32_t ctx = as_u32(context, "sendv: context")
        cdef uint32_t prv = as_u32(pr_value, "sendv: pr_value")
        cdef Py_buffer *b
        if PyObject_CheckBuffer(buffers):
            buffers = (buffers,)        # one bytes-like object (array.array, numpy array ...) is one buffer
        try:
            buffers = list(buffers)
        except TypeError:
            raise TypeError(f"sendv: buffers must be a bytes-like object or an iterable of them, "
                            f"got {type(buffers).__name__}") from None
        nb = len(buffers)
        if nb == 0 or nb > 1024:
            raise ValueError(f"sendv: need 1..1024 buffers, got {nb}")
        if prp not in (SCTP_PR_SCTP_NONE, SCTP_PR_SCTP_TTL, SCTP_PR_SCTP_RTX, SCTP_PR_SCTP_PRIO):
            raise ValueError(f"sendv: pr_policy must be PR_SCTP_NONE/TTL/RTX/PRIO, got {prp:#x}")
        bufs = <Py_buffer *>PyMem_Malloc(nb * sizeof(Py_buffer))
        iovs = <iovec *>PyMem_Malloc(nb * sizeof(iovec))
        if bufs == NULL or iovs == NULL:
            PyMem_Free(bufs); PyMem_Free(iovs)
            raise MemoryError()
        k = 0
        try:
            for i in range(nb):
                _get_buffer(buffers[i], &bufs[i], PyBUF_SIMPLE, "sendv")
                k += 1
                iovs[i].iov_base = bufs[i].buf
                iovs[i].iov_len = bufs[i].len
                total += bufs[i].len
            if total == 0 and not (fl & (SCTP_EOF | SCTP_ABORT)):
                raise ValueError("sendv: empty message")
            memset(&msg, 0, sizeof(msg))
            msg.msg_iov = iovs
            msg.msg_iovlen = nb
            clen = csctp_cmsg_space(sizeof(sctp_sndinfo))
            if prp:
                clen += csctp_cmsg_space(sizeof(sctp_prinfo))
            if akey >= 0:
                clen += csctp_cmsg_space(sizeof(sctp_authinfo))
            if to is not None:
                dest = self._pack(to, "sendv")
                clen += (dest.count - 1) * csctp_cmsg_space(sizeof(in6_addr))
            if clen <= sizeof(cbuf):
                msg.msg_control = cbuf
            else:
                big_cbuf = bytearray(clen + 16)
                msg.msg_control = <char *>big_cbuf
            memset(msg.msg_control, 0, clen)
            msg.msg_controllen = clen
            c = <cmsghdr *>msg.msg_control
            si = <sctp_sndinfo *>_put_cmsg(&c, CSCTP_CMSG_SNDINFO, sizeof(sctp_sndinfo))
            si.snd_sid = sid
            si.snd_flags = fl
            si.snd_ppid = htonl(p)
            si.snd_context = ctx
            si.snd_assoc_id = aid
            if prp:
                pi = <sctp_prinfo *>_put_cmsg(&c, CSCTP_CMSG_PRINFO, sizeof(sctp_prinfo))
                pi.pr_policy = <uint16_t>prp
                pi.pr_value = prv
            if akey >= 0:
                ai = <sctp_authinfo *>_put_cmsg(&c, CSCTP_CMSG_AUTHINFO, sizeof(sctp_authinfo))
                ai.auth_keynumber = <uint16_t>akey
            if dest is not None:
                # The first destination, with the port, goes in msg_name; the others as
                # DSTADDRV4/V6 control messages (RFC 6458 5.3.9/5.3.10).  Repeating the
                # first there fails: the kernel's sctp_connect_add_peer() finds it already
                # in the new association and returns EADDRNOTAVAIL.
                sa = <const char *>dest.ptr() + dest.first_len()
                for i in range(1, dest.count):
                    salen = sockaddr_len(<const sockaddr *>sa)
                    if (<const sockaddr *>sa).sa_family == AF_INET:
                        memcpy(_put_cmsg(&c, CSCTP_CMSG_DSTADDRV4, sizeof(in_addr)),
                               &(<const sockaddr_in *>sa).sin_addr, sizeof(in_addr))
                    else:
                        memcpy(_put_cmsg(&c, CSCTP_CMSG_DSTADDRV6, sizeof(in6_addr)),
                               &(<const sockaddr_in6 *>sa).sin6_addr, sizeof(in6_addr))
                    sa += salen
                msg.msg_name = dest.ptr()
                msg.msg_namelen = dest.first_len()
            msg.msg_controllen = <size_t>(<char *>c - <char *>msg.msg_control)
            n = self._sendmsg(&msg, 0, "sendv")
        finally:
            for i in range(k):
                PyBuffer_Release(&bufs[i])
            PyMem_Free(bufs)
            PyMem_Free(iovs)
        return n

    def recv(self, bufsize=0, flags=0):
        """Receive one message (or the next piece of one) as a :class:`Message` with ``bytes`` data.

        A message of up to 4 KiB is received into a buffer the socket keeps
        and copied once into a ``bytes`` of its exact size (far cheaper than
        sizing down a fresh *bufsize* object); a longer one is received
        straight into the ``bytes`` returned, with no copy in user space.  A
        message longer than *bufsize* (default
        ``self.recv_size``) arrives in pieces with ``eor=False`` until the
        last; use :meth:`recv_whole` to reassemble.  On a one-to-one socket,
        an empty ``data`` means the peer shut the association down.
        """
        cdef Py_ssize_t size = <Py_ssize_t>as_int(bufsize, "recv: bufsize", 0, MAX_RECV)
        cdef int fl = <int>as_int(flags, "recv: flags", 0, INT_MAX)
        return self.recv_msg(size, fl)

    cdef Message recv_msg(self, Py_ssize_t size, int fl, bint again=False):
        """:meth:`recv` with its arguments converted (*size* 0: :attr:`recv_size`); with *again*,
        None when nothing is there yet (see call())."""
        cdef PyObject *raw
        cdef object data
        cdef msghdr msg
        cdef iovec iov
        cdef size_t cbuf[CBUF_WORDS]
        cdef sockaddr_storage ss
        cdef Py_ssize_t n
        cdef Message m
        if size == 0:
            size = self._recv_size
        # the spare is taken out while the call runs: a recv in another thread (the GIL is
        # released while waiting) gets a fresh one rather than writing into the same memory
        raw = self._spare
        self._spare = NULL
        if raw == NULL or Py_SIZE(raw) != size:
            Py_XDECREF(raw)
            raw = _bytes_new(NULL, size)
        iov.iov_base = _bytes_buf(raw)
        iov.iov_len = size
        msg.msg_name = &ss
        msg.msg_namelen = sizeof(ss)
        msg.msg_iov = &iov
        msg.msg_iovlen = 1
        msg.msg_control = cbuf
        msg.msg_controllen = sizeof(cbuf)
        msg.msg_flags = 0
        try:
            n = self._recvmsg(&msg, fl, "recv", again)
        except BaseException:
            self._keep_spare(raw)
            raise
        if n == CALL_AGAIN:
            self._keep_spare(raw)
            return None
        if n <= RECV_COPY_MAX:
            try:
                data = PyBytes_FromStringAndSize(_bytes_buf(raw), n)
            finally:
                self._keep_spare(raw)
        else:
            if n != size:
                _PyBytes_Resize(&raw, n)    # shrinks in place (frees it and raises on failure)
            data = <object>raw
            Py_XDECREF(raw)
        m = message_new()
        m.data = data
        m.msg_flags = msg.msg_flags
        if msg.msg_controllen:
            _parse_cmsgs(&msg, m)
        if self.type == SOCK_SEQPACKET and msg.msg_namelen:
            message_set_addr(m, &ss, msg.msg_namelen)    # decoded lazily, on .addr
        return m

    def recv_into(self, buffer, nbytes=0, flags=0):
        """Receive one message (or piece) straight into a writable buffer: ``(nbytes, Message)``.

        No intermediate copy.  ``Message.data`` is ``None``: the bytes are in
        *buffer*.  ``Message.eor`` is False when the message did not fit.
        """
        cdef Py_ssize_t n
        cdef Py_ssize_t want = <Py_ssize_t>as_int(nbytes, "recv_into: nbytes", 0, MAX_RECV)
        cdef int fl = <int>as_int(flags, "recv_into: flags", 0, INT_MAX)
        m = self.recv_into_msg(buffer, want, fl, &n)
        return n, m

    cdef void _keep_spare(self, PyObject *raw) noexcept:
        """Keep *raw* (a bytes of ours, referenced nowhere else) for the next recv, or free it."""
        if self._spare == NULL and self._fd >= 0:
            self._spare = raw
        else:
            Py_XDECREF(raw)

    cdef Message recv_into_msg(self, object buffer, Py_ssize_t want, int fl, Py_ssize_t *nbytes):
        """:meth:`recv_into` with its arguments converted; the byte count goes to *nbytes*."""
        cdef Py_buffer view
        cdef msghdr msg
        cdef iovec iov
        cdef size_t cbuf[CBUF_WORDS]
        cdef sockaddr_storage ss
        cdef Py_ssize_t n
        cdef Message m
        _get_buffer(buffer, &view, PyBUF_WRITABLE, "recv_into")
        try:
            if want > view.len:
                raise ValueError(f"recv_into: nbytes must be in 0..{view.len}, got {want}")
            if view.len == 0:
                raise ValueError("recv_into: buffer has no room")
            iov.iov_base = view.buf
            iov.iov_len = want if want else view.len
            msg.msg_name = &ss
            msg.msg_namelen = sizeof(ss)
            msg.msg_iov = &iov
            msg.msg_iovlen = 1
            msg.msg_control = cbuf
            msg.msg_controllen = sizeof(cbuf)
            msg.msg_flags = 0
            n = self._recvmsg(&msg, fl, "recv_into")
        finally:
            PyBuffer_Release(&view)
        m = message_new()
        m.msg_flags = msg.msg_flags
        if msg.msg_controllen:
            _parse_cmsgs(&msg, m)
        if self.type == SOCK_SEQPACKET and msg.msg_namelen:
            message_set_addr(m, &ss, msg.msg_namelen)    # decoded lazily, on .addr
        nbytes[0] = n
        return m

    def recv_whole(self, max_size=MAX_MESSAGE, flags=0):
        """Receive one *whole* message, reassembling partial deliveries.

        The pieces read so far are kept in :attr:`reassembler` when the call
        ends early (a timeout, ``BlockingIOError``, a signal handler's
        exception): the next ``recv_whole`` carries on with the same message, so
        none is ever returned spliced.  A message longer than *max_size* is
        read to its end and raises ``ValueError`` rather than returning part of
        it.  Notifications come back as messages with ``is_notification``; an
        empty ``data`` on a one-to-one socket means the peer shut down.
        """
        cdef Py_ssize_t limit = <Py_ssize_t>as_int(max_size, "recv_whole: max_size", 1, 1 << 40)
        cdef Message m
        cdef object whole
        self.reassembler.max_size = limit
        while True:
            m = self.recv(0, flags)
            if not m.data and not m.is_notification:
                return m                # end of association (one-to-one)
            whole = self.reassembler.feed(m)
            if whole is not None:
                return whole


cdef list walk_addrs(sockaddr *addrs, int n):
    """A packed sockaddr array (as sctp_getpaddrs/getladdrs return it) as address tuples."""
    cdef list out = []
    cdef char *p = <char *>addrs
    cdef int i, l
    for i in range(n):
        l = sockaddr_len(<sockaddr *>p)
        if l == 0:
            break
        out.append(sockaddr_to_py(<sockaddr *>p, l))
        p += l
    return out


cdef list get_addrs(int fd, sctp_assoc_t aid, bint peer):
    """``sctp_getpaddrs`` (*peer*) or ``sctp_getladdrs`` and the matching free, as address tuples."""
    cdef sockaddr *addrs = NULL
    cdef int n, err
    # instant calls keep the GIL: no close() can free the descriptor between the caller's check and here
    if peer:
        n = sctp_getpaddrs(fd, aid, &addrs)
    else:
        n = sctp_getladdrs(fd, aid, &addrs)
    err = errno
    if n < 0:
        raise_errno("sctp_getpaddrs" if peer else "sctp_getladdrs", err)
    try:
        return walk_addrs(addrs, n)
    finally:
        if addrs != NULL:
            if peer:
                sctp_freepaddrs(addrs)
            else:
                sctp_freeladdrs(addrs)
