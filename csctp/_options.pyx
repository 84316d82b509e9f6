# cython: language_level=3
"""Typed SCTP socket options: RFC 6458 section 8, RFC 6525 (stream
reconfiguration), RFC 7496 (PR-SCTP), RFC 8260 (stream schedulers),
RFC 4895 (SCTP-AUTH).  The public face is :mod:`csctp.options`.

One table, ``TABLE``, has a row (:class:`Option`) per kernel option number:
its name, number, level, value kind, whether it takes ``assoc_id``, its typed
getter and setter and their result type.  The accessors of the simple kinds
(an ``int`` flag, an ``int``, a ``uint32_t``, a ``struct sctp_assoc_value``)
are generated from their row -- one reader and one writer per kind -- so each
such option is written once; options with a structure of their own have
hand-written accessors that the table points at.  ``get``/``set`` (by name),
``lookup`` and the raw calls name options through the same table.

Every function takes the socket first: a :class:`csctp.Socket`, a
``socket.socket`` or a file descriptor.  Getters return small typed
``NamedTuple`` results (``InitMsg``, ``Status``, ...), enums
(:class:`~csctp.constants.AssocState`, ``PathState``, ``Scheduler``,
``PrPolicy``: still ints) or plain ints/bools; setters take keyword arguments
and validate them before the system call (``TypeError``/``ValueError``
naming the option).

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
"""

from typing import Callable, NamedTuple, List, Optional, Tuple

from libc.errno cimport (
    errno, ENOPROTOOPT, EINVAL, EACCES, EPERM, EOPNOTSUPP, EINPROGRESS, EAGAIN, ENOENT, EADDRNOTAVAIL)
from libc.string cimport memset, memcpy, strerror
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE

from csctp.includes.socket cimport (
    sockaddr, sockaddr_storage, socklen_t, getsockopt, setsockopt, htonl, ntohl, htons, ntohs)
from csctp.includes.sctp cimport *
from csctp._core cimport fileno_of
from csctp._convert cimport as_int, as_u16, as_u32, as_assoc_id, as_bool
from csctp._addr cimport AddrList, pack, sockaddr_to_py
from csctp._errors cimport raise_errno
from csctp._errors import UnsupportedOption
from csctp import constants as _C
from csctp.constants import AssocState, PathState, PrPolicy, Scheduler

cdef extern from "csctp.h":
    # option numbers only the core uses (peeloff) or nothing here does: named in TABLE
    enum:
        SCTP_SOCKOPT_PEELOFF_FLAGS
        SCTP_SENDMSG_CONNECT


# ---- result types -----------------------------------------------------------
# Names differ from the per-message metadata classes (csctp.SndInfo, PrInfo, ...):
# an option's result is the socket's default, hence DefaultSndInfo / DefaultPrInfo.

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


PeerAddrInfo = NamedTuple("PeerAddrInfo", [("address", Optional[tuple]), ("state", PathState), ("cwnd", int),
                                           ("srtt", int), ("rto", int), ("mtu", int)])
PeerAddrInfo.__doc__ = ("SCTP_GET_PEER_ADDR_INFO: one peer address; state is a PathState (ACTIVE, INACTIVE, "
                        "PF or UNCONFIRMED); srtt and rto in ms.")

PaddrThresholds = NamedTuple("PaddrThresholds", [("address", Optional[tuple]), ("pathmaxrxt", int),
                                                 ("pathpfthld", int), ("pathcpthld", Optional[int])])
PaddrThresholds.__doc__ = ("SCTP_PEER_ADDR_THLDS(_V2): failure, potentially-failed (RFC 7829) and primary "
                           "switchover thresholds (None: the kernel lacks the V2 option).")

Status = NamedTuple("Status", [("assoc_id", int), ("state", AssocState), ("rwnd", int), ("unackdata", int),
                               ("penddata", int), ("instreams", int), ("outstreams", int),
                               ("fragmentation_point", int), ("primary", PeerAddrInfo)])
Status.__doc__ = ("SCTP_STATUS: association state (an AssocState: ESTABLISHED, ...), windows, streams "
                  "and primary path.")

SackInfo = NamedTuple("SackInfo", [("delay", int), ("freq", int)])
SackInfo.__doc__ = "SCTP_DELAYED_SACK: SACK delay (ms; 0 = delayed SACK off) and packets per SACK."

DefaultSendParam = NamedTuple("DefaultSendParam", [("stream", int), ("flags", int), ("ppid", int),
                                                   ("context", int), ("timetolive", int)])
DefaultSendParam.__doc__ = "SCTP_DEFAULT_SEND_PARAM (deprecated SNDRCV form); ppid in host order."

DefaultSndInfo = NamedTuple("DefaultSndInfo", [("stream", int), ("flags", int), ("ppid", int), ("context", int)])
DefaultSndInfo.__doc__ = "SCTP_DEFAULT_SNDINFO: defaults for sends without an SNDINFO; ppid in host order."

DefaultPrInfo = NamedTuple("DefaultPrInfo", [("policy", PrPolicy), ("value", int)])
DefaultPrInfo.__doc__ = "SCTP_DEFAULT_PRINFO: PR-SCTP policy (a PrPolicy: NONE, TTL, RTX, PRIO) and its value."

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


# ---- validation and conversion ------------------------------------------------

cdef inline sctp_assoc_t _aid(object v, str name) except? -1:
    return as_assoc_id(v, f"{name}: assoc_id")


cdef dict _members(object enum):
    return {m.value: m for m in enum}


cdef dict _ASSOC_STATES = _members(AssocState)
cdef dict _PATH_STATES = _members(PathState)
cdef dict _PR_POLICIES = _members(PrPolicy)


cdef inline object _as_enum(dict members, object v):
    # a value a newer kernel may add stays a plain int rather than failing the whole read
    return members.get(v, v)


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


# ---- the simple kinds: one reader and one writer each ----------------------------

# Option.kind values
BOOL = "bool"                  # a C int used as a flag; reads as bool
INT = "int"                    # a C int (range checked per option)
U32 = "u32"                    # a uint32_t, or a structure holding only one
ASSOC_VALUE = "assoc_value"    # struct sctp_assoc_value: assoc_id and a uint32_t
ASSOC_BOOL = "assoc_bool"      # struct sctp_assoc_value used as a flag
STRUCT = "struct"              # an option structure with accessors of its own
RAW = "raw"                    # a known number without a typed accessor here (see Option.doc)
KINDS = (BOOL, INT, U32, ASSOC_VALUE, ASSOC_BOOL, STRUCT, RAW)

