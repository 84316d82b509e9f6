# cython: language_level=3
"""Typed SCTP socket options: RFC 6458 section 8, RFC 6525 (stream
reconfiguration), RFC 7496 (PR-SCTP), RFC 8260 (stream schedulers),
RFC 4895 (SCTP-AUTH).

Every function takes the socket first: a :class:`csctp.Socket`, a
``socket.socket`` or a file descriptor.  Getters return small typed
``NamedTuple`` results (``InitMsg``, ``Status``, ...) or plain ints/bools;
setters take keyword arguments and validate them before the system call
(``TypeError``/``ValueError`` naming the option).

Association scoping (RFC 6458 7.2): options that carry an ``assoc_id`` take
``assoc_id=``.  On a one-to-one socket the kernel ignores it.  On a
one-to-many socket ``0`` (``SCTP_FUTURE_ASSOC``) is the endpoint default for
associations created later, ``SCTP_CURRENT_ASSOC`` every existing one and
``SCTP_ALL_ASSOC`` both, where the kernel accepts wildcards for that option.

Errors: ``ENOPROTOOPT`` (the running kernel does not know the option, or a
reconfiguration request the association did not negotiate) raises
:class:`csctp.UnsupportedOption` naming the option; every other failure is
the matching ``OSError`` subclass naming the call, with a hint where the
kernel's errno is terse (SCTP-AUTH disabled, one-to-many only, ...).

``get(sock, name, **kw)`` / ``set(sock, name, value=None, **kw)`` dispatch by
option name (``"initmsg"``, ``"nodelay"``, ...: the lower-case name without
``SCTP_``) for tools and the command line; ``OPTIONS`` lists the names.
"""

from typing import NamedTuple, List, Optional, Tuple

from libc.errno cimport (
    errno, ENOPROTOOPT, EINVAL, EACCES, EPERM, EOPNOTSUPP, EINPROGRESS, EAGAIN, ENOENT, EADDRNOTAVAIL)
from libc.string cimport memset, memcpy, strerror
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE

from csctp.includes.socket cimport (
    sockaddr, sockaddr_storage, socklen_t, getsockopt, setsockopt, htonl, ntohl)
from csctp.includes.sctp cimport *
from csctp._core cimport fileno_of
from csctp._convert cimport as_int, as_u16, as_u32, as_assoc_id, as_bool
from csctp._addr cimport AddrList, pack, sockaddr_to_py
from csctp._errors cimport raise_errno
from csctp._errors import UnsupportedOption
from csctp import constants as _C


# ---- result types -----------------------------------------------------------

InitMsg = NamedTuple("InitMsg", [("ostreams", int), ("instreams", int),
                                 ("max_attempts", int), ("max_init_timeout", int)])
InitMsg.__doc__ = "SCTP_INITMSG: streams requested in INIT, INIT retries, max INIT timeout (ms)."

RtoInfo = NamedTuple("RtoInfo", [("initial", int), ("max", int), ("min", int)])
RtoInfo.__doc__ = "SCTP_RTOINFO: retransmission timeout bounds in milliseconds."

AssocParams = NamedTuple("AssocParams", [("max_retrans", int), ("peer_destinations", int),
                                         ("peer_rwnd", int), ("local_rwnd", int), ("cookie_life", int)])
AssocParams.__doc__ = "SCTP_ASSOCINFO: association retransmission limit, peer/local windows, cookie life (ms)."

_PeerAddrParamsBase = NamedTuple("_PeerAddrParamsBase", [
    ("address", Optional[tuple]), ("hbinterval", int), ("pathmaxrxt", int), ("pathmtu", int),
    ("sackdelay", int), ("flags", int)])


class PeerAddrParams(_PeerAddrParamsBase):
    """SCTP_PEER_ADDR_PARAMS: heartbeat interval (ms), path retransmissions, path MTU,
    SACK delay (ms) and the ``SPP_*`` flags, for one peer address or the association/endpoint."""
    __slots__ = ()

    @property
    def hb_enabled(self):
        return bool(self.flags & SPP_HB_ENABLE)

    @property
    def pmtud_enabled(self):
        return bool(self.flags & SPP_PMTUD_ENABLE)

    @property
    def sackdelay_enabled(self):
        return bool(self.flags & SPP_SACKDELAY_ENABLE)


PeerAddrInfo = NamedTuple("PeerAddrInfo", [("address", Optional[tuple]), ("state", int), ("cwnd", int),
                                           ("srtt", int), ("rto", int), ("mtu", int)])
PeerAddrInfo.__doc__ = ("SCTP_GET_PEER_ADDR_INFO: one peer address; state is SCTP_ACTIVE, SCTP_INACTIVE, "
                        "SCTP_PF or SCTP_UNCONFIRMED; srtt and rto in ms.")

PaddrThresholds = NamedTuple("PaddrThresholds", [("address", Optional[tuple]), ("pathmaxrxt", int),
                                                 ("pathpfthld", int), ("pathcpthld", Optional[int])])
PaddrThresholds.__doc__ = ("SCTP_PEER_ADDR_THLDS(_V2): failure, potentially-failed (RFC 7829) and primary "
                           "switchover thresholds (None: the kernel lacks the V2 option).")

Status = NamedTuple("Status", [("assoc_id", int), ("state", int), ("rwnd", int), ("unackdata", int),
                               ("penddata", int), ("instreams", int), ("outstreams", int),
                               ("fragmentation_point", int), ("primary", PeerAddrInfo)])
Status.__doc__ = "SCTP_STATUS: association state (SCTP_ESTABLISHED, ...), windows, streams and primary path."

SackInfo = NamedTuple("SackInfo", [("delay", int), ("freq", int)])
SackInfo.__doc__ = "SCTP_DELAYED_SACK: SACK delay (ms; 0 = delayed SACK off) and packets per SACK."

DefaultSendParam = NamedTuple("DefaultSendParam", [("stream", int), ("flags", int), ("ppid", int),
                                                   ("context", int), ("timetolive", int)])
DefaultSendParam.__doc__ = "SCTP_DEFAULT_SEND_PARAM (deprecated SNDRCV form); ppid in host order."

SndInfo = NamedTuple("SndInfo", [("stream", int), ("flags", int), ("ppid", int), ("context", int)])
SndInfo.__doc__ = "SCTP_DEFAULT_SNDINFO: defaults for sends without an SNDINFO; ppid in host order."

PrInfo = NamedTuple("PrInfo", [("policy", int), ("value", int)])
PrInfo.__doc__ = "SCTP_DEFAULT_PRINFO: PR-SCTP policy (SCTP_PR_SCTP_NONE/TTL/RTX/PRIO) and its value."

PrStatus = NamedTuple("PrStatus", [("abandoned_unsent", int), ("abandoned_sent", int)])
PrStatus.__doc__ = "SCTP_PR_ASSOC_STATUS / SCTP_PR_STREAM_STATUS: messages abandoned by PR-SCTP."

AssocStats = NamedTuple("AssocStats", [
    ("assoc_id", int), ("obs_rto_ipaddr", Optional[tuple]), ("maxrto", int),
    ("isacks", int), ("osacks", int), ("opackets", int), ("ipackets", int),
    ("rtxchunks", int), ("outofseqtsns", int), ("idupchunks", int), ("gapcnt", int),
    ("ouodchunks", int), ("iuodchunks", int), ("oodchunks", int), ("iodchunks", int),
    ("octrlchunks", int), ("ictrlchunks", int)])
AssocStats.__doc__ = ("SCTP_GET_ASSOC_STATS: per-association counters (packets, SACKs, ordered/unordered "
                      "data chunks, retransmissions, gaps); maxrto is reset by each read (kernel behaviour).")


# ---- validation -------------------------------------------------------------

cdef inline object _int(object v, str what, long long lo, long long hi):
    return as_int(v, what, lo, hi)


cdef inline uint32_t _u32(object v, str what) except? 0xFFFFFFFF:
    return as_u32(v, what)


cdef inline uint16_t _u16(object v, str what) except? 0xFFFF:
    return as_u16(v, what)


cdef inline sctp_assoc_t _aid(object v, str name) except? -1:
    return as_assoc_id(v, f"{name}: assoc_id")


cdef inline bint _bool(object v, str what) except -1:
    return as_bool(v, what)


cdef int _addr_in(object address, void *ss, str name) except -1:
    """Pack one address into a sockaddr_storage field; None is the wildcard (all zero).

    Several option structures are packed with the sockaddr_storage at offset 4, so the
    field is only ever touched through memset/memcpy, never through a typed pointer.
    """
    cdef AddrList al
    memset(ss, 0, sizeof(sockaddr_storage))
    if address is None:
        return 0
    try:
        al = pack(address)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{name}: {e}") from None
    if al.count != 1:
        raise ValueError(f"{name}: expected one address, got {al.count} in {address!r}")
    memcpy(ss, al.ptr(), al.first_len())
    return 0


cdef inline object _addr_out(const void *field):
    cdef sockaddr_storage ss
    memcpy(&ss, field, sizeof(ss))
    return sockaddr_to_py(<sockaddr *>&ss, sizeof(ss))


# ---- the one error path -----------------------------------------------------

_EINVAL_HINT = "no such association, or a value the kernel refuses"
_AUTH_HINT = ("SCTP-AUTH is off for this socket or association: set net.sctp.auth_enable=1, or "
              "set_auth_supported(sock, True) on both ends before connecting")
_RECONF_HINT = ("the association did not negotiate RE-CONFIG (net.sctp.reconf_enable=1 or "
                "set_reconfig_supported(sock, True) on both ends before connecting) or "
                "enable_stream_reset() does not allow this request")
_UDP_ONLY = "only on one-to-many (SOCK_SEQPACKET) sockets"

