from csctp.includes.socket cimport msghdr, socklen_t, sockaddr
from csctp.includes.sctp cimport sctp_assoc_t
from csctp._addr cimport AddrList

cdef class Socket:
    cdef int _fd
    cdef readonly int family
    cdef readonly int type
    cdef double _timeout            # < 0: blocking; 0: non-blocking; > 0: seconds
    cdef public Py_ssize_t recv_size

    cdef int _check_open(self, str op) except -1
    cdef int _wait(self, short events, str op, double *deadline) except -1
    cdef Py_ssize_t _sendmsg(self, msghdr *msg, int flags, str op) except -1
    cdef Py_ssize_t _recvmsg(self, msghdr *msg, int flags, str op) except -1
    cdef int _setint(self, int level, int name, int value, str op) except -1
    cdef AddrList _pack(self, object addrs, str op)

cdef int fileno_of(object sock) except -1
cdef list walk_addrs(sockaddr *addrs, int n)
cdef list get_addrs(int fd, sctp_assoc_t aid, bint peer)
cdef int wait_fd(int fd, short events, double timeout, double *deadline, str op) except -1
