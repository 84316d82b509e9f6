# cython: language_level=3
"""The lksctp-tools (libsctp) API, one Python function per C call.

Each function takes *sock* as a ``csctp.Socket``, a ``socket.socket`` or a
raw file descriptor and makes the call its name says through csctp's one
system-call helper (``Socket.call``): the GIL released, EINTR retried, EAGAIN
waiting per the ``csctp.Socket``'s timeout (or the ``socket.socket``'s; a bare
descriptor is used in whatever mode it is in, EAGAIN raising
``BlockingIOError``), and a ``csctp.Socket`` closed by another thread ending
the call with ``EBADF`` instead of reaching a reused descriptor.  PPIDs are
host-order integers in and out.

Two calls are made to the kernel directly instead of through libsctp:

* ``sctp_sendv``: libsctp returns ``-EINVAL``/``-ENOMEM`` *without setting
  errno* on bad addresses or allocation failure, and never passes its
  ``flags`` argument on to ``sendmsg`` (lksctp-tools src/lib/sendmsg.c);
  csctp builds the same RFC 6458 control messages (SNDINFO, PRINFO,
  AUTHINFO, DSTADDRV4/V6) itself via :meth:`csctp.Socket.sendv`.
* ``sctp_peeloff_flags``: declared but not exported by lksctp-tools 1.0.19;
  see include/csctp.h.
"""

from libc.errno cimport errno, EINTR
from libc.string cimport memset, memcpy
from libc.stdint cimport uint16_t, uint32_t
from libc.limits cimport INT_MIN, INT_MAX
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.exc cimport PyErr_CheckSignals

from csctp.includes.socket cimport *
from csctp.includes.sctp cimport (
    sctp_assoc_t, sctp_sndrcvinfo, sctp_recvv_rn, sctp_nxtinfo, csctp_peeloff_flags,
    SCTP_RECVV_NOINFO, SCTP_RECVV_RCVINFO, SCTP_RECVV_NXTINFO, SCTP_RECVV_RN,
    sctp_bindx as c_bindx, sctp_connectx as c_connectx, sctp_peeloff as c_peeloff,
    sctp_sendmsg as c_sendmsg, sctp_send as c_send, sctp_recvmsg as c_recvmsg, sctp_recvv as c_recvv)
from csctp._errors cimport raise_errno
from csctp._addr cimport AddrList, pack, sockaddr_to_py
from csctp._core cimport Socket, as_socket, fileno_of, get_addrs
from csctp._convert cimport as_int, as_u16, as_u32, as_assoc_id
from csctp._message cimport SndRcvInfo, RcvInfo, NxtInfo, SndInfo, PrInfo, AuthInfo


cdef inline uint32_t _u32(object v, str what) except? 0xFFFFFFFF:
    return as_u32(v, what)


cdef inline uint16_t _u16(object v, str what) except? 0xFFFF:
    return as_u16(v, what)


cdef inline sctp_assoc_t _aid(object v, str op) except? -1:
    return as_assoc_id(v, f"{op}: assoc_id")


cdef int _buffer(object obj, Py_buffer *view, str op) except -1:
    try:
        PyObject_GetBuffer(obj, view, PyBUF_SIMPLE)
    except (BufferError, TypeError):
        raise TypeError(f"{op}: need a C-contiguous bytes-like object, got {type(obj).__name__}") from None
    return 0


def sctp_bindx(sock, addrs, flags):
    """``sctp_bindx(sd, addrs, addrcnt, flags)``: add (``SCTP_BINDX_ADD_ADDR``) or remove local addresses."""
    cdef int fd = fileno_of(sock), rc, err
    cdef int f = <int>as_int(flags, "sctp_bindx: flags", INT_MIN, INT_MAX)
    cdef AddrList al = pack(addrs)
    rc = c_bindx(fd, al.ptr(), al.count, f)      # instant: the GIL keeps a close() from racing it
    if rc < 0:
        raise_errno(f"sctp_bindx({addrs!r})", errno)


def sctp_connectx(sock, addrs):
    """``sctp_connectx``: start an association to one or more addresses; returns its association id."""
    return as_socket(sock).connectx(addrs)


cdef struct peeloff_call:
    sctp_assoc_t aid
    unsigned int flags
    bint with_flags


cdef Py_ssize_t _peeloff_impl(int fd, void *arg) noexcept nogil:
    cdef peeloff_call *c = <peeloff_call *>arg
    return csctp_peeloff_flags(fd, c.aid, c.flags) if c.with_flags else c_peeloff(fd, c.aid)


def sctp_peeloff(sock, assoc_id):
    """``sctp_peeloff``: branch an association off a one-to-many socket; returns the new descriptor."""
    cdef peeloff_call c
    c.aid = _aid(assoc_id, "sctp_peeloff")
    c.flags = 0
    c.with_flags = False
    return as_socket(sock).call(0, _peeloff_impl, &c, f"sctp_peeloff(assoc_id={assoc_id})")


