# Typed SCTP notifications (RFC 6458 section 6.1) and event subscription.

from libc.stdint cimport uint32_t
from csctp.includes.sctp cimport sctp_assoc_t

cdef class Notification:
    cdef readonly object type           # sn_type: NotificationType, or an int csctp does not know
    cdef readonly int flags             # sn_flags
    cdef readonly uint32_t length       # sn_length (bytes used, header included)
    cdef readonly sctp_assoc_t assoc_id
    cdef readonly bytes raw             # the notification's bytes, sn_length of them

cdef class AssocChange(Notification):
    cdef readonly object state          # AssocChangeState, or an int csctp does not know
    cdef readonly int error
    cdef readonly int outbound_streams
    cdef readonly int inbound_streams
    cdef readonly bytes info            # sac_info: ABORT causes (COMM_LOST) or features (COMM_UP)

cdef class PeerAddrChange(Notification):
    cdef readonly object addr
    cdef readonly object state          # PeerAddrChangeState, or an int csctp does not know
    cdef readonly int error

cdef class SendFailed(Notification):
    cdef readonly uint32_t error
    cdef readonly int stream
    cdef readonly int ssn
    cdef readonly int info_flags
    cdef readonly uint32_t ppid         # host order
    cdef readonly uint32_t context
    cdef readonly uint32_t timetolive
    cdef readonly uint32_t tsn
    cdef readonly uint32_t cumtsn
    cdef readonly bytes data

cdef class SendFailedEvent(Notification):
    cdef readonly uint32_t error
    cdef readonly int stream
    cdef readonly int info_flags
    cdef readonly uint32_t ppid         # host order
    cdef readonly uint32_t context
    cdef readonly bytes data

cdef class RemoteError(Notification):
    cdef readonly int error             # cause code, host order
    cdef readonly bytes data

cdef class Shutdown(Notification):
    pass

cdef class PartialDelivery(Notification):
    cdef readonly uint32_t indication
    cdef readonly object stream         # int, or None on kernels before 4.16 (no such field)
    cdef readonly object seq

cdef class AdaptationIndication(Notification):
    cdef readonly uint32_t adaptation_ind

cdef class Authentication(Notification):
    cdef readonly int keynumber
    cdef readonly int altkeynumber
    cdef readonly uint32_t indication

cdef class SenderDry(Notification):
    pass

cdef class StreamReset(Notification):
    cdef readonly list streams

cdef class AssocReset(Notification):
    cdef readonly uint32_t local_tsn
    cdef readonly uint32_t remote_tsn

cdef class StreamChange(Notification):
    cdef readonly int instreams
    cdef readonly int outstreams

# Parse *n* bytes at *p* (no alignment assumed).  *src*: the object the
# bytes live in; reused as ``raw`` when it is a bytes object of exactly the
# notification's length, so a recv() notification is not copied again.
cdef Notification parse_buf(const unsigned char *p, Py_ssize_t n, object src)
