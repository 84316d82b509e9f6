# cython: language_level=3
"""The socket core: one SCTP socket, its system calls, and nothing else.

Design rules (see docs/design.md):

* every system call runs with the GIL released and goes through one retry
  loop: EINTR is retried after running signal handlers (PEP 475), EAGAIN
  waits for readiness when a timeout is set, every other errno becomes the
  matching ``OSError`` subclass naming the operation (``csctp._errors``);
* data paths call ``sendmsg``/``recvmsg`` with RFC 6458 control messages
  (SNDINFO, PRINFO, RCVINFO, NXTINFO) directly rather than through
  libsctp's ``sctp_sendmsg``/``sctp_recvmsg``: those use the deprecated
  SNDRCV structure, need ``data_io`` events subscribed to report stream and
  PPID, and cost an extra layer per message;
* buffers are borrowed through the buffer protocol and never copied:
  ``send`` sends straight from the caller's object, ``recv_into`` receives
  straight into it, and ``recv`` receives into the ``bytes`` it returns.
"""

from libc.errno cimport errno, EINTR, EAGAIN, EINPROGRESS, EBADF, EPROTONOSUPPORT, EINVAL
from libc.string cimport memset, memcpy
from libc.stdint cimport uint16_t, uint32_t, int32_t
from libc.stdlib cimport free, malloc
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE, PyBUF_WRITABLE
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING
from cpython.exc cimport PyErr_CheckSignals
from cpython.object cimport PyObject
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from posix.time cimport clock_gettime, CLOCK_MONOTONIC, timespec as posix_timespec

from csctp.includes.socket cimport *
from csctp.includes.sctp cimport *
from csctp._errors cimport raise_errno, raise_last
from csctp._convert cimport as_int
from csctp._addr cimport AddrList, pack, sockaddr_to_py, unpack_packed, sockaddr_len
from csctp._message cimport Message, message_new, message_set_addr, message_set_rcvinfo, message_set_sndrcv, NxtInfo

cdef extern from "Python.h":
    # raw-pointer forms: recv() owns the new bytes object by hand until it is
    # sized, because _PyBytes_Resize needs the one and only reference.
    PyObject *_bytes_new "PyBytes_FromStringAndSize"(const char *v, Py_ssize_t n) except NULL
    char *_bytes_buf "PyBytes_AS_STRING"(PyObject *o)
    int _PyBytes_Resize(PyObject **bytes, Py_ssize_t newsize) except -1
    void Py_XDECREF(PyObject *o)

DEF DEFAULT_RECV_SIZE = 65536
DEF CBUF_WORDS = 64                # 512 bytes of aligned control buffer


cdef inline double _now() noexcept nogil:
    cdef posix_timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


DEF INT_MAX = 2147483647
DEF ASSOC_MIN = -2147483648
DEF MAX_RECV = 1 << 30          # a single recv buffer: 1 GiB is already absurd for SCTP


cdef inline uint32_t _as_u32(object v, str what) except? 0xFFFFFFFF:
    return <uint32_t>as_int(v, what, 0, 0xFFFFFFFF)


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


cdef int fileno_of(object sock) except -1:
    """The file descriptor of a csctp Socket, a socket.socket, or an int."""
    cdef int fd
    if isinstance(sock, Socket):
        fd = (<Socket>sock)._fd
    elif isinstance(sock, int):
        fd = sock
    else:
        try:
            fd = sock.fileno()
        except AttributeError:
            raise TypeError(f"expected a socket, a file descriptor or an object with fileno(), "
                            f"got {type(sock).__name__}") from None
    if fd < 0:
        raise OSError(EBADF, "socket is closed")
    return fd


