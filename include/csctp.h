/*
 * csctp.h: what Cython cannot express, and what old build hosts' headers lack.
 *
 * The wheels are built on manylinux_2_28 / musllinux images whose kernel
 * headers predate several RFC 6458 / RFC 6525 / RFC 8260 additions.  Every
 * constant and structure csctp uses is therefore guarded here with the value
 * of the *kernel ABI* (include/uapi/linux/sctp.h), so a wheel built on an old
 * image speaks the same numbers as one built on a new one.  A macro and the
 * structure it introduced arrived in the same kernel release, so the macro's
 * absence is a reliable test for the structure's absence.
 */
#ifndef CSCTP_H
#define CSCTP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#if !__has_include(<netinet/sctp.h>)
#error "netinet/sctp.h not found: install libsctp-dev (Debian/Ubuntu), lksctp-tools-devel (Fedora/RHEL/manylinux) or lksctp-tools-dev (Alpine/musllinux)"
#endif
#include <netinet/sctp.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#ifndef SOL_SCTP
#define SOL_SCTP 132
#endif
#ifndef MSG_NOTIFICATION
#define MSG_NOTIFICATION 0x8000
#endif

/* ---- association id wildcards (RFC 6458 7.2) ---- */
#ifndef SCTP_FUTURE_ASSOC
#define SCTP_FUTURE_ASSOC 0
#define SCTP_CURRENT_ASSOC 1
#define SCTP_ALL_ASSOC 2
#endif

/* ---- socket options that arrived after 4.18 ---- */
#ifndef SCTP_PEER_ADDR_THLDS_V2
#define SCTP_PEER_ADDR_THLDS_V2 37
#endif
#ifndef SCTP_PR_SUPPORTED
#define SCTP_PR_SUPPORTED 113
#endif
#ifndef SCTP_DEFAULT_PRINFO
#define SCTP_DEFAULT_PRINFO 114
struct sctp_default_prinfo {
    sctp_assoc_t pr_assoc_id;
    uint32_t pr_value;
    uint16_t pr_policy;
};
#endif
#ifndef SCTP_PR_ASSOC_STATUS
#define SCTP_PR_ASSOC_STATUS 115
#define SCTP_PR_STREAM_STATUS 116
struct sctp_prstatus {
    sctp_assoc_t sprstat_assoc_id;
    uint16_t sprstat_sid;
    uint16_t sprstat_policy;
    uint64_t sprstat_abandoned_unsent;
    uint64_t sprstat_abandoned_sent;
};
#endif
#ifndef SCTP_RECONFIG_SUPPORTED
#define SCTP_RECONFIG_SUPPORTED 117
#endif
#ifndef SCTP_ENABLE_STREAM_RESET
#define SCTP_ENABLE_STREAM_RESET 118
#define SCTP_ENABLE_RESET_STREAM_REQ 0x01
#define SCTP_ENABLE_RESET_ASSOC_REQ 0x02
#define SCTP_ENABLE_CHANGE_ASSOC_REQ 0x04
#define SCTP_ENABLE_STRRESET_MASK 0x07
#define SCTP_STREAM_RESET_INCOMING 0x01
#define SCTP_STREAM_RESET_OUTGOING 0x02
#endif
#ifndef SCTP_RESET_STREAMS
#define SCTP_RESET_STREAMS 119
struct sctp_reset_streams {
    sctp_assoc_t srs_assoc_id;
    uint16_t srs_flags;
    uint16_t srs_number_streams;
    uint16_t srs_stream_list[];
};
#endif
#ifndef SCTP_RESET_ASSOC
#define SCTP_RESET_ASSOC 120
#endif
#ifndef SCTP_ADD_STREAMS
#define SCTP_ADD_STREAMS 121
struct sctp_add_streams {
    sctp_assoc_t sas_assoc_id;
    uint16_t sas_instrms;
    uint16_t sas_outstrms;
};
#endif
#ifndef SCTP_SOCKOPT_PEELOFF_FLAGS
#define SCTP_SOCKOPT_PEELOFF_FLAGS 122
#endif
#ifndef SCTP_STREAM_SCHEDULER
#define SCTP_STREAM_SCHEDULER 123
#define SCTP_STREAM_SCHEDULER_VALUE 124
struct sctp_stream_value {
    sctp_assoc_t assoc_id;
    uint16_t stream_id;
    uint16_t stream_value;
};
#endif
#ifndef SCTP_INTERLEAVING_SUPPORTED
#define SCTP_INTERLEAVING_SUPPORTED 125
#endif
#ifndef SCTP_SENDMSG_CONNECT
#define SCTP_SENDMSG_CONNECT 126
#endif
#ifndef SCTP_EVENT
#define SCTP_EVENT 127
struct sctp_event {
    sctp_assoc_t se_assoc_id;
    uint16_t se_type;
    uint8_t se_on;
};
#endif
#ifndef SCTP_ASCONF_SUPPORTED
#define SCTP_ASCONF_SUPPORTED 128
#endif
#ifndef SCTP_AUTH_SUPPORTED
#define SCTP_AUTH_SUPPORTED 129
#endif
#ifndef SCTP_ECN_SUPPORTED
#define SCTP_ECN_SUPPORTED 130
#endif
#ifndef SCTP_EXPOSE_POTENTIALLY_FAILED_STATE
#define SCTP_EXPOSE_POTENTIALLY_FAILED_STATE 131
#endif
#ifndef SCTP_REMOTE_UDP_ENCAPS_PORT
#define SCTP_REMOTE_UDP_ENCAPS_PORT 132
#endif
#ifndef SCTP_PLPMTUD_PROBE_INTERVAL
#define SCTP_PLPMTUD_PROBE_INTERVAL 133
#endif

