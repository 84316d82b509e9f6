# cython: language_level=3
"""Kernel SCTP notifications as typed objects, and per-event subscription.

A notification is a message whose ``recvmsg`` flags carry
``MSG_NOTIFICATION``; its bytes are one of the structures of RFC 6458
section 6.1 as laid out by the Linux kernel (include/uapi/linux/sctp.h).
:func:`parse` turns those bytes into a typed object.

The parser reads at explicit offsets of the kernel ABI with ``memcpy``, so
it assumes no alignment of the buffer and never trusts a length it has not
checked against the bytes it was given: input shorter than the header or
than its type's fixed part, or a header that claims more bytes than there
are, raises ``ValueError``; an unknown ``sn_type`` comes back as a generic
:class:`Notification` with the raw bytes.

Events are off until subscribed.  :func:`subscribe` uses ``SCTP_EVENT``
(one ``struct sctp_event`` per type, RFC 6458 6.2.1) and falls back to the
legacy ``SCTP_EVENTS`` structure on kernels without it.
"""

from libc.errno cimport ENOPROTOOPT, EINVAL
from libc.errno cimport errno
from libc.string cimport memcpy, memset
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t
from libc.limits cimport INT_MIN, INT_MAX
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.bytes cimport PyBytes_FromStringAndSize

from csctp.includes.socket cimport sockaddr, sockaddr_storage, socklen_t, getsockopt, setsockopt, ntohl, ntohs
from csctp.includes.sctp cimport sctp_event, sctp_assoc_t
from csctp.includes.constants cimport (
    SOL_SCTP, SCTP_EVENT, SCTP_EVENTS,
    CSCTP_SN_TYPE_BASE, CSCTP_DATA_IO_EVENT, CSCTP_ASSOC_CHANGE, CSCTP_PEER_ADDR_CHANGE,
    CSCTP_SEND_FAILED, CSCTP_REMOTE_ERROR, CSCTP_SHUTDOWN_EVENT, CSCTP_PARTIAL_DELIVERY_EVENT,
    CSCTP_ADAPTATION_INDICATION, CSCTP_AUTHENTICATION_EVENT, CSCTP_SENDER_DRY_EVENT,
    CSCTP_STREAM_RESET_EVENT, CSCTP_ASSOC_RESET_EVENT, CSCTP_STREAM_CHANGE_EVENT,
    CSCTP_SEND_FAILED_EVENT,
    CSCTP_SN_HDR_SIZE, CSCTP_SAC_SIZE, CSCTP_SPC_ADDR, CSCTP_SOCKADDR_STORAGE_SIZE, CSCTP_SPC_SIZE,
    CSCTP_SRE_SIZE, CSCTP_SSF_INFO, CSCTP_SSF_SIZE, CSCTP_SSFE_SIZE, CSCTP_SSE_SIZE, CSCTP_SENDER_DRY_SIZE,
    CSCTP_SAI_SIZE, CSCTP_PDAPI_OLD_SIZE, CSCTP_PDAPI_SIZE, CSCTP_AUTH_SIZE, CSCTP_STRRESET_SIZE,
    CSCTP_ASSOCRESET_SIZE, CSCTP_STRCHANGE_SIZE)
from csctp._core cimport fileno_of
from csctp._convert cimport as_int, as_assoc_id
from csctp._errors cimport raise_errno
from csctp._addr cimport sockaddr_to_py
from csctp._errors import UnsupportedOption
from csctp.constants import AssocChangeState, NotificationType, PeerAddrChangeState
from enum import IntEnum

