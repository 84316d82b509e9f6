# cython: language_level=3
"""Received messages and the RFC 6458 ancillary-data structures.

PPID convention: every ``ppid`` csctp takes or returns is a host-order
integer in ``0 .. 2**32-1``.  The kernel carries the field opaquely, in the
wire's (network) byte order; csctp converts both ways so that a Diameter
PPID 46 is ``46`` on both ends, whatever the CPU's byte order.
"""

cimport cython
from libc.string cimport memset, memcpy
from csctp.includes.socket cimport sockaddr
from csctp._addr cimport sockaddr_to_py
from csctp._convert cimport as_int, as_u16, as_u32, as_assoc_id
from libc.stdint cimport uint16_t, uint32_t
from csctp.includes.socket cimport MSG_EOR, MSG_TRUNC, MSG_CTRUNC, ntohl, htonl
from csctp.includes.sctp cimport (
    MSG_NOTIFICATION, SCTP_UNORDERED, SCTP_ADDR_OVER, SCTP_ABORT, SCTP_EOF,
    CSCTP_SENDALL, SCTP_SACK_IMMEDIATELY, SCTP_PR_SCTP_MASK,
    SCTP_PR_SCTP_NONE, SCTP_PR_SCTP_TTL, SCTP_PR_SCTP_RTX, SCTP_PR_SCTP_PRIO)


@cython.freelist(64)      # one per received message: reuse instead of malloc/free
cdef class Message:
    """One received SCTP user message (or a piece of one, see :attr:`eor`).

    ``data`` is ``bytes`` (from ``recv``) or ``None`` (from ``recv_into``, where
    the bytes are in the caller's buffer).  ``stream``, ``ssn``, ``ppid``,
    ``tsn``, ``cumtsn``, ``context``, ``assoc_id`` and ``flags`` come from
    the RCVINFO the kernel attached; ``nxt`` holds NXTINFO when enabled.
    """

    def __init__(self, data=None, *, stream=0, ppid=0, flags=0, msg_flags=MSG_EOR,
                 assoc_id=0, ssn=0, tsn=0, cumtsn=0, context=0, addr=None):
        self.data = data
        self.stream = as_u16(stream, "Message: stream")
        self.ppid = as_u32(ppid, "Message: ppid")
        self.flags = as_u16(flags, "Message: flags")
        self.msg_flags = <int>as_int(msg_flags, "Message: msg_flags", -0x80000000, 0x7FFFFFFF)
        self.assoc_id = as_assoc_id(assoc_id, "Message: assoc_id")
        self.ssn = as_u16(ssn, "Message: ssn")
        self.tsn = as_u32(tsn, "Message: tsn")
        self.cumtsn = as_u32(cumtsn, "Message: cumtsn")
        self.context = as_u32(context, "Message: context")
        self._addr = addr
        self._salen = 0
        self.has_info = True

    @property
    def addr(self):
        """The sender's address ``(host, port[, flowinfo, scope_id])`` (one-to-many sockets), else None."""
        if self._addr is None and self._salen:
            self._addr = sockaddr_to_py(<const sockaddr *>self._sa, self._salen)
        return self._addr

    @addr.setter
    def addr(self, value):
        self._addr = value
        self._salen = 0

    @property
    def eor(self):
        """True when this is the end of a message (MSG_EOR); False for a partial delivery."""
        return (self.msg_flags & MSG_EOR) != 0

    @property
    def unordered(self):
        """True for a message sent with SCTP_UNORDERED."""
        return (self.flags & SCTP_UNORDERED) != 0

    @property
    def is_notification(self):
        """True when ``data`` is a kernel notification, not user data."""
        return (self.msg_flags & MSG_NOTIFICATION) != 0

    @property
    def truncated(self):
        """True when the kernel reported MSG_TRUNC (only with a datagram-style peek)."""
        return (self.msg_flags & MSG_TRUNC) != 0

    def __len__(self):
        return 0 if self.data is None else len(self.data)

    def __repr__(self):
        d = self.data
        if d is not None and len(d) > 32:
            d = bytes(d[:32]) + b"..."
        kind = "Notification" if self.is_notification else "Message"
        return (f"<{kind} stream={self.stream} ppid={self.ppid} ssn={self.ssn} "
                f"assoc_id={self.assoc_id} eor={self.eor} unordered={self.unordered} data={d!r}>")