/* ---- PR-SCTP policies, carried in sinfo_flags / pr_policy ---- */
#ifndef SCTP_PR_SCTP_NONE
#define SCTP_PR_SCTP_NONE 0x0000
#define SCTP_PR_SCTP_TTL 0x0010
#define SCTP_PR_SCTP_RTX 0x0020
#define SCTP_PR_SCTP_PRIO 0x0030
#define SCTP_PR_SCTP_MASK 0x0030
#endif

/* sinfo_flags bits added in newer headers */
#define CSCTP_SENDALL (1 << 6)
#define CSCTP_PR_SCTP_ALL (1 << 7)

/* ---- stream schedulers (RFC 8260) ---- */
#define CSCTP_SS_FCFS 0
#define CSCTP_SS_PRIO 1
#define CSCTP_SS_RR 2
#define CSCTP_SS_FC 3
#define CSCTP_SS_WFQ 4

/* ---- notifications that arrived after 4.18 ---- */
/* sn_type values: SCTP_SN_TYPE_BASE (1 << 15) + index, kernel ABI */
#define CSCTP_SN_TYPE_BASE (1 << 15)
#define CSCTP_DATA_IO_EVENT (CSCTP_SN_TYPE_BASE + 0)
#define CSCTP_ASSOC_CHANGE (CSCTP_SN_TYPE_BASE + 1)
#define CSCTP_PEER_ADDR_CHANGE (CSCTP_SN_TYPE_BASE + 2)
#define CSCTP_SEND_FAILED (CSCTP_SN_TYPE_BASE + 3)
#define CSCTP_REMOTE_ERROR (CSCTP_SN_TYPE_BASE + 4)
#define CSCTP_SHUTDOWN_EVENT (CSCTP_SN_TYPE_BASE + 5)
#define CSCTP_PARTIAL_DELIVERY_EVENT (CSCTP_SN_TYPE_BASE + 6)
#define CSCTP_ADAPTATION_INDICATION (CSCTP_SN_TYPE_BASE + 7)
#define CSCTP_AUTHENTICATION_EVENT (CSCTP_SN_TYPE_BASE + 8)
#define CSCTP_SENDER_DRY_EVENT (CSCTP_SN_TYPE_BASE + 9)
#define CSCTP_STREAM_RESET_EVENT (CSCTP_SN_TYPE_BASE + 10)
#define CSCTP_ASSOC_RESET_EVENT (CSCTP_SN_TYPE_BASE + 11)
#define CSCTP_STREAM_CHANGE_EVENT (CSCTP_SN_TYPE_BASE + 12)
#define CSCTP_SEND_FAILED_EVENT (CSCTP_SN_TYPE_BASE + 13)

/* cmsg types (enum sctp_cmsg_type, kernel ABI) */
#define CSCTP_CMSG_INIT 0
#define CSCTP_CMSG_SNDRCV 1
#define CSCTP_CMSG_SNDINFO 2
#define CSCTP_CMSG_RCVINFO 3
#define CSCTP_CMSG_NXTINFO 4
#define CSCTP_CMSG_PRINFO 5
#define CSCTP_CMSG_AUTHINFO 6
#define CSCTP_CMSG_DSTADDRV4 7
#define CSCTP_CMSG_DSTADDRV6 8