# ---- kernel ABI layout (include/uapi/linux/sctp.h), byte offsets ----------
# Every structure starts with the 8-byte header {u16 type, u16 flags, u32 length}
# (CSCTP_SN_HDR_SIZE).  The structure sizes and the offsets of variable parts
# are the one list's (CSCTP_*_SIZE, checked against the installed headers);
# the field offsets below are written where they are read:
# sctp_assoc_change: state u16 @8, error u16 @10, outbound u16 @12, inbound u16 @14,
#   assoc_id @16, sac_info[] @20
# sctp_paddr_change is packed, aligned(4): sockaddr_storage (128 bytes) @8,
#   state i32 @136, error i32 @140, assoc_id @144
# sctp_remote_error: error __be16 @8, (2 bytes padding), assoc_id @12, data[] @16
# sctp_send_failed: error u32 @8, sctp_sndrcvinfo (32 bytes) @12, assoc_id @44, data[] @48
#   sndrcvinfo: stream u16 @0, ssn u16 @2, flags u16 @4, ppid @8, context @12,
#   timetolive @16, tsn @20, cumtsn @24, assoc_id @28
# sctp_send_failed_event: error u32 @8, sctp_sndinfo (16 bytes) @12, assoc_id @28, data[] @32
#   sndinfo: sid u16 @0, flags u16 @2, ppid @4, context @8, assoc_id @12
# sctp_shutdown_event / sctp_sender_dry_event: assoc_id @8
# sctp_adaptation_event: adaptation_ind @8, assoc_id @12
# sctp_pdapi_event: indication @8, assoc_id @12, stream @16, seq @20.  Kernels
#   before 4.16 (I-DATA support) end after assoc_id: 16 bytes, no stream/seq.
# sctp_authkey_event: keynumber u16 @8, altkeynumber u16 @10, indication u32 @12, assoc_id @16
# sctp_stream_reset_event: assoc_id @8, stream_list u16[] @12
# sctp_assoc_reset_event: assoc_id @8, local_tsn @12, remote_tsn @16
# sctp_stream_change_event: assoc_id @8, instrms u16 @12, outstrms u16 @14

cdef enum:
    # room for the legacy struct sctp_event_subscribe: one byte per type, in
    # sn_type order; it grew from 10 bytes (sender_dry) to 14
    # (send_failure_event_event, 5.x)
    EVENTS_MAX = 64


cdef inline uint16_t _u16(const unsigned char *p) noexcept nogil:
    cdef uint16_t v
    memcpy(&v, p, 2)
    return v


cdef inline uint32_t _u32(const unsigned char *p) noexcept nogil:
    cdef uint32_t v
    memcpy(&v, p, 4)
    return v


cdef inline int32_t _i32(const unsigned char *p) noexcept nogil:
    cdef int32_t v
    memcpy(&v, p, 4)
    return v


_AUTH_INDICATIONS = {0: "AUTH_NEW_KEY", 1: "AUTH_FREE_KEY", 2: "AUTH_NO_AUTH"}

# int -> enum member, for the fields that carry one; a value the enum does
# not know (a newer kernel's) stays an int
_TYPES = {int(m): m for m in NotificationType}
_ASSOC_STATES = {int(m): m for m in AssocChangeState}
_ADDR_STATES = {int(m): m for m in PeerAddrChangeState}


cdef object _named(object v):
    # repr of an enum-valued field: the member's name, or the int
    return v.name if isinstance(v, IntEnum) else v


cdef class Notification:
    """A kernel SCTP notification.  Also the generic form for unknown types.

    ``type`` (``sn_type``), ``flags``, ``length`` (``sn_length``),
    ``assoc_id`` (0 when the type is unknown), ``raw`` (the bytes), and
    ``kind``, the type's name (``"assoc_change"``, ...; ``"unknown"``).
    """

    def __init__(self, *a, **k):
        raise TypeError(f"{type(self).__name__} objects come from csctp.parse_notification(), not a constructor")

    @property
    def kind(self):
        """The notification's kind name, as accepted by :func:`subscribe`."""
        return KIND_NAMES.get(self.type, "unknown")

    def _fields(self):
        return [("type", hex(self.type)), ("length", self.length)]

    def __repr__(self):
        f = " ".join(f"{k}={v}" for k, v in self._fields())
        return f"<{type(self).__name__} assoc_id={self.assoc_id} {f}>"

    def __reduce__(self):
        # a notification is its bytes: pickling re-parses them
        return (parse, (self.raw,))