cdef enum _Kind:
    K_BOOL, K_INT, K_U32, K_AV, K_AV_BOOL

cdef dict _KIND_CODES = {BOOL: K_BOOL, INT: K_INT, U32: K_U32, ASSOC_VALUE: K_AV, ASSOC_BOOL: K_AV_BOOL}


cdef object _get_int(object sock, int opt, str name):
    cdef int v = 0
    cdef socklen_t l = sizeof(int)
    sockopt_get(sock, opt, &v, &l, name)
    return v


cdef int _set_int(object sock, int opt, int v, str name) except -1:
    return sockopt_set(sock, opt, &v, sizeof(int), name)


cdef object _get_u32(object sock, int opt, str name):
    cdef uint32_t v = 0
    cdef socklen_t l = sizeof(v)
    sockopt_get(sock, opt, &v, &l, name)
    return v


cdef int _set_u32(object sock, int opt, uint32_t v, str name) except -1:
    return sockopt_set(sock, opt, &v, sizeof(v), name)


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


cdef class _Simple:
    """What the generated accessors of one simple option need, in C fields."""
    cdef int number
    cdef _Kind kind
    cdef str NAME
    cdef long long lo, hi
    cdef dict members          # enum value -> member, or None
    cdef str what              # what a value of the enum is called in messages ("scheduler")
    cdef str choices           # "FCFS=0, PRIO=1, ..."
    cdef uint32_t mask         # allowed flag bits, 0: any value in lo..hi
    cdef str bits              # the flags' names, for the message
    cdef tuple newer           # enum values older kernels refuse with EINVAL


cdef object _read(_Simple o, object sock, object assoc_id):
    cdef object v
    if o.kind == K_BOOL:
        return _get_int(sock, o.number, o.NAME) != 0
    if o.kind == K_INT:
        v = _get_int(sock, o.number, o.NAME)
    elif o.kind == K_U32:
        v = _get_u32(sock, o.number, o.NAME)
    else:
        v = _get_av(sock, o.number, assoc_id, o.NAME)
        if o.kind == K_AV_BOOL:
            return v != 0
    return v if o.members is None else _as_enum(o.members, v)


cdef int _write(_Simple o, object sock, object value, object assoc_id) except -1:
    cdef long long v
    if o.kind == K_BOOL or o.kind == K_AV_BOOL:
        v = as_bool(value, o.NAME)
    else:
        v = as_int(value, o.NAME, o.lo, o.hi)
        if o.members is not None and v not in o.members:
            raise ValueError(f"{o.NAME}: unknown {o.what} {value!r} ({o.choices})")
        if o.mask and v & ~(<long long>o.mask):
            raise ValueError(f"{o.NAME}: flags may only combine {o.bits}, got {v:#x}")
    if o.kind == K_BOOL or o.kind == K_INT:
        return _set_int(sock, o.number, <int>v, o.NAME)
    if o.kind == K_U32:
        return _set_u32(sock, o.number, <uint32_t>v, o.NAME)
    try:
        return _set_av(sock, o.number, <uint32_t>v, assoc_id, o.NAME)
    except OSError as e:
        # the kernel checks "value > its maximum" first: for a value a newer kernel
        # knows, EINVAL means this kernel's maximum is lower
        if e.errno == EINVAL and v in o.newer:
            raise UnsupportedOption(EINVAL, f"setsockopt({o.NAME}): this kernel has no "
                                            f"{o.members[v].name} {o.what}", o.NAME) from None
        raise


_ASSOC_GET_NOTE = ("  *assoc_id*: an association of a one-to-many socket, or 0 for the endpoint "
                   "default (one-to-one sockets ignore it).")
_NEGOTIATED_GET = ("  On an association this is what was negotiated with the peer; with assoc_id=0 on a "
                   "one-to-many socket, the endpoint default.")
_NEGOTIATED_SET = "  Set it before connecting: it is announced in INIT/INIT-ACK."


def _accessors(_Simple o, bint assoc, bint writable):
    """The getter and setter (None if read-only) of a simple option."""
    def get_assoc(sock, assoc_id=0):
        return _read(o, sock, assoc_id)

    def set_assoc(sock, value, assoc_id=0):
        _write(o, sock, value, assoc_id)

    def get_plain(sock):
        return _read(o, sock, 0)

    def set_plain(sock, value):
        _write(o, sock, value, 0)

    if assoc:
        return get_assoc, (set_assoc if writable else None)
    return get_plain, (set_plain if writable else None)


def _simple(str name, int number, str kind, str get_doc, str set_doc=None, str fn=None,
            long long lo=0, long long hi=0xFFFFFFFF, object enum=None, uint32_t mask=0, tuple bits=(),
            tuple newer=()):
    """A table row for a simple option, with its generated accessors (get_<fn>, set_<fn>;
    no setter without *set_doc*)."""
    cdef _Simple o = _Simple()
    cdef bint assoc = kind in (ASSOC_VALUE, ASSOC_BOOL)
    o.number, o.kind, o.NAME = number, <_Kind>_KIND_CODES[kind], "SCTP_" + name.upper()
    o.lo, o.hi, o.mask, o.bits, o.newer = lo, hi, mask, ", ".join(bits), newer
    o.members = None if enum is None else _members(enum)
    if enum is not None:
        o.what = enum.__name__.lower()
        o.choices = ", ".join(f"{m.name}={m.value}" for m in enum)
    getter, setter = _accessors(o, assoc, set_doc is not None)
    fn = fn or name
    getter.__name__ = getter.__qualname__ = f"get_{fn}"
    # the signature line first, as Cython's embedsignature writes it for the other functions
    aid = ", assoc_id=0" if assoc else ""
    getter.__doc__ = f"get_{fn}(sock{aid})\n\n{o.NAME}: {get_doc}" + (
        _NEGOTIATED_GET if kind == ASSOC_BOOL else _ASSOC_GET_NOTE if assoc else "")
    if setter is not None:
        setter.__name__ = setter.__qualname__ = f"set_{fn}"
        setter.__doc__ = f"set_{fn}(sock, value{aid})\n\n{o.NAME}: {set_doc}" + (
            _NEGOTIATED_SET if kind == ASSOC_BOOL else "")
    result = bool if kind in (BOOL, ASSOC_BOOL) else int if enum is None else enum
    return Option(name, number, SOL_SCTP, kind, assoc, getter, setter, result, None, f"{o.NAME}: {get_doc}")