cdef dict _HINTS = {
    ("SCTP_AUTH_CHUNK", EACCES): _AUTH_HINT,
    ("SCTP_HMAC_IDENT", EACCES): _AUTH_HINT,
    ("SCTP_HMAC_IDENT", EINVAL): "SHA-1 (SCTP_AUTH_HMAC_ID_SHA1) must be in the list; unknown identifiers are refused",
    ("SCTP_AUTH_KEY", EACCES): _AUTH_HINT,
    ("SCTP_AUTH_ACTIVE_KEY", EACCES): _AUTH_HINT,
    ("SCTP_AUTH_DELETE_KEY", EACCES): _AUTH_HINT,
    ("SCTP_AUTH_DEACTIVATE_KEY", EACCES): _AUTH_HINT,
    ("SCTP_PEER_AUTH_CHUNKS", EACCES): "the peer did not negotiate SCTP-AUTH",
    ("SCTP_LOCAL_AUTH_CHUNKS", EACCES): _AUTH_HINT,
    ("SCTP_AUTH_ACTIVE_KEY", EINVAL): "no such key number, or no such association",
    ("SCTP_AUTH_DELETE_KEY", EINVAL): "no such key number, the key is active, or no such association",
    ("SCTP_AUTH_DEACTIVATE_KEY", EINVAL): "no such key number, the key is active, or no such association",
    ("SCTP_AUTH_CHUNK", EINVAL): "INIT, INIT-ACK, SHUTDOWN-COMPLETE and AUTH chunks cannot be authenticated",
    ("SCTP_INTERLEAVING_SUPPORTED", EPERM): ("needs net.sctp.intl_enable=1 and SCTP_FRAGMENT_INTERLEAVE "
                                             "on (set_fragment_interleave) first"),
    ("SCTP_RESET_STREAMS", ENOPROTOOPT): _RECONF_HINT,
    ("SCTP_RESET_ASSOC", ENOPROTOOPT): _RECONF_HINT,
    ("SCTP_ADD_STREAMS", ENOPROTOOPT): _RECONF_HINT,
    ("SCTP_RESET_STREAMS", EINPROGRESS): "a reconfiguration request is still outstanding",
    ("SCTP_RESET_ASSOC", EINPROGRESS): "a reconfiguration request is still outstanding",
    ("SCTP_ADD_STREAMS", EINPROGRESS): "a reconfiguration request is still outstanding",
    ("SCTP_RESET_STREAMS", EAGAIN): "data is still queued on those streams; retry once it is sent",
    ("SCTP_RESET_ASSOC", EAGAIN): "data is still queued; retry once it is sent",
    ("SCTP_RESET_STREAMS", EINVAL): "no such association, or a stream beyond the negotiated count",
    ("SCTP_ADD_STREAMS", EINVAL): "no such association, or more than 65535 streams in total",
    ("SCTP_SET_PEER_PRIMARY_ADDR", EPERM): ("the association did not negotiate ASCONF "
                                            "(net.sctp.addip_enable=1 and SCTP-AUTH on both ends)"),
    ("SCTP_SET_PEER_PRIMARY_ADDR", EADDRNOTAVAIL): "not one of this association's local addresses",
    ("SCTP_GET_ASSOC_NUMBER", EOPNOTSUPP): _UDP_ONLY,
    ("SCTP_GET_ASSOC_ID_LIST", EOPNOTSUPP): _UDP_ONLY,
    ("SCTP_AUTOCLOSE", EOPNOTSUPP): _UDP_ONLY,
    ("SCTP_REUSE_PORT", EOPNOTSUPP): "only on one-to-one (SOCK_STREAM) sockets",
    ("SCTP_PEER_ADDR_THLDS", ENOENT): "that address is not a peer address of the association",
    ("SCTP_PEER_ADDR_THLDS_V2", ENOENT): "that address is not a peer address of the association",
    ("SCTP_GET_PEER_ADDR_INFO", EACCES): "the path is potentially failed and PF state is not exposed",
}


cdef int _fail(int err, str op, str name) except -1:
    cdef str hint = _HINTS.get((name, err))
    if err == ENOPROTOOPT:
        text = strerror(err).decode("utf-8", "replace")
        raise UnsupportedOption(err, f"{op}: {text} ({hint or 'this kernel does not support ' + name})", name)
    if hint is None and err == EINVAL:
        hint = _EINVAL_HINT
    raise_errno(f"{op} [{hint}]" if hint else op, err)


cdef int sockopt_get(object sock, int opt, void *buf, socklen_t *length, str name) except -1:
    """getsockopt(SOL_SCTP, opt), GIL held (instant: no close() can race it); errors through _fail."""
    cdef int fd = fileno_of(sock), rc, err = 0
    rc = getsockopt(fd, SOL_SCTP, opt, buf, length)
    if rc < 0:
        err = errno
    if rc < 0:
        _fail(err, f"getsockopt({name})", name)
    return 0


cdef int sockopt_set(object sock, int opt, const void *buf, socklen_t length, str name) except -1:
    """setsockopt(SOL_SCTP, opt), GIL held (instant: no close() can race it); errors through _fail."""
    cdef int fd = fileno_of(sock), rc, err = 0
    rc = setsockopt(fd, SOL_SCTP, opt, buf, length)
    if rc < 0:
        err = errno
    if rc < 0:
        _fail(err, f"setsockopt({name})", name)
    return 0


# ---- plain int options --------------------------------------------------------

cdef object _get_int(object sock, int opt, str name):
    cdef int v = 0
    cdef socklen_t l = sizeof(int)
    sockopt_get(sock, opt, &v, &l, name)
    return v


cdef int _set_int(object sock, int opt, int v, str name) except -1:
    return sockopt_set(sock, opt, &v, sizeof(int), name)


cdef object _get_av(object sock, int opt, object assoc_id, str name):
    cdef sctp_assoc_value av
    cdef socklen_t l = sizeof(av)
    memset(&av, 0, sizeof(av))
    av.assoc_id = _aid(assoc_id, name)
    sockopt_get(sock, opt, &av, &l, name)
    return av.assoc_value


cdef int _set_av(object sock, int opt, uint32_t value, object assoc_id, str name) except -1:
    cdef sctp_assoc_value av
    memset(&av, 0, sizeof(av))
    av.assoc_id = _aid(assoc_id, name)
    av.assoc_value = value
    return sockopt_set(sock, opt, &av, sizeof(av), name)


def get_nodelay(sock):
    """SCTP_NODELAY: True when Nagle-style bundling delay is off."""
    return _get_int(sock, SCTP_NODELAY, "SCTP_NODELAY") != 0


def set_nodelay(sock, on):
    """SCTP_NODELAY: send small messages at once instead of waiting to bundle them."""
    _set_int(sock, SCTP_NODELAY, _bool(on, "SCTP_NODELAY"), "SCTP_NODELAY")


def get_disable_fragments(sock):
    """SCTP_DISABLE_FRAGMENTS: True when messages larger than the path MTU fail with EMSGSIZE."""
    return _get_int(sock, SCTP_DISABLE_FRAGMENTS, "SCTP_DISABLE_FRAGMENTS") != 0


def set_disable_fragments(sock, on):
    """SCTP_DISABLE_FRAGMENTS: refuse (EMSGSIZE) to send a message that would need fragmenting."""
    _set_int(sock, SCTP_DISABLE_FRAGMENTS, _bool(on, "SCTP_DISABLE_FRAGMENTS"), "SCTP_DISABLE_FRAGMENTS")


def get_fragment_interleave(sock):
    """SCTP_FRAGMENT_INTERLEAVE level (Linux reports 0 or 1)."""
    return _get_int(sock, SCTP_FRAGMENT_INTERLEAVE, "SCTP_FRAGMENT_INTERLEAVE")


def set_fragment_interleave(sock, level):
    """SCTP_FRAGMENT_INTERLEAVE: 0 none, 1 across associations, 2 across streams (RFC 6458 8.1.20).

    Linux stores it as on/off; it must be on before interleaving_supported (I-DATA) can be enabled.
    """
    _set_int(sock, SCTP_FRAGMENT_INTERLEAVE, <int>_int(level, "SCTP_FRAGMENT_INTERLEAVE", 0, 2),
             "SCTP_FRAGMENT_INTERLEAVE")


def get_partial_delivery_point(sock):
    """SCTP_PARTIAL_DELIVERY_POINT in bytes (0: only when the receive window forces it)."""
    cdef uint32_t v = 0
    cdef socklen_t l = sizeof(v)
    sockopt_get(sock, SCTP_PARTIAL_DELIVERY_POINT, &v, &l, "SCTP_PARTIAL_DELIVERY_POINT")
    return v


def set_partial_delivery_point(sock, nbytes):
    """SCTP_PARTIAL_DELIVERY_POINT: start handing a large message up in pieces once this many
    bytes of it have arrived.  The kernel refuses values above half the receive buffer."""
    cdef uint32_t v = _u32(nbytes, "SCTP_PARTIAL_DELIVERY_POINT")
    sockopt_set(sock, SCTP_PARTIAL_DELIVERY_POINT, &v, sizeof(v), "SCTP_PARTIAL_DELIVERY_POINT")


def get_autoclose(sock):
    """SCTP_AUTOCLOSE: idle seconds before a one-to-many association is closed (0: never)."""
    return _get_int(sock, SCTP_AUTOCLOSE, "SCTP_AUTOCLOSE")


def set_autoclose(sock, seconds):
    """SCTP_AUTOCLOSE (one-to-many only): close associations idle for *seconds* (0: never).
    The kernel silently caps it at net.sctp.max_autoclose."""
    _set_int(sock, SCTP_AUTOCLOSE, <int>_int(seconds, "SCTP_AUTOCLOSE", 0, 0x7FFFFFFF), "SCTP_AUTOCLOSE")


def get_mapped_v4(sock):
    """SCTP_I_WANT_MAPPED_V4_ADDR: True when IPv4 peers appear as ::ffff:a.b.c.d on AF_INET6 sockets."""
    return _get_int(sock, SCTP_I_WANT_MAPPED_V4_ADDR, "SCTP_I_WANT_MAPPED_V4_ADDR") != 0


def set_mapped_v4(sock, on):
    """SCTP_I_WANT_MAPPED_V4_ADDR: report IPv4 peers as IPv4-mapped IPv6 addresses (Linux default: on)."""
    _set_int(sock, SCTP_I_WANT_MAPPED_V4_ADDR, _bool(on, "SCTP_I_WANT_MAPPED_V4_ADDR"),
             "SCTP_I_WANT_MAPPED_V4_ADDR")


def get_recvrcvinfo(sock):
    """SCTP_RECVRCVINFO: True when each message carries an RCVINFO (stream, SSN, PPID, TSN, assoc id)."""
    return _get_int(sock, SCTP_RECVRCVINFO, "SCTP_RECVRCVINFO") != 0


def set_recvrcvinfo(sock, on):
    """SCTP_RECVRCVINFO: attach RCVINFO to received messages (csctp turns it on for new sockets)."""
    _set_int(sock, SCTP_RECVRCVINFO, _bool(on, "SCTP_RECVRCVINFO"), "SCTP_RECVRCVINFO")


def get_recvnxtinfo(sock):
    """SCTP_RECVNXTINFO: True when messages carry NXTINFO about the next queued message."""
    return _get_int(sock, SCTP_RECVNXTINFO, "SCTP_RECVNXTINFO") != 0


