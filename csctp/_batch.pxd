# C-level interface of csctp._batch: the recvmmsg/sendmmsg call descriptors and the pool
# and batch classes of batch I/O.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t
from csctp.includes.socket cimport mmsghdr, iovec, sockaddr_storage
from csctp._core cimport Socket, Reassembler
from csctp._message cimport rcv_meta

cdef struct mmsg_call:
    mmsghdr *hdrs
    unsigned int n
    int flags
    iovec *iovs                     # what a header is armed with (receive)
    sockaddr_storage *names         # NULL: no sender addresses wanted
    char *cbufs
    size_t cspace

# What the pool keeps of one received message: the parser writes .rcv in place, and the
# metadata arrays are strided views over these fields (one store per field, no copy).
cdef struct slot_meta:
    rcv_meta rcv
    uint32_t length                 # msg_len of the recvmmsg entry
    int32_t msg_flags               # MSG_EOR, MSG_NOTIFICATION, ...

cdef class Batch

cdef class BatchPool:
    cdef readonly int max_messages
    cdef readonly Py_ssize_t slot_size
    cdef readonly object buffer          # numpy uint8 (max_messages, slot_size) over the slot memory
    cdef object _mem                     # _Memory: the slot and metadata blocks
    cdef object _rest                    # complete(): Reassembler of a message whose rest is being read
    cdef object _rest_key                # (generation, index) of the batch piece that message began at
    cdef char *_block
    cdef mmsghdr *_hdrs
    cdef iovec *_iovs
    cdef char *_cbufs
    cdef size_t _cspace
    cdef sockaddr_storage *_names
    cdef Py_ssize_t _exports             # live buffer exports of slot memory (message views)
    cdef unsigned long long _generation  # bumped by every recv: older batches are stale
    cdef bint _open_piece                # the last message received had no MSG_EOR
    cdef bint _busy                      # a recv is in its system call (GIL released)
    cdef unsigned int _dirty             # headers [0, _dirty) need re-arming before the next recvmmsg
    cdef int _armed_names                # want_addresses the headers are armed for (-1: none yet)
    # per-message metadata: one slot_meta per slot, and numpy views over its fields
    cdef readonly dict _arrays
    cdef slot_meta *_meta

    cdef int _recvmmsg(self, Socket s, unsigned int n, int rflags, bint want_addresses) except -1
    cdef void _arm(self, unsigned int upto, bint want_addresses) noexcept
    cdef void _call_of(self, mmsg_call *c, unsigned int n, int flags, bint want_addresses) noexcept
    cdef object _feed(self, Reassembler r, Batch batch, Py_ssize_t k)


cdef class Batch:
    cdef readonly BatchPool pool
    cdef unsigned long long _generation
    cdef readonly Py_ssize_t n
    cdef readonly bint eof
    cdef readonly bint starts_mid_message
    cdef readonly bint has_addresses
    cdef readonly bint has_notifications
    cdef dict _cache                     # the numpy arrays handed out, made on first access (None: none yet)

    cdef int _check(self, str what) except -1
    cdef Py_ssize_t _index(self, object index) except -1
    cdef Py_ssize_t _at(self, Py_ssize_t i, str what) except -1
    cdef object _array(self, str name)
    cdef object _mask(self, str name, str field, int bit)


cdef class BatchMessage:
    cdef readonly Batch batch
    cdef readonly Py_ssize_t index
    cdef readonly Py_ssize_t length
    cdef readonly int stream
    cdef readonly int ssn
    cdef readonly uint32_t ppid
    cdef readonly uint32_t tsn
    cdef readonly int32_t assoc_id
    cdef readonly int msg_flags
    cdef readonly int rcv_flags
    cdef readonly uint32_t context

    cdef Batch _current(self, str what)
