"""SCTP socket options, typed: ``csctp.options``.

A getter and a setter per option of RFC 6458 section 8 and its extensions,
each taking the socket first (a :class:`csctp.Socket`, a ``socket.socket``
or a file descriptor) and, where the kernel scopes the option to an
association, ``assoc_id=``.  Bad values raise ``TypeError``/``ValueError``
naming the option before the system call; an option the running kernel lacks
raises :class:`csctp.UnsupportedOption`.

``TABLE`` has one :class:`Option` row per kernel option number (name, number,
level, value kind, ``assoc_id`` scoping, getter, setter, result type);
``lookup`` finds a row by name or number, ``get``/``set`` go through it by
name, ``get_raw``/``set_raw``/``opt_info`` take raw bytes.

Option families:

* INIT and association parameters: ``initmsg``, ``rtoinfo``, ``associnfo``,
  ``delayed_sack``, ``max_burst``, ``maxseg``, ``autoclose``, ``status``
  (:class:`Status`, ``state`` an :class:`~csctp.constants.AssocState`),
  ``get_assoc_stats``, ``get_assoc_number``, ``get_assoc_id_list``.
* Paths (multihoming): ``peer_addr_params``, ``get_peer_addr_info``
  (``state`` a :class:`~csctp.constants.PathState`), ``peer_addr_thlds(_v2)``,
  ``primary_addr``, ``set_peer_primary_addr``, ``plpmtud_probe_interval``
  (RFC 8899 path MTU probing).
* SCTP over UDP (RFC 6951): ``remote_udp_encaps_port``.
* Sending and receiving: ``nodelay``, ``disable_fragments``,
  ``fragment_interleave``, ``partial_delivery_point``, ``default_sndinfo``,
  ``default_send_param``, ``context``, ``recvrcvinfo``, ``recvnxtinfo``,
  ``i_want_mapped_v4_addr``, ``adaptation_layer``, ``reuse_port``.
* Extensions negotiated in INIT: ``pr_supported``, ``reconfig_supported``,
  ``asconf_supported``, ``auth_supported``, ``ecn_supported``,
  ``interleaving_supported``.
* PR-SCTP (RFC 7496): ``default_prinfo`` (``policy`` a
  :class:`~csctp.constants.PrPolicy`), ``pr_assoc_status``,
  ``pr_stream_status``.
* Stream reconfiguration (RFC 6525): ``enable_stream_reset``,
  ``reset_streams``, ``reset_assoc``, ``add_streams``.
* Stream schedulers (RFC 8260): ``stream_scheduler`` (a
  :class:`~csctp.constants.Scheduler`), ``stream_scheduler_value``.
* SCTP-AUTH (RFC 4895): ``auth_chunk``, ``hmac_ident``, ``auth_key``,
  ``auth_active_key``, ``auth_delete_key``, ``auth_deactivate_key``,
  ``peer_auth_chunks``, ``local_auth_chunks``.

Result types are named so they do not clash with the per-message metadata
classes: ``DefaultSndInfo`` (the socket's default) versus ``csctp.SndInfo``
(one send's), ``DefaultPrInfo`` versus ``PrInfo``.

The implementation is the compiled ``csctp._options``; this module is its
public face.
"""

