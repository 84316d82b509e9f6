# C-level interface of csctp._message: Message, the RFC 6458 ancillary structures and the
# one parser of receive control messages, for the other compiled modules to cimport.

from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.string cimport memset
from csctp.includes.socket cimport msghdr, cmsghdr, ntohl
from csctp.includes.sctp cimport (
    sctp_assoc_t, sctp_rcvinfo, sctp_nxtinfo, sctp_sndrcvinfo, sctp_sndinfo, sctp_prinfo, sctp_authinfo,
    IPPROTO_SCTP, CSCTP_CMSG_RCVINFO, CSCTP_CMSG_SNDRCV, CSCTP_CMSG_NXTINFO,
    csctp_cmsg_first_in, csctp_cmsg_next_in, csctp_cmsg_data, csctp_cmsg_len, csctp_cmsg_space)

# What the control messages of one received message say: the one C struct of receive
# metadata, filled by the one parser below for Message (csctp._core) and BatchPool alike.
cdef enum:
    META_RCV = 1                    # RCVINFO (or the legacy SNDRCV) came with the message
    META_NXT = 2                    # NXTINFO came with the message

cdef struct rcv_meta:
    uint8_t info                    # META_RCV | META_NXT
    uint16_t stream
    uint16_t ssn
    uint16_t flags
    uint32_t ppid                   # host order
    uint32_t tsn
    uint32_t cumtsn
    uint32_t context
    sctp_assoc_t assoc_id
    uint16_t nxt_stream
    uint16_t nxt_flags
    uint32_t nxt_ppid               # host order
    uint32_t nxt_length
    sctp_assoc_t nxt_assoc_id


cdef inline void _set_rcv(rcv_meta *out, uint16_t stream, uint16_t ssn, uint16_t flags, uint32_t wire_ppid,
                          uint32_t tsn, uint32_t cumtsn, uint32_t context, sctp_assoc_t assoc_id) noexcept nogil:
    """What RCVINFO (or the legacy SNDRCV, the same fields under other names) says."""
    out.stream = stream
    out.ssn = ssn
    out.flags = flags
    out.ppid = ntohl(wire_ppid)
    out.tsn = tsn
    out.cumtsn = cumtsn
    out.context = context
    out.assoc_id = assoc_id
    out.info |= META_RCV


cdef inline void _take_rcvinfo(rcv_meta *out, const sctp_rcvinfo *ri) noexcept nogil:
    _set_rcv(out, ri.rcv_sid, ri.rcv_ssn, ri.rcv_flags, ri.rcv_ppid, ri.rcv_tsn, ri.rcv_cumtsn, ri.rcv_context,
             ri.rcv_assoc_id)


cdef inline void parse_rcv_cmsgs(msghdr *msg, rcv_meta *out) noexcept nogil:
    """Fill *out* from the RCVINFO / SNDRCV / NXTINFO control messages of *msg*.

    Every header is checked against the buffer (csctp_cmsg_*_in), and a control
    message shorter than its structure is skipped.  RCVINFO wins over SNDRCV
    when both come (SNDRCV only comes with the deprecated data_io event on).
    """
    cdef cmsghdr *c
    cdef sctp_sndrcvinfo *si
    cdef sctp_nxtinfo *ni
    memset(out, 0, sizeof(rcv_meta))
    if msg.msg_controllen == 0:
        return
    # The usual buffer holds one RCVINFO and nothing else (NXTINFO and the legacy SNDRCV
    # off): recognised by its exact lengths, which are the walk's bounds checks for a
    # buffer one control message long, so it costs no walk (a third of a batch's
    # per-message cost was the walk).
    c = <cmsghdr *>msg.msg_control
    if (c != NULL and msg.msg_controllen == csctp_cmsg_space(sizeof(sctp_rcvinfo))
            and c.cmsg_len == csctp_cmsg_len(sizeof(sctp_rcvinfo))
            and c.cmsg_level == IPPROTO_SCTP and c.cmsg_type == CSCTP_CMSG_RCVINFO):
        _take_rcvinfo(out, <sctp_rcvinfo *>csctp_cmsg_data(c))
        return
    c = csctp_cmsg_first_in(msg)
    while c != NULL:
        if c.cmsg_level == IPPROTO_SCTP:
            if c.cmsg_type == CSCTP_CMSG_RCVINFO and c.cmsg_len >= csctp_cmsg_len(sizeof(sctp_rcvinfo)):
                _take_rcvinfo(out, <sctp_rcvinfo *>csctp_cmsg_data(c))
            elif (c.cmsg_type == CSCTP_CMSG_SNDRCV and not (out.info & META_RCV)
                  and c.cmsg_len >= csctp_cmsg_len(sizeof(sctp_sndrcvinfo))):
                si = <sctp_sndrcvinfo *>csctp_cmsg_data(c)
                _set_rcv(out, si.sinfo_stream, si.sinfo_ssn, si.sinfo_flags, si.sinfo_ppid, si.sinfo_tsn,
                         si.sinfo_cumtsn, si.sinfo_context, si.sinfo_assoc_id)
            elif c.cmsg_type == CSCTP_CMSG_NXTINFO and c.cmsg_len >= csctp_cmsg_len(sizeof(sctp_nxtinfo)):
                ni = <sctp_nxtinfo *>csctp_cmsg_data(c)
                out.nxt_stream = ni.nxt_sid
                out.nxt_flags = ni.nxt_flags
                out.nxt_ppid = ntohl(ni.nxt_ppid)
                out.nxt_length = ni.nxt_length
                out.nxt_assoc_id = ni.nxt_assoc_id
                out.info |= META_NXT
        c = csctp_cmsg_next_in(msg, c)


cdef class Message:
    cdef public object data         # bytes for recv(); None for recv_into()
    cdef object _addr               # decoded sender address, or one given by the caller
    cdef char _sa[28]               # raw sender sockaddr (in or in6), decoded on first use
    cdef int _salen
    cdef readonly int stream
    cdef readonly int ssn
    cdef readonly int flags         # rcv_flags (SCTP_UNORDERED, ...)
    cdef readonly int msg_flags     # recvmsg flags (MSG_EOR, MSG_NOTIFICATION, ...)
    cdef readonly uint32_t ppid     # host order
    cdef readonly uint32_t tsn
    cdef readonly uint32_t cumtsn
    cdef readonly uint32_t context
    cdef readonly sctp_assoc_t assoc_id
    cdef readonly bint has_info     # a RCVINFO/SNDRCV cmsg came with the message
    cdef readonly object nxt        # NxtInfo or None

cdef Message message_new()
cdef void message_set_addr(Message m, const void *sa, int salen) noexcept
cdef void message_set_meta(Message m, const rcv_meta *meta)

cdef class SndRcvInfo:
    cdef sctp_sndrcvinfo c

cdef class NxtInfo:
    cdef sctp_nxtinfo c

cdef class RcvInfo:
    cdef sctp_rcvinfo c

cdef class SndInfo:
    cdef sctp_sndinfo c

cdef class PrInfo:
    cdef sctp_prinfo c

cdef class AuthInfo:
    cdef sctp_authinfo c
