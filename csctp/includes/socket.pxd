# Declarations mirroring <sys/socket.h>, <sys/uio.h>, <netinet/in.h>, <poll.h>.
# Declarations only: no logic lives here.

from libc.stdint cimport uint8_t, uint16_t, uint32_t

cdef extern from "<sys/uio.h>" nogil:
    struct iovec:
        void *iov_base
        size_t iov_len

cdef extern from "<sys/socket.h>" nogil:
    ctypedef unsigned int socklen_t
    ctypedef unsigned short sa_family_t

    struct sockaddr:
        sa_family_t sa_family
        char sa_data[14]

    struct sockaddr_storage:
        sa_family_t ss_family

    struct msghdr:
        void *msg_name
        socklen_t msg_namelen
        iovec *msg_iov
        size_t msg_iovlen
        void *msg_control
        size_t msg_controllen
        int msg_flags

    struct cmsghdr:
        size_t cmsg_len
        int cmsg_level
        int cmsg_type

    struct mmsghdr:
        msghdr msg_hdr
        unsigned int msg_len

    struct timespec:
        long tv_sec
        long tv_nsec

    enum:
        AF_INET
        AF_INET6
        AF_UNSPEC
        SOCK_STREAM
        SOCK_SEQPACKET
        SOCK_NONBLOCK
        SOCK_CLOEXEC
        SOL_SOCKET
        SO_ERROR
        SO_RCVBUF
        SO_SNDBUF
        SO_TYPE
        SO_DOMAIN
        SO_PROTOCOL
        SO_ACCEPTCONN
        MSG_EOR
        MSG_TRUNC
        MSG_CTRUNC
        MSG_DONTWAIT
        MSG_PEEK
        MSG_WAITFORONE
        MSG_NOSIGNAL
        SHUT_RD
        SHUT_WR
        SHUT_RDWR

    int socket(int domain, int type, int protocol)
    int bind(int fd, const sockaddr *addr, socklen_t len)
    int connect(int fd, const sockaddr *addr, socklen_t len)
    int listen(int fd, int backlog)
    int accept4(int fd, sockaddr *addr, socklen_t *len, int flags)
    int shutdown(int fd, int how)
    int getsockname(int fd, sockaddr *addr, socklen_t *len)
    int getpeername(int fd, sockaddr *addr, socklen_t *len)
    int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
    int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
    ssize_t sendmsg(int fd, const msghdr *msg, int flags)
    ssize_t recvmsg(int fd, msghdr *msg, int flags)
    int sendmmsg(int fd, mmsghdr *vec, unsigned int vlen, int flags)
    int recvmmsg(int fd, mmsghdr *vec, unsigned int vlen, int flags, timespec *timeout)

cdef extern from "<netinet/in.h>" nogil:
    ctypedef uint32_t in_addr_t
    ctypedef uint16_t in_port_t

    struct in_addr:
        in_addr_t s_addr

    struct in6_addr:
        uint8_t s6_addr[16]

    struct sockaddr_in:
        sa_family_t sin_family
        in_port_t sin_port
        in_addr sin_addr

    struct sockaddr_in6:
        sa_family_t sin6_family
        in_port_t sin6_port
        uint32_t sin6_flowinfo
        in6_addr sin6_addr
        uint32_t sin6_scope_id

    uint32_t htonl(uint32_t)
    uint32_t ntohl(uint32_t)
    uint16_t htons(uint16_t)
    uint16_t ntohs(uint16_t)

cdef extern from "<poll.h>" nogil:
    struct pollfd:
        int fd
        short events
        short revents
    ctypedef unsigned long nfds_t
    enum:
        POLLIN
        POLLOUT
        POLLERR
        POLLHUP
        POLLRDHUP
    int poll(pollfd *fds, nfds_t nfds, int timeout)

cdef extern from "<unistd.h>" nogil:
    int close(int fd)
    int dup(int fd)
    ssize_t write(int fd, const void *buf, size_t count)

cdef extern from "<sys/eventfd.h>" nogil:
    enum:
        EFD_CLOEXEC
        EFD_NONBLOCK
    int eventfd(unsigned int initval, int flags)

cdef extern from "<fcntl.h>" nogil:
    enum:
        F_GETFL
        F_SETFL
        O_NONBLOCK
    int fcntl(int fd, int cmd, ...)