def sctp_peeloff_flags(sock, assoc_id, flags):
    """``sctp_peeloff_flags``: like :func:`sctp_peeloff` with ``SOCK_NONBLOCK``/``SOCK_CLOEXEC`` flags."""
    cdef peeloff_call c
    c.aid = _aid(assoc_id, "sctp_peeloff_flags")
    c.flags = _u32(flags, "sctp_peeloff_flags: flags")
    c.with_flags = True
    return as_socket(sock).call(0, _peeloff_impl, &c, f"sctp_peeloff_flags(assoc_id={assoc_id})")


def sctp_getpaddrs(sock, assoc_id=0):
    """``sctp_getpaddrs`` + ``sctp_freepaddrs``: the peer addresses of an association."""
    return get_addrs(fileno_of(sock), _aid(assoc_id, "sctp_getpaddrs"), True)


def sctp_getladdrs(sock, assoc_id=0):
    """``sctp_getladdrs`` + ``sctp_freeladdrs``: the local addresses of an association or endpoint."""
    return get_addrs(fileno_of(sock), _aid(assoc_id, "sctp_getladdrs"), False)


cdef struct sendmsg_call:
    const void *buf
    size_t len
    sockaddr *to
    socklen_t tolen
    uint32_t ppid
    uint32_t flags
    uint16_t stream
    uint32_t ttl
    uint32_t context
    const sctp_sndrcvinfo *sinfo
    int sflags


cdef Py_ssize_t _sendmsg_impl(int fd, void *arg) noexcept nogil:
    cdef sendmsg_call *c = <sendmsg_call *>arg
    return c_sendmsg(fd, c.buf, c.len, c.to, c.tolen, c.ppid, c.flags, c.stream, c.ttl, c.context)


cdef Py_ssize_t _send_impl(int fd, void *arg) noexcept nogil:
    cdef sendmsg_call *c = <sendmsg_call *>arg
    return c_send(fd, c.buf, c.len, c.sinfo, c.sflags)


def sctp_sendmsg(sock, data, to=None, ppid=0, flags=0, stream=0, timetolive=0, context=0):
    """``sctp_sendmsg``: send one message with the (deprecated) SNDRCV parameters; returns bytes sent."""
    cdef Socket s = as_socket(sock)
    cdef Py_buffer view
    cdef AddrList dest = None
    cdef sendmsg_call c
    memset(&c, 0, sizeof(c))
    c.ppid = htonl(_u32(ppid, "sctp_sendmsg: ppid"))
    c.flags = _u32(flags, "sctp_sendmsg: flags")
    c.ttl = _u32(timetolive, "sctp_sendmsg: timetolive")
    c.context = _u32(context, "sctp_sendmsg: context")
    c.stream = _u16(stream, "sctp_sendmsg: stream")
    if to is not None:
        dest = pack(to)
        c.to = dest.ptr()
        c.tolen = dest.first_len()
    _buffer(data, &view, "sctp_sendmsg")
    try:
        c.buf = view.buf
        c.len = view.len
        return s.call(POLLOUT, _sendmsg_impl, &c, "sctp_sendmsg")
    finally:
        PyBuffer_Release(&view)


def sctp_send(sock, data, SndRcvInfo sinfo=None, flags=0):
    """``sctp_send``: send one message described by a :class:`SndRcvInfo` (or none); returns bytes sent."""
    cdef Socket s = as_socket(sock)
    cdef Py_buffer view
    cdef sendmsg_call c
    memset(&c, 0, sizeof(c))
    c.sinfo = NULL if sinfo is None else &sinfo.c
    c.sflags = <int>as_int(flags, "sctp_send: flags", INT_MIN, INT_MAX)
    _buffer(data, &view, "sctp_send")
    try:
        c.buf = view.buf
        c.len = view.len
        return s.call(POLLOUT, _send_impl, &c, "sctp_send")
    finally:
        PyBuffer_Release(&view)


cdef struct recvmsg_call:
    char *buf
    size_t len
    sockaddr_storage ss
    socklen_t sl
    sctp_sndrcvinfo *sinfo
    int flags                       # the recv flags asked for
    int mflags                      # in/out: what the call saw
    iovec iov
    sctp_recvv_rn rn
    socklen_t infolen
    unsigned int infotype


cdef Py_ssize_t _recvmsg_impl(int fd, void *arg) noexcept nogil:
    cdef recvmsg_call *c = <recvmsg_call *>arg
    # libsctp copies the SNDRCV cmsg only if one arrived: a sentinel tells "absent" from zeros
    memset(c.sinfo, 0xFF, sizeof(sctp_sndrcvinfo))
    c.sl = sizeof(c.ss)
    c.mflags = c.flags
    return c_recvmsg(fd, c.buf, c.len, <sockaddr *>&c.ss, &c.sl, c.sinfo, &c.mflags)


cdef Py_ssize_t _recvv_impl(int fd, void *arg) noexcept nogil:
    cdef recvmsg_call *c = <recvmsg_call *>arg
    c.sl = sizeof(c.ss)
    c.infolen = sizeof(c.rn)
    c.infotype = SCTP_RECVV_NOINFO
    c.mflags = c.flags
    return c_recvv(fd, &c.iov, 1, <sockaddr *>&c.ss, &c.sl, &c.rn, &c.infolen, &c.infotype, &c.mflags)