cdef void _parse_cmsgs(msghdr *msg, Message m) noexcept:
    """Fill *m* from RCVINFO / SNDRCV / NXTINFO control messages."""
    cdef cmsghdr *c = csctp_cmsg_first_in(msg)
    cdef NxtInfo nxt
    while c != NULL:
        if c.cmsg_level == IPPROTO_SCTP:
            if c.cmsg_type == CSCTP_CMSG_RCVINFO and c.cmsg_len >= csctp_cmsg_len(sizeof(sctp_rcvinfo)):
                message_set_rcvinfo(m, <sctp_rcvinfo *>csctp_cmsg_data(c))
            elif c.cmsg_type == CSCTP_CMSG_SNDRCV and c.cmsg_len >= csctp_cmsg_len(sizeof(sctp_sndrcvinfo)):
                if not m.has_info:
                    message_set_sndrcv(m, <sctp_sndrcvinfo *>csctp_cmsg_data(c))
            elif c.cmsg_type == CSCTP_CMSG_NXTINFO and c.cmsg_len >= csctp_cmsg_len(sizeof(sctp_nxtinfo)):
                nxt = NxtInfo.__new__(NxtInfo)
                memcpy(&nxt.c, csctp_cmsg_data(c), sizeof(sctp_nxtinfo))
                m.nxt = nxt
        c = csctp_cmsg_next_in(msg, c)


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