cdef class AssocChange(Notification):
    """``SCTP_ASSOC_CHANGE``: an association came up, went down, restarted or could not start.

    ``state`` (``SCTP_COMM_UP``, ``SCTP_COMM_LOST``, ``SCTP_RESTART``,
    ``SCTP_SHUTDOWN_COMP``, ``SCTP_CANT_STR_ASSOC``), ``error``,
    ``outbound_streams``, ``inbound_streams``, ``info`` (``sac_info``: on
    COMM_LOST/CANT_STR_ASSOC the body of the ABORT chunk, i.e. its error
    causes; on COMM_UP/RESTART the supported features, one byte each).
    ``error`` is an SCTP cause code in host order (12, User-Initiated Abort,
    for a peer's ABORT); the kernel stores it byte-swapped, csctp undoes that.
    """

    @property
    def supported_features(self):
        """COMM_UP/RESTART: the features in ``sac_info`` (``SCTP_ASSOC_SUPPORTS_*``); else ``[]``.

        RFC 6458 6.1.1 lets the stack list them; Linux sends none (empty
        ``info``), FreeBSD does.
        """
        if self.state == 0 or self.state == 2:
            return list(self.info)
        return []

    def _fields(self):
        return [("state", _named(self.state)), ("error", self.error),
                ("outbound_streams", self.outbound_streams), ("inbound_streams", self.inbound_streams),
                ("info", self.info)]


cdef class PeerAddrChange(Notification):
    """``SCTP_PEER_ADDR_CHANGE``: a peer address changed state.

    ``addr`` (``(host, port)`` or ``(host, port, flowinfo, scope_id)``, None
    for an unknown family), ``state`` (``SCTP_ADDR_AVAILABLE``, ...), ``error``.
    """

    def _fields(self):
        return [("addr", self.addr), ("state", _named(self.state)), ("error", self.error)]


cdef class SendFailed(Notification):
    """``SCTP_SEND_FAILED`` (legacy form): a message, or a fragment of one, could not be delivered.

    ``flags`` is ``SCTP_DATA_UNSENT`` (0: never on the wire) or
    ``SCTP_DATA_SENT`` (1); ``error`` (SCTP cause code, host order;
    0 for a PR-SCTP abandon); the original ``sctp_sndrcvinfo`` as
    ``stream``, ``ssn``, ``info_flags`` (the DATA chunk's flags, kernel
    quirk), ``ppid`` (host order), ``context``, ``timetolive``, ``tsn``,
    ``cumtsn``; ``data``, the undelivered payload.
    """

    @property
    def sent(self):
        """True when the data had been put on the wire (``SCTP_DATA_SENT``)."""
        return self.flags == 1

    def _fields(self):
        d = self.data if len(self.data) <= 32 else self.data[:32] + b"..."
        return [("error", self.error), ("sent", self.sent), ("stream", self.stream), ("ppid", self.ppid),
                ("context", self.context), ("data", d)]


cdef class SendFailedEvent(Notification):
    """``SCTP_SEND_FAILED_EVENT`` (RFC 6458 6.1.11): a message, or fragment, could not be delivered.

    ``flags``: ``SCTP_DATA_UNSENT`` (0) or ``SCTP_DATA_SENT`` (1); ``error``
    (SCTP cause code, host order; 0 for a PR-SCTP abandon);
    the original ``sctp_sndinfo`` as ``stream``, ``info_flags``, ``ppid``
    (host order), ``context``; ``data``, the undelivered payload.
    """

    @property
    def sent(self):
        """True when the data had been put on the wire (``SCTP_DATA_SENT``)."""
        return self.flags == 1

    def _fields(self):
        d = self.data if len(self.data) <= 32 else self.data[:32] + b"..."
        return [("error", self.error), ("sent", self.sent), ("stream", self.stream), ("ppid", self.ppid),
                ("context", self.context), ("data", d)]


cdef class RemoteError(Notification):
    """``SCTP_REMOTE_ERROR``: the peer sent an Operation Error.

    ``error``: the cause code (host order); ``data``: the cause's body as
    the kernel passed it (binary, never decoded).
    """

    def _fields(self):
        return [("error", self.error), ("data", self.data)]


cdef class Shutdown(Notification):
    """``SCTP_SHUTDOWN_EVENT``: the peer sent SHUTDOWN; stop sending."""

    def _fields(self):
        return []


cdef class PartialDelivery(Notification):
    """``SCTP_PARTIAL_DELIVERY_EVENT``: ``indication`` (``SCTP_PARTIAL_DELIVERY_ABORTED``), ``stream``, ``seq``.

    ``stream`` and ``seq`` are None on kernels older than 4.16, whose
    structure ends after ``assoc_id``.
    """

    def _fields(self):
        return [("indication", self.indication), ("stream", self.stream), ("seq", self.seq)]


cdef class AdaptationIndication(Notification):
    """``SCTP_ADAPTATION_INDICATION``: the peer's adaptation layer indication (``adaptation_ind``)."""

    def _fields(self):
        return [("adaptation_ind", hex(self.adaptation_ind))]