from csctp._options import (
    ASSOC_BOOL, ASSOC_VALUE, AssocParams, AssocStats, BOOL, DefaultPrInfo, DefaultSendParam, DefaultSndInfo, INT,
    InitMsg, KINDS, OPTIONS, Option, PLPMTUD_PROBE_INTERVAL_MIN, PaddrThresholds, PeerAddrInfo, PeerAddrParams,
    PrStatus, RAW, RtoInfo, STRUCT, SackInfo, Status, TABLE, U32, UnsupportedOption, add_auth_chunk, add_streams,
    deactivate_key, delete_key, enable_stream_reset, get, get_active_key, get_adaptation_layer,
    get_asconf_supported, get_assoc_id_list, get_assoc_ids, get_assoc_number, get_assoc_stats, get_associnfo,
    get_auth_supported, get_autoclose, get_context, get_default_prinfo, get_default_send_param, get_default_sndinfo,
    get_delayed_sack, get_disable_fragments, get_ecn_supported, get_enable_stream_reset, get_fragment_interleave,
    get_hmac_ident, get_initmsg, get_interleaving_supported, get_local_auth_chunks, get_mapped_v4, get_max_burst,
    get_maxseg, get_nodelay, get_paddr_thresholds, get_partial_delivery_point, get_peer_addr_info,
    get_peer_addr_params, get_peer_auth_chunks, get_plpmtud_probe_interval, get_pr_assoc_status,
    get_pr_stream_status, get_pr_supported, get_primary, get_raw, get_reconfig_supported, get_recvnxtinfo,
    get_recvrcvinfo, get_remote_udp_encaps_port, get_reuse_port, get_rtoinfo, get_status, get_stream_scheduler,
    get_stream_value, lookup, opt_info, reset_assoc, reset_streams, set, set_active_key, set_adaptation_layer,
    set_asconf_supported, set_associnfo, set_auth_key, set_auth_supported, set_autoclose, set_context,
    set_default_prinfo, set_default_send_param, set_default_sndinfo, set_delayed_sack, set_disable_fragments,
    set_ecn_supported, set_enable_stream_reset, set_fragment_interleave, set_hmac_ident, set_initmsg,
    set_interleaving_supported, set_mapped_v4, set_max_burst, set_maxseg, set_nodelay, set_paddr_thresholds,
    set_partial_delivery_point, set_peer_addr_params, set_peer_primary, set_plpmtud_probe_interval,
    set_pr_supported, set_primary, set_raw, set_reconfig_supported, set_recvnxtinfo, set_recvrcvinfo,
    set_remote_udp_encaps_port, set_reuse_port, set_rtoinfo, set_stream_priority, set_stream_scheduler,
    set_stream_value,
)

__all__ = [
    "ASSOC_BOOL", "ASSOC_VALUE", "AssocParams", "AssocStats", "BOOL", "DefaultPrInfo", "DefaultSendParam",
    "DefaultSndInfo", "INT", "InitMsg", "KINDS", "OPTIONS", "Option", "PLPMTUD_PROBE_INTERVAL_MIN",
    "PaddrThresholds", "PeerAddrInfo", "PeerAddrParams", "PrStatus", "RAW", "RtoInfo", "STRUCT", "SackInfo",
    "Status", "TABLE", "U32", "UnsupportedOption", "add_auth_chunk", "add_streams", "deactivate_key", "delete_key",
    "enable_stream_reset", "get", "get_active_key", "get_adaptation_layer", "get_asconf_supported",
    "get_assoc_id_list", "get_assoc_ids", "get_assoc_number", "get_assoc_stats", "get_associnfo",
    "get_auth_supported", "get_autoclose", "get_context", "get_default_prinfo", "get_default_send_param",
    "get_default_sndinfo", "get_delayed_sack", "get_disable_fragments", "get_ecn_supported",
    "get_enable_stream_reset", "get_fragment_interleave", "get_hmac_ident", "get_initmsg",
    "get_interleaving_supported", "get_local_auth_chunks", "get_mapped_v4", "get_max_burst", "get_maxseg",
    "get_nodelay", "get_paddr_thresholds", "get_partial_delivery_point", "get_peer_addr_info",
    "get_peer_addr_params", "get_peer_auth_chunks", "get_plpmtud_probe_interval", "get_pr_assoc_status",
    "get_pr_stream_status", "get_pr_supported", "get_primary", "get_raw", "get_reconfig_supported",
    "get_recvnxtinfo", "get_recvrcvinfo", "get_remote_udp_encaps_port", "get_reuse_port", "get_rtoinfo",
    "get_status", "get_stream_scheduler", "get_stream_value", "lookup", "opt_info", "reset_assoc", "reset_streams",
    "set", "set_active_key", "set_adaptation_layer", "set_asconf_supported", "set_associnfo", "set_auth_key",
    "set_auth_supported", "set_autoclose", "set_context", "set_default_prinfo", "set_default_send_param",
    "set_default_sndinfo", "set_delayed_sack", "set_disable_fragments", "set_ecn_supported",
    "set_enable_stream_reset", "set_fragment_interleave", "set_hmac_ident", "set_initmsg",
    "set_interleaving_supported", "set_mapped_v4", "set_max_burst", "set_maxseg", "set_nodelay",
    "set_paddr_thresholds", "set_partial_delivery_point", "set_peer_addr_params", "set_peer_primary",
    "set_plpmtud_probe_interval", "set_pr_supported", "set_primary", "set_raw", "set_reconfig_supported",
    "set_recvnxtinfo", "set_recvrcvinfo", "set_remote_udp_encaps_port", "set_reuse_port", "set_rtoinfo",
    "set_stream_priority", "set_stream_scheduler", "set_stream_value",
]