# ---- options with a structure of their own (hand-written accessors) ---------------

# stream schedulers (RFC 8260)

def get_stream_value(sock, stream, assoc_id=0):
    """SCTP_STREAM_SCHEDULER_VALUE: the scheduler's per-stream value (PRIO: priority, lower first)."""
    cdef sctp_stream_value v
    cdef socklen_t l = sizeof(v)
    memset(&v, 0, sizeof(v))
    v.assoc_id = _aid(assoc_id, "SCTP_STREAM_SCHEDULER_VALUE")
    v.stream_id = as_u16(stream, "SCTP_STREAM_SCHEDULER_VALUE: stream")
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
    v.stream_id = as_u16(stream, "SCTP_STREAM_SCHEDULER_VALUE: stream")
    v.stream_value = as_u16(value, "SCTP_STREAM_SCHEDULER_VALUE: value")
    sockopt_set(sock, SCTP_STREAM_SCHEDULER_VALUE, &v, sizeof(v), "SCTP_STREAM_SCHEDULER_VALUE")

# INIT, RTO, association and path parameters, defaults for sending

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
    m.sinit_num_ostreams = as_u16(ostreams or 0, "SCTP_INITMSG: ostreams")
    m.sinit_max_instreams = as_u16(instreams or 0, "SCTP_INITMSG: instreams")
    m.sinit_max_attempts = as_u16(max_attempts or 0, "SCTP_INITMSG: max_attempts")
    m.sinit_max_init_timeo = as_u16(max_init_timeout or 0, "SCTP_INITMSG: max_init_timeout")
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
    r.srto_initial = as_u32(initial or 0, "SCTP_RTOINFO: initial")
    r.srto_max = as_u32(max or 0, "SCTP_RTOINFO: max")
    r.srto_min = as_u32(min or 0, "SCTP_RTOINFO: min")
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
    a.sasoc_asocmaxrxt = as_u16(max_retrans or 0, "SCTP_ASSOCINFO: max_retrans")
    a.sasoc_cookie_life = as_u32(cookie_life or 0, "SCTP_ASSOCINFO: cookie_life")
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
        p.spp_hbinterval = as_u32(hbinterval, "SCTP_PEER_ADDR_PARAMS: hbinterval")
        if p.spp_hbinterval == 0:
            flags |= SPP_HB_TIME_IS_ZERO
        if hb_enable is not None and not hb_enable:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: hbinterval given with hb_enable=False")
        hb_enable = True
    if pathmaxrxt is not None:
        p.spp_pathmaxrxt = as_u16(pathmaxrxt, "SCTP_PEER_ADDR_PARAMS: pathmaxrxt")
        if p.spp_pathmaxrxt == 0:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: pathmaxrxt must be >= 1")
    if pathmtu is not None:
        p.spp_pathmtu = <uint32_t>as_int(pathmtu, "SCTP_PEER_ADDR_PARAMS: pathmtu", 512, 65535)
        if pmtud_enable:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: a fixed pathmtu needs PMTU discovery off (pmtud_enable=False)")
        pmtud_enable = False
    if sackdelay is not None:
        p.spp_sackdelay = <uint32_t>as_int(sackdelay, "SCTP_PEER_ADDR_PARAMS: sackdelay", 1, 500)
        if sackdelay_enable is not None and not sackdelay_enable:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: sackdelay given with sackdelay_enable=False")
        sackdelay_enable = True
    if hb_enable is not None:
        flags |= SPP_HB_ENABLE if as_bool(hb_enable, "SCTP_PEER_ADDR_PARAMS: hb_enable") else SPP_HB_DISABLE
    if pmtud_enable is not None:
        flags |= SPP_PMTUD_ENABLE if as_bool(pmtud_enable, "SCTP_PEER_ADDR_PARAMS: pmtud_enable") else SPP_PMTUD_DISABLE
    if sackdelay_enable is not None:
        flags |= (SPP_SACKDELAY_ENABLE if as_bool(sackdelay_enable, "SCTP_PEER_ADDR_PARAMS: sackdelay_enable")
                  else SPP_SACKDELAY_DISABLE)
    if as_bool(hb_demand, "SCTP_PEER_ADDR_PARAMS: hb_demand"):
        if address is None:
            raise ValueError("SCTP_PEER_ADDR_PARAMS: hb_demand needs a peer address")
        flags |= SPP_HB_DEMAND
    p.spp_flags = flags
    sockopt_set(sock, SCTP_PEER_ADDR_PARAMS, &p, sizeof(p), "SCTP_PEER_ADDR_PARAMS")