cdef class Authentication(Notification):
    """``SCTP_AUTHENTICATION_EVENT``: ``keynumber``, ``altkeynumber`` (Linux-only, always 0), ``indication``.

    ``indication``: ``SCTP_AUTH_NEW_KEY``, ``SCTP_AUTH_FREE_KEY`` or
    ``SCTP_AUTH_NO_AUTH`` (the peer does not support AUTH).
    """

    def _fields(self):
        return [("keynumber", self.keynumber), ("indication", _AUTH_INDICATIONS.get(self.indication, self.indication))]


cdef class SenderDry(Notification):
    """``SCTP_SENDER_DRY_EVENT``: no user data left to send or retransmit."""

    def _fields(self):
        return []


cdef class StreamReset(Notification):
    """``SCTP_STREAM_RESET_EVENT`` (RFC 6525): ``flags`` (``SCTP_STREAM_RESET_INCOMING_SSN``, ...), ``streams``.

    An empty ``streams`` list means all streams.
    """

    def _fields(self):
        return [("flags", hex(self.flags)), ("streams", self.streams)]


cdef class AssocReset(Notification):
    """``SCTP_ASSOC_RESET_EVENT`` (RFC 6525): ``flags``, ``local_tsn``, ``remote_tsn``."""

    def _fields(self):
        return [("flags", hex(self.flags)), ("local_tsn", self.local_tsn), ("remote_tsn", self.remote_tsn)]


cdef class StreamChange(Notification):
    """``SCTP_STREAM_CHANGE_EVENT`` (RFC 6525): ``flags``, ``instreams``, ``outstreams`` (the new counts)."""

    def _fields(self):
        return [("flags", hex(self.flags)), ("instreams", self.instreams), ("outstreams", self.outstreams)]


# ---- begin: generated by tools/gen-constants.py from csctp/_constants_table.py, do not edit ----
KINDS = {
    "data_io": NotificationType.DATA_IO_EVENT,
    "assoc_change": NotificationType.ASSOC_CHANGE,
    "peer_addr_change": NotificationType.PEER_ADDR_CHANGE,
    "send_failed": NotificationType.SEND_FAILED,
    "remote_error": NotificationType.REMOTE_ERROR,
    "shutdown": NotificationType.SHUTDOWN_EVENT,
    "partial_delivery": NotificationType.PARTIAL_DELIVERY_EVENT,
    "adaptation": NotificationType.ADAPTATION_INDICATION,
    "authentication": NotificationType.AUTHENTICATION_EVENT,
    "sender_dry": NotificationType.SENDER_DRY_EVENT,
    "stream_reset": NotificationType.STREAM_RESET_EVENT,
    "assoc_reset": NotificationType.ASSOC_RESET_EVENT,
    "stream_change": NotificationType.STREAM_CHANGE_EVENT,
    "send_failed_event": NotificationType.SEND_FAILED_EVENT,
}
"""Notification kind names and their ``sn_type`` (:class:`NotificationType`)."""

EVENT_CLASSES = {
    NotificationType.DATA_IO_EVENT: Notification,
    NotificationType.ASSOC_CHANGE: AssocChange,
    NotificationType.PEER_ADDR_CHANGE: PeerAddrChange,
    NotificationType.SEND_FAILED: SendFailed,
    NotificationType.REMOTE_ERROR: RemoteError,
    NotificationType.SHUTDOWN_EVENT: Shutdown,
    NotificationType.PARTIAL_DELIVERY_EVENT: PartialDelivery,
    NotificationType.ADAPTATION_INDICATION: AdaptationIndication,
    NotificationType.AUTHENTICATION_EVENT: Authentication,
    NotificationType.SENDER_DRY_EVENT: SenderDry,
    NotificationType.STREAM_RESET_EVENT: StreamReset,
    NotificationType.ASSOC_RESET_EVENT: AssocReset,
    NotificationType.STREAM_CHANGE_EVENT: StreamChange,
    NotificationType.SEND_FAILED_EVENT: SendFailedEvent,
}
"""``sn_type`` -> the class :func:`parse` returns for it."""

