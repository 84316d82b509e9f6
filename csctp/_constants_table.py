"""The one list of csctp's SCTP constants and notification kinds.

Every number csctp uses for the kernel's SCTP ABI is written here once.
``tools/gen-constants.py`` turns this list into ``csctp/constants.py`` (the
public names and ``IntEnum`` classes), ``include/csctp_constants.h`` (the C
side's fallback ``#define``\\ s) and the notification tables of
``csctp/_notify.pyx``; ``tests/test_constants.py`` checks every value
against the installed ``<netinet/sctp.h>`` / ``<linux/sctp.h>`` and that
the generated files are up to date.  Edit this file, then run
``python tools/gen-constants.py``.

The values are the kernel ABI's (include/uapi/linux/sctp.h), not the build
host's: a wheel built on an image with old headers speaks the same numbers
as one built on a new one.
"""

from typing import NamedTuple, Optional, Tuple


class Const(NamedTuple):
    """One constant."""

    name: str
    value: int
    # How the installed headers provide it, which decides the generated C:
    #   "macro": a #define (also in old headers, or added with its option):
    #            the header guards it with #ifndef and defines the ABI value;
    #   "enum":  an enum member (cannot be tested with #ifdef): the header
    #            defines CSCTP_<name without SCTP_> (or ``c_alias``) instead;
    #   "none":  in no Linux uapi header (RFC values): CSCTP_ alias as for enum;
    #   "layout": a size or offset in a kernel ABI structure, under csctp's own
    #            CSCTP_ name (``probe`` gives it from the installed headers).
    c: str
    # exported by csctp.constants (False: only the C side needs it)
    python: bool = True
    # the C name of an "enum"/"none" constant when not CSCTP_<name without SCTP_>
    c_alias: Optional[str] = None
    # C expression giving the value from the installed headers, when not the name itself
    probe: Optional[str] = None


class Group(NamedTuple):
    """Constants that belong together; an ``IntEnum`` when ``enum`` is set."""

    comment: str
    consts: Tuple[Const, ...]
    hex: bool = False              # print values in hex (flags, bit masks)
    enum: Optional[str] = None     # IntEnum class whose members these are
    enum_doc: str = ""
    prefix: str = "SCTP_"          # stripped from a name to give its member name


class Kind(NamedTuple):
    """One notification kind, in ``sn_type`` order."""

    kind: str            # the name subscribe() and Notification.kind use
    type: str            # the NotificationType member (its sn_type)
    event_class: str     # the csctp._notify class parse() returns for it
    legacy_field: str    # its byte in the legacy struct sctp_event_subscribe (SCTP_EVENTS)


def _c(c: str, *pairs: Tuple[str, int], python: bool = True) -> Tuple[Const, ...]:
    return tuple(Const(n, v, c, python) for n, v in pairs)


SN_TYPE_BASE = 1 << 15

