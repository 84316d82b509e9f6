# C-level interface of csctp._core: Socket, Reassembler and the one-system-call argument
# structs, for the other compiled modules to cimport.

from libc.stdint cimport uint16_t, uint32_t
from cpython.object cimport PyObject
from csctp.includes.socket cimport msghdr, socklen_t, sockaddr
from csctp.includes.sctp cimport sctp_assoc_t
from csctp._addr cimport AddrList
from csctp._message cimport Message

# One system call on *fd* with its arguments in *arg*: returns >= 0 or -1 with errno set.
# Socket.call() runs it with the GIL released and does everything around it.
cdef struct connectx_call:
    sockaddr *addrs
    int count
    sctp_assoc_t aid

ctypedef Py_ssize_t (*sys_impl)(int fd, void *arg) noexcept nogil

# what Socket.call(..., again=True) returns for EAGAIN
cdef enum:
    CALL_AGAIN = -2


cdef class Reassembler:
    cdef dict _parts                # (assoc_id, stream or -1, is_notification) -> [bytes, ...]
    cdef dict _sizes
    cdef public Py_ssize_t max_size

    cpdef object feed(self, Message m)
    cpdef drop(self, int assoc_id)


cdef class Socket:
    cdef int _fd
    cdef int _wakefd                # eventfd that close() signals to wake waiting calls (-1: none yet)
    cdef int _inflight              # calls between their start and their end (counted under the GIL)
    cdef bint _closing              # close() was called; the descriptor goes when _inflight is 0
    cdef bint _borrowed             # a caller's descriptor: never closed, its flags never changed
    cdef bint _listening            # listen() was called (or the adopted descriptor listens)
    cdef readonly int family
    cdef readonly int type
    cdef double _timeout            # < 0: blocking; 0: non-blocking; > 0: seconds
    cdef Py_ssize_t _recv_size
    cdef readonly Reassembler reassembler
    cdef PyObject *_spare           # recv's reused receive buffer (a bytes of recv_size), or NULL

    cdef int _check_open(self, str op) except -1
    cdef Py_ssize_t call(self, short events, sys_impl impl, void *arg, str op, bint hold=*, bint again=*) except -1
    cdef int _wait(self, int fd, short events, str op, double *deadline) except -1
    cdef int _sleep(self, double seconds, str op) except -1
    cdef int _wake_fd(self, str op) except -1
    cdef int _release(self, bint quiet) except -1
    cdef int _adopt_fd(self, int fd, int family, int type) except -1
    cdef sctp_assoc_t _connectx(self, connectx_call *c, str op) except? -1
    cdef bint may_hold(self, size_t nbytes, size_t limit) noexcept
    cdef bint _holds(self, const msghdr *msg) noexcept
    cdef Py_ssize_t _sendmsg(self, msghdr *msg, int flags, str op) except -1
    cdef Py_ssize_t _recvmsg(self, msghdr *msg, int flags, str op, bint again=*) except -1
    cdef Py_ssize_t send_msg(self, object data, uint16_t sid, uint32_t p, uint16_t fl, uint32_t ctx,
                             sctp_assoc_t aid, object ttl, object to) except -1
    cdef Message recv_msg(self, Py_ssize_t size, int fl, bint again=*)
    cdef void _keep_spare(self, PyObject *raw) noexcept
    cdef Message recv_into_msg(self, object buffer, Py_ssize_t want, int fl, Py_ssize_t *nbytes)
    cdef int _setint(self, int level, int name, int value, str op) except -1
    cdef AddrList _pack(self, object addrs, str op)

cdef Socket as_socket(object sock)
cdef int fileno_of(object sock) except -1
cdef list walk_addrs(sockaddr *addrs, int n)
cdef list get_addrs(int fd, sctp_assoc_t aid, bint peer)