def set_recvnxtinfo(sock, on):
    """SCTP_RECVNXTINFO: attach NXTINFO (``Message.nxt``) when another message is already queued."""
    _set_int(sock, SCTP_RECVNXTINFO, _bool(on, "SCTP_RECVNXTINFO"), "SCTP_RECVNXTINFO")


def get_reuse_port(sock):
    """SCTP_REUSE_PORT (one-to-one only)."""
    return _get_int(sock, SCTP_REUSE_PORT, "SCTP_REUSE_PORT") != 0


def set_reuse_port(sock, on):
    """SCTP_REUSE_PORT (one-to-one only, before bind): let several sockets bind the same address and port."""
    _set_int(sock, SCTP_REUSE_PORT, _bool(on, "SCTP_REUSE_PORT"), "SCTP_REUSE_PORT")


def get_adaptation_layer(sock):
    """SCTP_ADAPTATION_LAYER: the adaptation indication sent in INIT/INIT-ACK (RFC 5061), host order."""
    cdef sctp_setadaptation a
    cdef socklen_t l = sizeof(a)
    memset(&a, 0, sizeof(a))
    sockopt_get(sock, SCTP_ADAPTATION_LAYER, &a, &l, "SCTP_ADAPTATION_LAYER")
    return a.ssb_adaptation_ind


def set_adaptation_layer(sock, indication):
    """SCTP_ADAPTATION_LAYER: 32-bit adaptation indication announced to peers of future associations."""
    cdef sctp_setadaptation a
    memset(&a, 0, sizeof(a))
    a.ssb_adaptation_ind = _u32(indication, "SCTP_ADAPTATION_LAYER")
    sockopt_set(sock, SCTP_ADAPTATION_LAYER, &a, sizeof(a), "SCTP_ADAPTATION_LAYER")


# ---- assoc_value options ----------------------------------------------------

def get_maxseg(sock, assoc_id=0):
    """SCTP_MAXSEG: the user's fragment size limit (endpoint) or, for an association, its
    current fragmentation point in bytes."""
    return _get_av(sock, SCTP_MAXSEG, assoc_id, "SCTP_MAXSEG")


def set_maxseg(sock, nbytes, assoc_id=0):
    """SCTP_MAXSEG: cap DATA chunk payloads at *nbytes* (0: path MTU decides).  The kernel
    refuses values below what a 512-byte MTU allows or above 65535 minus headers (EINVAL)."""
    _set_av(sock, SCTP_MAXSEG, _u32(nbytes, "SCTP_MAXSEG"), assoc_id, "SCTP_MAXSEG")


def get_max_burst(sock, assoc_id=0):
    """SCTP_MAX_BURST: packets sent at once on a transmission opportunity (0: no limit)."""
    return _get_av(sock, SCTP_MAX_BURST, assoc_id, "SCTP_MAX_BURST")


def set_max_burst(sock, packets, assoc_id=0):
    """SCTP_MAX_BURST (FUTURE/CURRENT/ALL accepted)."""
    _set_av(sock, SCTP_MAX_BURST, _u32(packets, "SCTP_MAX_BURST"), assoc_id, "SCTP_MAX_BURST")


def get_context(sock, assoc_id=0):
    """SCTP_CONTEXT: the default context reported in RCVINFO (``Message.context``) of received messages."""
    return _get_av(sock, SCTP_CONTEXT, assoc_id, "SCTP_CONTEXT")


def set_context(sock, context, assoc_id=0):
    """SCTP_CONTEXT: 32-bit value the kernel puts in rcv_context of every received message."""
    _set_av(sock, SCTP_CONTEXT, _u32(context, "SCTP_CONTEXT"), assoc_id, "SCTP_CONTEXT")


def _bool_av(int opt, str name, str doc):
    def getter(sock, assoc_id=0):
        return _get_av(sock, opt, assoc_id, name) != 0

    def setter(sock, on, assoc_id=0):
        _set_av(sock, opt, _bool(on, name), assoc_id, name)

    what = name[5:].lower()
    getter.__name__, setter.__name__ = f"get_{what}", f"set_{what}"
    getter.__qualname__, setter.__qualname__ = getter.__name__, setter.__name__
    getter.__doc__ = (f"{name}: {doc}  On an association this is what was negotiated with the peer; "
                      f"with assoc_id=0 on a one-to-many socket, the endpoint default.")
    setter.__doc__ = f"{name}: {doc}  Set it before connecting: it is announced in INIT/INIT-ACK."
    return getter, setter


get_pr_supported, set_pr_supported = _bool_av(
    SCTP_PR_SUPPORTED, "SCTP_PR_SUPPORTED", "partial reliability (PR-SCTP, RFC 3758/7496).")
get_reconfig_supported, set_reconfig_supported = _bool_av(
    SCTP_RECONFIG_SUPPORTED, "SCTP_RECONFIG_SUPPORTED", "stream reconfiguration (RE-CONFIG, RFC 6525).")
get_asconf_supported, set_asconf_supported = _bool_av(
    SCTP_ASCONF_SUPPORTED, "SCTP_ASCONF_SUPPORTED", "dynamic address reconfiguration (ASCONF, RFC 5061).")
get_auth_supported, set_auth_supported = _bool_av(
    SCTP_AUTH_SUPPORTED, "SCTP_AUTH_SUPPORTED", "SCTP-AUTH (RFC 4895).")
get_ecn_supported, set_ecn_supported = _bool_av(
    SCTP_ECN_SUPPORTED, "SCTP_ECN_SUPPORTED", "explicit congestion notification.")
get_interleaving_supported, set_interleaving_supported = _bool_av(
    SCTP_INTERLEAVING_SUPPORTED, "SCTP_INTERLEAVING_SUPPORTED",
    "user message interleaving (I-DATA, RFC 8260); needs net.sctp.intl_enable=1 and fragment_interleave on.")


def get_enable_stream_reset(sock, assoc_id=0):
    """SCTP_ENABLE_STREAM_RESET: the SCTP_ENABLE_RESET_STREAM_REQ / RESET_ASSOC_REQ /
    CHANGE_ASSOC_REQ bits this side will send requests for."""
    return _get_av(sock, SCTP_ENABLE_STREAM_RESET, assoc_id, "SCTP_ENABLE_STREAM_RESET")


def set_enable_stream_reset(sock, flags, assoc_id=0):
    """SCTP_ENABLE_STREAM_RESET: which RE-CONFIG requests (RFC 6525) this side may send."""
    cdef uint32_t f = _u32(flags, "SCTP_ENABLE_STREAM_RESET")
    if f & ~(<uint32_t>(SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_RESET_ASSOC_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ)):
        raise ValueError(f"SCTP_ENABLE_STREAM_RESET: flags must combine SCTP_ENABLE_RESET_STREAM_REQ, "
                         f"SCTP_ENABLE_RESET_ASSOC_REQ and SCTP_ENABLE_CHANGE_ASSOC_REQ, got {flags:#x}")
    _set_av(sock, SCTP_ENABLE_STREAM_RESET, f, assoc_id, "SCTP_ENABLE_STREAM_RESET")


enable_stream_reset = set_enable_stream_reset

_SCHEDULERS = {_C.SCTP_SS_FCFS: "FCFS", _C.SCTP_SS_PRIO: "PRIO", _C.SCTP_SS_RR: "RR",
               _C.SCTP_SS_FC: "FC", _C.SCTP_SS_WFQ: "WFQ"}


def get_stream_scheduler(sock, assoc_id=0):
    """SCTP_STREAM_SCHEDULER: SCTP_SS_FCFS, SCTP_SS_PRIO, SCTP_SS_RR (and, on newer kernels, FC/WFQ)."""
    return _get_av(sock, SCTP_STREAM_SCHEDULER, assoc_id, "SCTP_STREAM_SCHEDULER")


def set_stream_scheduler(sock, scheduler, assoc_id=0):
    """SCTP_STREAM_SCHEDULER (RFC 8260): how the sender picks among streams with queued data.

    A scheduler this kernel does not implement (FC and WFQ arrived in Linux 6.2; older
    kernels answer EINVAL) raises UnsupportedOption.
    """
    cdef uint32_t s = _u32(scheduler, "SCTP_STREAM_SCHEDULER")
    if s not in _SCHEDULERS:
        raise ValueError(f"SCTP_STREAM_SCHEDULER: unknown scheduler {scheduler!r} "
                         f"(SCTP_SS_FCFS=0, PRIO=1, RR=2, FC=3, WFQ=4)")
    try:
        _set_av(sock, SCTP_STREAM_SCHEDULER, s, assoc_id, "SCTP_STREAM_SCHEDULER")
    except OSError as e:
        # the kernel checks "value > SCTP_SS_MAX" first: for a valid RFC 8260 scheduler,
        # EINVAL means this kernel's SCTP_SS_MAX is lower
        if e.errno == EINVAL and s > _C.SCTP_SS_RR:
            raise UnsupportedOption(EINVAL, f"setsockopt(SCTP_STREAM_SCHEDULER): this kernel has no "
                                            f"{_SCHEDULERS[s]} stream scheduler", "SCTP_STREAM_SCHEDULER") from None
        raise


def get_stream_value(sock, stream, assoc_id=0):
    """SCTP_STREAM_SCHEDULER_VALUE: the scheduler's per-stream value (PRIO: priority, lower first)."""
    cdef sctp_stream_value v
    cdef socklen_t l = sizeof(v)
    memset(&v, 0, sizeof(v))
    v.assoc_id = _aid(assoc_id, "SCTP_STREAM_SCHEDULER_VALUE")
    v.stream_id = _u16(stream, "SCTP_STREAM_SCHEDULER_VALUE: stream")
    sockopt_get(sock, SCTP_STREAM_SCHEDULER_VALUE, &v, &l, "SCTP_STREAM_SCHEDULER_VALUE")
    return v.stream_value


def set_stream_value(sock, stream, value, assoc_id=0):
    """SCTP_STREAM_SCHEDULER_VALUE: set the per-stream value (PRIO: 0 is served first).

    Needs an association (assoc_id of one, or SCTP_CURRENT_ASSOC); the stream must be below
    the negotiated number of outgoing streams.
    """
    cdef sctp_stream_value v
    memset(&v, 0, sizeof(v))
    v.assoc_id = _aid(assoc_id, "SCTP_STREAM_SCHEDULER_VALUE")
    v.stream_id = _u16(stream, "SCTP_STREAM_SCHEDULER_VALUE: stream")
    v.stream_value = _u16(value, "SCTP_STREAM_SCHEDULER_VALUE: value")
    sockopt_set(sock, SCTP_STREAM_SCHEDULER_VALUE, &v, sizeof(v), "SCTP_STREAM_SCHEDULER_VALUE")