GROUPS: Tuple[Group, ...] = (
    Group("protocol number and socket option level", _c("macro", ("IPPROTO_SCTP", 132), ("SOL_SCTP", 132))),
    Group("recvmsg flag of a notification", _c("macro", ("MSG_NOTIFICATION", 0x8000)), hex=True),
    Group("association id wildcards (RFC 6458 7.2)", _c(
        "macro", ("SCTP_FUTURE_ASSOC", 0), ("SCTP_CURRENT_ASSOC", 1), ("SCTP_ALL_ASSOC", 2))),
    Group("send/receive flags (snd_flags / rcv_flags / sinfo_flags)", _c(
        "enum", ("SCTP_UNORDERED", 1 << 0), ("SCTP_ADDR_OVER", 1 << 1), ("SCTP_ABORT", 1 << 2),
        ("SCTP_SACK_IMMEDIATELY", 1 << 3), ("SCTP_SENDALL", 1 << 6), ("SCTP_PR_SCTP_ALL", 1 << 7),
        ("SCTP_EOF", 0x200)), hex=True),
    Group("PR-SCTP policies, carried in sinfo_flags / pr_policy", _c(
        "macro", ("SCTP_PR_SCTP_NONE", 0x0000), ("SCTP_PR_SCTP_TTL", 0x0010), ("SCTP_PR_SCTP_RTX", 0x0020),
        ("SCTP_PR_SCTP_PRIO", 0x0030)), hex=True,
        enum="PrPolicy", enum_doc="PR-SCTP policy (RFC 7496): how an unsent message is abandoned.",
        prefix="SCTP_PR_SCTP_"),
    Group("the bits of sinfo_flags that hold the PR-SCTP policy", _c(
        "macro", ("SCTP_PR_SCTP_MASK", 0x0030), python=False), hex=True),
    Group("sctp_bindx", _c("macro", ("SCTP_BINDX_ADD_ADDR", 0x01), ("SCTP_BINDX_REM_ADDR", 0x02)), hex=True),
    Group("socket options (level SOL_SCTP)", _c(
        "macro",
        ("SCTP_RTOINFO", 0), ("SCTP_ASSOCINFO", 1), ("SCTP_INITMSG", 2), ("SCTP_NODELAY", 3),
        ("SCTP_AUTOCLOSE", 4), ("SCTP_SET_PEER_PRIMARY_ADDR", 5), ("SCTP_PRIMARY_ADDR", 6),
        ("SCTP_ADAPTATION_LAYER", 7), ("SCTP_DISABLE_FRAGMENTS", 8), ("SCTP_PEER_ADDR_PARAMS", 9),
        ("SCTP_DEFAULT_SEND_PARAM", 10), ("SCTP_EVENTS", 11), ("SCTP_I_WANT_MAPPED_V4_ADDR", 12),
        ("SCTP_MAXSEG", 13), ("SCTP_STATUS", 14), ("SCTP_GET_PEER_ADDR_INFO", 15), ("SCTP_DELAYED_SACK", 16),
        ("SCTP_CONTEXT", 17), ("SCTP_FRAGMENT_INTERLEAVE", 18), ("SCTP_PARTIAL_DELIVERY_POINT", 19),
        ("SCTP_MAX_BURST", 20), ("SCTP_AUTH_CHUNK", 21), ("SCTP_HMAC_IDENT", 22), ("SCTP_AUTH_KEY", 23),
        ("SCTP_AUTH_ACTIVE_KEY", 24), ("SCTP_AUTH_DELETE_KEY", 25), ("SCTP_PEER_AUTH_CHUNKS", 26),
        ("SCTP_LOCAL_AUTH_CHUNKS", 27), ("SCTP_GET_ASSOC_NUMBER", 28), ("SCTP_GET_ASSOC_ID_LIST", 29),
        ("SCTP_AUTO_ASCONF", 30), ("SCTP_PEER_ADDR_THLDS", 31), ("SCTP_RECVRCVINFO", 32),
        ("SCTP_RECVNXTINFO", 33), ("SCTP_DEFAULT_SNDINFO", 34), ("SCTP_AUTH_DEACTIVATE_KEY", 35),
        ("SCTP_REUSE_PORT", 36), ("SCTP_PEER_ADDR_THLDS_V2", 37), ("SCTP_GET_ASSOC_STATS", 112),
        ("SCTP_PR_SUPPORTED", 113), ("SCTP_DEFAULT_PRINFO", 114), ("SCTP_PR_ASSOC_STATUS", 115),
        ("SCTP_PR_STREAM_STATUS", 116), ("SCTP_RECONFIG_SUPPORTED", 117), ("SCTP_ENABLE_STREAM_RESET", 118),
        ("SCTP_RESET_STREAMS", 119), ("SCTP_RESET_ASSOC", 120), ("SCTP_ADD_STREAMS", 121),
        ("SCTP_SOCKOPT_PEELOFF_FLAGS", 122), ("SCTP_STREAM_SCHEDULER", 123),
        ("SCTP_STREAM_SCHEDULER_VALUE", 124), ("SCTP_INTERLEAVING_SUPPORTED", 125),
        ("SCTP_SENDMSG_CONNECT", 126), ("SCTP_EVENT", 127), ("SCTP_ASCONF_SUPPORTED", 128),
        ("SCTP_AUTH_SUPPORTED", 129), ("SCTP_ECN_SUPPORTED", 130),
        ("SCTP_EXPOSE_POTENTIALLY_FAILED_STATE", 131), ("SCTP_REMOTE_UDP_ENCAPS_PORT", 132),
        ("SCTP_PLPMTUD_PROBE_INTERVAL", 133))),
    Group("stream reset (RFC 6525)", _c(
        "macro", ("SCTP_ENABLE_RESET_STREAM_REQ", 0x01), ("SCTP_ENABLE_RESET_ASSOC_REQ", 0x02),
        ("SCTP_ENABLE_CHANGE_ASSOC_REQ", 0x04)) + _c("macro", ("SCTP_ENABLE_STRRESET_MASK", 0x07), python=False)
        + _c("macro", ("SCTP_STREAM_RESET_INCOMING", 0x01), ("SCTP_STREAM_RESET_OUTGOING", 0x02)), hex=True),
    Group("stream schedulers (RFC 8260)", _c(
        "enum", ("SCTP_SS_FCFS", 0), ("SCTP_SS_PRIO", 1), ("SCTP_SS_RR", 2), ("SCTP_SS_FC", 3),
        ("SCTP_SS_WFQ", 4)),
        enum="Scheduler", enum_doc="Stream scheduler (RFC 8260) chosen with SCTP_STREAM_SCHEDULER.",
        prefix="SCTP_SS_"),
    Group("base of the notification types (sn_type)", _c("enum", ("SCTP_SN_TYPE_BASE", SN_TYPE_BASE)), hex=True),
    Group("notification types (sn_type)", _c(
        "enum",
        ("SCTP_DATA_IO_EVENT", SN_TYPE_BASE + 0), ("SCTP_ASSOC_CHANGE", SN_TYPE_BASE + 1),
        ("SCTP_PEER_ADDR_CHANGE", SN_TYPE_BASE + 2), ("SCTP_SEND_FAILED", SN_TYPE_BASE + 3),
        ("SCTP_REMOTE_ERROR", SN_TYPE_BASE + 4), ("SCTP_SHUTDOWN_EVENT", SN_TYPE_BASE + 5),
        ("SCTP_PARTIAL_DELIVERY_EVENT", SN_TYPE_BASE + 6), ("SCTP_ADAPTATION_INDICATION", SN_TYPE_BASE + 7),
        ("SCTP_AUTHENTICATION_EVENT", SN_TYPE_BASE + 8), ("SCTP_SENDER_DRY_EVENT", SN_TYPE_BASE + 9),
        ("SCTP_STREAM_RESET_EVENT", SN_TYPE_BASE + 10), ("SCTP_ASSOC_RESET_EVENT", SN_TYPE_BASE + 11),
        ("SCTP_STREAM_CHANGE_EVENT", SN_TYPE_BASE + 12), ("SCTP_SEND_FAILED_EVENT", SN_TYPE_BASE + 13)),
        hex=True, enum="NotificationType", enum_doc="sn_type of a notification (enum sctp_sn_type)."),
    Group("sac_state of SCTP_ASSOC_CHANGE", _c(
        "enum", ("SCTP_COMM_UP", 0), ("SCTP_COMM_LOST", 1), ("SCTP_RESTART", 2), ("SCTP_SHUTDOWN_COMP", 3),
        ("SCTP_CANT_STR_ASSOC", 4)),
        enum="AssocChangeState", enum_doc="sac_state of an SCTP_ASSOC_CHANGE notification."),
    Group("spc_state of SCTP_PEER_ADDR_CHANGE", _c(
        "enum", ("SCTP_ADDR_AVAILABLE", 0), ("SCTP_ADDR_UNREACHABLE", 1), ("SCTP_ADDR_REMOVED", 2),
        ("SCTP_ADDR_ADDED", 3), ("SCTP_ADDR_MADE_PRIM", 4), ("SCTP_ADDR_CONFIRMED", 5),
        ("SCTP_ADDR_POTENTIALLY_FAILED", 6)),
        enum="PeerAddrChangeState", enum_doc="spc_state of an SCTP_PEER_ADDR_CHANGE notification."),
    Group("sstat_state of SCTP_STATUS", _c(
        "enum", ("SCTP_EMPTY", 0), ("SCTP_CLOSED", 1), ("SCTP_COOKIE_WAIT", 2), ("SCTP_COOKIE_ECHOED", 3),
        ("SCTP_ESTABLISHED", 4), ("SCTP_SHUTDOWN_PENDING", 5), ("SCTP_SHUTDOWN_SENT", 6),
        ("SCTP_SHUTDOWN_RECEIVED", 7), ("SCTP_SHUTDOWN_ACK_SENT", 8)),
        enum="AssocState", enum_doc="sstat_state of SCTP_STATUS: where the association is in its life."),
    Group("ssf_flags of sctp_send_failed / sctp_send_failed_event (Linux: 0/1, not RFC 6458's 1/2)", _c(
        "enum", ("SCTP_DATA_UNSENT", 0), ("SCTP_DATA_SENT", 1))),
    Group("spc_error of SCTP_PEER_ADDR_CHANGE (enum sctp_sn_error)", _c(
        "enum", ("SCTP_FAILED_THRESHOLD", 0), ("SCTP_RECEIVED_SACK", 1), ("SCTP_HEARTBEAT_SUCCESS", 2),
        ("SCTP_RESPONSE_TO_USER_REQ", 3), ("SCTP_INTERNAL_ERROR", 4), ("SCTP_SHUTDOWN_GUARD_EXPIRES", 5),
        ("SCTP_PEER_FAULTY", 6))),
    Group("pdapi_indication of sctp_pdapi_event", _c("enum", ("SCTP_PARTIAL_DELIVERY_ABORTED", 0))),
    Group("auth_indication of sctp_authkey_event", _c(
        "enum", ("SCTP_AUTH_NEW_KEY", 0), ("SCTP_AUTH_FREE_KEY", 1), ("SCTP_AUTH_NO_AUTH", 2))),
    Group("strreset_flags of sctp_stream_reset_event", _c(
        "macro", ("SCTP_STREAM_RESET_INCOMING_SSN", 0x0001), ("SCTP_STREAM_RESET_OUTGOING_SSN", 0x0002),
        ("SCTP_STREAM_RESET_DENIED", 0x0004), ("SCTP_STREAM_RESET_FAILED", 0x0008)), hex=True),
    Group("flags of sctp_assoc_reset_event / sctp_stream_change_event", _c(
        "macro", ("SCTP_ASSOC_RESET_DENIED", 0x0004), ("SCTP_ASSOC_RESET_FAILED", 0x0008),
        ("SCTP_ASSOC_CHANGE_DENIED", 0x0004), ("SCTP_ASSOC_CHANGE_FAILED", 0x0008),
        ("SCTP_STREAM_CHANGE_DENIED", 0x0004), ("SCTP_STREAM_CHANGE_FAILED", 0x0008)), hex=True),
    Group("sac_info feature list for COMM_UP/RESTART (RFC 6458 6.1.1; Linux sends none)", _c(
        "none", ("SCTP_ASSOC_SUPPORTS_PR", 0x01), ("SCTP_ASSOC_SUPPORTS_AUTH", 0x02),
        ("SCTP_ASSOC_SUPPORTS_ASCONF", 0x03), ("SCTP_ASSOC_SUPPORTS_MULTIBUF", 0x04),
        ("SCTP_ASSOC_SUPPORTS_RE_CONFIG", 0x05), ("SCTP_ASSOC_SUPPORTS_INTERLEAVING", 0x06)), hex=True),
    Group("spinfo_state of a peer address", _c(
        "enum", ("SCTP_INACTIVE", 0), ("SCTP_PF", 1), ("SCTP_ACTIVE", 2), ("SCTP_UNCONFIRMED", 3),
        ("SCTP_UNKNOWN", 0xFFFF)),
        enum="PathState",
        enum_doc="spinfo_state of one peer address (SCTP_GET_PEER_ADDR_INFO, SCTP_STATUS primary)."),
    Group("spp_flags (SCTP_PEER_ADDR_PARAMS)", _c(
        "enum", ("SPP_HB_ENABLE", 1 << 0), ("SPP_HB_DISABLE", 1 << 1), ("SPP_HB_DEMAND", 1 << 2),
        ("SPP_PMTUD_ENABLE", 1 << 3), ("SPP_PMTUD_DISABLE", 1 << 4), ("SPP_SACKDELAY_ENABLE", 1 << 5),
        ("SPP_SACKDELAY_DISABLE", 1 << 6), ("SPP_HB_TIME_IS_ZERO", 1 << 7), ("SPP_IPV6_FLOWLABEL", 1 << 8),
        ("SPP_DSCP", 1 << 9)), hex=True),
    Group("SCTP-AUTH HMAC identifiers (RFC 4895)", _c(
        "enum", ("SCTP_AUTH_HMAC_ID_SHA1", 1), ("SCTP_AUTH_HMAC_ID_SHA256", 3))),
    Group("chunk types (RFC 9260 3.2), for add_auth_chunk", _c(
        "none", ("SCTP_CID_DATA", 0x00), ("SCTP_CID_SACK", 0x03), ("SCTP_CID_HEARTBEAT", 0x04),
        ("SCTP_CID_ASCONF", 0xC1), ("SCTP_CID_ASCONF_ACK", 0x80), ("SCTP_CID_RECONF", 0x82),
        ("SCTP_CID_I_DATA", 0x40)), hex=True),
    Group("cmsg types (enum sctp_cmsg_type)", tuple(
        Const(n, v, "enum", python=False, c_alias="CSCTP_CMSG_" + n[5:]) for n, v in (
            ("SCTP_INIT", 0), ("SCTP_SNDRCV", 1), ("SCTP_SNDINFO", 2), ("SCTP_RCVINFO", 3),
            ("SCTP_NXTINFO", 4), ("SCTP_PRINFO", 5), ("SCTP_AUTHINFO", 6), ("SCTP_DSTADDRV4", 7),
            ("SCTP_DSTADDRV6", 8)))),
)