cdef Message message_new():
    cdef Message m = Message.__new__(Message)
    return m


cdef void message_set_addr(Message m, const void *sa, int salen) noexcept:
    if salen > <int>sizeof(m._sa):
        salen = sizeof(m._sa)
    memcpy(m._sa, sa, salen)
    m._salen = salen


cdef void message_set_meta(Message m, const rcv_meta *meta):
    """Message fields from the parsed control messages (see parse_rcv_cmsgs)."""
    cdef NxtInfo nxt
    if meta.info & META_RCV:
        m.stream = meta.stream
        m.ssn = meta.ssn
        m.flags = meta.flags
        m.ppid = meta.ppid
        m.tsn = meta.tsn
        m.cumtsn = meta.cumtsn
        m.context = meta.context
        m.assoc_id = meta.assoc_id
        m.has_info = True
    if meta.info & META_NXT:
        nxt = NxtInfo.__new__(NxtInfo)
        nxt.c.nxt_sid = meta.nxt_stream
        nxt.c.nxt_flags = meta.nxt_flags
        nxt.c.nxt_ppid = htonl(meta.nxt_ppid)
        nxt.c.nxt_length = meta.nxt_length
        nxt.c.nxt_assoc_id = meta.nxt_assoc_id
        m.nxt = nxt


cdef class SndRcvInfo:
    """``struct sctp_sndrcvinfo`` (RFC 6458 5.3.2, deprecated but still used by sctp_send/sctp_recvmsg)."""

    def __init__(self, stream=0, ppid=0, flags=0, context=0, timetolive=0, assoc_id=0):
        memset(&self.c, 0, sizeof(self.c))
        self.c.sinfo_stream = as_u16(stream, "SndRcvInfo: stream")
        self.c.sinfo_ppid = htonl(as_u32(ppid, "SndRcvInfo: ppid"))
        self.c.sinfo_flags = as_u16(flags, "SndRcvInfo: flags")
        self.c.sinfo_context = as_u32(context, "SndRcvInfo: context")
        self.c.sinfo_timetolive = as_u32(timetolive, "SndRcvInfo: timetolive")
        self.c.sinfo_assoc_id = as_assoc_id(assoc_id, "SndRcvInfo: assoc_id")

    @property
    def stream(self): return self.c.sinfo_stream
    @property
    def ssn(self): return self.c.sinfo_ssn
    @property
    def flags(self): return self.c.sinfo_flags
    @property
    def ppid(self): return ntohl(self.c.sinfo_ppid)
    @property
    def context(self): return self.c.sinfo_context
    @property
    def timetolive(self): return self.c.sinfo_timetolive
    @property
    def tsn(self): return self.c.sinfo_tsn
    @property
    def cumtsn(self): return self.c.sinfo_cumtsn
    @property
    def assoc_id(self): return self.c.sinfo_assoc_id

    def __repr__(self):
        return (f"SndRcvInfo(stream={self.stream}, ssn={self.ssn}, flags={self.flags:#x}, ppid={self.ppid}, "
                f"context={self.context}, timetolive={self.timetolive}, tsn={self.tsn}, "
                f"cumtsn={self.cumtsn}, assoc_id={self.assoc_id})")


@cython.freelist(16)
cdef class NxtInfo:
    """``struct sctp_nxtinfo`` (RFC 6458 5.3.6): what the *next* message will be."""

    @property
    def stream(self): return self.c.nxt_sid
    @property
    def flags(self): return self.c.nxt_flags
    @property
    def ppid(self): return ntohl(self.c.nxt_ppid)
    @property
    def length(self): return self.c.nxt_length
    @property
    def assoc_id(self): return self.c.nxt_assoc_id
    @property
    def is_notification(self): return (self.c.nxt_flags & MSG_NOTIFICATION) != 0   # Linux: SCTP_NOTIFICATION == MSG_NOTIFICATION
    @property
    def unordered(self): return (self.c.nxt_flags & SCTP_UNORDERED) != 0

    def __repr__(self):
        return (f"NxtInfo(stream={self.stream}, flags={self.flags:#x}, ppid={self.ppid}, "
                f"length={self.length}, assoc_id={self.assoc_id})")


