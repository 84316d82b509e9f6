/*
 * sctpbench: the C baseline of csctp's side-by-side benchmark (bench/run.py).
 *
 * One process is one side of one benchmark case; bench/run.py starts the
 * receiving side and the sending side as two processes so that each side's
 * CPU time comes from its own getrusage(RUSAGE_SELF).
 *
 *   sctpbench recv --api sctp|mmsg --style 1to1|1tomany --assocs A --streams S --size B --reps R
 *   sctpbench send --api ... --port P [--count N] [--duration SEC]
 *   sctpbench echo / sctpbench ping      (ping-pong: echo server / pinging client)
 *   sctpbench recv ... --workers W [--work-us U]
 *       (one-to-one: accept every association, then fork W worker processes, worker w
 *       serving associations w, w+W, ...; each worker prints its own result lines with
 *       "worker": w; U microseconds of CPU time spent per message stand for the
 *       application's work: bench/scaling.py)
 *
 * Line protocol on stdin/stdout (one JSON object per line):
 *   receiver/echo: prints {"port":P} once listening, then one result line per repetition
 *   sender/ping:   prints {"ready":1} once connected, then for each repetition waits
 *                  for a line on stdin ("go") and prints one result line.
 * A repetition ends with a 1-byte end marker on every (association, stream),
 * so every receive API (even plain recv without metadata) can see it by its length.
 *
 * api=sctp: sctp_sendmsg() -> sctp_recvmsg() (data_io subscribed, so the
 *           receiver gets its sctp_sndrcvinfo as a real application would).
 * api=mmsg: sendmmsg() with one SCTP_SNDINFO cmsg per message -> recvmmsg()
 *           with SCTP_RCVINFO (MSG_WAITFORONE), --batch messages per call.
 * Senders set SCTP_NODELAY: without it Linux SCTP holds small messages back (Nagle).
 * Senders are one-to-one client sockets; --style picks the receiving/echoing socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_ASSOCS 1024
#define MAX_SAMPLES 2000000
#define RBUF 65536

static const char *api = "sctp", *style = "1to1";
static int use_mmsg;    /* api == "mmsg", decided once: no strcmp in the loops */
static int port = 0, size = 128, streams = 1, assocs = 1, reps = 5, batch = 64, workers = 1, worker = 0;
static double work_us = 0;
static long count = 100000;
static double duration = 1.0;

static void die(const char *what)
{
    fprintf(stderr, "sctpbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void cpu(double *user, double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
    *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static void setint(int fd, int level, int name, int v, const char *what)
{
    if (setsockopt(fd, level, name, &v, sizeof v) < 0)
        die(what);
}

/* the application's work on a message: this thread's CPU time advances by work_us
 * (CPU time, not wall time: a worker preempted meanwhile still does all of it) */
static void do_work(void)
{
    struct timespec ts;
    double end;
    if (work_us <= 0)
        return;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    end = ts.tv_sec + ts.tv_nsec * 1e-9 + work_us * 1e-6;
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    while (ts.tv_sec + ts.tv_nsec * 1e-9 < end);
}

static void wait_go(void)
{
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        exit(0);  /* orchestrator gone: stop quietly */
}

/* ---- sockets ----------------------------------------------------------- */

static int listener(void)
{
    int one2many = strcmp(style, "1tomany") == 0;
    int fd = socket(AF_INET, one2many ? SOCK_SEQPACKET : SOCK_STREAM, IPPROTO_SCTP);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    struct sctp_initmsg im = {.sinit_num_ostreams = 16, .sinit_max_instreams = 16};
    if (fd < 0)
        die("socket");
    setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1024) < 0)
        die("bind/listen");
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
        die("getsockname");
    printf("{\"port\": %d}\n", ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

static void receiver_opts(int fd)
{
    if (use_mmsg) {
        setint(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "SCTP_RECVRCVINFO");
    } else {
        struct sctp_event_subscribe ev;
        memset(&ev, 0, sizeof ev);
        ev.sctp_data_io_event = 1;
        if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, 1) < 0)
            die("SCTP_EVENTS");
    }
}

static int client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sctp_initmsg im = {.sinit_num_ostreams = 16, .sinit_max_instreams = 16};
    if (fd < 0)
        die("socket");
    setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im);
    setint(fd, IPPROTO_SCTP, SCTP_NODELAY, 1, "SCTP_NODELAY");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect");
    return fd;
}

/* ---- receive: one message or one batch ----------------------------------- */