cdef object _paddrinfo(sctp_paddrinfo *pi):
    return PeerAddrInfo(_addr_out(<void *>&pi.spinfo_address), _as_enum(_PATH_STATES, pi.spinfo_state), pi.spinfo_cwnd,
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
    t.spt_pathmaxrxt = as_u16(pathmaxrxt or 0, "SCTP_PEER_ADDR_THLDS: pathmaxrxt")
    t.spt_pathpfthld = as_u16(pathpfthld or 0, "SCTP_PEER_ADDR_THLDS: pathpfthld")
    if pathcpthld is None:
        sockopt_set(sock, SCTP_PEER_ADDR_THLDS, &t, sizeof(sctp_paddrthlds), "SCTP_PEER_ADDR_THLDS")
        return
    t.spt_pathcpthld = as_u16(pathcpthld, "SCTP_PEER_ADDR_THLDS: pathcpthld")
    if t.spt_pathpfthld > t.spt_pathcpthld:
        raise ValueError(f"SCTP_PEER_ADDR_THLDS: pathpfthld ({pathpfthld}) above pathcpthld ({pathcpthld})")
    sockopt_set(sock, SCTP_PEER_ADDR_THLDS_V2, &t, sizeof(t), "SCTP_PEER_ADDR_THLDS_V2")


def get_remote_udp_encaps_port(sock, address=None, assoc_id=0):
    """SCTP_REMOTE_UDP_ENCAPS_PORT (RFC 6951, Linux >= 5.11): the remote UDP port this side
    encapsulates SCTP packets to, for one peer *address*, the association, or (no address,
    assoc_id 0) the socket default; 0 means plain SCTP over IP."""
    cdef csctp_udpencaps e
    cdef socklen_t l = sizeof(e)
    memset(&e, 0, sizeof(e))
    e.sue_assoc_id = _aid(assoc_id, "SCTP_REMOTE_UDP_ENCAPS_PORT")
    _addr_in(address, <void *>&e.sue_address, "SCTP_REMOTE_UDP_ENCAPS_PORT")
    sockopt_get(sock, SCTP_REMOTE_UDP_ENCAPS_PORT, &e, &l, "SCTP_REMOTE_UDP_ENCAPS_PORT")
    return ntohs(e.sue_port)


def set_remote_udp_encaps_port(sock, port, address=None, assoc_id=0):
    """SCTP_REMOTE_UDP_ENCAPS_PORT (RFC 6951, Linux >= 5.11): send this side's SCTP packets
    inside UDP to remote *port* (0..65535; 0 turns encapsulation off), for one peer
    *address*, the association, or (no address, assoc_id 0) the socket default.  Sending
    also needs net.sctp.udp_port (the local UDP port) set in this network namespace."""
    cdef csctp_udpencaps e
    memset(&e, 0, sizeof(e))
    e.sue_assoc_id = _aid(assoc_id, "SCTP_REMOTE_UDP_ENCAPS_PORT")
    _addr_in(address, <void *>&e.sue_address, "SCTP_REMOTE_UDP_ENCAPS_PORT")
    # the kernel takes sue_port as it goes on the wire
    e.sue_port = htons(<uint16_t>as_int(port, "SCTP_REMOTE_UDP_ENCAPS_PORT: port", 0, 65535))
    sockopt_set(sock, SCTP_REMOTE_UDP_ENCAPS_PORT, &e, sizeof(e), "SCTP_REMOTE_UDP_ENCAPS_PORT")


# the kernel's SCTP_PROBE_TIMER_MIN: it refuses a nonzero PLPMTUD probe interval below it (EINVAL)
PLPMTUD_PROBE_INTERVAL_MIN = 5000


def get_plpmtud_probe_interval(sock, address=None, assoc_id=0):
    """SCTP_PLPMTUD_PROBE_INTERVAL (RFC 8899, Linux >= 5.11): milliseconds between
    packetization-layer path MTU probes for one peer *address*, the association, or (no
    address, assoc_id 0) the socket default; 0 means PLPMTUD is off."""
    cdef csctp_probeinterval p
    cdef socklen_t l = sizeof(p)
    memset(&p, 0, sizeof(p))
    p.spi_assoc_id = _aid(assoc_id, "SCTP_PLPMTUD_PROBE_INTERVAL")
    _addr_in(address, <void *>&p.spi_address, "SCTP_PLPMTUD_PROBE_INTERVAL")
    sockopt_get(sock, SCTP_PLPMTUD_PROBE_INTERVAL, &p, &l, "SCTP_PLPMTUD_PROBE_INTERVAL")
    return p.spi_interval


def set_plpmtud_probe_interval(sock, interval, address=None, assoc_id=0):
    """SCTP_PLPMTUD_PROBE_INTERVAL (RFC 8899, Linux >= 5.11): probe the path MTU every
    *interval* ms (0 turns PLPMTUD off; otherwise at least 5000, the kernel's minimum),
    for one peer *address*, the association, or (no address, assoc_id 0) the socket
    default.  The kernel keeps it in clock ticks, so a read may round it up."""
    cdef csctp_probeinterval p
    memset(&p, 0, sizeof(p))
    p.spi_assoc_id = _aid(assoc_id, "SCTP_PLPMTUD_PROBE_INTERVAL")
    _addr_in(address, <void *>&p.spi_address, "SCTP_PLPMTUD_PROBE_INTERVAL")
    p.spi_interval = as_u32(interval, "SCTP_PLPMTUD_PROBE_INTERVAL: interval")
    if p.spi_interval and p.spi_interval < PLPMTUD_PROBE_INTERVAL_MIN:
        raise ValueError(f"SCTP_PLPMTUD_PROBE_INTERVAL: interval must be 0 (off) or at least "
                         f"{PLPMTUD_PROBE_INTERVAL_MIN} ms, got {interval}")
    sockopt_set(sock, SCTP_PLPMTUD_PROBE_INTERVAL, &p, sizeof(p), "SCTP_PLPMTUD_PROBE_INTERVAL")


def get_status(sock, assoc_id=0):
    """SCTP_STATUS of an association (assoc_id ignored on one-to-one sockets)."""
    cdef sctp_status s
    cdef socklen_t l = sizeof(s)
    memset(&s, 0, sizeof(s))
    s.sstat_assoc_id = _aid(assoc_id, "SCTP_STATUS")
    sockopt_get(sock, SCTP_STATUS, &s, &l, "SCTP_STATUS")
    return Status(s.sstat_assoc_id, _as_enum(_ASSOC_STATES, s.sstat_state), s.sstat_rwnd, s.sstat_unackdata,
                  s.sstat_penddata, s.sstat_instrms, s.sstat_outstrms, s.sstat_fragmentation_point,
                  _paddrinfo(&s.sstat_primary))


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
    s.sack_delay = <uint32_t>as_int(delay or 0, "SCTP_DELAYED_SACK: delay", 0, 500)
    s.sack_freq = as_u32(freq or 0, "SCTP_DELAYED_SACK: freq")
    sockopt_set(sock, SCTP_DELAYED_SACK, &s, sizeof(s), "SCTP_DELAYED_SACK")


cdef uint16_t _send_flags(object flags, str name) except? 0xFFFF:
    cdef uint16_t f = as_u16(flags or 0, f"{name}: flags")
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
    return DefaultSndInfo(s.snd_sid, s.snd_flags, ntohl(s.snd_ppid), s.snd_context)


def set_default_sndinfo(sock, stream=0, flags=0, ppid=0, context=0, assoc_id=0):
    """SCTP_DEFAULT_SNDINFO: defaults for sends without SNDINFO.  *ppid* is host order."""
    cdef sctp_sndinfo s
    memset(&s, 0, sizeof(s))
    s.snd_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_SNDINFO")
    s.snd_sid = as_u16(stream, "SCTP_DEFAULT_SNDINFO: stream")
    s.snd_flags = _send_flags(flags, "SCTP_DEFAULT_SNDINFO")
    s.snd_ppid = htonl(as_u32(ppid, "SCTP_DEFAULT_SNDINFO: ppid"))   # the kernel copies it to the wire as is
    s.snd_context = as_u32(context, "SCTP_DEFAULT_SNDINFO: context")
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
    s.sinfo_stream = as_u16(stream, "SCTP_DEFAULT_SEND_PARAM: stream")
    s.sinfo_flags = _send_flags(flags, "SCTP_DEFAULT_SEND_PARAM")
    s.sinfo_ppid = htonl(as_u32(ppid, "SCTP_DEFAULT_SEND_PARAM: ppid"))
    s.sinfo_context = as_u32(context, "SCTP_DEFAULT_SEND_PARAM: context")
    s.sinfo_timetolive = as_u32(timetolive, "SCTP_DEFAULT_SEND_PARAM: timetolive")
    sockopt_set(sock, SCTP_DEFAULT_SEND_PARAM, &s, sizeof(s), "SCTP_DEFAULT_SEND_PARAM")


def get_default_prinfo(sock, assoc_id=0):
    """SCTP_DEFAULT_PRINFO: the PR-SCTP policy and value applied to sends that carry no PRINFO."""
    cdef sctp_default_prinfo p
    cdef socklen_t l = sizeof(p)
    memset(&p, 0, sizeof(p))
    p.pr_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_PRINFO")
    sockopt_get(sock, SCTP_DEFAULT_PRINFO, &p, &l, "SCTP_DEFAULT_PRINFO")
    return DefaultPrInfo(_as_enum(_PR_POLICIES, p.pr_policy), p.pr_value)


def set_default_prinfo(sock, policy, value=0, assoc_id=0):
    """SCTP_DEFAULT_PRINFO: *policy* SCTP_PR_SCTP_NONE/TTL (value: ms)/RTX (retransmissions)/
    PRIO (priority) for sends without PRINFO."""
    cdef sctp_default_prinfo p
    memset(&p, 0, sizeof(p))
    p.pr_assoc_id = _aid(assoc_id, "SCTP_DEFAULT_PRINFO")
    p.pr_policy = as_u16(policy, "SCTP_DEFAULT_PRINFO: policy")
    if p.pr_policy not in _PR_POLICIES:
        raise ValueError(f"SCTP_DEFAULT_PRINFO: policy must be a PrPolicy (NONE, TTL, RTX or PRIO), "
                         f"got {p.pr_policy:#x}")
    p.pr_value = as_u32(value, "SCTP_DEFAULT_PRINFO: value")
    sockopt_set(sock, SCTP_DEFAULT_PRINFO, &p, sizeof(p), "SCTP_DEFAULT_PRINFO")


cdef object _prstatus(object sock, int opt, str name, int stream, object policy, object assoc_id):
    cdef sctp_prstatus s
    cdef socklen_t l = sizeof(s)
    cdef uint16_t pol = as_u16(policy, f"{name}: policy")
    if pol != CSCTP_PR_SCTP_ALL and (pol == PrPolicy.NONE or pol not in _PR_POLICIES):
        raise ValueError(f"{name}: policy must be PrPolicy.TTL, RTX, PRIO or SCTP_PR_SCTP_ALL, got {pol:#x}")
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
                     as_u16(stream, "SCTP_PR_STREAM_STATUS: stream"), policy, assoc_id)