# the bytes of struct sctp_event_subscribe (SCTP_EVENTS), index = sn_type - SCTP_SN_TYPE_BASE
_LEGACY_FIELDS = (
    "sctp_data_io_event",
    "sctp_association_event",
    "sctp_address_event",
    "sctp_send_failure_event",
    "sctp_peer_error_event",
    "sctp_shutdown_event",
    "sctp_partial_delivery_event",
    "sctp_adaptation_layer_event",
    "sctp_authentication_event",
    "sctp_sender_dry_event",
    "sctp_stream_reset_event",
    "sctp_assoc_reset_event",
    "sctp_stream_change_event",
    "sctp_send_failure_event_event",
)
# ---- end of the generated part ----

KIND_NAMES = {v: k for k, v in KINDS.items()}
"""``sn_type`` -> kind name."""


cdef inline uint32_t _cause(uint32_t v) noexcept nogil:
    # Linux fills sac_error and ssf_error with its SCTP_ERROR_* constants,
    # which are cpu_to_be16() cause codes stored in a host-order field (a
    # received ABORT's "User-Initiated Abort", cause 12, shows up as 0x0c00
    # on x86).  Give users the cause code.
    if v <= 0xFFFF:
        return ntohs(<uint16_t>v)
    return v


cdef inline bytes _slice(const unsigned char *p, Py_ssize_t start, Py_ssize_t end):
    if end <= start:
        return b""
    return PyBytes_FromStringAndSize(<const char *>p + start, end - start)


cdef int _need(Py_ssize_t have, Py_ssize_t need, str what) except -1:
    if have < need:
        raise ValueError(f"parse_notification: {what} needs at least {need} bytes, sn_length is {have}")
    return 0