set_stream_priority = set_stream_value


# ---- structured options -----------------------------------------------------

def get_initmsg(sock):
    """SCTP_INITMSG: what this socket asks for in the INIT of future associations."""
    cdef sctp_initmsg m
    cdef socklen_t l = sizeof(m)
    memset(&m, 0, sizeof(m))
    sockopt_get(sock, SCTP_INITMSG, &m, &l, "SCTP_INITMSG")
    return InitMsg(m.sinit_num_ostreams, m.sinit_max_instreams, m.sinit_max_attempts, m.sinit_max_init_timeo)


def set_initmsg(sock, ostreams=0, instreams=0, max_attempts=0, max_init_timeout=0):
    """SCTP_INITMSG: outgoing streams requested, incoming streams accepted, INIT retries and the
    maximum INIT retransmission timeout (ms) for future associations.  0 leaves a field unchanged."""
    cdef sctp_initmsg m
    memset(&m, 0, sizeof(m))
    m.sinit_num_ostreams = _u16(ostreams or 0, "SCTP_INITMSG: ostreams")
    m.sinit_max_instreams = _u16(instreams or 0, "SCTP_INITMSG: instreams")
    m.sinit_max_attempts = _u16(max_attempts or 0, "SCTP_INITMSG: max_attempts")
    m.sinit_max_init_timeo = _u16(max_init_timeout or 0, "SCTP_INITMSG: max_init_timeout")
    sockopt_set(sock, SCTP_INITMSG, &m, sizeof(m), "SCTP_INITMSG")


def get_rtoinfo(sock, assoc_id=0):
    """SCTP_RTOINFO: initial, max and min retransmission timeout in ms."""
    cdef sctp_rtoinfo r
    cdef socklen_t l = sizeof(r)
    memset(&r, 0, sizeof(r))
    r.srto_assoc_id = _aid(assoc_id, "SCTP_RTOINFO")
    sockopt_get(sock, SCTP_RTOINFO, &r, &l, "SCTP_RTOINFO")
    return RtoInfo(r.srto_initial, r.srto_max, r.srto_min)


def set_rtoinfo(sock, initial=0, max=0, min=0, assoc_id=0):
    """SCTP_RTOINFO: set RTO bounds in ms; 0 leaves a field unchanged.  min must not exceed max."""
    cdef sctp_rtoinfo r
    memset(&r, 0, sizeof(r))
    r.srto_assoc_id = _aid(assoc_id, "SCTP_RTOINFO")
    r.srto_initial = _u32(initial or 0, "SCTP_RTOINFO: initial")
    r.srto_max = _u32(max or 0, "SCTP_RTOINFO: max")
    r.srto_min = _u32(min or 0, "SCTP_RTOINFO: min")
    if r.srto_min and r.srto_max and r.srto_min > r.srto_max:
        raise ValueError(f"SCTP_RTOINFO: min ({min}) is greater than max ({max})")
    sockopt_set(sock, SCTP_RTOINFO, &r, sizeof(r), "SCTP_RTOINFO")


def get_associnfo(sock, assoc_id=0):
    """SCTP_ASSOCINFO: association-wide retransmission limit, peer destinations, windows, cookie life."""
    cdef sctp_assocparams a
    cdef socklen_t l = sizeof(a)
    memset(&a, 0, sizeof(a))
    a.sasoc_assoc_id = _aid(assoc_id, "SCTP_ASSOCINFO")
    sockopt_get(sock, SCTP_ASSOCINFO, &a, &l, "SCTP_ASSOCINFO")
    return AssocParams(a.sasoc_asocmaxrxt, a.sasoc_number_peer_destinations, a.sasoc_peer_rwnd,
                       a.sasoc_local_rwnd, a.sasoc_cookie_life)


def set_associnfo(sock, max_retrans=0, cookie_life=0, assoc_id=0):
    """SCTP_ASSOCINFO: association retransmission limit and cookie life (ms); 0 leaves unchanged.
    (The window and destination fields are read-only.)"""
    cdef sctp_assocparams a
    memset(&a, 0, sizeof(a))
    a.sasoc_assoc_id = _aid(assoc_id, "SCTP_ASSOCINFO")
    a.sasoc_asocmaxrxt = _u16(max_retrans or 0, "SCTP_ASSOCINFO: max_retrans")
    a.sasoc_cookie_life = _u32(cookie_life or 0, "SCTP_ASSOCINFO: cookie_life")
    sockopt_set(sock, SCTP_ASSOCINFO, &a, sizeof(a), "SCTP_ASSOCINFO")


def get_peer_addr_params(sock, address=None, assoc_id=0):
    """SCTP_PEER_ADDR_PARAMS for one peer *address*, or (None) the association / endpoint defaults."""
    cdef sctp_paddrparams p
    cdef socklen_t l = sizeof(p)
    memset(&p, 0, sizeof(p))
    p.spp_assoc_id = _aid(assoc_id, "SCTP_PEER_ADDR_PARAMS")
    _addr_in(address, <void *>&p.spp_address, "SCTP_PEER_ADDR_PARAMS")
    sockopt_get(sock, SCTP_PEER_ADDR_PARAMS, &p, &l, "SCTP_PEER_ADDR_PARAMS")
    return PeerAddrParams(_addr_out(<void *>&p.spp_address) if address is not None else None,
                          p.spp_hbinterval, p.spp_pathmaxrxt, p.spp_pathmtu, p.spp_sackdelay, p.spp_flags)


def set_peer_addr_params(sock, address=None, assoc_id=0, hbinterval=None, pathmaxrxt=None,
                         pathmtu=None, sackdelay=None, hb_enable=None, pmtud_enable=None,
                         sackdelay_enable=None, hb_demand=False):
    """SCTP_PEER_ADDR_PARAMS: change what is given, leave the rest.

    *hbinterval* (ms; 0 really means zero: SPP_HB_TIME_IS_ZERO; turns heartbeats on),
    *pathmaxrxt*, *pathmtu* (fixes the path MTU, so it turns PMTU discovery off),
    *sackdelay* (1..500 ms; turns delayed SACK on),
    *hb_enable* / *pmtud_enable* / *sackdelay_enable* (True/False/None), *hb_demand* (send a
    HEARTBEAT now; needs an address).  For one peer *address*, the association, or (assoc_id=0
    on one-to-many) the endpoint default.
    """
    cdef sctp_paddrparams p
    cdef uint32_t flags = 0
    memset(&p, 0, sizeof(p))
    p.spp_assoc_id = _aid(assoc_id, "SCTP_PEER_ADDR_PARAMS")
    _addr_in(address, <void *>&p.spp_address, "SCTP_PEER_ADDR_PARAMS")
    # RFC 6458 8.1.12: the kernel ignores spp_hbinterval / spp_sackdelay unless the
    # matching *_ENABLE flag comes with them, so giving a value turns the feature on
    if hbinterval is not None:
        p.spp_hbinterval = _u32(hbinterval, "SCTP_PEER_ADDR_PARAMS: hbinterval")
        if p.spp_hbinterval == 0:
            flags |= SPP_HB_TIME_IS_ZERO
        if hb_enable is not None and not hb_enable:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: hbinterval given with hb_enable=False")
        hb_enable = True
    if pathmaxrxt is not None:
        p.spp_pathmaxrxt = _u16(pathmaxrxt, "SCTP_PEER_ADDR_PARAMS: pathmaxrxt")
        if p.spp_pathmaxrxt == 0:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: pathmaxrxt must be >= 1")
    if pathmtu is not None:
        p.spp_pathmtu = <uint32_t>_int(pathmtu, "SCTP_PEER_ADDR_PARAMS: pathmtu", 512, 65535)
        if pmtud_enable:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: a fixed pathmtu needs PMTU discovery off (pmtud_enable=False)")
        pmtud_enable = False
    if sackdelay is not None:
        p.spp_sackdelay = <uint32_t>_int(sackdelay, "SCTP_PEER_ADDR_PARAMS: sackdelay", 1, 500)
        if sackdelay_enable is not None and not sackdelay_enable:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: sackdelay given with sackdelay_enable=False")
        sackdelay_enable = True
    if hb_enable is not None:
        flags |= SPP_HB_ENABLE if _bool(hb_enable, "hb_enable") else SPP_HB_DISABLE
    if pmtud_enable is not None:
        flags |= SPP_PMTUD_ENABLE if _bool(pmtud_enable, "pmtud_enable") else SPP_PMTUD_DISABLE
    if sackdelay_enable is not None:
        flags |= SPP_SACKDELAY_ENABLE if _bool(sackdelay_enable, "sackdelay_enable") else SPP_SACKDELAY_DISABLE
    if _bool(hb_demand, "hb_demand"):
        if address is None:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: hb_demand needs a peer address")
        flags |= SPP_HB_DEMAND
    p.spp_flags = flags
    sockopt_set(sock, SCTP_PEER_ADDR_PARAMS, &p, sizeof(p), "SCTP_PEER_ADDR_PARAMS")


cdef object _paddrinfo(sctp_paddrinfo *pi):
    return PeerAddrInfo(_addr_out(<void *>&pi.spinfo_address), pi.spinfo_state, pi.spinfo_cwnd,
                        pi.spinfo_srtt, pi.spinfo_rto, pi.spinfo_mtu)


def get_peer_addr_info(sock, address, assoc_id=0):
    """SCTP_GET_PEER_ADDR_INFO: state (SCTP_ACTIVE, ...), cwnd, srtt, rto and MTU of one peer address."""
    cdef sctp_paddrinfo pi
    cdef socklen_t l = sizeof(pi)
    if address is None:
        raise ValueError("SCTP_GET_PEER_ADDR_INFO: needs a peer address")
    memset(&pi, 0, sizeof(pi))
    pi.spinfo_assoc_id = _aid(assoc_id, "SCTP_GET_PEER_ADDR_INFO")
    _addr_in(address, <void *>&pi.spinfo_address, "SCTP_GET_PEER_ADDR_INFO")
    sockopt_get(sock, SCTP_GET_PEER_ADDR_INFO, &pi, &l, "SCTP_GET_PEER_ADDR_INFO")
    return _paddrinfo(&pi)


