# Declarations mirroring <netinet/sctp.h> (lksctp-tools) and <linux/sctp.h>
# (the kernel's RFC 6458 ABI), read through include/csctp.h, which fills in
# what old build hosts' headers lack.  Declarations only.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t
from csctp.includes.socket cimport sockaddr, sockaddr_storage, iovec, socklen_t, msghdr, cmsghdr
# every constant of the one list (csctp/_constants_table.py): the option
# numbers, flags, states, CSCTP_ aliases of notification and cmsg types
from csctp.includes.constants cimport *

cdef extern from "csctp.h" nogil:
    ctypedef int32_t sctp_assoc_t

    # Enum members of <linux/sctp.h> that every header version has, used under
    # their own names (their values are in the one list and checked against
    # the installed headers by tests/test_constants.py).
    enum:
        SCTP_ESTABLISHED
        SCTP_UNORDERED
        SCTP_ADDR_OVER
        SCTP_ABORT
        SCTP_SACK_IMMEDIATELY
        SCTP_EOF

    # control buffer sizes (csctp.h)
    enum:
        CSCTP_RECV_CMSG_SPACE
        CSCTP_SEND_CMSG_SPACE

    # ---- ancillary data structures (RFC 6458 section 5) ----
    struct sctp_initmsg:
        uint16_t sinit_num_ostreams
        uint16_t sinit_max_instreams
        uint16_t sinit_max_attempts
        uint16_t sinit_max_init_timeo

    struct sctp_sndrcvinfo:
        uint16_t sinfo_stream
        uint16_t sinfo_ssn
        uint16_t sinfo_flags
        uint32_t sinfo_ppid
        uint32_t sinfo_context
        uint32_t sinfo_timetolive
        uint32_t sinfo_tsn
        uint32_t sinfo_cumtsn
        sctp_assoc_t sinfo_assoc_id

    struct sctp_sndinfo:
        uint16_t snd_sid
        uint16_t snd_flags
        uint32_t snd_ppid
        uint32_t snd_context
        sctp_assoc_t snd_assoc_id

    struct sctp_rcvinfo:
        uint16_t rcv_sid
        uint16_t rcv_ssn
        uint16_t rcv_flags
        uint32_t rcv_ppid
        uint32_t rcv_tsn
        uint32_t rcv_cumtsn
        uint32_t rcv_context
        sctp_assoc_t rcv_assoc_id

    struct sctp_nxtinfo:
        uint16_t nxt_sid
        uint16_t nxt_flags
        uint32_t nxt_ppid
        uint32_t nxt_length
        sctp_assoc_t nxt_assoc_id

    struct sctp_prinfo:
        uint16_t pr_policy
        uint32_t pr_value

    struct sctp_authinfo:
        uint16_t auth_keynumber

    struct sctp_sendv_spa:
        uint32_t sendv_flags
        sctp_sndinfo sendv_sndinfo
        sctp_prinfo sendv_prinfo
        sctp_authinfo sendv_authinfo

    struct sctp_recvv_rn:
        sctp_rcvinfo recvv_rcvinfo
        sctp_nxtinfo recvv_nxtinfo

    enum:
        SCTP_SENDV_NOINFO
        SCTP_SENDV_SNDINFO
        SCTP_SENDV_PRINFO
        SCTP_SENDV_AUTHINFO
        SCTP_SENDV_SPA
        SCTP_SEND_SNDINFO_VALID
        SCTP_SEND_PRINFO_VALID
        SCTP_SEND_AUTHINFO_VALID
        SCTP_RECVV_NOINFO
        SCTP_RECVV_RCVINFO
        SCTP_RECVV_NXTINFO
        SCTP_RECVV_RN

    # ---- option structures (RFC 6458 section 8) ----
    struct sctp_event_subscribe:
        uint8_t sctp_data_io_event
        uint8_t sctp_association_event
        uint8_t sctp_address_event
        uint8_t sctp_send_failure_event
        uint8_t sctp_peer_error_event
        uint8_t sctp_shutdown_event
        uint8_t sctp_partial_delivery_event
        uint8_t sctp_adaptation_layer_event
        uint8_t sctp_authentication_event
        uint8_t sctp_sender_dry_event
        # newer kernels append more fields; csctp passes an explicit length

    struct sctp_event:
        sctp_assoc_t se_assoc_id
        uint16_t se_type
        uint8_t se_on

    struct sctp_rtoinfo:
        sctp_assoc_t srto_assoc_id
        uint32_t srto_initial
        uint32_t srto_max
        uint32_t srto_min

    struct sctp_assocparams:
        sctp_assoc_t sasoc_assoc_id
        uint16_t sasoc_asocmaxrxt
        uint16_t sasoc_number_peer_destinations
        uint32_t sasoc_peer_rwnd
        uint32_t sasoc_local_rwnd
        uint32_t sasoc_cookie_life

    struct sctp_setpeerprim:
        sctp_assoc_t sspp_assoc_id
        sockaddr_storage sspp_addr

    struct sctp_prim:
        sctp_assoc_t ssp_assoc_id
        sockaddr_storage ssp_addr

    struct sctp_setadaptation:
        uint32_t ssb_adaptation_ind

    enum:
        SPP_HB_ENABLE
        SPP_HB_DISABLE
        SPP_HB_DEMAND
        SPP_PMTUD_ENABLE
        SPP_PMTUD_DISABLE
        SPP_SACKDELAY_ENABLE
        SPP_SACKDELAY_DISABLE
        SPP_HB_TIME_IS_ZERO

    struct sctp_paddrparams:
        sctp_assoc_t spp_assoc_id
        sockaddr_storage spp_address
        uint32_t spp_hbinterval
        uint16_t spp_pathmaxrxt
        uint32_t spp_pathmtu
        uint32_t spp_sackdelay
        uint32_t spp_flags

    struct sctp_authchunk:
        uint8_t sauth_chunk

    struct sctp_authkey:
        sctp_assoc_t sca_assoc_id
        uint16_t sca_keynumber
        uint16_t sca_keylength
        uint8_t sca_key[0]

    struct sctp_authkeyid:
        sctp_assoc_t scact_assoc_id
        uint16_t scact_keynumber

    struct sctp_authchunks:
        sctp_assoc_t gauth_assoc_id
        uint32_t gauth_number_of_chunks
        uint8_t gauth_chunks[0]

    struct sctp_sack_info:
        sctp_assoc_t sack_assoc_id
        uint32_t sack_delay
        uint32_t sack_freq

    struct sctp_assoc_value:
        sctp_assoc_t assoc_id
        uint32_t assoc_value

    struct sctp_stream_value:
        sctp_assoc_t assoc_id
        uint16_t stream_id
        uint16_t stream_value

    struct sctp_paddrinfo:
        sctp_assoc_t spinfo_assoc_id
        sockaddr_storage spinfo_address
        int32_t spinfo_state
        uint32_t spinfo_cwnd
        uint32_t spinfo_srtt
        uint32_t spinfo_rto
        uint32_t spinfo_mtu

    struct sctp_status:
        sctp_assoc_t sstat_assoc_id
        int32_t sstat_state
        uint32_t sstat_rwnd
        uint16_t sstat_unackdata
        uint16_t sstat_penddata
        uint16_t sstat_instrms
        uint16_t sstat_outstrms
        uint32_t sstat_fragmentation_point
        sctp_paddrinfo sstat_primary

    struct sctp_assoc_ids:
        uint32_t gaids_number_of_ids
        sctp_assoc_t gaids_assoc_id[0]

    struct sctp_paddrthlds:
        sctp_assoc_t spt_assoc_id
        sockaddr_storage spt_address
        uint16_t spt_pathmaxrxt
        uint16_t spt_pathpfthld

    struct sctp_default_prinfo:
        sctp_assoc_t pr_assoc_id
        uint32_t pr_value
        uint16_t pr_policy

    struct sctp_prstatus:
        sctp_assoc_t sprstat_assoc_id
        uint16_t sprstat_sid
        uint16_t sprstat_policy
        uint64_t sprstat_abandoned_unsent
        uint64_t sprstat_abandoned_sent

    struct sctp_reset_streams:
        sctp_assoc_t srs_assoc_id
        uint16_t srs_flags
        uint16_t srs_number_streams
        uint16_t srs_stream_list[0]

    struct sctp_add_streams:
        sctp_assoc_t sas_assoc_id
        uint16_t sas_instrms
        uint16_t sas_outstrms

    struct sctp_assoc_stats:
        sctp_assoc_t sas_assoc_id
        sockaddr_storage sas_obs_rto_ipaddr
        uint64_t sas_maxrto
        uint64_t sas_isacks
        uint64_t sas_osacks
        uint64_t sas_opackets
        uint64_t sas_ipackets
        uint64_t sas_rtxchunks
        uint64_t sas_outofseqtsns
        uint64_t sas_idupchunks
        uint64_t sas_gapcnt
        uint64_t sas_ouodchunks
        uint64_t sas_iuodchunks
        uint64_t sas_oodchunks
        uint64_t sas_iodchunks
        uint64_t sas_octrlchunks
        uint64_t sas_ictrlchunks

    # ---- lksctp-tools (libsctp) ----
    int sctp_bindx(int sd, sockaddr *addrs, int addrcnt, int flags)
    int sctp_connectx(int sd, sockaddr *addrs, int addrcnt, sctp_assoc_t *id)
    int sctp_peeloff(int sd, sctp_assoc_t assoc_id)
    # sctp_peeloff_flags: declared by lksctp-tools 1.0.19 but not exported; see csctp_peeloff_flags
    int sctp_opt_info(int sd, sctp_assoc_t id, int opt, void *arg, socklen_t *size)
    int sctp_getpaddrs(int sd, sctp_assoc_t id, sockaddr **addrs)
    int sctp_freepaddrs(sockaddr *addrs)
    int sctp_getladdrs(int sd, sctp_assoc_t id, sockaddr **addrs)
    int sctp_freeladdrs(sockaddr *addrs)
    int sctp_sendmsg(int s, const void *msg, size_t len, sockaddr *to, socklen_t tolen,
                     uint32_t ppid, uint32_t flags, uint16_t stream_no,
                     uint32_t timetolive, uint32_t context)
    int sctp_send(int s, const void *msg, size_t len, const sctp_sndrcvinfo *sinfo, int flags)
    int sctp_recvmsg(int s, void *msg, size_t len, sockaddr *fr, socklen_t *fromlen,
                     sctp_sndrcvinfo *sinfo, int *msg_flags)
    int sctp_sendv(int s, const iovec *iov, int iovcnt, sockaddr *addrs, int addrcnt,
                   void *info, socklen_t infolen, unsigned int infotype, int flags)
    int sctp_recvv(int s, const iovec *iov, int iovlen, sockaddr *fr, socklen_t *fromlen,
                   void *info, socklen_t *infolen, unsigned int *infotype, int *flags)

    # ---- csctp.h helpers ----
    int csctp_peeloff_flags(int sd, sctp_assoc_t assoc_id, unsigned flags)
    # the CMSG_* macros as functions:
    cmsghdr *csctp_cmsg_firsthdr(msghdr *m)
    cmsghdr *csctp_cmsg_nxthdr(msghdr *m, cmsghdr *c)
    cmsghdr *csctp_cmsg_first_in(msghdr *m)
    cmsghdr *csctp_cmsg_next_in(msghdr *m, cmsghdr *c)
    unsigned char *csctp_cmsg_data(cmsghdr *c)
    size_t csctp_cmsg_space(size_t n)
    size_t csctp_cmsg_len(size_t n)

# ---- structures for the option helpers (csctp.options) ----
cdef extern from "csctp.h" nogil:
    struct sctp_hmacalgo:
        uint32_t shmac_num_idents
        uint16_t shmac_idents[0]

    ctypedef struct csctp_paddrthlds_v2:
        sctp_assoc_t spt_assoc_id
        sockaddr_storage spt_address
        uint16_t spt_pathmaxrxt
        uint16_t spt_pathpfthld
        uint16_t spt_pathcpthld

    ctypedef struct csctp_udpencaps:
        sctp_assoc_t sue_assoc_id
        sockaddr_storage sue_address
        uint16_t sue_port

    ctypedef struct csctp_probeinterval:
        sctp_assoc_t spi_assoc_id
        sockaddr_storage spi_address
        uint32_t spi_interval