def _layout(*rows: Tuple[str, int, str]) -> Tuple[Const, ...]:
    return tuple(Const(n, v, "layout", python=False, probe=e) for n, v, e in rows)


# The notification parser reads the kernel's structures at these sizes and
# offsets (not through the build host's structure definitions, which old
# headers lack or lay out without the newer fields).
LAYOUT: Tuple[Group, ...] = (
    Group("notification structure sizes and offsets (kernel ABI), for csctp._notify", _layout(
        ("CSCTP_SN_HDR_SIZE", 8, "sizeof(((union sctp_notification *)0)->sn_header)"),
        ("CSCTP_SAC_SIZE", 20, "sizeof(struct sctp_assoc_change)"),
        ("CSCTP_SPC_ADDR", 8, "offsetof(struct sctp_paddr_change, spc_aaddr)"),
        ("CSCTP_SOCKADDR_STORAGE_SIZE", 128, "sizeof(struct sockaddr_storage)"),
        ("CSCTP_SPC_SIZE", 148, "sizeof(struct sctp_paddr_change)"),
        ("CSCTP_SRE_SIZE", 16, "sizeof(struct sctp_remote_error)"),
        ("CSCTP_SSF_INFO", 12, "offsetof(struct sctp_send_failed, ssf_info)"),
        ("CSCTP_SSF_SIZE", 48, "sizeof(struct sctp_send_failed)"),
        ("CSCTP_SSFE_SIZE", 32, "sizeof(struct sctp_send_failed_event)"),
        ("CSCTP_SSE_SIZE", 12, "sizeof(struct sctp_shutdown_event)"),
        ("CSCTP_SENDER_DRY_SIZE", 12, "sizeof(struct sctp_sender_dry_event)"),
        ("CSCTP_SAI_SIZE", 16, "sizeof(struct sctp_adaptation_event)"),
        # kernels before 4.16 (I-DATA) end the structure before pdapi_stream
        ("CSCTP_PDAPI_OLD_SIZE", 16, "offsetof(struct sctp_pdapi_event, pdapi_stream)"),
        ("CSCTP_PDAPI_SIZE", 24, "sizeof(struct sctp_pdapi_event)"),
        ("CSCTP_AUTH_SIZE", 20, "sizeof(struct sctp_authkey_event)"),
        ("CSCTP_STRRESET_SIZE", 12, "sizeof(struct sctp_stream_reset_event)"),
        ("CSCTP_ASSOCRESET_SIZE", 20, "sizeof(struct sctp_assoc_reset_event)"),
        ("CSCTP_STRCHANGE_SIZE", 16, "sizeof(struct sctp_stream_change_event)"))),
)

