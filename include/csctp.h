/*
 * csctp.h: what Cython cannot express, and what old build hosts' headers lack.
 *
 * The wheels are built on manylinux_2_28 / musllinux images whose kernel
 * headers predate several RFC 6458 / RFC 6525 / RFC 8260 additions.  Every
 * constant and structure csctp uses is therefore guarded, here and in the
 * generated csctp_constants.h, with the value of the *kernel ABI*
 * (include/uapi/linux/sctp.h), so a wheel built on an old image speaks the
 * same numbers as one built on a new one.
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

/* ---- structures old headers lack ----
 * Tested before csctp_constants.h defines the option numbers: a macro and the
 * structure it introduced arrived in the same kernel release, so the macro's
 * absence from <netinet/sctp.h> is a reliable test for the structure's. */
#ifndef SCTP_DEFAULT_PRINFO
struct sctp_default_prinfo {
    sctp_assoc_t pr_assoc_id;
    uint32_t pr_value;
    uint16_t pr_policy;
};
#endif
#ifndef SCTP_PR_ASSOC_STATUS
struct sctp_prstatus {
    sctp_assoc_t sprstat_assoc_id;
    uint16_t sprstat_sid;
    uint16_t sprstat_policy;
    uint64_t sprstat_abandoned_unsent;
    uint64_t sprstat_abandoned_sent;
};
#endif
#ifndef SCTP_RESET_STREAMS
struct sctp_reset_streams {
    sctp_assoc_t srs_assoc_id;
    uint16_t srs_flags;
    uint16_t srs_number_streams;
    uint16_t srs_stream_list[];
};
#endif
#ifndef SCTP_ADD_STREAMS
struct sctp_add_streams {
    sctp_assoc_t sas_assoc_id;
    uint16_t sas_instrms;
    uint16_t sas_outstrms;
};
#endif
#ifndef SCTP_STREAM_SCHEDULER
struct sctp_stream_value {
    sctp_assoc_t assoc_id;
    uint16_t stream_id;
    uint16_t stream_value;
};
#endif
#ifndef SCTP_EVENT
struct sctp_event {
    sctp_assoc_t se_assoc_id;
    uint16_t se_type;
    uint8_t se_on;
};
#endif

/* ---- every constant, with the kernel ABI's value (generated from csctp/_constants_table.py) ---- */
#include "csctp_constants.h"

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
 * cmsg_len it claims lie inside msg_control[0:msg_controllen], the first
 * header included (glibc's CMSG_FIRSTHDR does not check its length); the
 * kernel never writes a header that overruns (put_cmsg shortens cmsg_len
 * and sets MSG_CTRUNC), but the parsers are fuzzed with arbitrary bytes
 * and must hold on their own. */
static inline struct cmsghdr *csctp_cmsg_at(struct msghdr *m, size_t off)
{
    size_t left;
    struct cmsghdr *c;
    if (m->msg_control == NULL || off > m->msg_controllen || m->msg_controllen - off < sizeof(struct cmsghdr))
        return NULL;
    left = m->msg_controllen - off;
    c = (struct cmsghdr *)((unsigned char *)m->msg_control + off);
    if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > left)
        return NULL;
    return c;
}
static inline struct cmsghdr *csctp_cmsg_first_in(struct msghdr *m)
{
    return csctp_cmsg_at(m, 0);
}
/* c came from csctp_cmsg_at: its cmsg_len fits the buffer, so the sum cannot wrap.  Walking by
 * offset keeps the per-message parse free of a libc call (glibc's CMSG_NXTHDR is one). */
static inline struct cmsghdr *csctp_cmsg_next_in(struct msghdr *m, struct cmsghdr *c)
{
    return csctp_cmsg_at(m, (size_t)((unsigned char *)c - (unsigned char *)m->msg_control) + CMSG_ALIGN(c->cmsg_len));
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

/* struct sctp_paddrthlds_v2 (Linux 5.9) under csctp's own name: old headers define the
 * option number above but not the structure.  Same layout as the kernel's (not packed). */
typedef struct {
    sctp_assoc_t spt_assoc_id;
    struct sockaddr_storage spt_address;
    uint16_t spt_pathmaxrxt;
    uint16_t spt_pathpfthld;
    uint16_t spt_pathcpthld;
} csctp_paddrthlds_v2;

/* struct sctp_udpencaps and struct sctp_probeinterval (Linux 5.11: SCTP over UDP, RFC 6951,
 * and PLPMTUD, RFC 8899) under csctp's own names, for headers that predate them.  Same
 * layouts as the kernel's.  sue_port travels in network byte order. */
typedef struct {
    sctp_assoc_t sue_assoc_id;
    struct sockaddr_storage sue_address;
    uint16_t sue_port;
} csctp_udpencaps;

typedef struct {
    sctp_assoc_t spi_assoc_id;
    struct sockaddr_storage spi_address;
    uint32_t spi_interval;
} csctp_probeinterval;

#endif /* CSCTP_H */