def sctp_recvmsg(sock, bufsize=65536, flags=0):
    """``sctp_recvmsg``: ``(data, from_address, SndRcvInfo or None, msg_flags)``.

    libsctp fills the SNDRCV structure only when the deprecated ``data_io``
    event is subscribed (``SCTP_EVENTS``); otherwise the info is ``None``.
    *flags* are the ``recvmsg`` flags (the C call's in/out argument).
    """
    cdef Socket s = as_socket(sock)
    cdef recvmsg_call c
    cdef Py_ssize_t n
    cdef SndRcvInfo info = SndRcvInfo.__new__(SndRcvInfo)
    cdef Py_ssize_t size = <Py_ssize_t>as_int(bufsize, "sctp_recvmsg: bufsize", 1, 1 << 30)
    cdef bytearray buf = bytearray(size)
    c.flags = <int>as_int(flags, "sctp_recvmsg: flags", INT_MIN, INT_MAX)
    c.buf = <char *>buf
    c.len = size
    c.sinfo = &info.c
    n = s.call(POLLIN, _recvmsg_impl, &c, "sctp_recvmsg")
    absent = info.c.sinfo_assoc_id == -1 and info.c.sinfo_flags == 0xFFFF and info.c.sinfo_stream == 0xFFFF
    return bytes(buf[:n]), sockaddr_to_py(<sockaddr *>&c.ss, c.sl), (None if absent else info), c.mflags


def sctp_sendv(sock, buffers, addrs=None, info=None, flags=0):
    """``sctp_sendv``: send one message gathered from *buffers*, with RFC 6458 send info.

    *info* is ``None``, a :class:`SndInfo`, :class:`PrInfo`, :class:`AuthInfo`,
    or a tuple of them (the ``SCTP_SENDV_SPA`` combination).  *addrs* may name
    one or several destination addresses.  Made with ``sendmsg`` directly: see
    the module documentation for why not through libsctp.
    """
    cdef Socket s
    cdef SndInfo sn = None
    cdef PrInfo pr = None
    cdef AuthInfo au = None
    items = () if info is None else (info if isinstance(info, tuple) else (info,))
    for it in items:
        if isinstance(it, SndInfo):
            sn = it
        elif isinstance(it, PrInfo):
            pr = it
        elif isinstance(it, AuthInfo):
            au = it
        else:
            raise TypeError(f"sctp_sendv: info must be SndInfo, PrInfo, AuthInfo or a tuple of them, "
                            f"got {type(it).__name__}")
    s = as_socket(sock)
    return s.sendv(buffers,
                       stream=0 if sn is None else sn.c.snd_sid,
                       ppid=0 if sn is None else ntohl(sn.c.snd_ppid),
                       flags=(0 if sn is None else sn.c.snd_flags) | flags,
                       context=0 if sn is None else sn.c.snd_context,
                       assoc_id=0 if sn is None else sn.c.snd_assoc_id,
                       pr_policy=0 if pr is None else pr.c.pr_policy,
                       pr_value=0 if pr is None else pr.c.pr_value,
                       auth_key=None if au is None else au.c.auth_keynumber,
                       to=addrs)


def sctp_recvv(sock, bufsize=65536, flags=0):
    """``sctp_recvv``: ``(data, from_address, RcvInfo or None, NxtInfo or None, msg_flags)``.

    RCVINFO comes with ``SCTP_RECVRCVINFO`` on (csctp sockets have it on),
    NXTINFO with ``SCTP_RECVNXTINFO`` on and a next message queued.
    """
    cdef Socket s = as_socket(sock)
    cdef recvmsg_call c
    cdef Py_ssize_t n
    cdef RcvInfo ri = None
    cdef NxtInfo ni = None
    cdef Py_ssize_t size = <Py_ssize_t>as_int(bufsize, "sctp_recvv: bufsize", 1, 1 << 30)
    cdef bytearray buf = bytearray(size)
    c.flags = <int>as_int(flags, "sctp_recvv: flags", INT_MIN, INT_MAX)
    c.iov.iov_base = <char *>buf
    c.iov.iov_len = size
    n = s.call(POLLIN, _recvv_impl, &c, "sctp_recvv")
    if c.infotype == SCTP_RECVV_RCVINFO or c.infotype == SCTP_RECVV_RN:
        ri = RcvInfo.__new__(RcvInfo)
        ri.c = c.rn.recvv_rcvinfo
    if c.infotype == SCTP_RECVV_NXTINFO:
        ni = NxtInfo.__new__(NxtInfo)
        memcpy(&ni.c, &c.rn.recvv_rcvinfo, sizeof(sctp_nxtinfo))  # lone NXTINFO sits at the start
    elif c.infotype == SCTP_RECVV_RN:
        ni = NxtInfo.__new__(NxtInfo)
        ni.c = c.rn.recvv_nxtinfo
    return bytes(buf[:n]), sockaddr_to_py(<sockaddr *>&c.ss, c.sl), ri, ni, c.mflags