/* ---- peeloff with flags, straight to the kernel ----
 * lksctp-tools 1.0.19 (Debian 12, Ubuntu 22.04/24.04) declares
 * sctp_peeloff_flags() in <netinet/sctp.h> but does not export it from
 * libsctp.so (it is missing from the library's version script), so a module
 * that calls it fails to load.  The kernel interface is one getsockopt. */
typedef struct {
    sctp_assoc_t associd;
    int sd;
} csctp_peeloff_arg_t;
typedef struct {
    csctp_peeloff_arg_t p_arg;
    unsigned flags;
} csctp_peeloff_flags_arg_t;

static inline int csctp_peeloff_flags(int sd, sctp_assoc_t assoc_id, unsigned flags)
{
    csctp_peeloff_flags_arg_t a;
    socklen_t len = sizeof(a);
    memset(&a, 0, sizeof(a));
    a.p_arg.associd = assoc_id;
    a.flags = flags;
    if (getsockopt(sd, SOL_SCTP, SCTP_SOCKOPT_PEELOFF_FLAGS, &a, &len) < 0)
        return -1;
    return a.p_arg.sd;
}

/* ---- cmsg walking: the CMSG_* macros, as functions Cython can call ---- */
static inline struct cmsghdr *csctp_cmsg_firsthdr(struct msghdr *m) { return CMSG_FIRSTHDR(m); }
static inline struct cmsghdr *csctp_cmsg_nxthdr(struct msghdr *m, struct cmsghdr *c) { return CMSG_NXTHDR(m, c); }
static inline unsigned char *csctp_cmsg_data(struct cmsghdr *c) { return CMSG_DATA(c); }
static inline size_t csctp_cmsg_space(size_t n) { return CMSG_SPACE(n); }
static inline size_t csctp_cmsg_len(size_t n) { return CMSG_LEN(n); }

/* Reading received control data: a header is used only when it and the
 * cmsg_len it claims lie inside msg_control[0:msg_controllen].  glibc's
 * CMSG_NXTHDR checks that for the headers after the first, CMSG_FIRSTHDR
 * does not; the kernel never writes a header that overruns (put_cmsg
 * shortens cmsg_len and sets MSG_CTRUNC), but the parsers are fuzzed with
 * arbitrary bytes and must hold on their own. */
static inline struct cmsghdr *csctp_cmsg_checked(struct msghdr *m, struct cmsghdr *c)
{
    size_t off, left;
    if (c == NULL || m->msg_control == NULL)
        return NULL;
    off = (size_t)((unsigned char *)c - (unsigned char *)m->msg_control);
    if (off > m->msg_controllen || m->msg_controllen - off < sizeof(struct cmsghdr))
        return NULL;
    left = m->msg_controllen - off;
    if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > left)
        return NULL;
    return c;
}
static inline struct cmsghdr *csctp_cmsg_first_in(struct msghdr *m)
{
    return csctp_cmsg_checked(m, CMSG_FIRSTHDR(m));
}
static inline struct cmsghdr *csctp_cmsg_next_in(struct msghdr *m, struct cmsghdr *c)
{
    return csctp_cmsg_checked(m, CMSG_NXTHDR(m, c));
}

/* Size of a control buffer that holds everything recvmsg may return with
 * RCVINFO + NXTINFO (or the legacy SNDRCV), with room to spare. */
#define CSCTP_RECV_CMSG_SPACE (CMSG_SPACE(sizeof(struct sctp_rcvinfo)) + \
                               CMSG_SPACE(sizeof(struct sctp_nxtinfo)) + \
                               CMSG_SPACE(sizeof(struct sctp_sndrcvinfo)) + 64)
#define CSCTP_SEND_CMSG_SPACE (CMSG_SPACE(sizeof(struct sctp_sndinfo)) + \
                               CMSG_SPACE(sizeof(struct sctp_prinfo)) + \
                               CMSG_SPACE(sizeof(struct sctp_authinfo)) + \
                               CMSG_SPACE(sizeof(struct sctp_sndrcvinfo)) + 64)

/* ---- options helper (issue 3) ----
 * struct sctp_paddrthlds_v2 (Linux 5.9) under csctp's own name: old headers define the
 * option number above but not the structure.  Same layout as the kernel's (not packed). */
typedef struct {
    sctp_assoc_t spt_assoc_id;
    struct sockaddr_storage spt_address;
    uint16_t spt_pathmaxrxt;
    uint16_t spt_pathpfthld;
    uint16_t spt_pathcpthld;
} csctp_paddrthlds_v2;

#endif /* CSCTP_H */