def get_paddr_thresholds(sock, address=None, assoc_id=0):
    """SCTP_PEER_ADDR_THLDS(_V2): path failure, potentially-failed and (Linux >= 5.9)
    primary-switchover thresholds; pathcpthld is None where the kernel lacks the V2 form
    (65535 means switchover is off)."""
    cdef csctp_paddrthlds_v2 t
    cdef socklen_t l = sizeof(t)
    memset(&t, 0, sizeof(t))
    t.spt_assoc_id = _aid(assoc_id, "SCTP_PEER_ADDR_THLDS")
    _addr_in(address, <void *>&t.spt_address, "SCTP_PEER_ADDR_THLDS")
    cp = None
    try:
        sockopt_get(sock, SCTP_PEER_ADDR_THLDS_V2, &t, &l, "SCTP_PEER_ADDR_THLDS_V2")
        cp = t.spt_pathcpthld
    except UnsupportedOption:
        l = sizeof(sctp_paddrthlds)         # the V1 layout is a prefix of the V2 one
        sockopt_get(sock, SCTP_PEER_ADDR_THLDS, &t, &l, "SCTP_PEER_ADDR_THLDS")
    return PaddrThresholds(_addr_out(<void *>&t.spt_address) if address is not None else None,
                           t.spt_pathmaxrxt, t.spt_pathpfthld, cp)


def set_paddr_thresholds(sock, address=None, pathmaxrxt=0, pathpfthld=0, pathcpthld=None, assoc_id=0):
    """SCTP_PEER_ADDR_THLDS: *pathmaxrxt* (0 leaves it) and *pathpfthld* (always applied;
    RFC 7829); with *pathcpthld* (primary switchover, 65535 = off; must not be below
    pathpfthld) the V2 form, which needs Linux >= 5.9."""
    cdef csctp_paddrthlds_v2 t
    memset(&t, 0, sizeof(t))
    t.spt_assoc_id = _aid(assoc_id, "SCTP_PEER_ADDR_THLDS")
    _addr_in(address, <void *>&t.spt_address, "SCTP_PEER_ADDR_THLDS")
    t.spt_pathmaxrxt = _u16(pathmaxrxt or 0, "SCTP_PEER_ADDR_THLDS: pathmaxrxt")
    t.spt_pathpfthld = _u16(pathpfthld or 0, "SCTP_PEER_ADDR_THLDS: pathpfthld")
    if pathcpthld is None:
        sockopt_set(sock, SCTP_PEER_ADDR_THLDS, &t, sizeof(sctp_paddrthlds), "SCTP_PEER_ADDR_THLDS")
        return
    t.spt_pathcpthld = _u16(pathcpthld, "SCTP_PEER_ADDR_THLDS: pathcpthld")
    if t.spt_pathpfthld > t.spt_pathcpthld:
        raise ValueError(f"SCTP_PEER_ADDR_THLDS: pathpfthld ({pathpfthld}) above pathcpthld ({pathcpthld})")
    sockopt_set(sock, SCTP_PEER_ADDR_THLDS_V2, &t, sizeof(t), "SCTP_PEER_ADDR_THLDS_V2")


def get_status(sock, assoc_id=0):
    """SCTP_STATUS of an association (assoc_id ignored on one-to-one sockets)."""
    cdef sctp_status s
    cdef socklen_t l = sizeof(s)
    memset(&s, 0, sizeof(s))
    s.sstat_assoc_id = _aid(assoc_id, "SCTP_STATUS")
    sockopt_get(sock, SCTP_STATUS, &s, &l, "SCTP_STATUS")
    return Status(s.sstat_assoc_id, s.sstat_state, s.sstat_rwnd, s.sstat_unackdata, s.sstat_penddata,
                  s.sstat_instrms, s.sstat_outstrms, s.sstat_fragmentation_point, _paddrinfo(&s.sstat_primary))


def get_primary(sock, assoc_id=0):
    """SCTP_PRIMARY_ADDR: the peer address this side sends to by default."""
    cdef sctp_prim p
    cdef socklen_t l = sizeof(p)
    memset(&p, 0, sizeof(p))
    p.ssp_assoc_id = _aid(assoc_id, "SCTP_PRIMARY_ADDR")
    sockopt_get(sock, SCTP_PRIMARY_ADDR, &p, &l, "SCTP_PRIMARY_ADDR")
    return _addr_out(<void *>&p.ssp_addr)


def set_primary(sock, address, assoc_id=0):
    """SCTP_PRIMARY_ADDR: make one of the peer's addresses this side's primary path."""
    cdef sctp_prim p
    if address is None:
        raise ValueError("SCTP_PRIMARY_ADDR: needs a peer address")
    memset(&p, 0, sizeof(p))
    p.ssp_assoc_id = _aid(assoc_id, "SCTP_PRIMARY_ADDR")
    _addr_in(address, <void *>&p.ssp_addr, "SCTP_PRIMARY_ADDR")
    sockopt_set(sock, SCTP_PRIMARY_ADDR, &p, sizeof(p), "SCTP_PRIMARY_ADDR")


def set_peer_primary(sock, address, assoc_id=0):
    """SCTP_SET_PEER_PRIMARY_ADDR: ask the peer (ASCONF, RFC 5061) to use one of *our* addresses
    as its primary path.  Needs ASCONF negotiated (net.sctp.addip_enable=1, SCTP-AUTH)."""
    cdef sctp_setpeerprim p
    if address is None:
        raise ValueError("SCTP_SET_PEER_PRIMARY_ADDR: needs a local address")
    memset(&p, 0, sizeof(p))
    p.sspp_assoc_id = _aid(assoc_id, "SCTP_SET_PEER_PRIMARY_ADDR")
    _addr_in(address, <void *>&p.sspp_addr, "SCTP_SET_PEER_PRIMARY_ADDR")
    sockopt_set(sock, SCTP_SET_PEER_PRIMARY_ADDR, &p, sizeof(p), "SCTP_SET_PEER_PRIMARY_ADDR")


def get_delayed_sack(sock, assoc_id=0):
    """SCTP_DELAYED_SACK: (delay ms, packets per SACK); delay 0 / freq 1 means SACK every packet."""
    cdef sctp_sack_info s
    cdef socklen_t l = sizeof(s)
    memset(&s, 0, sizeof(s))
    s.sack_assoc_id = _aid(assoc_id, "SCTP_DELAYED_SACK")
    sockopt_get(sock, SCTP_DELAYED_SACK, &s, &l, "SCTP_DELAYED_SACK")
    return SackInfo(s.sack_delay, s.sack_freq)


def set_delayed_sack(sock, delay=0, freq=0, assoc_id=0):
    """SCTP_DELAYED_SACK: *delay* in ms (1..500; 0 leaves it), *freq* packets per SACK
    (1 turns delayed SACK off; 0 leaves it)."""
    cdef sctp_sack_info s
    memset(&s, 0, sizeof(s))
    s.sack_assoc_id = _aid(assoc_id, "SCTP_DELAYED_SACK")
    s.sack_delay = <uint32_t>_int(delay or 0, "SCTP_DELAYED_SACK: delay", 0, 500)
    s.sack_freq = _u32(freq or 0, "SCTP_DELAYED_SACK: freq")
    sockopt_set(sock, SCTP_DELAYED_SACK, &s, sizeof(s), "SCTP_DELAYED_SACK")


cdef uint16_t _send_flags(object flags, str name) except? 0xFFFF:
    cdef uint16_t f = _u16(flags or 0, f"{name}: flags")
    if f & ~(<uint16_t>(SCTP_UNORDERED | SCTP_ADDR_OVER | SCTP_ABORT | SCTP_EOF)):
        raise ValueError(f"{name}: flags may only combine SCTP_UNORDERED, SCTP_ADDR_OVER, SCTP_ABORT and "
                         f"SCTP_EOF, got {flags:#x}")
    return f


def get_default_sndinfo(sock, assoc_id=0):
    """SCTP_DEFAULT_SNDINFO: stream, flags, PPID (host order) and context used by sends that
    carry no SNDINFO of their own (``os.write``, ``socket.send``)."""
    cdef sctp_sndinfo s
    cdef socklen_t l = sizeof(s)
    memset(&s, 0, sizeof(s))
    s.snd_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_SNDINFO")
    sockopt_get(sock, SCTP_DEFAULT_SNDINFO, &s, &l, "SCTP_DEFAULT_SNDINFO")
    return SndInfo(s.snd_sid, s.snd_flags, ntohl(s.snd_ppid), s.snd_context)


def set_default_sndinfo(sock, stream=0, flags=0, ppid=0, context=0, assoc_id=0):
    """SCTP_DEFAULT_SNDINFO: defaults for sends without SNDINFO.  *ppid* is host order."""
    cdef sctp_sndinfo s
    memset(&s, 0, sizeof(s))
    s.snd_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_SNDINFO")
    s.snd_sid = _u16(stream, "SCTP_DEFAULT_SNDINFO: stream")
    s.snd_flags = _send_flags(flags, "SCTP_DEFAULT_SNDINFO")
    s.snd_ppid = htonl(_u32(ppid, "SCTP_DEFAULT_SNDINFO: ppid"))   # the kernel copies it to the wire as is
    s.snd_context = _u32(context, "SCTP_DEFAULT_SNDINFO: context")
    sockopt_set(sock, SCTP_DEFAULT_SNDINFO, &s, sizeof(s), "SCTP_DEFAULT_SNDINFO")


def get_default_send_param(sock, assoc_id=0):
    """SCTP_DEFAULT_SEND_PARAM (the deprecated SNDRCV form of the defaults; includes the PR-SCTP
    policy bits in flags and its value in timetolive)."""
    cdef sctp_sndrcvinfo s
    cdef socklen_t l = sizeof(s)
    memset(&s, 0, sizeof(s))
    s.sinfo_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_SEND_PARAM")
    sockopt_get(sock, SCTP_DEFAULT_SEND_PARAM, &s, &l, "SCTP_DEFAULT_SEND_PARAM")
    return DefaultSendParam(s.sinfo_stream, s.sinfo_flags, ntohl(s.sinfo_ppid), s.sinfo_context,
                            s.sinfo_timetolive)