# ---- stream reconfiguration (RFC 6525) --------------------------------------

def reset_streams(sock, streams=(), incoming=False, outgoing=True, assoc_id=0):
    """SCTP_RESET_STREAMS: reset the SSNs of *streams* (empty: all) in the chosen directions.

    Needs RE-CONFIG negotiated and SCTP_ENABLE_RESET_STREAM_REQ enabled (else
    UnsupportedOption); EAGAIN (BlockingIOError) while data is queued on the streams.
    """
    cdef list ids = [as_u16(s, "SCTP_RESET_STREAMS: stream") for s in streams]
    cdef Py_ssize_t n = len(ids), i
    cdef size_t size
    cdef sctp_reset_streams *rs
    cdef uint16_t fl = 0
    if as_bool(incoming, "SCTP_RESET_STREAMS: incoming"):
        fl |= SCTP_STREAM_RESET_INCOMING
    if as_bool(outgoing, "SCTP_RESET_STREAMS: outgoing"):
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
    a.sas_instrms = as_u16(instreams, "SCTP_ADD_STREAMS: instreams")
    a.sas_outstrms = as_u16(outstreams, "SCTP_ADD_STREAMS: outstreams")
    if not a.sas_instrms and not a.sas_outstrms:
        raise ValueError("SCTP_ADD_STREAMS: add at least one incoming or outgoing stream")
    sockopt_set(sock, SCTP_ADD_STREAMS, &a, sizeof(a), "SCTP_ADD_STREAMS")


# ---- SCTP-AUTH (RFC 4895) ---------------------------------------------------

def add_auth_chunk(sock, chunk_type):
    """SCTP_AUTH_CHUNK: require chunks of *chunk_type* (e.g. 0 DATA) to be authenticated."""
    cdef sctp_authchunk c
    c.sauth_chunk = <uint8_t>as_int(chunk_type, "SCTP_AUTH_CHUNK: chunk_type", 0, 255)
    sockopt_set(sock, SCTP_AUTH_CHUNK, &c, sizeof(c), "SCTP_AUTH_CHUNK")


def set_auth_key(sock, keynumber, key, assoc_id=0):
    """SCTP_AUTH_KEY: install shared *key* (bytes) under *keynumber*."""
    cdef Py_buffer view
    cdef uint16_t num = as_u16(keynumber, "SCTP_AUTH_KEY: keynumber")
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
    k.scact_keynumber = as_u16(keynumber, f"{name}: keynumber")
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
    cdef list ids = [as_u16(i, "SCTP_HMAC_IDENT: ident") for i in idents]
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

def get_assoc_ids(sock):
    """SCTP_GET_ASSOC_ID_LIST (one-to-many): the ids of the socket's associations."""
    cdef size_t size
    cdef socklen_t l
    cdef sctp_assoc_ids *ids
    cdef uint32_t i, n, room
    for attempt in range(8):        # the list may grow between the count and the fetch
        room = _get_u32(sock, SCTP_GET_ASSOC_NUMBER, "SCTP_GET_ASSOC_NUMBER") + 16
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

cdef str _optname(int opt):
    row = _BY_NUMBER.get(opt)
    return row.constant if row is not None else f"SCTP option {opt}"