cdef Notification parse_buf(const unsigned char *p, Py_ssize_t n, object src):
    cdef uint16_t t
    cdef uint32_t length
    cdef Py_ssize_t L, i, count
    cdef int32_t v
    cdef Notification ev
    cdef AssocChange ac
    cdef PeerAddrChange pc
    cdef SendFailed sf
    cdef SendFailedEvent sfe
    cdef RemoteError re
    cdef PartialDelivery pd
    cdef AdaptationIndication ai
    cdef Authentication au
    cdef StreamReset sr
    cdef AssocReset ar
    cdef StreamChange sc
    cdef sockaddr_storage ss
    cdef list streams
    if n < CSCTP_SN_HDR_SIZE:
        raise ValueError(f"parse_notification: {n} bytes is shorter than the "
                         f"{CSCTP_SN_HDR_SIZE}-byte notification header")
    t = _u16(p)
    length = _u32(p + 4)
    if length > <uint32_t>n:
        raise ValueError(f"parse_notification: truncated: sn_length says {length} bytes, got {n}")
    if length < CSCTP_SN_HDR_SIZE:
        raise ValueError(f"parse_notification: garbled: sn_length {length} is shorter than the header")
    L = length

    if t == CSCTP_ASSOC_CHANGE:
        _need(L, CSCTP_SAC_SIZE, "SCTP_ASSOC_CHANGE")
        ac = AssocChange.__new__(AssocChange)
        v = _u16(p + 8)
        ac.state = _ASSOC_STATES.get(v, v)
        ac.error = _cause(_u16(p + 10))
        ac.outbound_streams = _u16(p + 12)
        ac.inbound_streams = _u16(p + 14)
        ac.assoc_id = _i32(p + 16)
        ac.info = _slice(p, CSCTP_SAC_SIZE, L)
        ev = ac
    elif t == CSCTP_PEER_ADDR_CHANGE:
        _need(L, CSCTP_SPC_SIZE, "SCTP_PEER_ADDR_CHANGE")
        pc = PeerAddrChange.__new__(PeerAddrChange)
        # copied out: the address sits at offset 8 of a packed structure and
        # the caller's buffer has no alignment guarantee
        memcpy(&ss, p + CSCTP_SPC_ADDR, CSCTP_SOCKADDR_STORAGE_SIZE)
        pc.addr = sockaddr_to_py(<sockaddr *>&ss, CSCTP_SOCKADDR_STORAGE_SIZE)
        v = _i32(p + 136)
        pc.state = _ADDR_STATES.get(v, v)
        pc.error = _i32(p + 140)
        pc.assoc_id = _i32(p + 144)
        ev = pc
    elif t == CSCTP_SEND_FAILED:
        _need(L, CSCTP_SSF_SIZE, "SCTP_SEND_FAILED")
        sf = SendFailed.__new__(SendFailed)
        sf.error = _cause(_u32(p + 8))
        sf.stream = _u16(p + CSCTP_SSF_INFO)
        sf.ssn = _u16(p + CSCTP_SSF_INFO + 2)
        sf.info_flags = _u16(p + CSCTP_SSF_INFO + 4)
        sf.ppid = ntohl(_u32(p + CSCTP_SSF_INFO + 8))
        sf.context = _u32(p + CSCTP_SSF_INFO + 12)
        sf.timetolive = _u32(p + CSCTP_SSF_INFO + 16)
        sf.tsn = _u32(p + CSCTP_SSF_INFO + 20)
        sf.cumtsn = _u32(p + CSCTP_SSF_INFO + 24)
        sf.assoc_id = _i32(p + 44)
        sf.data = _slice(p, CSCTP_SSF_SIZE, L)
        ev = sf
    elif t == CSCTP_SEND_FAILED_EVENT:
        _need(L, CSCTP_SSFE_SIZE, "SCTP_SEND_FAILED_EVENT")
        sfe = SendFailedEvent.__new__(SendFailedEvent)
        sfe.error = _cause(_u32(p + 8))
        sfe.stream = _u16(p + 12)
        sfe.info_flags = _u16(p + 14)
        sfe.ppid = ntohl(_u32(p + 16))
        sfe.context = _u32(p + 20)
        sfe.assoc_id = _i32(p + 28)
        sfe.data = _slice(p, CSCTP_SSFE_SIZE, L)
        ev = sfe
    elif t == CSCTP_REMOTE_ERROR:
        _need(L, CSCTP_SRE_SIZE, "SCTP_REMOTE_ERROR")
        re = RemoteError.__new__(RemoteError)
        re.error = ntohs(_u16(p + 8))       # __be16 in the kernel structure
        re.assoc_id = _i32(p + 12)
        re.data = _slice(p, CSCTP_SRE_SIZE, L)
        ev = re
    elif t == CSCTP_SHUTDOWN_EVENT:
        _need(L, CSCTP_SSE_SIZE, "SCTP_SHUTDOWN_EVENT")
        ev = Shutdown.__new__(Shutdown)
        ev.assoc_id = _i32(p + 8)
    elif t == CSCTP_SENDER_DRY_EVENT:
        _need(L, CSCTP_SENDER_DRY_SIZE, "SCTP_SENDER_DRY_EVENT")
        ev = SenderDry.__new__(SenderDry)
        ev.assoc_id = _i32(p + 8)
    elif t == CSCTP_PARTIAL_DELIVERY_EVENT:
        _need(L, CSCTP_PDAPI_OLD_SIZE, "SCTP_PARTIAL_DELIVERY_EVENT")
        pd = PartialDelivery.__new__(PartialDelivery)
        pd.indication = _u32(p + 8)
        pd.assoc_id = _i32(p + 12)
        if L >= CSCTP_PDAPI_SIZE:
            pd.stream = _u32(p + 16)
            pd.seq = _u32(p + 20)
        ev = pd
    elif t == CSCTP_ADAPTATION_INDICATION:
        _need(L, CSCTP_SAI_SIZE, "SCTP_ADAPTATION_INDICATION")
        ai = AdaptationIndication.__new__(AdaptationIndication)
        ai.adaptation_ind = _u32(p + 8)
        ai.assoc_id = _i32(p + 12)
        ev = ai
    elif t == CSCTP_AUTHENTICATION_EVENT:
        _need(L, CSCTP_AUTH_SIZE, "SCTP_AUTHENTICATION_EVENT")
        au = Authentication.__new__(Authentication)
        au.keynumber = _u16(p + 8)
        au.altkeynumber = _u16(p + 10)
        au.indication = _u32(p + 12)
        au.assoc_id = _i32(p + 16)
        ev = au
    elif t == CSCTP_STREAM_RESET_EVENT:
        _need(L, CSCTP_STRRESET_SIZE, "SCTP_STREAM_RESET_EVENT")
        sr = StreamReset.__new__(StreamReset)
        sr.assoc_id = _i32(p + 8)
        count = (L - CSCTP_STRRESET_SIZE) // 2
        streams = [None] * count
        for i in range(count):
            streams[i] = _u16(p + CSCTP_STRRESET_SIZE + 2 * i)
        sr.streams = streams
        ev = sr
    elif t == CSCTP_ASSOC_RESET_EVENT:
        _need(L, CSCTP_ASSOCRESET_SIZE, "SCTP_ASSOC_RESET_EVENT")
        ar = AssocReset.__new__(AssocReset)
        ar.assoc_id = _i32(p + 8)
        ar.local_tsn = _u32(p + 12)
        ar.remote_tsn = _u32(p + 16)
        ev = ar
    elif t == CSCTP_STREAM_CHANGE_EVENT:
        _need(L, CSCTP_STRCHANGE_SIZE, "SCTP_STREAM_CHANGE_EVENT")
        sc = StreamChange.__new__(StreamChange)
        sc.assoc_id = _i32(p + 8)
        sc.instreams = _u16(p + 12)
        sc.outstreams = _u16(p + 14)
        ev = sc
    else:
        ev = Notification.__new__(Notification)
    ev.type = _TYPES.get(t, t)
    ev.flags = _u16(p + 2)
    ev.length = length
    if type(src) is bytes and L == n:
        ev.raw = <bytes>src
    else:
        ev.raw = _slice(p, 0, L)
    return ev


