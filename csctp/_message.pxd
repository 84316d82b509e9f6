from libc.stdint cimport uint16_t, uint32_t
from csctp.includes.sctp cimport sctp_assoc_t, sctp_rcvinfo, sctp_nxtinfo, sctp_sndrcvinfo, sctp_sndinfo, sctp_prinfo, sctp_authinfo

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
cdef void message_set_rcvinfo(Message m, const sctp_rcvinfo *ri)
cdef void message_set_sndrcv(Message m, const sctp_sndrcvinfo *si)

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