cdef class Socket:
    """An SCTP socket: one-to-one (``SOCK_STREAM``) or one-to-many (``SOCK_SEQPACKET``).

    ``Socket(family=AF_INET, type=SOCK_STREAM, fileno=None)``.  With *fileno*
    the socket adopts (and will close) that descriptor, like
    ``socket.socket(fileno=...)``.  New sockets have ``SCTP_RECVRCVINFO``
    enabled, so every received message carries its stream, SSN, PPID, TSN and
    association id.
    """

    def __cinit__(self, int family=AF_INET, int type=SOCK_STREAM, fileno=None, *, bint rcvinfo=True):
        cdef int fd, err, fl
        self._fd = -1
        self._timeout = -1.0
        self.recv_size = DEFAULT_RECV_SIZE
        if type != SOCK_STREAM and type != SOCK_SEQPACKET:
            raise ValueError(f"SCTP sockets are SOCK_STREAM (one-to-one) or SOCK_SEQPACKET (one-to-many), got type {type}")
        if family != AF_INET and family != AF_INET6:
            raise ValueError(f"SCTP sockets are AF_INET or AF_INET6, got family {family}")
        self.family = family
        self.type = type
        if fileno is not None:
            self._fd = fileno_of(fileno)
            fl = fcntl(self._fd, F_GETFL)
            if fl >= 0 and fl & O_NONBLOCK:
                self._timeout = 0.0        # adopted non-blocking: behave as setblocking(False)
            return
        with nogil:
            fd = socket(family, type | SOCK_CLOEXEC, IPPROTO_SCTP)
            err = errno
        if fd < 0:
            if err == EPROTONOSUPPORT:
                raise OSError(err, "socket: this kernel has no SCTP (EPROTONOSUPPORT); try 'modprobe sctp', "
                                   "see 'csctp check', or run under 'python -m csctp.testing -- CMD'")
            raise_errno("socket", err)
        self._fd = fd
        if rcvinfo:
            self._setint(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "setsockopt(SCTP_RECVRCVINFO)")

    def __dealloc__(self):
        if self._fd >= 0:
            close(self._fd)
            self._fd = -1

    # ---- life cycle ---------------------------------------------------------

    def fileno(self):
        """The file descriptor, or -1 once closed."""
        return self._fd

    @property
    def closed(self):
        return self._fd < 0

    def close(self):
        """Close the socket.  Safe to call twice."""
        cdef int fd = self._fd, rc
        if fd < 0:
            return
        self._fd = -1
        with nogil:
            rc = close(fd)
        if rc < 0 and errno != EINTR:
            raise_last("close")

    def detach(self):
        """Give up the descriptor without closing it; returns it."""
        cdef int fd = self._fd
        self._fd = -1
        return fd

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        kind = "one-to-one" if self.type == SOCK_STREAM else "one-to-many"
        fam = "AF_INET" if self.family == AF_INET else "AF_INET6"
        return f"<csctp.Socket fd={self._fd} {fam} {kind}>"

    # ---- blocking and timeouts ---------------------------------------------

    def settimeout(self, value):
        """``None``: blocking; ``0``: non-blocking (EAGAIN -> BlockingIOError); ``t > 0``: wait at most t seconds."""
        cdef double t
        cdef int fl
        if value is None:
            t = -1.0
        else:
            try:
                t = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"settimeout: timeout must be None or a number, got {type(value).__name__}") from None
            # poll() takes milliseconds in an int: anything past ~24 days cannot be waited for exactly
            if not (0.0 <= t <= 2000000.0):
                raise ValueError(f"settimeout: timeout must be None or 0..2000000 seconds, got {value!r}")
        self._check_open("settimeout")
        fl = fcntl(self._fd, F_GETFL)
        if fl < 0:
            raise_last("fcntl(F_GETFL)")
        fl = (fl & ~O_NONBLOCK) if t < 0 else (fl | O_NONBLOCK)
        if fcntl(self._fd, F_SETFL, fl) < 0:
            raise_last("fcntl(F_SETFL)")
        self._timeout = t

    def gettimeout(self):
        return None if self._timeout < 0 else self._timeout

    def setblocking(self, bint flag):
        self.settimeout(None if flag else 0.0)

    cdef int _check_open(self, str op) except -1:
        if self._fd < 0:
            raise OSError(EBADF, f"{op}: socket is closed")
        return 0

    cdef int _wait(self, short events, str op, double *deadline) except -1:
        """After EAGAIN: wait for *events* until the deadline, or raise."""
        # timeout 0: non-blocking by request; < 0: the descriptor was made non-blocking behind our back
        if wait_fd(self._fd, events, self._timeout, deadline, op):
            raise TimeoutError(f"{op}: timed out after {self._timeout:g} s")
        return 0

    cdef Py_ssize_t _sendmsg(self, msghdr *msg, int flags, str op) except -1:
        cdef Py_ssize_t n
        cdef int err, fd
        cdef double deadline = 0.0
        while True:
            fd = self._fd
            if fd < 0:
                raise OSError(EBADF, f"{op}: socket is closed")
            with nogil:
                n = sendmsg(fd, msg, flags | MSG_NOSIGNAL)
                err = errno
            if n >= 0:
                return n
            if err == EINTR:
                PyErr_CheckSignals()
            elif err == EAGAIN and self._timeout != 0.0:
                self._wait(POLLOUT, op, &deadline)
            else:
                raise_errno(op, err)

    cdef Py_ssize_t _recvmsg(self, msghdr *msg, int flags, str op) except -1:
        cdef Py_ssize_t n
        cdef int err, fd
        cdef double deadline = 0.0
        cdef size_t controllen = msg.msg_controllen
        cdef socklen_t namelen = msg.msg_namelen
        while True:
            fd = self._fd
            if fd < 0:
                raise OSError(EBADF, f"{op}: socket is closed")
            with nogil:
                n = recvmsg(fd, msg, flags)
                err = errno
            if n >= 0:
                return n
            msg.msg_controllen = controllen
            msg.msg_namelen = namelen
            if err == EINTR:
                PyErr_CheckSignals()
            elif err == EAGAIN and self._timeout != 0.0:
                self._wait(POLLIN, op, &deadline)
            else:
                raise_errno(op, err)

    # ---- addresses and associations ----------------------------------------

    cdef AddrList _pack(self, object addrs, str op):
        cdef AddrList al = pack(addrs)
        if self.family == AF_INET and al.families & 2:
            raise ValueError(f"{op}: IPv6 address in {addrs!r} on an AF_INET socket (use family=AF_INET6)")
        return al

    def bind(self, addrs):
        """Bind to one address or, multi-homed, several (``"192.0.2.1/198.51.100.1:2905"``)."""
        cdef AddrList al
        cdef int rc, err
        self._check_open("bind")
        al = self._pack(addrs, "bind")
        if al.count == 1:
            with nogil:
                rc = bind(self._fd, al.ptr(), al.first_len())
                err = errno
        else:
            with nogil:
                rc = sctp_bindx(self._fd, al.ptr(), al.count, SCTP_BINDX_ADD_ADDR)
                err = errno
        if rc < 0:
            raise_errno(f"bind({addrs!r})", err)

    def bindx(self, addrs, flags=SCTP_BINDX_ADD_ADDR):
        """``sctp_bindx``: add (default) or remove (``SCTP_BINDX_REM_ADDR``) local addresses."""
        cdef AddrList al
        cdef int rc, err
        cdef int fl = <int>as_int(flags, "sctp_bindx: flags", 0, INT_MAX)
        self._check_open("sctp_bindx")
        if fl != SCTP_BINDX_ADD_ADDR and fl != SCTP_BINDX_REM_ADDR:
            raise ValueError(f"sctp_bindx: flags must be BINDX_ADD_ADDR or BINDX_REM_ADDR, got {flags}")
        al = self._pack(addrs, "sctp_bindx")
        with nogil:
            rc = sctp_bindx(self._fd, al.ptr(), al.count, fl)
            err = errno
        if rc < 0:
            raise_errno(f"sctp_bindx({addrs!r})", err)

    def listen(self, backlog=128):
        cdef int rc
        cdef int bl = <int>as_int(backlog, "listen: backlog", 0, INT_MAX)
        self._check_open("listen")
        with nogil:
            rc = listen(self._fd, bl)
        if rc < 0:
            raise_last("listen")

    def connectx(self, addrs):
        """``sctp_connectx``: start an association to one or several peer addresses.

        Returns the association id.  Blocks until the association is up (or
        the timeout expires) unless the socket is non-blocking, where it
        raises ``BlockingIOError`` once the INIT is on its way.
        """
        cdef AddrList al
        cdef int rc, err, soerr = 0
        cdef sctp_assoc_t aid = 0
        cdef socklen_t sl = sizeof(int)
        cdef double deadline = 0.0
        self._check_open("sctp_connectx")
        al = self._pack(addrs, "sctp_connectx")
        while True:
            with nogil:
                rc = sctp_connectx(self._fd, al.ptr(), al.count, &aid)
                err = errno
            if rc >= 0:
                return aid
            if err != EINTR:
                break
            PyErr_CheckSignals()
        if err == EINPROGRESS and self._timeout != 0.0:
            self._wait(POLLOUT, f"sctp_connectx({addrs!r})", &deadline)
            if getsockopt(self._fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0:
                raise_last("getsockopt(SO_ERROR)")
            if soerr:
                raise_errno(f"sctp_connectx({addrs!r})", soerr)
            return aid
        if err == EINPROGRESS:
            raise BlockingIOError(err, f"sctp_connectx({addrs!r}): operation in progress (non-blocking socket)")
        raise_errno(f"sctp_connectx({addrs!r})", err)

    def connect(self, addrs):
        """Connect (one-to-one) or set up an association (one-to-many); same as :meth:`connectx`."""
        return self.connectx(addrs)

    def accept(self):
        """Accept an association on a listening one-to-one socket: ``(Socket, peer_address)``."""
        cdef sockaddr_storage ss
        cdef socklen_t sl
        cdef int fd = -1, err
        cdef double deadline = 0.0
        cdef Socket s
        self._check_open("accept")
        while True:
            sl = sizeof(ss)
            with nogil:
                fd = accept4(self._fd, <sockaddr *>&ss, &sl, SOCK_CLOEXEC)
                err = errno
            if fd >= 0:
                break
            if err == EINTR:
                PyErr_CheckSignals()
            elif err == EAGAIN and self._timeout != 0.0:
                self._wait(POLLIN, "accept", &deadline)
            else:
                raise_errno("accept", err)
        s = Socket(self.family, SOCK_STREAM, fd)
        s._setint(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "setsockopt(SCTP_RECVRCVINFO)")
        return s, sockaddr_to_py(<sockaddr *>&ss, sl)

    def peeloff(self, assoc_id, flags=0):
        """``sctp_peeloff`` / ``sctp_peeloff_flags``: branch an association off into a one-to-one Socket."""
        cdef int fd, err
        cdef Socket s
        cdef sctp_assoc_t aid = <sctp_assoc_t>as_int(assoc_id, "sctp_peeloff: assoc_id", ASSOC_MIN, INT_MAX)
        cdef unsigned int fl = <unsigned int>as_int(flags, "sctp_peeloff: flags", 0, INT_MAX)
        self._check_open("sctp_peeloff")
        with nogil:
            if fl:
                fd = csctp_peeloff_flags(self._fd, aid, fl)   # libsctp lacks it, see csctp.h
            else:
                fd = sctp_peeloff(self._fd, aid)
            err = errno
        if fd < 0:
            raise_errno(f"sctp_peeloff(assoc_id={assoc_id})", err)
        s = Socket(self.family, SOCK_STREAM, fd)
        s._setint(IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "setsockopt(SCTP_RECVRCVINFO)")
        return s

    def getpaddrs(self, assoc_id=0):
        """``sctp_getpaddrs``: the peer's addresses for *assoc_id* (0 on a one-to-one socket)."""
        cdef sctp_assoc_t aid = <sctp_assoc_t>as_int(assoc_id, "sctp_getpaddrs: assoc_id", ASSOC_MIN, INT_MAX)
        self._check_open("sctp_getpaddrs")
        return get_addrs(self._fd, aid, True)

    def getladdrs(self, assoc_id=0):
        """``sctp_getladdrs``: the local addresses (of *assoc_id*, or of the endpoint for 0)."""
        cdef sctp_assoc_t aid = <sctp_assoc_t>as_int(assoc_id, "sctp_getladdrs: assoc_id", ASSOC_MIN, INT_MAX)
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
        cdef Py_buffer view
        cdef msghdr msg
        cdef iovec iov
        cdef size_t cbuf[CBUF_WORDS]
        cdef cmsghdr *c
        cdef sctp_sndinfo *si
        cdef sctp_prinfo *pi
        cdef size_t clen
        cdef AddrList dest
        cdef uint16_t sid = <uint16_t>as_int(stream, "send: stream", 0, 0xFFFF)
        cdef uint32_t p = _as_u32(ppid, "send: ppid")
        cdef uint32_t ctx = _as_u32(context, "send: context")
        cdef uint16_t fl = <uint16_t>as_int(flags, "send: flags", 0, 0xFFFF)
        cdef sctp_assoc_t aid = <sctp_assoc_t>as_int(assoc_id, "send: assoc_id", ASSOC_MIN, INT_MAX)
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
                pi.pr_value = _as_u32(ttl, "send: ttl")
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
        cdef sctp_assoc_t aid = <sctp_assoc_t>as_int(assoc_id, "sendv: assoc_id", ASSOC_MIN, INT_MAX)
        cdef int prp = <int>as_int(pr_policy, "sendv: pr_policy", 0, 0xFFFF)
        cdef int akey = -1 if auth_key is None else <int>as_int(auth_key, "sendv: auth_key", 0, 0xFFFF)
        cdef uint32_t p = _as_u32(ppid, "sendv: ppid")
        cdef uint32_t ctx = _as_u32(context, "sendv: context")
        cdef uint32_t prv = _as_u32(pr_value, "sendv: pr_value")
        cdef Py_buffer *b
        if isinstance(buffers, (bytes, bytearray, memoryview)):
            buffers = (buffers,)
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

        Exactly one copy: the kernel writes into the ``bytes`` object that is
        returned.  A message longer than *bufsize* (default
        ``self.recv_size``) arrives in pieces with ``eor=False`` until the
        last; use :meth:`recv_whole` to reassemble.  On a one-to-one socket,
        an empty ``data`` means the peer shut the association down.
        """
        cdef PyObject *raw
        cdef object data
        cdef msghdr msg
        cdef iovec iov
        cdef size_t cbuf[CBUF_WORDS]
        cdef sockaddr_storage ss
        cdef Py_ssize_t n
        cdef Message m
        cdef Py_ssize_t size = <Py_ssize_t>as_int(bufsize, "recv: bufsize", 0, MAX_RECV)
        cdef int fl = <int>as_int(flags, "recv: flags", 0, INT_MAX)
        if size == 0:
            size = self.recv_size
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
            n = self._recvmsg(&msg, fl, "recv")
            if n != size:
                _PyBytes_Resize(&raw, n)    # shrinks in place: the payload is copied once, by the kernel
        except BaseException:
            Py_XDECREF(raw)
            raise
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
        cdef Py_buffer view
        cdef msghdr msg
        cdef iovec iov
        cdef size_t cbuf[CBUF_WORDS]
        cdef sockaddr_storage ss
        cdef Py_ssize_t n
        cdef Message m
        cdef Py_ssize_t want = <Py_ssize_t>as_int(nbytes, "recv_into: nbytes", 0, MAX_RECV)
        cdef int fl = <int>as_int(flags, "recv_into: flags", 0, INT_MAX)
        _get_buffer(buffer, &view, PyBUF_WRITABLE, "recv_into")
        try:
            if want > view.len:
                raise ValueError(f"recv_into: nbytes must be in 0..{view.len}, got {nbytes}")
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
        return n, m

    def recv_whole(self, max_size=16 * 1024 * 1024, flags=0):
        """Receive one *whole* message, reassembling partial deliveries.

        Raises ``ValueError`` (after draining the rest of that message) if it
        is longer than *max_size*, rather than returning part of it.
        """
        cdef Py_ssize_t limit = <Py_ssize_t>as_int(max_size, "recv_whole: max_size", 1, 1 << 40)
        cdef Message m = self.recv(0, flags)
        cdef list parts
        cdef Py_ssize_t total
        parts = [m.data]
        total = len(m.data)
        while not m.eor and m.data:
            m = self.recv(0, flags)
            if not m.data:
                break
            total += len(m.data)
            if total <= limit:
                parts.append(m.data)
        if total > limit:
            raise ValueError(f"recv_whole: message of {total} bytes exceeds max_size={max_size} (discarded)")
        if len(parts) > 1:
            m.data = b"".join(parts)
        return m


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
    with nogil:
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


cdef int wait_fd(int fd, short events, double timeout, double *deadline, str op) except -1:
    """After EAGAIN on *fd*: 0 when it is ready for *events*, 1 when *deadline* passed.

    *timeout* follows csctp's convention (< 0 blocking, 0 non-blocking, > 0
    seconds); a blocking or non-blocking one raises BlockingIOError straight
    away: EAGAIN there means the descriptor is non-blocking.  *deadline* is
    set on the first call (0.0 = not yet) and kept across retries.
    """
    cdef pollfd p
    cdef int rc, ms, err
    cdef double left
    if timeout <= 0.0:
        raise BlockingIOError(EAGAIN, f"{op}: resource temporarily unavailable (non-blocking socket)")
    if deadline[0] == 0.0:
        deadline[0] = _now() + timeout
    while True:
        left = deadline[0] - _now()
        if left <= 0:
            return 1
        ms = <int>(left * 1000.0) + 1
        p.fd = fd
        p.events = events
        p.revents = 0
        with nogil:
            rc = poll(&p, 1, ms)
            err = errno
        if rc > 0:
            return 0
        if rc < 0:
            if err == EINTR:
                PyErr_CheckSignals()
                continue
            raise_errno(f"{op}: poll", err)