def parse(data):
    """Parse the bytes of one notification (a ``Message`` with ``is_notification``) into a typed object.

    *data*: any bytes-like object.  Returns an :class:`AssocChange`,
    :class:`PeerAddrChange`, ... or, for an ``sn_type`` csctp does not know,
    a generic :class:`Notification`.  Raises ``ValueError`` when the bytes
    are shorter than the header or than their type's structure, or when the
    header claims more bytes than were given (a notification received
    into too small a buffer: receive it whole, e.g. ``Socket.recv_whole``).
    Bytes past ``sn_length`` are ignored.
    """
    cdef Py_buffer view
    try:
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    except (TypeError, BufferError):
        raise TypeError(f"parse_notification: need a bytes-like object, got {type(data).__name__}") from None
    try:
        return parse_buf(<const unsigned char *>view.buf, view.len, data)
    finally:
        PyBuffer_Release(&view)


# ---- subscription -----------------------------------------------------------

cdef int _kind_type(object kind, str op) except -1:
    cdef long t
    if isinstance(kind, str):
        try:
            return KINDS[kind]
        except KeyError:
            raise ValueError(f"{op}: unknown notification kind {kind!r} "
                             f"(known: {', '.join(sorted(KINDS))})") from None
    if isinstance(kind, int) and not isinstance(kind, bool):
        t = kind
        if t < CSCTP_DATA_IO_EVENT or t > CSCTP_SEND_FAILED_EVENT:
            raise ValueError(f"{op}: notification type {t:#x} is not an SCTP sn_type "
                             f"({CSCTP_DATA_IO_EVENT:#x}..{CSCTP_SEND_FAILED_EVENT:#x})")
        return <int>t
    raise TypeError(f"{op}: a notification kind is a name such as 'assoc_change' or an sn_type int, "
                    f"got {type(kind).__name__}")


cdef str _kname(int t):
    return KIND_NAMES.get(t, hex(t))


cdef int _legacy_get(int fd, uint8_t *buf, socklen_t *size) except -1:
    """Read the legacy ``struct sctp_event_subscribe`` at the running kernel's size.

    The kernel clamps a longer ``optlen`` to its own structure size and
    reports it back; a kernel that rejects the long read instead gets the
    known sizes, newest first.
    """
    cdef socklen_t sl
    cdef int rc, err
    cdef int sizes[6]
    cdef int k
    sizes[0] = EVENTS_MAX; sizes[1] = 14; sizes[2] = 13; sizes[3] = 11; sizes[4] = 10; sizes[5] = 9
    for k in range(6):
        memset(buf, 0, EVENTS_MAX)
        sl = sizes[k]
        rc = getsockopt(fd, SOL_SCTP, SCTP_EVENTS, buf, &sl)
        err = errno
        if rc == 0:
            size[0] = sl
            return 0
        if err != EINVAL:
            break
    raise_errno("getsockopt(SCTP_EVENTS)", err)