KINDS: Tuple[Kind, ...] = (
    Kind("data_io", "DATA_IO_EVENT", "Notification", "sctp_data_io_event"),
    Kind("assoc_change", "ASSOC_CHANGE", "AssocChange", "sctp_association_event"),
    Kind("peer_addr_change", "PEER_ADDR_CHANGE", "PeerAddrChange", "sctp_address_event"),
    Kind("send_failed", "SEND_FAILED", "SendFailed", "sctp_send_failure_event"),
    Kind("remote_error", "REMOTE_ERROR", "RemoteError", "sctp_peer_error_event"),
    Kind("shutdown", "SHUTDOWN_EVENT", "Shutdown", "sctp_shutdown_event"),
    Kind("partial_delivery", "PARTIAL_DELIVERY_EVENT", "PartialDelivery", "sctp_partial_delivery_event"),
    Kind("adaptation", "ADAPTATION_INDICATION", "AdaptationIndication", "sctp_adaptation_layer_event"),
    Kind("authentication", "AUTHENTICATION_EVENT", "Authentication", "sctp_authentication_event"),
    Kind("sender_dry", "SENDER_DRY_EVENT", "SenderDry", "sctp_sender_dry_event"),
    Kind("stream_reset", "STREAM_RESET_EVENT", "StreamReset", "sctp_stream_reset_event"),
    Kind("assoc_reset", "ASSOC_RESET_EVENT", "AssocReset", "sctp_assoc_reset_event"),
    Kind("stream_change", "STREAM_CHANGE_EVENT", "StreamChange", "sctp_stream_change_event"),
    Kind("send_failed_event", "SEND_FAILED_EVENT", "SendFailedEvent", "sctp_send_failure_event_event"),
)


def all_consts() -> Tuple[Const, ...]:
    """Every constant of every group (layout values included), in table order."""
    return tuple(c for g in GROUPS + LAYOUT for c in g.consts)


def c_name(c: Const) -> str:
    """The name C code uses for *c*: its own for a macro or layout value, else its CSCTP_ alias."""
    if c.c in ("macro", "layout"):
        return c.name
    if c.c_alias is not None:
        return c.c_alias
    return "CSCTP_" + (c.name[5:] if c.name.startswith("SCTP_") else c.name)