cdef int _optnum(object opt, str op) except -1:
    """An option given by number, or by name through the table."""
    if isinstance(opt, str):
        return lookup(opt).number
    return <int>as_int(opt, f"{op}: option", 0, 0x7FFFFFFF)


def get_raw(sock, opt, data=4):
    """Raw getsockopt(SOL_SCTP, *opt*) (a number, or a name from TABLE): *data* is the input
    structure (bytes-like) or the size of the result; returns the bytes the kernel wrote.
    Errors are mapped like the typed calls (an option number the kernel does not know raises
    UnsupportedOption)."""
    cdef int o = _optnum(opt, "getsockopt")
    cdef bytearray buf
    cdef socklen_t l
    if isinstance(data, int) and type(data) is not bool:
        buf = bytearray(<Py_ssize_t>as_int(data, "getsockopt: size", 1, 1 << 20))
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
    """Raw setsockopt(SOL_SCTP, *opt*, *data*) (*opt* a number or a name from TABLE): *data* is
    bytes-like or an int (a C int)."""
    cdef int o = _optnum(opt, "setsockopt")
    cdef int iv
    cdef Py_buffer view
    if isinstance(data, int):
        iv = <int>as_int(data, "setsockopt: value", -0x80000000, 0x7FFFFFFF) if type(data) is not bool else data
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
    cdef int o = _optnum(opt, "sctp_opt_info")
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




# ---- the table ----------------------------------------------------------------

_OptionBase = NamedTuple("_OptionBase", [
    ("name", str), ("number", int), ("level", int), ("kind", str), ("assoc", bool),
    ("getter", Optional[Callable[..., object]]), ("setter", Optional[Callable[..., None]]),
    ("result", Optional[Callable[..., object]]), ("fields", Optional[Tuple[str, ...]]), ("doc", str)])


class Option(_OptionBase):
    """One row of ``TABLE``: an SCTP socket option.

    *name* is the kernel's name without ``SCTP_``, lower case (what ``get``/``set`` take);
    *number* and *level* are what getsockopt/setsockopt take; *kind* is how the value is
    encoded (``BOOL``, ``INT``, ``U32``, ``ASSOC_VALUE``, ``ASSOC_BOOL``, ``STRUCT`` or
    ``RAW``); *assoc* is whether the accessors take ``assoc_id=``; *getter*/*setter* are the
    typed accessors (None where the option cannot be read / written here); *result* is the
    getter's result type; *fields* are the writable fields of a structured value (what a
    mapping given to ``set`` may hold).
    """
    __slots__ = ()

    @property
    def constant(self):
        """The kernel's name of the option, ``SCTP_NODELAY``."""
        return "SCTP_" + self.name.upper()


cdef str _summary(fn):
    """The first paragraph of *fn*'s docstring, without the signature line Cython embeds."""
    head, _, rest = fn.__doc__.partition("\n\n")
    if head.startswith(fn.__name__ + "("):
        head = rest.partition("\n\n")[0]
    return " ".join(head.split())


def _struct(str name, int number, getter, setter, result, bint assoc=True, tuple fields=None):
    return Option(name, number, SOL_SCTP, STRUCT, assoc, getter, setter, result, fields,
                  _summary(getter or setter))


def _raw(str name, int number, str where):
    return Option(name, number, SOL_SCTP, RAW, False, None, None, None, None,
                  f"SCTP_{name.upper()}: no typed accessor here; {where}")


_PEER_ADDR_THLDS_FIELDS = ("address", "pathmaxrxt", "pathpfthld", "pathcpthld")
_ENABLE_RESET_BITS = ("SCTP_ENABLE_RESET_STREAM_REQ", "SCTP_ENABLE_RESET_ASSOC_REQ", "SCTP_ENABLE_CHANGE_ASSOC_REQ")