def _subscribe_legacy(sock, *kinds, bint on=True):
    """Subscribe through the legacy ``SCTP_EVENTS`` structure (the fallback of :func:`subscribe`).

    Reads the current structure at the size the running kernel accepts,
    sets only the requested bytes and writes it back with the same length,
    so other subscriptions are kept.  Socket-wide (no association id).
    Returns the structure size used.  A kind beyond the kernel's structure
    raises :class:`csctp.UnsupportedOption`.
    """
    cdef int fd = fileno_of(sock)
    cdef uint8_t buf[EVENTS_MAX]
    cdef socklen_t size = 0
    cdef int rc, err, t, idx
    cdef list types = [_kind_type(k, "subscribe") for k in kinds]
    if not types:
        raise ValueError("subscribe: name at least one notification kind")
    _legacy_get(fd, buf, &size)
    for t in types:
        idx = t - CSCTP_SN_TYPE_BASE
        if idx >= <int>size:
            raise UnsupportedOption(
                ENOPROTOOPT, f"subscribe: this kernel's SCTP_EVENTS has {size} fields and cannot "
                             f"subscribe {_kname(t)!r} (struct sctp_event_subscribe has no {_LEGACY_FIELDS[idx]})",
                "SCTP_EVENTS")
        buf[idx] = 1 if on else 0
    rc = setsockopt(fd, SOL_SCTP, SCTP_EVENTS, buf, size)
    err = errno
    if rc < 0:
        raise_errno("setsockopt(SCTP_EVENTS)", err)
    return size


def subscribe(sock, *kinds, on=True, assoc_id=0):
    """Turn notifications of the given kinds on (or off with ``on=False``).

    *sock*: a ``csctp.Socket``, a ``socket.socket`` or a file descriptor.
    *kinds*: names from :data:`KINDS` (``"assoc_change"``, ``"shutdown"``,
    ...) or ``sn_type`` ints.  *assoc_id*: ``SCTP_FUTURE_ASSOC`` (0, the
    default: associations set up from now on, and on a one-to-one socket its
    association), ``SCTP_CURRENT_ASSOC``, ``SCTP_ALL_ASSOC`` or one
    association's id (one-to-many).

    Uses ``SCTP_EVENT`` (RFC 6458 6.2.1), one call per kind.  On a kernel
    without it (ENOPROTOOPT), or one that rejects a future-association
    subscription (EINVAL), falls back to the legacy ``SCTP_EVENTS``
    structure, which is socket-wide.
    """
    cdef int fd = fileno_of(sock)
    cdef sctp_assoc_t aid = as_assoc_id(assoc_id, "subscribe: assoc_id")
    cdef sctp_event ev
    cdef int rc, err, i, n
    cdef list types = [_kind_type(k, "subscribe") for k in kinds]
    n = len(types)
    if n == 0:
        raise ValueError("subscribe: name at least one notification kind")
    for i in range(n):
        memset(&ev, 0, sizeof(ev))
        ev.se_assoc_id = aid
        ev.se_type = <uint16_t><int>types[i]
        ev.se_on = 1 if on else 0
        rc = setsockopt(fd, SOL_SCTP, SCTP_EVENT, &ev, sizeof(ev))
        err = errno
        if rc == 0:
            continue
        if i == 0 and (err == ENOPROTOOPT or (err == EINVAL and aid == 0)):
            _subscribe_legacy(fd, *types, on=on)
            return
        raise_errno(f"subscribe({_kname(types[i])!r}): setsockopt(SCTP_EVENT)", err)


def subscribed(sock, kind, assoc_id=0):
    """True when notifications of *kind* are on (``getsockopt(SCTP_EVENT)``; legacy fallback)."""
    cdef int fd = fileno_of(sock)
    cdef sctp_assoc_t aid = as_assoc_id(assoc_id, "subscribed: assoc_id")
    cdef int t = _kind_type(kind, "subscribed")
    cdef sctp_event ev
    cdef socklen_t sl = sizeof(ev)
    cdef uint8_t buf[EVENTS_MAX]
    cdef socklen_t size = 0
    cdef int rc, err
    memset(&ev, 0, sizeof(ev))
    ev.se_assoc_id = aid
    ev.se_type = <uint16_t>t
    rc = getsockopt(fd, SOL_SCTP, SCTP_EVENT, &ev, &sl)
    err = errno
    if rc == 0:
        return ev.se_on != 0
    if err != ENOPROTOOPT:
        raise_errno(f"subscribed({_kname(t)!r}): getsockopt(SCTP_EVENT)", err)
    _legacy_get(fd, buf, &size)
    if t - CSCTP_SN_TYPE_BASE >= <int>size:
        return False
    return buf[t - CSCTP_SN_TYPE_BASE] != 0
