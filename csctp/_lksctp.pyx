# cython: language_level=3
"""The lksctp-tools (libsctp) API, one Python function per C call.

Each function takes *sock* as a ``csctp.Socket``, a ``socket.socket`` or a
raw file descriptor and makes exactly the call its name says, with the GIL
released and EINTR retried; EAGAIN becomes ``BlockingIOError`` (these are
single calls: for timeouts use ``csctp.Socket``'s methods).  PPIDs are
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
from csctp._core cimport Socket, fileno_of, get_addrs
from csctp._convert cimport as_int
from csctp._message cimport SndRcvInfo, RcvInfo, NxtInfo, SndInfo, PrInfo, AuthInfo


cdef inline uint32_t _u32(object v, str what) except? 0xFFFFFFFF:
    if type(v) is bool or not isinstance(v, int):
        raise TypeError(f"{what} must be an int, got {type(v).__name__}")
    if not 0 <= v <= 0xFFFFFFFF:
        raise ValueError(f"{what} must be in 0..4294967295, got {v}")
    return <uint32_t>v


cdef inline uint16_t _u16(object v, str what) except? 0xFFFF:
    if type(v) is bool or not isinstance(v, int):
        raise TypeError(f"{what} must be an int, got {type(v).__name__}")
    if not 0 <= v <= 0xFFFF:
        raise ValueError(f"{what} must be in 0..65535, got {v}")
    return <uint16_t>v


cdef inline sctp_assoc_t _aid(object v, str op) except? -1:
    return <sctp_assoc_t>as_int(v, f"{op}: assoc_id", INT_MIN, INT_MAX)


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
    with nogil:
        rc = c_bindx(fd, al.ptr(), al.count, f)
        err = errno
    if rc < 0:
        raise_errno(f"sctp_bindx({addrs!r})", err)


def sctp_connectx(sock, addrs):
    """``sctp_connectx``: start an association to one or more addresses; returns its association id."""
    cdef int fd = fileno_of(sock), rc, err
    cdef sctp_assoc_t aid = 0
    cdef AddrList al = pack(addrs)
    while True:
        with nogil:
            rc = c_connectx(fd, al.ptr(), al.count, &aid)
            err = errno
        if rc >= 0:
            return aid
        if err != EINTR:
            raise_errno(f"sctp_connectx({addrs!r})", err)
        PyErr_CheckSignals()


def sctp_peeloff(sock, assoc_id):
    """``sctp_peeloff``: branch an association off a one-to-many socket; returns the new descriptor."""
    cdef int fd = fileno_of(sock), nfd, err
    cdef sctp_assoc_t aid = _aid(assoc_id, "sctp_peeloff")
    with nogil:
        nfd = c_peeloff(fd, aid)
        err = errno
    if nfd < 0:
        raise_errno(f"sctp_peeloff(assoc_id={assoc_id})", err)
    return nfd


def sctp_peeloff_flags(sock, assoc_id, flags):
    """``sctp_peeloff_flags``: like :func:`sctp_peeloff` with ``SOCK_NONBLOCK``/``SOCK_CLOEXEC`` flags."""
    cdef int fd = fileno_of(sock), nfd, err
    cdef sctp_assoc_t aid = _aid(assoc_id, "sctp_peeloff_flags")
    cdef unsigned int f = _u32(flags, "sctp_peeloff_flags: flags")
    with nogil:
        nfd = csctp_peeloff_flags(fd, aid, f)
        err = errno
    if nfd < 0:
        raise_errno(f"sctp_peeloff_flags(assoc_id={assoc_id})", err)
    return nfd


def sctp_getpaddrs(sock, assoc_id=0):
    """``sctp_getpaddrs`` + ``sctp_freepaddrs``: the peer addresses of an association."""
    return get_addrs(fileno_of(sock), _aid(assoc_id, "sctp_getpaddrs"), True)


def sctp_getladdrs(sock, assoc_id=0):
    """``sctp_getladdrs`` + ``sctp_freeladdrs``: the local addresses of an association or endpoint."""
    return get_addrs(fileno_of(sock), _aid(assoc_id, "sctp_getladdrs"), False)


def sctp_sendmsg(sock, data, to=None, ppid=0, flags=0, stream=0, timetolive=0, context=0):
    """``sctp_sendmsg``: send one message with the (deprecated) SNDRCV parameters; returns bytes sent."""
    cdef int fd = fileno_of(sock), err
    cdef Py_buffer view
    cdef AddrList dest = None
    cdef sockaddr *sa = NULL
    cdef socklen_t salen = 0
    cdef uint32_t p = htonl(_u32(ppid, "sctp_sendmsg: ppid")), f = _u32(flags, "sctp_sendmsg: flags")
    cdef uint32_t ttl = _u32(timetolive, "sctp_sendmsg: timetolive"), ctx = _u32(context, "sctp_sendmsg: context")
    cdef uint16_t sid = _u16(stream, "sctp_sendmsg: stream")
    cdef int n
    if to is not None:
        dest = pack(to)
        sa = dest.ptr()
        salen = dest.first_len()
    _buffer(data, &view, "sctp_sendmsg")
    try:
        while True:
            with nogil:
                n = c_sendmsg(fd, view.buf, view.len, sa, salen, p, f, sid, ttl, ctx)
                err = errno
            if n >= 0:
                return n
            if err != EINTR:
                raise_errno("sctp_sendmsg", err)
            PyErr_CheckSignals()
    finally:
        PyBuffer_Release(&view)


def sctp_send(sock, data, SndRcvInfo sinfo=None, flags=0):
    """``sctp_send``: send one message described by a :class:`SndRcvInfo` (or none); returns bytes sent."""
    cdef int fd = fileno_of(sock), err, n
    cdef Py_buffer view
    cdef const sctp_sndrcvinfo *si = NULL if sinfo is None else &sinfo.c
    cdef int f = <int>as_int(flags, "sctp_send: flags", INT_MIN, INT_MAX)
    _buffer(data, &view, "sctp_send")
    try:
        while True:
            with nogil:
                n = c_send(fd, view.buf, view.len, si, f)
                err = errno
            if n >= 0:
                return n
            if err != EINTR:
                raise_errno("sctp_send", err)
            PyErr_CheckSignals()
    finally:
        PyBuffer_Release(&view)


def sctp_recvmsg(sock, bufsize=65536, flags=0):
    """``sctp_recvmsg``: ``(data, from_address, SndRcvInfo or None, msg_flags)``.

    libsctp fills the SNDRCV structure only when the deprecated ``data_io``
    event is subscribed (``SCTP_EVENTS``); otherwise the info is ``None``.
    *flags* are the ``recvmsg`` flags (the C call's in/out argument).
    """
    cdef int fd = fileno_of(sock), err, n, mflags
    cdef bytearray buf
    cdef sockaddr_storage ss
    cdef socklen_t sl
    cdef SndRcvInfo info = SndRcvInfo.__new__(SndRcvInfo)
    cdef Py_ssize_t size = <Py_ssize_t>as_int(bufsize, "sctp_recvmsg: bufsize", 1, 1 << 30)
    cdef int f = <int>as_int(flags, "sctp_recvmsg: flags", INT_MIN, INT_MAX)
    buf = bytearray(size)
    cdef char *bp = <char *>buf
    while True:
        # libsctp copies the SNDRCV cmsg only if one arrived: a sentinel tells "absent" from zeros
        memset(&info.c, 0xFF, sizeof(sctp_sndrcvinfo))
        sl = sizeof(ss)
        mflags = f
        with nogil:
            n = c_recvmsg(fd, bp, size, <sockaddr *>&ss, &sl, &info.c, &mflags)
            err = errno
        if n >= 0:
            break
        if err != EINTR:
            raise_errno("sctp_recvmsg", err)
        PyErr_CheckSignals()
    absent = info.c.sinfo_assoc_id == -1 and info.c.sinfo_flags == 0xFFFF and info.c.sinfo_stream == 0xFFFF
    return bytes(buf[:n]), sockaddr_to_py(<sockaddr *>&ss, sl), (None if absent else info), mflags


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
    if isinstance(sock, Socket):
        s = <Socket>sock
    else:
        s = Socket(AF_INET6, SOCK_STREAM, fileno_of(sock), rcvinfo=False)
    try:
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
    finally:
        if s is not sock:
            s.detach()      # the caller owns the descriptor


def sctp_recvv(sock, bufsize=65536, flags=0):
    """``sctp_recvv``: ``(data, from_address, RcvInfo or None, NxtInfo or None, msg_flags)``.

    RCVINFO comes with ``SCTP_RECVRCVINFO`` on (csctp sockets have it on),
    NXTINFO with ``SCTP_RECVNXTINFO`` on and a next message queued.
    """
    cdef int fd = fileno_of(sock), err, n, mflags
    cdef bytearray buf
    cdef iovec iov
    cdef sockaddr_storage ss
    cdef socklen_t sl, infolen
    cdef unsigned int infotype
    cdef sctp_recvv_rn rn
    cdef RcvInfo ri = None
    cdef NxtInfo ni = None
    cdef Py_ssize_t size = <Py_ssize_t>as_int(bufsize, "sctp_recvv: bufsize", 1, 1 << 30)
    cdef int f = <int>as_int(flags, "sctp_recvv: flags", INT_MIN, INT_MAX)
    buf = bytearray(size)
    iov.iov_base = <char *>buf
    iov.iov_len = size
    while True:
        sl = sizeof(ss)
        infolen = sizeof(rn)
        infotype = SCTP_RECVV_NOINFO
        mflags = f
        with nogil:
            n = c_recvv(fd, &iov, 1, <sockaddr *>&ss, &sl, &rn, &infolen, &infotype, &mflags)
            err = errno
        if n >= 0:
            break
        if err != EINTR:
            raise_errno("sctp_recvv", err)
        PyErr_CheckSignals()
    if infotype == SCTP_RECVV_RCVINFO or infotype == SCTP_RECVV_RN:
        ri = RcvInfo.__new__(RcvInfo)
        ri.c = rn.recvv_rcvinfo
    if infotype == SCTP_RECVV_NXTINFO:
        ni = NxtInfo.__new__(NxtInfo)
        memcpy(&ni.c, &rn.recvv_rcvinfo, sizeof(sctp_nxtinfo))  # lone NXTINFO sits at the start
    elif infotype == SCTP_RECVV_RN:
        ni = NxtInfo.__new__(NxtInfo)
        ni.c = rn.recvv_nxtinfo
    return bytes(buf[:n]), sockaddr_to_py(<sockaddr *>&ss, sl), ri, ni, mflags