def set_default_send_param(sock, stream=0, flags=0, ppid=0, context=0, timetolive=0, assoc_id=0):
    """SCTP_DEFAULT_SEND_PARAM: as set_default_sndinfo, plus a TTL (ms) for PR-SCTP."""
    cdef sctp_sndrcvinfo s
    memset(&s, 0, sizeof(s))
    s.sinfo_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_SEND_PARAM")
    s.sinfo_stream = _u16(stream, "SCTP_DEFAULT_SEND_PARAM: stream")
    s.sinfo_flags = _send_flags(flags, "SCTP_DEFAULT_SEND_PARAM")
    s.sinfo_ppid = htonl(_u32(ppid, "SCTP_DEFAULT_SEND_PARAM: ppid"))
    s.sinfo_context = _u32(context, "SCTP_DEFAULT_SEND_PARAM: context")
    s.sinfo_timetolive = _u32(timetolive, "SCTP_DEFAULT_SEND_PARAM: timetolive")
    sockopt_set(sock, SCTP_DEFAULT_SEND_PARAM, &s, sizeof(s), "SCTP_DEFAULT_SEND_PARAM")


_PR_POLICIES = (_C.SCTP_PR_SCTP_NONE, _C.SCTP_PR_SCTP_TTL, _C.SCTP_PR_SCTP_RTX, _C.SCTP_PR_SCTP_PRIO)


def get_default_prinfo(sock, assoc_id=0):
    """SCTP_DEFAULT_PRINFO: the PR-SCTP policy and value applied to sends that carry no PRINFO."""
    cdef sctp_default_prinfo p
    cdef socklen_t l = sizeof(p)
    memset(&p, 0, sizeof(p))
    p.pr_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_PRINFO")
    sockopt_get(sock, SCTP_DEFAULT_PRINFO, &p, &l, "SCTP_DEFAULT_PRINFO")
    return PrInfo(p.pr_policy, p.pr_value)


def set_default_prinfo(sock, policy, value=0, assoc_id=0):
    """SCTP_DEFAULT_PRINFO: *policy* SCTP_PR_SCTP_NONE/TTL (value: ms)/RTX (retransmissions)/
    PRIO (priority) for sends without PRINFO."""
    cdef sctp_default_prinfo p
    memset(&p, 0, sizeof(p))
    p.pr_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_PRINFO")
    p.pr_policy = _u16(policy, "SCTP_DEFAULT_PRINFO: policy")
    if policy not in _PR_POLICIES:
        raise ValueError(f"SCTP_DEFAULT_PRINFO: policy must be SCTP_PR_SCTP_NONE, TTL, RTX or PRIO, got {policy:#x}")
    p.pr_value = _u32(value, "SCTP_DEFAULT_PRINFO: value")
    sockopt_set(sock, SCTP_DEFAULT_PRINFO, &p, sizeof(p), "SCTP_DEFAULT_PRINFO")


cdef object _prstatus(object sock, int opt, str name, int stream, object policy, object assoc_id):
    cdef sctp_prstatus s
    cdef socklen_t l = sizeof(s)
    cdef uint16_t pol = _u16(policy, f"{name}: policy")
    if policy not in _PR_POLICIES[1:] and policy != _C.SCTP_PR_SCTP_ALL:
        raise ValueError(f"{name}: policy must be SCTP_PR_SCTP_TTL, RTX, PRIO or SCTP_PR_SCTP_ALL, got {policy:#x}")
    memset(&s, 0, sizeof(s))
    s.sprstat_assoc_id = _aid(assoc_id, name)
    s.sprstat_sid = <uint16_t>stream
    s.sprstat_policy = pol
    sockopt_get(sock, opt, &s, &l, name)
    return PrStatus(s.sprstat_abandoned_unsent, s.sprstat_abandoned_sent)


def get_pr_assoc_status(sock, policy=_C.SCTP_PR_SCTP_ALL, assoc_id=0):
    """SCTP_PR_ASSOC_STATUS: messages of the association abandoned under *policy* (default: all)."""
    return _prstatus(sock, SCTP_PR_ASSOC_STATUS, "SCTP_PR_ASSOC_STATUS", 0, policy, assoc_id)


def get_pr_stream_status(sock, stream, policy=_C.SCTP_PR_SCTP_ALL, assoc_id=0):
    """SCTP_PR_STREAM_STATUS: messages of one outgoing stream abandoned under *policy*."""
    return _prstatus(sock, SCTP_PR_STREAM_STATUS, "SCTP_PR_STREAM_STATUS",
                     _u16(stream, "SCTP_PR_STREAM_STATUS: stream"), policy, assoc_id)


# ---- stream reconfiguration (RFC 6525) --------------------------------------

def reset_streams(sock, streams=(), incoming=False, outgoing=True, assoc_id=0):
    """SCTP_RESET_STREAMS: reset the SSNs of *streams* (empty: all) in the chosen directions.

    Needs RE-CONFIG negotiated and SCTP_ENABLE_RESET_STREAM_REQ enabled (else
    UnsupportedOption); EAGAIN (BlockingIOError) while data is queued on the streams.
    """
    cdef list ids = [_u16(s, "SCTP_RESET_STREAMS: stream") for s in streams]
    cdef Py_ssize_t n = len(ids), i
    cdef size_t size
    cdef sctp_reset_streams *rs
    cdef uint16_t fl = 0
    if _bool(incoming, "SCTP_RESET_STREAMS: incoming"):
        fl |= SCTP_STREAM_RESET_INCOMING
    if _bool(outgoing, "SCTP_RESET_STREAMS: outgoing"):
        fl |= SCTP_STREAM_RESET_OUTGOING
    if not fl:
        raise ValueError("SCTP_RESET_STREAMS: choose incoming and/or outgoing")
    if n > 65535:
        raise ValueError(f"SCTP_RESET_STREAMS: at most 65535 streams, got {n}")
    aid = _aid(assoc_id, "SCTP_RESET_STREAMS")
    size = sizeof(sctp_reset_streams) + n * sizeof(uint16_t)
    rs = <sctp_reset_streams *>PyMem_Malloc(size)
    if rs == NULL:
        raise MemoryError()
    try:
        memset(rs, 0, size)
        rs.srs_assoc_id = aid
        rs.srs_flags = fl
        rs.srs_number_streams = <uint16_t>n
        for i in range(n):
            rs.srs_stream_list[i] = <uint16_t>ids[i]
        sockopt_set(sock, SCTP_RESET_STREAMS, rs, <socklen_t>size, "SCTP_RESET_STREAMS")
    finally:
        PyMem_Free(rs)


def reset_assoc(sock, assoc_id=0):
    """SCTP_RESET_ASSOC: reset the TSNs and every stream's SSN of the association (RFC 6525 5.1.4)."""
    cdef sctp_assoc_t aid = _aid(assoc_id, "SCTP_RESET_ASSOC")
    sockopt_set(sock, SCTP_RESET_ASSOC, &aid, sizeof(aid), "SCTP_RESET_ASSOC")


def add_streams(sock, instreams=0, outstreams=0, assoc_id=0):
    """SCTP_ADD_STREAMS: ask for *instreams* more incoming and *outstreams* more outgoing streams."""
    cdef sctp_add_streams a
    memset(&a, 0, sizeof(a))
    a.sas_assoc_id = _aid(assoc_id, "SCTP_ADD_STREAMS")
    a.sas_instrms = _u16(instreams, "SCTP_ADD_STREAMS: instreams")
    a.sas_outstrms = _u16(outstreams, "SCTP_ADD_STREAMS: outstreams")
    if not a.sas_instrms and not a.sas_outstrms:
        raise ValueError("SCTP_ADD_STREAMS: add at least one incoming or outgoing stream")
    sockopt_set(sock, SCTP_ADD_STREAMS, &a, sizeof(a), "SCTP_ADD_STREAMS")


# ---- SCTP-AUTH (RFC 4895) ---------------------------------------------------

def add_auth_chunk(sock, chunk_type):
    """SCTP_AUTH_CHUNK: require chunks of *chunk_type* (e.g. 0 DATA) to be authenticated."""
    cdef sctp_authchunk c
    c.sauth_chunk = <uint8_t>_int(chunk_type, "SCTP_AUTH_CHUNK: chunk_type", 0, 255)
    sockopt_set(sock, SCTP_AUTH_CHUNK, &c, sizeof(c), "SCTP_AUTH_CHUNK")


def set_auth_key(sock, keynumber, key, assoc_id=0):
    """SCTP_AUTH_KEY: install shared *key* (bytes) under *keynumber*."""
    cdef Py_buffer view
    cdef uint16_t num = _u16(keynumber, "SCTP_AUTH_KEY: keynumber")
    cdef sctp_assoc_t aid = _aid(assoc_id, "SCTP_AUTH_KEY")
    cdef size_t size
    cdef sctp_authkey *k
    if isinstance(key, str):
        raise TypeError("SCTP_AUTH_KEY: key must be bytes, not str")
    try:
        PyObject_GetBuffer(key, &view, PyBUF_SIMPLE)
    except TypeError:
        raise TypeError(f"SCTP_AUTH_KEY: key must be bytes-like, got {type(key).__name__}") from None
    try:
        if view.len > 65535:
            raise ValueError(f"SCTP_AUTH_KEY: key longer than 65535 bytes ({view.len})")
        # the kernel wants optlen strictly above the header, even for an empty key
        size = sizeof(sctp_authkey) + (view.len if view.len else 1)
        k = <sctp_authkey *>PyMem_Malloc(size)
        if k == NULL:
            raise MemoryError()
        try:
            memset(k, 0, size)
            k.sca_assoc_id = aid
            k.sca_keynumber = num
            k.sca_keylength = <uint16_t>view.len
            memcpy(k.sca_key, view.buf, view.len)
            sockopt_set(sock, SCTP_AUTH_KEY, k, <socklen_t>size, "SCTP_AUTH_KEY")
        finally:
            memset(k, 0, size)          # no copy of the secret left in freed memory
            PyMem_Free(k)
    finally:
        PyBuffer_Release(&view)


cdef int _keyid(object sock, int opt, str name, object keynumber, object assoc_id) except -1:
    cdef sctp_authkeyid k
    memset(&k, 0, sizeof(k))
    k.scact_assoc_id = _aid(assoc_id, name)
    k.scact_keynumber = _u16(keynumber, f"{name}: keynumber")
    return sockopt_set(sock, opt, &k, sizeof(k), name)


def set_active_key(sock, keynumber, assoc_id=0):
    """SCTP_AUTH_ACTIVE_KEY: authenticate outgoing chunks with key *keynumber*."""
    _keyid(sock, SCTP_AUTH_ACTIVE_KEY, "SCTP_AUTH_ACTIVE_KEY", keynumber, assoc_id)