struct rx {
    int fd;
    char *bufs;                       /* batch * RBUF */
    struct mmsghdr mm[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    char cbuf[MAX_BATCH][CMSG_SPACE(sizeof(struct sctp_rcvinfo))];
    struct sockaddr_in from[MAX_BATCH];
    /* results of the last call */
    int n;
    int len[MAX_BATCH];
    sctp_assoc_t aid[MAX_BATCH];
    uint16_t sid[MAX_BATCH];
};

static void rx_init(struct rx *r, int fd)
{
    r->fd = fd;
    r->bufs = malloc((size_t)MAX_BATCH * RBUF);
    if (!r->bufs)
        die("malloc");
}

static int rx_recv(struct rx *r)
{
    int i, n, got = 0;
    if (use_mmsg) {
        for (i = 0; i < batch; i++) {
            r->iov[i].iov_base = r->bufs + (size_t)i * RBUF;
            r->iov[i].iov_len = RBUF;
            memset(&r->mm[i].msg_hdr, 0, sizeof r->mm[i].msg_hdr);
            r->mm[i].msg_hdr.msg_iov = &r->iov[i];
            r->mm[i].msg_hdr.msg_iovlen = 1;
            r->mm[i].msg_hdr.msg_control = r->cbuf[i];
            r->mm[i].msg_hdr.msg_controllen = sizeof r->cbuf[i];
            r->mm[i].msg_hdr.msg_name = &r->from[i];
            r->mm[i].msg_hdr.msg_namelen = sizeof r->from[i];
        }
        do
            n = recvmmsg(r->fd, r->mm, batch, MSG_WAITFORONE, NULL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            die("recvmmsg");
        for (i = 0; i < n; i++) {
            struct msghdr *h = &r->mm[i].msg_hdr;
            struct cmsghdr *c;
            if (h->msg_flags & MSG_NOTIFICATION)
                continue;
            r->len[got] = (int)r->mm[i].msg_len;
            r->aid[got] = 0;
            r->sid[got] = 0;
            for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
                if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_RCVINFO) {
                    struct sctp_rcvinfo *ri = (struct sctp_rcvinfo *)CMSG_DATA(c);
                    r->aid[got] = ri->rcv_assoc_id;
                    r->sid[got] = ri->rcv_sid;
                }
            got++;
        }
    } else {
        struct sctp_sndrcvinfo sinfo;
        int flags;
        do {
            flags = 0;
            socklen_t fl = sizeof r->from[0];
            n = sctp_recvmsg(r->fd, r->bufs, RBUF, (struct sockaddr *)&r->from[0], &fl, &sinfo, &flags);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                die("sctp_recvmsg");
        } while (n < 0 || (flags & MSG_NOTIFICATION));
        r->len[0] = n;
        r->aid[0] = sinfo.sinfo_assoc_id;
        r->sid[0] = sinfo.sinfo_stream;
        got = 1;
    }
    r->n = got;
    return got;
}

/* ---- send: one message or one batch -------------------------------------- */

struct tx {
    char *payload;
    struct mmsghdr mm[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    char cbuf[MAX_BATCH][CMSG_SPACE(sizeof(struct sctp_sndinfo))];
};

static void tx_init(struct tx *t)
{
    t->payload = calloc(1, size > 1 ? size : 1);
    if (!t->payload)
        die("calloc");
}

/* Send n messages of len bytes on fd, message k on stream (first + k) % streams.
 * assoc_id is used when replying on a one-to-many socket.  Returns messages sent. */
static int tx_send(struct tx *t, int fd, int n, int len, long first, sctp_assoc_t aid)
{
    int i, rc, done = 0;
    if (use_mmsg) {
        while (done < n) {
            int k = n - done < MAX_BATCH ? n - done : MAX_BATCH;
            for (i = 0; i < k; i++) {
                struct msghdr *h = &t->mm[i].msg_hdr;
                struct cmsghdr *c;
                struct sctp_sndinfo *si;
                memset(h, 0, sizeof *h);
                t->iov[i].iov_base = t->payload;
                t->iov[i].iov_len = len;
                h->msg_iov = &t->iov[i];
                h->msg_iovlen = 1;
                h->msg_control = t->cbuf[i];
                h->msg_controllen = sizeof t->cbuf[i];
                c = CMSG_FIRSTHDR(h);
                c->cmsg_level = IPPROTO_SCTP;
                c->cmsg_type = SCTP_SNDINFO;
                c->cmsg_len = CMSG_LEN(sizeof *si);
                si = (struct sctp_sndinfo *)CMSG_DATA(c);
                memset(si, 0, sizeof *si);
                si->snd_sid = (uint16_t)((first + done + i) % streams);
                si->snd_ppid = htonl(46);
                si->snd_assoc_id = aid;
            }
            rc = sendmmsg(fd, t->mm, k, 0);
            if (rc < 0 && errno == EINTR)
                continue;
            if (rc < 0)
                die("sendmmsg");
            done += rc;
        }
    } else {
        for (i = 0; i < n; i++) {
            do
                rc = sctp_sendmsg(fd, t->payload, len, NULL, 0, htonl(46), 0,
                                  (uint16_t)((first + i) % streams), 0, 0);
            while (rc < 0 && errno == EINTR);
            /* one-to-many replies name the association with sctp_send's sinfo */
            if (rc < 0 && errno == EPIPE && aid) {
                struct sctp_sndrcvinfo si = {.sinfo_stream = (uint16_t)((first + i) % streams),
                                             .sinfo_ppid = htonl(46), .sinfo_assoc_id = aid};
                rc = sctp_send(fd, t->payload, len, &si, 0);
            }
            if (rc < 0)
                die("sctp_sendmsg");
        }
        done = n;
    }
    return done;
}

static int send_reply(struct tx *t, int fd, int len, long first, sctp_assoc_t aid)
{
    if (!use_mmsg && aid) {
        struct sctp_sndrcvinfo si = {.sinfo_stream = (uint16_t)(first % streams),
                                     .sinfo_ppid = htonl(46), .sinfo_assoc_id = aid};
        int rc;
        do
            rc = sctp_send(fd, t->payload, len, &si, 0);
        while (rc < 0 && errno == EINTR);
        if (rc < 0)
            die("sctp_send");
        return 1;
    }
    return tx_send(t, fd, 1, len, first, aid);
}

/* ---- roles --------------------------------------------------------------- */

/* the receiving sockets: one listening one-to-many socket, or the accepted one-to-one ones */
static int open_receiver(int *fds)
{
    int lfd = listener(), i;
    if (strcmp(style, "1tomany") == 0) {
        receiver_opts(lfd);
        fds[0] = lfd;
        return 1;
    }
    for (i = 0; i < assocs; i++) {
        fds[i] = accept(lfd, NULL, NULL);
        if (fds[i] < 0)
            die("accept");
        receiver_opts(fds[i]);
    }
    close(lfd);
    return assocs;
}

/* wait until one of fds is readable (one-to-one with several associations) */
static int next_readable(int *fds, int nfds, int *rr)
{
    struct pollfd p[MAX_ASSOCS];
    int i;
    if (nfds == 1)
        return fds[0];
    for (i = 0; i < nfds; i++) {
        p[i].fd = fds[i];
        p[i].events = POLLIN;
    }
    while (poll(p, nfds, -1) < 0)
        if (errno != EINTR)
            die("poll");
    for (i = 0; i < nfds; i++) {
        int k = (*rr + i) % nfds;
        if (p[k].revents) {
            *rr = k + 1;
            return fds[k];
        }
    }
    return fds[0];
}

/* --workers W: fork W processes, worker w keeping associations w, w+W, ...; the parent
 * waits for them and returns 0, a worker returns 1 with its share in fds/nfds */
static int fork_workers(int *fds, int *nfds)
{
    int w, i, k, status, failed = 0;
    if (workers <= 1)
        return 1;
    fflush(stdout);
    for (w = 0; w < workers; w++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            for (i = 0, k = 0; i < *nfds; i++) {
                if (i % workers == w)
                    fds[k++] = fds[i];
                else
                    close(fds[i]);
            }
            *nfds = k;
            worker = w;
            return 1;
        }
    }
    for (i = 0; i < *nfds; i++)
        close(fds[i]);
    for (w = 0; w < workers; w++)
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
            failed = 1;
    exit(failed);
}

static void role_recv(int echo)
{
    int fds[MAX_ASSOCS], nfds = open_receiver(fds), rep, rr = 0, i;
    long expect;
    fork_workers(fds, &nfds);
    expect = (long)nfds * streams;
    static struct rx r;
    static struct tx t;
    rx_init(&r, fds[0]);
    tx_init(&t);
    for (rep = 0; rep < reps; rep++) {
        long msgs = 0, bytes = 0, markers = 0, calls = 0;
        double u0, s0, u1, s1, t_first = 0, t_last;
        cpu(&u0, &s0);
        while (markers < expect) {
            r.fd = next_readable(fds, nfds, &rr);
            rx_recv(&r);
            calls++;
            if (!t_first)
                t_first = now();
            for (i = 0; i < r.n; i++) {
                if (r.len[i] == 0) {
                    fprintf(stderr, "sctpbench: peer closed during repetition %d\n", rep);
                    exit(1);
                }
                if (r.len[i] == 1) {
                    markers++;
                    continue;
                }
                msgs++;
                bytes += r.len[i];
                do_work();
                if (echo)
                    send_reply(&t, r.fd, r.len[i], msgs, r.aid[i]);
            }
        }
        t_last = now();
        cpu(&u1, &s1);
        printf("{\"rep\": %d, \"msgs\": %ld, \"bytes\": %ld, \"t_first\": %.9f, \"t_last\": %.9f, "
               "\"cpu_user\": %.6f, \"cpu_sys\": %.6f, \"calls\": %ld, \"worker\": %d}\n",
               rep, msgs, bytes, t_first, t_last, u1 - u0, s1 - s0, calls, worker);
        fflush(stdout);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void role_send(int ping)
{
    int fds[MAX_ASSOCS], i, rep;
    static struct tx t;
    static struct rx r;
    static double samples[MAX_SAMPLES];
    for (i = 0; i < assocs; i++)
        fds[i] = client();
    tx_init(&t);
    if (ping) {
        rx_init(&r, fds[0]);
        /* the pinging client receives too: same metadata path as the server */
        for (i = 0; i < assocs; i++) {
            const char *save = style;
            style = "1to1";
            receiver_opts(fds[i]);
            style = save;
        }
    }
    printf("{\"ready\": 1}\n");
    fflush(stdout);
    for (rep = 0; rep < reps; rep++) {
        long sent = 0, ns = 0;
        double u0, s0, u1, s1, t0, t1, deadline;
        long it = 0;
        int chunk = !ping && use_mmsg ? batch : 1;
        wait_go();
        cpu(&u0, &s0);
        t0 = now();
        deadline = t0 + duration;
        while (sent < count) {
            int a = (int)((sent / chunk) % assocs);
            if (ping) {
                double ts = now();
                send_reply(&t, fds[a], size, sent, 0);
                r.fd = fds[a];
                do
                    rx_recv(&r);
                while (r.n == 0);
                if (ns < MAX_SAMPLES)
                    samples[ns++] = now() - ts;
                sent++;
            } else {
                int k = count - sent < chunk ? (int)(count - sent) : chunk;
                sent += tx_send(&t, fds[a], k, size, sent, 0);
            }
            if ((chunk > 1 || (++it & 63) == 0) && now() >= deadline)
                break;
        }
        t1 = now();
        /* end marker: a 1-byte message on every stream of every association */
        for (i = 0; i < assocs; i++) {
            int st;
            for (st = 0; st < streams; st++)
                tx_send(&t, fds[i], 1, 1, st, 0);
        }
        cpu(&u1, &s1);
        printf("{\"rep\": %d, \"msgs\": %ld, \"t0\": %.9f, \"t1\": %.9f, "
               "\"cpu_user\": %.6f, \"cpu_sys\": %.6f",
               rep, sent, t0, t1, u1 - u0, s1 - s0);
        if (ping && ns) {
            qsort(samples, ns, sizeof samples[0], cmp_double);
            printf(", \"rtt_p50_us\": %.3f, \"rtt_p99_us\": %.3f, \"rtt_min_us\": %.3f",
                   samples[ns / 2] * 1e6, samples[(long)(ns * 0.99)] * 1e6, samples[0] * 1e6);
        }
        printf("}\n");
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    const char *role;
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: sctpbench recv|send|echo|ping [--api sctp|mmsg] [--style 1to1|1tomany] "
                        "[--port P] [--size B] [--streams S] [--assocs A] [--count N] [--duration SEC] "
                        "[--reps R] [--batch K]\n");
        return 2;
    }
    role = argv[1];
    for (i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--api")) api = v;
        else if (!strcmp(k, "--style")) style = v;
        else if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--size")) size = atoi(v);
        else if (!strcmp(k, "--streams")) streams = atoi(v);
        else if (!strcmp(k, "--assocs")) assocs = atoi(v);
        else if (!strcmp(k, "--count")) count = atol(v);
        else if (!strcmp(k, "--duration")) duration = atof(v);
        else if (!strcmp(k, "--reps")) reps = atoi(v);
        else if (!strcmp(k, "--batch")) batch = atoi(v);
        else if (!strcmp(k, "--workers")) workers = atoi(v);
        else if (!strcmp(k, "--work-us")) work_us = atof(v);
        else {
            fprintf(stderr, "sctpbench: unknown option %s\n", k);
            return 2;
        }
    }
    if (size < 2 || size > RBUF || streams < 1 || streams > 16 || assocs < 1 || assocs > MAX_ASSOCS ||
        batch < 1 || batch > MAX_BATCH || reps < 1 || count < 1 || workers < 1 || workers > assocs ||
        work_us < 0 || (workers > 1 && strcmp(style, "1to1")) ||
        (strcmp(api, "sctp") && strcmp(api, "mmsg")) || (strcmp(style, "1to1") && strcmp(style, "1tomany"))) {
        fprintf(stderr, "sctpbench: bad arguments\n");
        return 2;
    }
    use_mmsg = strcmp(api, "mmsg") == 0;
    if (!strcmp(role, "recv"))
        role_recv(0);
    else if (!strcmp(role, "echo"))
        role_recv(1);
    else if (!strcmp(role, "send"))
        role_send(0);
    else if (!strcmp(role, "ping"))
        role_send(1);
    else {
        fprintf(stderr, "sctpbench: unknown role %s\n", role);
        return 2;
    }
    return 0;
}