TABLE = (
    _struct("rtoinfo", SCTP_RTOINFO, get_rtoinfo, set_rtoinfo, RtoInfo, fields=("initial", "max", "min")),
    _struct("associnfo", SCTP_ASSOCINFO, get_associnfo, set_associnfo, AssocParams,
            fields=("max_retrans", "cookie_life")),
    _struct("initmsg", SCTP_INITMSG, get_initmsg, set_initmsg, InitMsg, assoc=False,
            fields=("ostreams", "instreams", "max_attempts", "max_init_timeout")),
    _simple("nodelay", SCTP_NODELAY, BOOL, "True when Nagle-style bundling delay is off.",
            "send small messages at once instead of waiting to bundle them."),
    _simple("autoclose", SCTP_AUTOCLOSE, INT,
            "idle seconds before a one-to-many association is closed (0: never).",
            "(one-to-many only) close associations idle for *value* seconds (0: never).  "
            "The kernel silently caps it at net.sctp.max_autoclose.", hi=0x7FFFFFFF),
    _struct("set_peer_primary_addr", SCTP_SET_PEER_PRIMARY_ADDR, None, set_peer_primary, None),
    _struct("primary_addr", SCTP_PRIMARY_ADDR, get_primary, set_primary, tuple),
    # struct sctp_setadaptation holds one uint32_t
    _simple("adaptation_layer", SCTP_ADAPTATION_LAYER, U32,
            "the adaptation indication sent in INIT/INIT-ACK (RFC 5061), host order.",
            "32-bit adaptation indication announced to peers of future associations."),
    _simple("disable_fragments", SCTP_DISABLE_FRAGMENTS, BOOL,
            "True when messages larger than the path MTU fail with EMSGSIZE.",
            "refuse (EMSGSIZE) to send a message that would need fragmenting."),
    _struct("peer_addr_params", SCTP_PEER_ADDR_PARAMS, get_peer_addr_params, set_peer_addr_params,
            PeerAddrParams, fields=("address", "hbinterval", "pathmaxrxt", "sackdelay")),
    _struct("default_send_param", SCTP_DEFAULT_SEND_PARAM, get_default_send_param, set_default_send_param,
            DefaultSendParam, fields=("stream", "flags", "ppid", "context", "timetolive")),
    _raw("events", SCTP_EVENTS, "csctp.subscribe() uses SCTP_EVENT, its successor"),
    _simple("i_want_mapped_v4_addr", SCTP_I_WANT_MAPPED_V4_ADDR, BOOL,
            "True when IPv4 peers appear as ::ffff:a.b.c.d on AF_INET6 sockets.",
            "report IPv4 peers as IPv4-mapped IPv6 addresses (Linux default: on).", fn="mapped_v4"),
    _simple("maxseg", SCTP_MAXSEG, ASSOC_VALUE,
            "the user's fragment size limit (endpoint) or, for an association, its current "
            "fragmentation point in bytes.",
            "cap DATA chunk payloads at *value* bytes (0: path MTU decides).  The kernel refuses values "
            "below what a 512-byte MTU allows or above 65535 minus headers (EINVAL)."),
    _struct("status", SCTP_STATUS, get_status, None, Status),
    _struct("get_peer_addr_info", SCTP_GET_PEER_ADDR_INFO, get_peer_addr_info, None, PeerAddrInfo),
    _struct("delayed_sack", SCTP_DELAYED_SACK, get_delayed_sack, set_delayed_sack, SackInfo,
            fields=("delay", "freq")),
    _simple("context", SCTP_CONTEXT, ASSOC_VALUE,
            "the default context reported in RCVINFO (``Message.context``) of received messages.",
            "32-bit value the kernel puts in rcv_context of every received message."),
    _simple("fragment_interleave", SCTP_FRAGMENT_INTERLEAVE, INT,
            "the fragment interleave level (Linux reports 0 or 1).",
            "0 none, 1 across associations, 2 across streams (RFC 6458 8.1.20).  Linux stores it as "
            "on/off; it must be on before interleaving_supported (I-DATA) can be enabled.", hi=2),
    _simple("partial_delivery_point", SCTP_PARTIAL_DELIVERY_POINT, U32,
            "in bytes (0: only when the receive window forces it).",
            "start handing a large message up in pieces once *value* bytes of it have arrived.  "
            "The kernel refuses values above half the receive buffer."),
    _simple("max_burst", SCTP_MAX_BURST, ASSOC_VALUE,
            "packets sent at once on a transmission opportunity (0: no limit).",
            "packets sent at once on a transmission opportunity (0: no limit; FUTURE/CURRENT/ALL accepted)."),
    _struct("auth_chunk", SCTP_AUTH_CHUNK, None, add_auth_chunk, None, assoc=False),
    _struct("hmac_ident", SCTP_HMAC_IDENT, get_hmac_ident, set_hmac_ident, list, assoc=False),
    _struct("auth_key", SCTP_AUTH_KEY, None, set_auth_key, None),
    _struct("auth_active_key", SCTP_AUTH_ACTIVE_KEY, get_active_key, set_active_key, int),
    _struct("auth_delete_key", SCTP_AUTH_DELETE_KEY, None, delete_key, None),
    _struct("peer_auth_chunks", SCTP_PEER_AUTH_CHUNKS, get_peer_auth_chunks, None, list),
    _struct("local_auth_chunks", SCTP_LOCAL_AUTH_CHUNKS, get_local_auth_chunks, None, list),
    _simple("get_assoc_number", SCTP_GET_ASSOC_NUMBER, U32,
            "(one-to-many) how many associations the socket has.", fn="assoc_number"),
    _struct("get_assoc_id_list", SCTP_GET_ASSOC_ID_LIST, get_assoc_ids, None, list, assoc=False),
    _raw("auto_asconf", SCTP_AUTO_ASCONF, "use get_raw/set_raw (a C int)"),
    _struct("peer_addr_thlds", SCTP_PEER_ADDR_THLDS, get_paddr_thresholds, set_paddr_thresholds,
            PaddrThresholds, fields=_PEER_ADDR_THLDS_FIELDS),
    _simple("recvrcvinfo", SCTP_RECVRCVINFO, BOOL,
            "True when each message carries an RCVINFO (stream, SSN, PPID, TSN, assoc id).",
            "attach RCVINFO to received messages (csctp turns it on for new sockets)."),
    _simple("recvnxtinfo", SCTP_RECVNXTINFO, BOOL,
            "True when messages carry NXTINFO about the next queued message.",
            "attach NXTINFO (``Message.nxt``) when another message is already queued."),
    _struct("default_sndinfo", SCTP_DEFAULT_SNDINFO, get_default_sndinfo, set_default_sndinfo, DefaultSndInfo,
            fields=("stream", "flags", "ppid", "context")),
    _struct("auth_deactivate_key", SCTP_AUTH_DEACTIVATE_KEY, None, deactivate_key, None),
    _simple("reuse_port", SCTP_REUSE_PORT, BOOL, "(one-to-one only) True when the port may be shared.",
            "(one-to-one only, before bind) let several sockets bind the same address and port."),
    # the same accessors: they use the V2 form when pathcpthld is asked for or known
    _struct("peer_addr_thlds_v2", SCTP_PEER_ADDR_THLDS_V2, get_paddr_thresholds, set_paddr_thresholds,
            PaddrThresholds, fields=_PEER_ADDR_THLDS_FIELDS),
    _struct("get_assoc_stats", SCTP_GET_ASSOC_STATS, get_assoc_stats, None, AssocStats),
    _simple("pr_supported", SCTP_PR_SUPPORTED, ASSOC_BOOL, "partial reliability (PR-SCTP, RFC 3758/7496).",
            "partial reliability (PR-SCTP, RFC 3758/7496)."),
    _struct("default_prinfo", SCTP_DEFAULT_PRINFO, get_default_prinfo, set_default_prinfo, DefaultPrInfo,
            fields=("policy", "value")),
    _struct("pr_assoc_status", SCTP_PR_ASSOC_STATUS, get_pr_assoc_status, None, PrStatus),
    _struct("pr_stream_status", SCTP_PR_STREAM_STATUS, get_pr_stream_status, None, PrStatus),
    _simple("reconfig_supported", SCTP_RECONFIG_SUPPORTED, ASSOC_BOOL,
            "stream reconfiguration (RE-CONFIG, RFC 6525).", "stream reconfiguration (RE-CONFIG, RFC 6525)."),
    _simple("enable_stream_reset", SCTP_ENABLE_STREAM_RESET, ASSOC_VALUE,
            "the SCTP_ENABLE_RESET_STREAM_REQ / RESET_ASSOC_REQ / CHANGE_ASSOC_REQ bits this side will "
            "send requests for.",
            "which RE-CONFIG requests (RFC 6525) this side may send: SCTP_ENABLE_RESET_STREAM_REQ, "
            "SCTP_ENABLE_RESET_ASSOC_REQ, SCTP_ENABLE_CHANGE_ASSOC_REQ or'ed together.",
            mask=SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_RESET_ASSOC_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ,
            bits=_ENABLE_RESET_BITS),
    _struct("reset_streams", SCTP_RESET_STREAMS, None, reset_streams, None),
    _struct("reset_assoc", SCTP_RESET_ASSOC, None, reset_assoc, None),
    _struct("add_streams", SCTP_ADD_STREAMS, None, add_streams, None, fields=("instreams", "outstreams")),
    _raw("sockopt_peeloff_flags", SCTP_SOCKOPT_PEELOFF_FLAGS, "Socket.peeloff() uses it"),
    _simple("stream_scheduler", SCTP_STREAM_SCHEDULER, ASSOC_VALUE,
            "the Scheduler the sender uses to pick among streams with queued data (RFC 8260).",
            "how the sender picks among streams with queued data (a Scheduler: FCFS, PRIO, RR, FC, WFQ).  "
            "A scheduler this kernel does not implement (FC and WFQ arrived in Linux 6.2; older kernels "
            "answer EINVAL) raises UnsupportedOption.",
            enum=Scheduler, newer=(Scheduler.FC, Scheduler.WFQ)),
    _struct("stream_scheduler_value", SCTP_STREAM_SCHEDULER_VALUE, get_stream_value, set_stream_value, int),
    _simple("interleaving_supported", SCTP_INTERLEAVING_SUPPORTED, ASSOC_BOOL,
            "user message interleaving (I-DATA, RFC 8260).",
            "user message interleaving (I-DATA, RFC 8260); needs net.sctp.intl_enable=1 and "
            "fragment_interleave on."),
    _raw("sendmsg_connect", SCTP_SENDMSG_CONNECT, "use set_raw (a C int)"),
    _raw("event", SCTP_EVENT, "csctp.subscribe() / csctp.subscribed()"),
    _simple("asconf_supported", SCTP_ASCONF_SUPPORTED, ASSOC_BOOL,
            "dynamic address reconfiguration (ASCONF, RFC 5061).",
            "dynamic address reconfiguration (ASCONF, RFC 5061)."),
    _simple("auth_supported", SCTP_AUTH_SUPPORTED, ASSOC_BOOL, "SCTP-AUTH (RFC 4895).", "SCTP-AUTH (RFC 4895)."),
    _simple("ecn_supported", SCTP_ECN_SUPPORTED, ASSOC_BOOL, "explicit congestion notification.",
            "explicit congestion notification."),
    _raw("expose_potentially_failed_state", SCTP_EXPOSE_POTENTIALLY_FAILED_STATE,
         "use get_raw/set_raw (struct sctp_assoc_value)"),
    _struct("remote_udp_encaps_port", SCTP_REMOTE_UDP_ENCAPS_PORT, get_remote_udp_encaps_port,
            set_remote_udp_encaps_port, int),
    _struct("plpmtud_probe_interval", SCTP_PLPMTUD_PROBE_INTERVAL, get_plpmtud_probe_interval,
            set_plpmtud_probe_interval, int),
)