def get_active_key(sock, assoc_id=0):
    """SCTP_AUTH_ACTIVE_KEY: the key number used for outgoing chunks."""
    cdef sctp_authkeyid k
    cdef socklen_t l = sizeof(k)
    memset(&k, 0, sizeof(k))
    k.scact_assoc_id = _aid(assoc_id, "SCTP_AUTH_ACTIVE_KEY")
    sockopt_get(sock, SCTP_AUTH_ACTIVE_KEY, &k, &l, "SCTP_AUTH_ACTIVE_KEY")
    return k.scact_keynumber


def delete_key(sock, keynumber, assoc_id=0):
    """SCTP_AUTH_DELETE_KEY: remove a (non-active) key."""
    _keyid(sock, SCTP_AUTH_DELETE_KEY, "SCTP_AUTH_DELETE_KEY", keynumber, assoc_id)


def deactivate_key(sock, keynumber, assoc_id=0):
    """SCTP_AUTH_DEACTIVATE_KEY: stop using a (non-active) key for incoming chunks (RFC 6458 8.3.4)."""
    _keyid(sock, SCTP_AUTH_DEACTIVATE_KEY, "SCTP_AUTH_DEACTIVATE_KEY", keynumber, assoc_id)


def get_hmac_ident(sock):
    """SCTP_HMAC_IDENT: the HMAC algorithms offered to peers, in order of preference
    (SCTP_AUTH_HMAC_ID_SHA1 = 1, SCTP_AUTH_HMAC_ID_SHA256 = 3)."""
    cdef size_t size = sizeof(sctp_hmacalgo) + 64 * sizeof(uint16_t)
    cdef socklen_t l = <socklen_t>size
    cdef sctp_hmacalgo *h = <sctp_hmacalgo *>PyMem_Malloc(size)
    cdef uint32_t n, i
    if h == NULL:
        raise MemoryError()
    try:
        memset(h, 0, size)
        sockopt_get(sock, SCTP_HMAC_IDENT, h, &l, "SCTP_HMAC_IDENT")
        n = h.shmac_num_idents
        if n > (l - sizeof(sctp_hmacalgo)) // sizeof(uint16_t):
            n = (l - sizeof(sctp_hmacalgo)) // sizeof(uint16_t)
        return [h.shmac_idents[i] for i in range(n)]
    finally:
        PyMem_Free(h)


def set_hmac_ident(sock, idents):
    """SCTP_HMAC_IDENT: offer these HMAC algorithms, most preferred first.  RFC 4895 makes
    SHA-1 mandatory, so the list must contain SCTP_AUTH_HMAC_ID_SHA1 (the kernel refuses it
    otherwise)."""
    cdef list ids = [_u16(i, "SCTP_HMAC_IDENT: ident") for i in idents]
    cdef Py_ssize_t n = len(ids), i
    cdef size_t size
    cdef sctp_hmacalgo *h
    if not 1 <= n <= 4:
        raise ValueError(f"SCTP_HMAC_IDENT: give 1..4 HMAC identifiers, got {n}")
    size = sizeof(sctp_hmacalgo) + n * sizeof(uint16_t)
    h = <sctp_hmacalgo *>PyMem_Malloc(size)
    if h == NULL:
        raise MemoryError()
    try:
        h.shmac_num_idents = <uint32_t>n
        for i in range(n):
            h.shmac_idents[i] = <uint16_t>ids[i]
        sockopt_set(sock, SCTP_HMAC_IDENT, h, <socklen_t>size, "SCTP_HMAC_IDENT")
    finally:
        PyMem_Free(h)


DEF AUTHCHUNKS_ROOM = 65536        # a chunk list is a u16-length parameter: this always fits


cdef list _auth_chunks(object sock, int opt, str name, object assoc_id):
    cdef size_t size = sizeof(sctp_authchunks) + AUTHCHUNKS_ROOM
    cdef socklen_t l = <socklen_t>size
    cdef sctp_authchunks *c = <sctp_authchunks *>PyMem_Malloc(size)
    cdef uint32_t n, i
    if c == NULL:
        raise MemoryError()
    try:
        memset(c, 0, sizeof(sctp_authchunks))
        c.gauth_assoc_id = _aid(assoc_id, name)
        sockopt_get(sock, opt, c, &l, name)
        n = c.gauth_number_of_chunks
        if n > l - sizeof(sctp_authchunks):
            n = l - sizeof(sctp_authchunks)
        return [c.gauth_chunks[i] for i in range(n)]
    finally:
        PyMem_Free(c)


def get_peer_auth_chunks(sock, assoc_id=0):
    """SCTP_PEER_AUTH_CHUNKS: chunk types the peer requires to be authenticated (list of ints)."""
    return _auth_chunks(sock, SCTP_PEER_AUTH_CHUNKS, "SCTP_PEER_AUTH_CHUNKS", assoc_id)


def get_local_auth_chunks(sock, assoc_id=0):
    """SCTP_LOCAL_AUTH_CHUNKS: chunk types this side requires to be authenticated."""
    return _auth_chunks(sock, SCTP_LOCAL_AUTH_CHUNKS, "SCTP_LOCAL_AUTH_CHUNKS", assoc_id)


# ---- associations of a one-to-many socket -------------------------------------

def get_assoc_number(sock):
    """SCTP_GET_ASSOC_NUMBER (one-to-many): how many associations the socket has."""
    cdef uint32_t n = 0
    cdef socklen_t l = sizeof(n)
    sockopt_get(sock, SCTP_GET_ASSOC_NUMBER, &n, &l, "SCTP_GET_ASSOC_NUMBER")
    return n


def get_assoc_ids(sock):
    """SCTP_GET_ASSOC_ID_LIST (one-to-many): the ids of the socket's associations."""
    cdef size_t size
    cdef socklen_t l
    cdef sctp_assoc_ids *ids
    cdef uint32_t i, n, room
    for attempt in range(8):        # the list may grow between the count and the fetch
        room = get_assoc_number(sock) + 16
        size = sizeof(sctp_assoc_ids) + room * sizeof(sctp_assoc_t)
        l = <socklen_t>size
        ids = <sctp_assoc_ids *>PyMem_Malloc(size)
        if ids == NULL:
            raise MemoryError()
        try:
            memset(ids, 0, size)
            try:
                sockopt_get(sock, SCTP_GET_ASSOC_ID_LIST, ids, &l, "SCTP_GET_ASSOC_ID_LIST")
            except OSError as e:
                if e.errno == EINVAL and attempt < 7:
                    continue
                raise
            n = ids.gaids_number_of_ids
            if n > room:
                n = room
            return [ids.gaids_assoc_id[i] for i in range(n)]
        finally:
            PyMem_Free(ids)


get_assoc_id_list = get_assoc_ids


def get_assoc_stats(sock, assoc_id=0):
    """SCTP_GET_ASSOC_STATS: the association's counters (see AssocStats)."""
    cdef sctp_assoc_stats s
    cdef socklen_t l = sizeof(s)
    memset(&s, 0, sizeof(s))
    s.sas_assoc_id = _aid(assoc_id, "SCTP_GET_ASSOC_STATS")
    sockopt_get(sock, SCTP_GET_ASSOC_STATS, &s, &l, "SCTP_GET_ASSOC_STATS")
    return AssocStats(s.sas_assoc_id, _addr_out(<void *>&s.sas_obs_rto_ipaddr), s.sas_maxrto,
                      s.sas_isacks, s.sas_osacks, s.sas_opackets, s.sas_ipackets,
                      s.sas_rtxchunks, s.sas_outofseqtsns, s.sas_idupchunks, s.sas_gapcnt,
                      s.sas_ouodchunks, s.sas_iuodchunks, s.sas_oodchunks, s.sas_iodchunks,
                      s.sas_octrlchunks, s.sas_ictrlchunks)


# ---- raw access -------------------------------------------------------------

_OPTION_NAMES = {getattr(_C, n): n for n in (
    "SCTP_RTOINFO", "SCTP_ASSOCINFO", "SCTP_INITMSG", "SCTP_NODELAY", "SCTP_AUTOCLOSE",
    "SCTP_SET_PEER_PRIMARY_ADDR", "SCTP_PRIMARY_ADDR", "SCTP_ADAPTATION_LAYER", "SCTP_DISABLE_FRAGMENTS",
    "SCTP_PEER_ADDR_PARAMS", "SCTP_DEFAULT_SEND_PARAM", "SCTP_EVENTS", "SCTP_I_WANT_MAPPED_V4_ADDR",
    "SCTP_MAXSEG", "SCTP_STATUS", "SCTP_GET_PEER_ADDR_INFO", "SCTP_DELAYED_SACK", "SCTP_CONTEXT",
    "SCTP_FRAGMENT_INTERLEAVE", "SCTP_PARTIAL_DELIVERY_POINT", "SCTP_MAX_BURST", "SCTP_AUTH_CHUNK",
    "SCTP_HMAC_IDENT", "SCTP_AUTH_KEY", "SCTP_AUTH_ACTIVE_KEY", "SCTP_AUTH_DELETE_KEY",
    "SCTP_PEER_AUTH_CHUNKS", "SCTP_LOCAL_AUTH_CHUNKS", "SCTP_GET_ASSOC_NUMBER", "SCTP_GET_ASSOC_ID_LIST",
    "SCTP_AUTO_ASCONF", "SCTP_PEER_ADDR_THLDS", "SCTP_RECVRCVINFO", "SCTP_RECVNXTINFO",
    "SCTP_DEFAULT_SNDINFO", "SCTP_AUTH_DEACTIVATE_KEY", "SCTP_REUSE_PORT", "SCTP_PEER_ADDR_THLDS_V2",
    "SCTP_GET_ASSOC_STATS", "SCTP_PR_SUPPORTED", "SCTP_DEFAULT_PRINFO", "SCTP_PR_ASSOC_STATUS",
    "SCTP_PR_STREAM_STATUS", "SCTP_RECONFIG_SUPPORTED", "SCTP_ENABLE_STREAM_RESET", "SCTP_RESET_STREAMS",
    "SCTP_RESET_ASSOC", "SCTP_ADD_STREAMS", "SCTP_SOCKOPT_PEELOFF_FLAGS", "SCTP_STREAM_SCHEDULER",
    "SCTP_STREAM_SCHEDULER_VALUE", "SCTP_INTERLEAVING_SUPPORTED", "SCTP_SENDMSG_CONNECT", "SCTP_EVENT",
    "SCTP_ASCONF_SUPPORTED", "SCTP_AUTH_SUPPORTED", "SCTP_ECN_SUPPORTED",
    "SCTP_EXPOSE_POTENTIALLY_FAILED_STATE", "SCTP_REMOTE_UDP_ENCAPS_PORT", "SCTP_PLPMTUD_PROBE_INTERVAL")}