cdef class RcvInfo:
    """``struct sctp_rcvinfo`` (RFC 6458 5.3.5): what arrived with a message."""

    @property
    def stream(self): return self.c.rcv_sid
    @property
    def ssn(self): return self.c.rcv_ssn
    @property
    def flags(self): return self.c.rcv_flags
    @property
    def ppid(self): return ntohl(self.c.rcv_ppid)
    @property
    def tsn(self): return self.c.rcv_tsn
    @property
    def cumtsn(self): return self.c.rcv_cumtsn
    @property
    def context(self): return self.c.rcv_context
    @property
    def assoc_id(self): return self.c.rcv_assoc_id

    def __repr__(self):
        return (f"RcvInfo(stream={self.stream}, ssn={self.ssn}, flags={self.flags:#x}, ppid={self.ppid}, "
                f"tsn={self.tsn}, cumtsn={self.cumtsn}, context={self.context}, assoc_id={self.assoc_id})")


cdef class SndInfo:
    """``struct sctp_sndinfo`` (RFC 6458 5.3.4): how to send a message."""

    def __init__(self, stream=0, ppid=0, flags=0, context=0, assoc_id=0):
        self.c.snd_sid = as_u16(stream, "SndInfo: stream")
        self.c.snd_flags = as_u16(flags, "SndInfo: flags")
        self.c.snd_ppid = htonl(as_u32(ppid, "SndInfo: ppid"))
        self.c.snd_context = as_u32(context, "SndInfo: context")
        self.c.snd_assoc_id = as_assoc_id(assoc_id, "SndInfo: assoc_id")

    @property
    def stream(self): return self.c.snd_sid
    @property
    def flags(self): return self.c.snd_flags
    @property
    def ppid(self): return ntohl(self.c.snd_ppid)
    @property
    def context(self): return self.c.snd_context
    @property
    def assoc_id(self): return self.c.snd_assoc_id

    def __repr__(self):
        return (f"SndInfo(stream={self.stream}, ppid={self.ppid}, flags={self.flags:#x}, "
                f"context={self.context}, assoc_id={self.assoc_id})")


cdef class PrInfo:
    """``struct sctp_prinfo`` (RFC 6458 5.3.7): PR-SCTP policy (``SCTP_PR_SCTP_TTL``/``RTX``/``PRIO``) and value."""

    def __init__(self, policy=SCTP_PR_SCTP_NONE, value=0):
        cdef uint16_t pol = as_u16(policy, "PrInfo: policy")
        if pol not in (SCTP_PR_SCTP_NONE, SCTP_PR_SCTP_TTL, SCTP_PR_SCTP_RTX, SCTP_PR_SCTP_PRIO):
            raise ValueError(f"PrInfo: policy must be SCTP_PR_SCTP_NONE/TTL/RTX/PRIO, got {pol:#x}")
        self.c.pr_policy = pol
        self.c.pr_value = as_u32(value, "PrInfo: value")

    @property
    def policy(self): return self.c.pr_policy
    @property
    def value(self): return self.c.pr_value

    def __repr__(self):
        return f"PrInfo(policy={self.policy:#x}, value={self.value})"


cdef class AuthInfo:
    """``struct sctp_authinfo`` (RFC 6458 5.3.8): the shared key number to authenticate with."""

    def __init__(self, keynumber=0):
        self.c.auth_keynumber = as_u16(keynumber, "AuthInfo: keynumber")

    @property
    def keynumber(self): return self.c.auth_keynumber

    def __repr__(self):
        return f"AuthInfo(keynumber={self.keynumber})"