# the public module is csctp.options: results print and pickle under that name
for _t in (InitMsg, RtoInfo, AssocParams, PeerAddrParams, PeerAddrInfo, PaddrThresholds, Status, SackInfo,
           DefaultSendParam, DefaultSndInfo, DefaultPrInfo, PrStatus, AssocStats, Option):
    _t.__module__ = "csctp.options"
del _t

cdef dict _BY_NAME = {o.name: o for o in TABLE}
cdef dict _BY_NUMBER = {o.number: o for o in TABLE}

# the generated accessors of the simple options become module functions
for _o in TABLE:
    if _o.kind in (BOOL, INT, U32, ASSOC_VALUE, ASSOC_BOOL):
        for _f in (_o.getter, _o.setter):
            if _f is not None:
                globals()[_f.__name__] = _f
del _o, _f

# names kept from earlier releases
get_assoc_id_list = get_assoc_ids
set_stream_priority = set_stream_value
enable_stream_reset = globals()["set_enable_stream_reset"]

OPTIONS = tuple(sorted(o.name for o in TABLE if o.getter is not None or o.setter is not None))


# ---- by-name access (tools, CLI) ------------------------------------------------

def lookup(option):
    """The ``TABLE`` row of *option*: a name (``"nodelay"``, ``"SCTP_NODELAY"``; the ``get_``
    of the kernel's read-only names may be left out: ``"peer_addr_info"``) or a number."""
    if isinstance(option, str):
        key = option.lower()
        if key.startswith("sctp_"):
            key = key[5:]
        row = _BY_NAME.get(key) or _BY_NAME.get("get_" + key)
        if row is None:
            raise ValueError(f"unknown SCTP option {option!r}; known: {', '.join(OPTIONS)}")
        return row
    n = as_int(option, "SCTP option number", 0, 0x7FFFFFFF)
    row = _BY_NUMBER.get(n)
    if row is None:
        raise ValueError(f"unknown SCTP option number {n}")
    return row


cdef object _accessor(object name, bint write):
    if not isinstance(name, str):
        raise TypeError(f"option name must be a str, got {type(name).__name__}")
    row = lookup(name)
    fn = row.setter if write else row.getter
    if fn is None:
        why = row.doc.split("; ", 1)[1] if row.kind == RAW else "it is read-only" if write else "it is write-only"
        raise ValueError(f"SCTP option {name!r} cannot be {'set' if write else 'read'} by name ({why})")
    return row, fn


def get(sock, name, **kw):
    """Read option *name* (``"initmsg"``, ``"nodelay"``, ``"status"``, ...; see ``OPTIONS``);
    keyword arguments go to the typed getter (``assoc_id=``, ``address=``, ``stream=``)."""
    return _accessor(name, False)[1](sock, **kw)


def set(sock, name, value=None, **kw):
    """Set option *name*.  *value* is the scalar for simple options (``set(s, "nodelay", True)``)
    or, for structured ones, a mapping or the getter's result type; keyword arguments override
    fields and carry ``assoc_id=`` etc.  ``set(s, "initmsg", ostreams=5)`` works too."""
    row, setter = _accessor(name, True)
    fields = row.fields
    if value is None:
        return setter(sock, **kw)
    if fields is None:
        return setter(sock, value, **kw)
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if not hasattr(value, "items"):
        raise TypeError(f"option {name!r} takes a mapping or {row.result.__name__}, got {type(value).__name__}")
    merged = {k: v for k, v in value.items() if k in fields}
    merged.update(kw)
    return setter(sock, **merged)