cdef str _optname(object opt):
    return _OPTION_NAMES.get(opt) or f"SCTP option {opt}"


def get_raw(sock, opt, data=4):
    """Raw getsockopt(SOL_SCTP, *opt*): *data* is the input structure (bytes-like) or the size of
    the result; returns the bytes the kernel wrote.  Errors are mapped like the typed calls
    (an option number the kernel does not know raises UnsupportedOption)."""
    cdef int o = <int>_int(opt, "getsockopt: option", 0, 0x7FFFFFFF)
    cdef bytearray buf
    cdef socklen_t l
    if isinstance(data, int) and type(data) is not bool:
        buf = bytearray(<Py_ssize_t>_int(data, "getsockopt: size", 1, 1 << 20))
    elif isinstance(data, str):
        raise TypeError("getsockopt: data must be bytes-like or a size, not str")
    else:
        buf = bytearray(data)
        if not 0 < len(buf) <= 1 << 20:
            raise ValueError(f"getsockopt: data must be 1..1048576 bytes, got {len(buf)}")
    l = <socklen_t>len(buf)
    sockopt_get(sock, o, <char *>buf, &l, _optname(o))
    return bytes(buf[:l])


def set_raw(sock, opt, data):
    """Raw setsockopt(SOL_SCTP, *opt*, *data*): *data* is bytes-like or an int (a C int)."""
    cdef int o = <int>_int(opt, "setsockopt: option", 0, 0x7FFFFFFF)
    cdef int iv
    cdef Py_buffer view
    if isinstance(data, int):
        iv = <int>_int(data, "setsockopt: value", -0x80000000, 0x7FFFFFFF) if type(data) is not bool else data
        sockopt_set(sock, o, &iv, sizeof(int), _optname(o))
        return
    if isinstance(data, str):
        raise TypeError("setsockopt: data must be bytes-like or an int, not str")
    try:
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    except TypeError:
        raise TypeError(f"setsockopt: data must be bytes-like or an int, got {type(data).__name__}") from None
    try:
        sockopt_set(sock, o, view.buf, <socklen_t>view.len, _optname(o))
    finally:
        PyBuffer_Release(&view)


def opt_info(sock, opt, data, assoc_id=0):
    """libsctp ``sctp_opt_info``: getsockopt for *opt* with *assoc_id* written into the first
    field of *data* (the option's input structure, bytes-like); returns the result bytes.

    libsctp only handles the options RFC 6458 lists for it (RTOINFO, ASSOCINFO, INITMSG,
    NODELAY, AUTOCLOSE, PRIMARY_ADDR, DISABLE_FRAGMENTS, PEER_ADDR_PARAMS, DEFAULT_SEND_PARAM,
    EVENTS, I_WANT_MAPPED_V4_ADDR, MAXSEG, STATUS, GET_PEER_ADDR_INFO, AUTH_ACTIVE_KEY,
    PEER_AUTH_CHUNKS, LOCAL_AUTH_CHUNKS); others raise UnsupportedOption.
    """
    cdef int o = <int>_int(opt, "sctp_opt_info: option", 0, 0x7FFFFFFF)
    cdef sctp_assoc_t aid = _aid(assoc_id, "sctp_opt_info")
    cdef bytearray buf
    cdef socklen_t l
    cdef int fd = fileno_of(sock), rc, err = 0
    cdef char *p
    if isinstance(data, (str, int)):
        raise TypeError(f"sctp_opt_info: data must be bytes-like (the option's structure), got {type(data).__name__}")
    buf = bytearray(data)
    # libsctp stores the id into the first 4 bytes unconditionally for the options it handles
    if not <Py_ssize_t>sizeof(sctp_assoc_t) <= len(buf) <= 1 << 20:
        raise ValueError(f"sctp_opt_info: data must be {sizeof(sctp_assoc_t)}..1048576 bytes, got {len(buf)}")
    l = <socklen_t>len(buf)
    p = buf
    rc = sctp_opt_info(fd, aid, o, p, &l)
    if rc < 0:
        err = errno
    if rc < 0:
        _fail(err, f"sctp_opt_info({_optname(o)})", _optname(o))
    if rc > 0:      # libsctp returns ENOTSUP itself (errno untouched) for options it does not handle
        raise UnsupportedOption(rc, f"sctp_opt_info({_optname(o)}): libsctp does not handle this option; "
                                    f"use get_raw()", _optname(o))
    return bytes(buf[:l])


# ---- by-name dispatch (tools, CLI) --------------------------------------------

# name: (getter, setter, writable fields of a structured value or None for a scalar value)
_DISPATCH = {
    "initmsg": (get_initmsg, set_initmsg, ("ostreams", "instreams", "max_attempts", "max_init_timeout")),
    "rtoinfo": (get_rtoinfo, set_rtoinfo, ("initial", "max", "min")),
    "associnfo": (get_associnfo, set_associnfo, ("max_retrans", "cookie_life")),
    "peer_addr_params": (get_peer_addr_params, set_peer_addr_params,
                         ("address", "hbinterval", "pathmaxrxt", "sackdelay")),
    "get_peer_addr_info": (get_peer_addr_info, None, None),
    "peer_addr_info": (get_peer_addr_info, None, None),
    "peer_addr_thlds": (get_paddr_thresholds, set_paddr_thresholds,
                        ("address", "pathmaxrxt", "pathpfthld", "pathcpthld")),
    "status": (get_status, None, None),
    "primary_addr": (get_primary, set_primary, None),
    "set_peer_primary_addr": (None, set_peer_primary, None),
    "nodelay": (get_nodelay, set_nodelay, None),
    "maxseg": (get_maxseg, set_maxseg, None),
    "max_burst": (get_max_burst, set_max_burst, None),
    "autoclose": (get_autoclose, set_autoclose, None),
    "disable_fragments": (get_disable_fragments, set_disable_fragments, None),
    "fragment_interleave": (get_fragment_interleave, set_fragment_interleave, None),
    "partial_delivery_point": (get_partial_delivery_point, set_partial_delivery_point, None),
    "default_send_param": (get_default_send_param, set_default_send_param,
                           ("stream", "flags", "ppid", "context", "timetolive")),
    "default_sndinfo": (get_default_sndinfo, set_default_sndinfo, ("stream", "flags", "ppid", "context")),
    "default_prinfo": (get_default_prinfo, set_default_prinfo, ("policy", "value")),
    "context": (get_context, set_context, None),
    "delayed_sack": (get_delayed_sack, set_delayed_sack, ("delay", "freq")),
    "adaptation_layer": (get_adaptation_layer, set_adaptation_layer, None),
    "i_want_mapped_v4_addr": (get_mapped_v4, set_mapped_v4, None),
    "recvrcvinfo": (get_recvrcvinfo, set_recvrcvinfo, None),
    "recvnxtinfo": (get_recvnxtinfo, set_recvnxtinfo, None),
    "pr_supported": (get_pr_supported, set_pr_supported, None),
    "reconfig_supported": (get_reconfig_supported, set_reconfig_supported, None),
    "asconf_supported": (get_asconf_supported, set_asconf_supported, None),
    "auth_supported": (get_auth_supported, set_auth_supported, None),
    "ecn_supported": (get_ecn_supported, set_ecn_supported, None),
    "enable_stream_reset": (get_enable_stream_reset, set_enable_stream_reset, None),
    "reset_streams": (None, reset_streams, None),
    "reset_assoc": (None, reset_assoc, None),
    "add_streams": (None, add_streams, ("instreams", "outstreams")),
    "stream_scheduler": (get_stream_scheduler, set_stream_scheduler, None),
    "stream_scheduler_value": (get_stream_value, set_stream_value, None),
    "interleaving_supported": (get_interleaving_supported, set_interleaving_supported, None),
    "reuse_port": (get_reuse_port, set_reuse_port, None),
    "auth_chunk": (None, add_auth_chunk, None),
    "hmac_ident": (get_hmac_ident, set_hmac_ident, None),
    "auth_key": (None, set_auth_key, None),
    "auth_active_key": (get_active_key, set_active_key, None),
    "auth_delete_key": (None, delete_key, None),
    "auth_deactivate_key": (None, deactivate_key, None),
    "peer_auth_chunks": (get_peer_auth_chunks, None, None),
    "local_auth_chunks": (get_local_auth_chunks, None, None),
    "get_assoc_number": (get_assoc_number, None, None),
    "get_assoc_id_list": (get_assoc_ids, None, None),
    "get_assoc_stats": (get_assoc_stats, None, None),
    "pr_assoc_status": (get_pr_assoc_status, None, None),
    "pr_stream_status": (get_pr_stream_status, None, None),
}

OPTIONS = tuple(sorted(_DISPATCH))


def _lookup(str name, int which):
    key = name.lower()
    if key.startswith("sctp_"):
        key = key[5:]
    entry = _DISPATCH.get(key)
    if entry is None:
        raise ValueError(f"unknown SCTP option {name!r}; known: {', '.join(OPTIONS)}")
    if entry[which] is None:
        raise ValueError(f"SCTP option {name!r} cannot be {'read' if which == 0 else 'set'}")
    return entry


def get(sock, name, **kw):
    """Read option *name* (``"initmsg"``, ``"nodelay"``, ``"status"``, ...; see ``OPTIONS``);
    keyword arguments go to the typed getter (``assoc_id=``, ``address=``, ``stream=``)."""
    if not isinstance(name, str):
        raise TypeError(f"option name must be a str, got {type(name).__name__}")
    return _lookup(name, 0)[0](sock, **kw)


def set(sock, name, value=None, **kw):
    """Set option *name*.  *value* is the scalar for simple options (``set(s, "nodelay", True)``)
    or, for structured ones, a mapping or the getter's result type; keyword arguments override
    fields and carry ``assoc_id=`` etc.  ``set(s, "initmsg", ostreams=5)`` works too."""
    if not isinstance(name, str):
        raise TypeError(f"option name must be a str, got {type(name).__name__}")
    entry = _lookup(name, 1)
    setter, fields = entry[1], entry[2]
    if value is None:
        return setter(sock, **kw)
    if fields is None:
        return setter(sock, value, **kw)
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if not hasattr(value, "items"):
        raise TypeError(f"option {name!r} takes a mapping or {name} result, got {type(value).__name__}")
    merged = {k: v for k, v in value.items() if k in fields}
    merged.update(kw)
    return setter(sock, **merged)
