# cython: language_level=3
"""Batch I/O: many SCTP messages per system call (``recvmmsg`` / ``sendmmsg``).

Receiving
---------
A :class:`BatchPool` owns one contiguous block of ``max_messages x
slot_size`` bytes (``pool.buffer``, a numpy ``uint8`` array of that shape)
plus the ``mmsghdr``/``iovec``/control/address arrays ``recvmmsg`` needs, all
allocated once.  ``pool.recv(sock)`` makes ONE ``recvmmsg`` call: message
*i* lands in row *i* of the block, and its RCVINFO (or legacy SNDRCV) and
NXTINFO are parsed in C into preallocated arrays.  A receive creates one
object, the :class:`Batch`; nothing per message and no numpy object unless
the caller asks for one (``batch[i]``, iteration, ``batch.data(i)``,
``batch.copy(i)``; ``batch.lengths`` and the other arrays are made on first
access and kept by the batch).  ``batch.length(i)``, ``batch.stream(i)``,
``batch.ppid(i)``, ``batch.assoc_id(i)``, ``batch.is_notification(i)`` read
one field straight from the pool.

Lifetime rule (enforced)
------------------------
The next ``pool.recv`` reuses the slots.  A :class:`Batch` and every message
view taken from it are valid until then; ``.copy()`` keeps a message.

* Every batch remembers the pool's *generation*; once the pool has received
  again, touching the stale batch's data or metadata raises
  ``RuntimeError("stale batch: ...")``.  (Metadata already copied into a
  message view -- ``msg.stream``, ``msg.ppid`` ... -- stays readable.)
* ``batch.data(i)`` / ``msg.data`` is a read-only ``memoryview`` straight
  over the slot (zero copy).  The pool counts these exports; while any is
  alive (including numpy arrays or slices made from it) ``pool.recv``
  refuses with ``BufferError`` instead of overwriting memory under it.
  Release them (``del``, ``mv.release()``, ``with batch.data(i) as mv:``)
  or copy first.
* ``pool.buffer`` itself is the raw block: it always shows the latest
  receive and is not protected by either check.

Messages larger than a slot
---------------------------
Never truncated silently: the kernel hands over the first ``slot_size``
bytes without ``MSG_EOR`` (``batch.eor[i]`` is False) and the rest as the
following piece(s) of the same association, in this batch or the next
receive.  ``pool.complete(sock, batch, i)`` returns the whole message as
``bytes``: it joins the pieces in the batch and, when the message runs past
the batch, reads the remainder straight from the socket (outside the pool,
so the batch stays valid).  :func:`reassemble` walks a batch yielding whole
messages this way.

Sending
-------
:func:`send_batch` sends a sequence of buffers (or the rows of a 2-D
C-contiguous array) with ONE ``sendmmsg`` call, an SNDINFO control message
with each message's values, straight from the callers' buffers.  It returns
how many messages the kernel took; on a non-blocking socket that may be
fewer than given (the rest were not sent and can be retried), never lost.
"""

cimport cython
from libc.errno cimport errno, EINTR, EAGAIN, EBADF
from libc.string cimport strlen
from libc.string cimport memset, memcpy
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t, uint64_t, uintptr_t
from cpython.buffer cimport (PyObject_GetBuffer, PyBuffer_Release, PyObject_CheckBuffer,
                             PyBUF_SIMPLE, PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_ND,
                             PyBUF_STRIDES, PyBUF_C_CONTIGUOUS)
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE, PyBytes_CheckExact
from cpython.exc cimport PyErr_CheckSignals
from cpython.list cimport PyList_GET_ITEM
from cpython.object cimport PyObject
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Malloc, PyMem_Calloc, PyMem_Free
from libc.stdlib cimport malloc, free
from cpython.memoryview cimport PyMemoryView_FromObject

from csctp.includes.socket cimport *
from csctp.includes.sctp cimport *
from csctp._errors cimport raise_errno
from csctp._core cimport Socket, as_socket, Reassembler
from csctp._convert cimport as_int
from csctp._message cimport Message, message_new, rcv_meta, parse_rcv_cmsgs
from csctp._addr cimport sockaddr_to_py

cdef extern from "Python.h":
    # raw forms: send_batch holds the items it sends from by pointer, without a list copy
    void _incref "Py_INCREF"(PyObject *o)
    void _decref "Py_DECREF"(PyObject *o)

import numpy as np

cdef enum:
    MAX_POOL_BYTES = 1 << 30
    MAX_SEND_BATCH = 1 << 20
    # A batch call keeps the GIL (with MSG_DONTWAIT: it never waits in the kernel) when the most
    # it can copy is this small, as a per-message call does up to 64 KiB: handing the GIL over
    # and taking it back is most of a small batch's cost in user space (a receiver that keeps up
    # gets 1-2 messages a call), and tens of microseconds natively are far below the 5 ms after
    # which another thread would ask for it.  A receive copies at most its slots (the default
    # 64 x 4 KiB pool: 256 KiB); a send runs the transmit path per message, so its bound is lower.
    BATCH_RECV_HOLD_MAX = 262144
    BATCH_SEND_HOLD_MAX = 65536

cdef Py_ssize_t _ONE = 1
cdef char *_FMT_B = b"B"

# each metadata array: name, buffer format (native byte order), item size; a strided view
# over that field of every slot's slot_meta (offsets from _meta_offsets)
_ARRAY_SPECS = (
    ("lengths", b"I", 4), ("streams", b"H", 2), ("ppids", b"I", 4), ("assoc_ids", b"i", 4),
    ("msg_flags", b"i", 4), ("rcv_flags", b"H", 2), ("ssns", b"H", 2), ("tsns", b"I", 4),
    ("cumtsns", b"I", 4), ("contexts", b"I", 4), ("info", b"B", 1), ("nxt_lengths", b"I", 4),
    ("nxt_streams", b"H", 2), ("nxt_ppids", b"I", 4), ("nxt_flags", b"H", 2),
)


cdef dict _meta_offsets():
    """Byte offset of each array's field in a slot_meta (same order as _ARRAY_SPECS)."""
    cdef slot_meta x
    cdef char *b = <char *>&x
    return {
        "lengths": <char *>&x.length - b, "streams": <char *>&x.rcv.stream - b, "ppids": <char *>&x.rcv.ppid - b,
        "assoc_ids": <char *>&x.rcv.assoc_id - b, "msg_flags": <char *>&x.msg_flags - b,
        "rcv_flags": <char *>&x.rcv.flags - b, "ssns": <char *>&x.rcv.ssn - b, "tsns": <char *>&x.rcv.tsn - b,
        "cumtsns": <char *>&x.rcv.cumtsn - b, "contexts": <char *>&x.rcv.context - b,
        "info": <char *>&x.rcv.info - b, "nxt_lengths": <char *>&x.rcv.nxt_length - b,
        "nxt_streams": <char *>&x.rcv.nxt_stream - b, "nxt_ppids": <char *>&x.rcv.nxt_ppid - b,
        "nxt_flags": <char *>&x.rcv.nxt_flags - b,
    }


cdef class _Memory:
    """The pool's slot block and metadata block: freed when the pool and every array over them are gone."""
    cdef char *block
    cdef char *meta

    def __init__(self, *args, **kwargs):
        raise TypeError("cannot create csctp._batch._Memory instances")

    def __dealloc__(self):
        PyMem_Free(self.block)
        PyMem_Free(self.meta)


cdef class _Region:
    """A buffer export over part of a pool's own memory, for the numpy arrays the pool hands out.

    It keeps the memory alive as long as any array made from it exists (and
    holds no reference to the pool, which holds the arrays: no cycle), and
    numpy cannot resize an array that does not own its data.
    """
    cdef _Memory mem
    cdef char *ptr
    cdef int ndim
    cdef Py_ssize_t shape[2]
    cdef Py_ssize_t strides[2]
    cdef Py_ssize_t itemsize
    cdef bytes fmt
    cdef bint writable

    def __init__(self, *args, **kwargs):
        raise TypeError("cannot create csctp._batch._Region instances")

    def __getbuffer__(self, Py_buffer *b, int flags):
        if (flags & PyBUF_WRITABLE) and not self.writable:
            raise BufferError("batch metadata is read-only (it lives in the receive pool)")
        if self.ndim == 1 and self.strides[0] != self.itemsize and (flags & PyBUF_STRIDES) != PyBUF_STRIDES:
            raise BufferError("batch metadata in the pool is strided (one record per slot): ask for strides")
        b.buf = self.ptr
        b.obj = self
        b.len = self.shape[0] * (self.shape[1] if self.ndim == 2 else 1) * self.itemsize
        b.readonly = 0 if self.writable else 1
        b.itemsize = self.itemsize
        b.format = <char *>self.fmt if (flags & PyBUF_FORMAT) else NULL
        b.ndim = self.ndim
        b.shape = self.shape if (flags & PyBUF_ND) else NULL
        b.strides = self.strides if ((flags & PyBUF_STRIDES) == PyBUF_STRIDES) else NULL
        b.suboffsets = NULL
        b.internal = NULL


cdef object _region_array(BatchPool pool, char *ptr, Py_ssize_t n, Py_ssize_t itemsize, bytes fmt,
                          Py_ssize_t rowlen=0, bint writable=False, Py_ssize_t stride=0):
    """A numpy array over pool memory: 1-D of *n* items *stride* bytes apart (0: packed), or
    2-D (*n*, *rowlen*) bytes."""
    cdef _Region r = _Region.__new__(_Region)
    r.mem = <_Memory>pool._mem
    r.ptr = ptr
    r.itemsize = itemsize
    r.fmt = fmt
    r.writable = writable
    if rowlen:
        r.ndim = 2
        r.shape[0] = n
        r.shape[1] = rowlen
        r.strides[0] = rowlen
        r.strides[1] = 1
    else:
        r.ndim = 1
        r.shape[0] = n
        r.strides[0] = stride if stride else itemsize
    return np.asarray(r)


cdef void _arm_hdrs(mmsg_call *c, unsigned int upto) noexcept nogil:
    """Point headers [0, upto) at their slot, control buffer and (if wanted) address space."""
    cdef unsigned int i
    cdef msghdr *m
    for i in range(upto):
        m = &c.hdrs[i].msg_hdr
        m.msg_name = &c.names[i] if c.names != NULL else NULL
        m.msg_iov = &c.iovs[i]
        m.msg_iovlen = 1
        m.msg_control = c.cbufs + i * c.cspace
        m.msg_flags = 0
        c.hdrs[i].msg_len = 0
    _rearm_hdrs(c, upto)


cdef inline void _rearm_hdrs(mmsg_call *c, unsigned int upto) noexcept nogil:
    """Reset what a receive into headers [0, upto) rewrote: the kernel writes back the lengths
    of the address and control data (and msg_flags, msg_len, which are outputs only), never
    the pointers."""
    cdef unsigned int i
    cdef socklen_t namelen = sizeof(sockaddr_storage) if c.names != NULL else 0
    for i in range(upto):
        c.hdrs[i].msg_hdr.msg_namelen = namelen
        c.hdrs[i].msg_hdr.msg_controllen = c.cspace


cdef Py_ssize_t _recvmmsg_impl(int fd, void *arg) noexcept nogil:
    cdef mmsg_call *c = <mmsg_call *>arg
    cdef int r = recvmmsg(fd, c.hdrs, c.n, c.flags, NULL)
    if r < 0:
        _rearm_hdrs(c, c.n)             # a failed call may have touched the first header (no libc call: errno stays)
    return r


cdef Py_ssize_t _sendmmsg_impl(int fd, void *arg) noexcept nogil:
    cdef mmsg_call *c = <mmsg_call *>arg
    return sendmmsg(fd, c.hdrs, c.n, c.flags | MSG_NOSIGNAL)


cdef inline void _parse_one(BatchPool pool, Py_ssize_t i) noexcept:
    """Message *i*'s control messages into its slot_meta (the one parser, csctp._message)."""
    cdef msghdr *m = &pool._hdrs[i].msg_hdr
    cdef slot_meta *sm = &pool._meta[i]
    parse_rcv_cmsgs(m, &sm.rcv)
    sm.length = pool._hdrs[i].msg_len
    sm.msg_flags = m.msg_flags


_FUZZ_POOL = None


def _parse_control(data, int msg_flags=0, Py_ssize_t msg_len=0):
    """Fuzz and test entry point: parse *data* as one received message's control buffer,
    as :meth:`BatchPool.recv` does, and return that slot's metadata as a dict.

    The bytes are copied into a heap block of exactly their length, so a
    sanitizer build reports any read past them.
    """
    global _FUZZ_POOL
    cdef const unsigned char[:] v = data
    cdef Py_ssize_t n = v.shape[0]
    cdef BatchPool pool
    cdef msghdr *m
    cdef void *saved
    cdef size_t saved_len
    cdef void *buf
    if _FUZZ_POOL is None:
        _FUZZ_POOL = BatchPool(1, 16)
    pool = <BatchPool>_FUZZ_POOL
    m = &pool._hdrs[0].msg_hdr
    buf = malloc(n if n else 1)
    if buf == NULL:
        raise MemoryError()
    saved, saved_len = m.msg_control, m.msg_controllen
    try:
        if n:
            memcpy(buf, &v[0], n)
        m.msg_control = buf
        m.msg_controllen = n
        m.msg_flags = msg_flags
        pool._hdrs[0].msg_len = <unsigned int>msg_len
        _parse_one(pool, 0)
    finally:
        m.msg_control, m.msg_controllen = saved, saved_len
        pool._dirty = pool.max_messages
        free(buf)
    return {name: arr[0].item() for name, arr in pool._arrays.items()}


cdef class BatchPool:
    """A preallocated, reusable receive pool for :meth:`recv` (``recvmmsg``).

    ``BatchPool(max_messages=64, slot_size=4096)``: one contiguous block of
    *max_messages* slots of *slot_size* bytes (``.buffer``, a numpy
    ``uint8`` array of shape ``(max_messages, slot_size)``), and the
    per-message metadata arrays, all allocated here once and reused by every
    receive.  See the module docstring for the lifetime rule.
    """

    def __cinit__(self, max_messages=64, slot_size=4096):
        cdef Py_ssize_t i
        cdef size_t hdr_bytes
        cdef _Memory mem
        self._hdrs = NULL
        cdef long long nmax = as_int(max_messages, "BatchPool: max_messages", 1, 1024)   # the kernel's UIO_MAXIOV
        cdef long long slot = as_int(slot_size, "BatchPool: slot_size", 1, MAX_POOL_BYTES)
        if nmax * slot > MAX_POOL_BYTES:
            raise ValueError(f"BatchPool: max_messages * slot_size must be at most {MAX_POOL_BYTES} bytes, "
                             f"got {nmax} * {slot}")
        self.max_messages = <int>nmax
        self.slot_size = <Py_ssize_t>slot
        # The pool allocates its memory itself and lends it out as arrays that do not own it:
        # numpy refuses to resize those, and each keeps the memory alive for as long as it lives.
        mem = _Memory.__new__(_Memory)
        self._mem = mem
        mem.block = <char *>PyMem_Calloc(<size_t>(nmax * slot), 1)
        mem.meta = <char *>PyMem_Calloc(<size_t>nmax, sizeof(slot_meta))
        if mem.block == NULL or mem.meta == NULL:
            raise MemoryError()
        self._block = mem.block
        self.buffer = _region_array(self, self._block, nmax, 1, b"B", self.slot_size, True)
        self._meta = <slot_meta *>mem.meta
        self._arrays = {}
        offsets = _meta_offsets()
        for name, fmt, size in _ARRAY_SPECS:
            self._arrays[name] = _region_array(self, mem.meta + <Py_ssize_t>offsets[name], nmax, size, fmt,
                                               0, False, sizeof(slot_meta))
        # one allocation for the C-side arrays; every piece a multiple of 8 bytes
        self._cspace = (CSCTP_RECV_CMSG_SPACE + 15) & ~(<size_t>15)
        hdr_bytes = nmax * (sizeof(mmsghdr) + sizeof(iovec) + self._cspace + sizeof(sockaddr_storage))
        self._hdrs = <mmsghdr *>PyMem_Malloc(hdr_bytes)
        if self._hdrs == NULL:
            raise MemoryError()
        memset(self._hdrs, 0, hdr_bytes)
        self._names = <sockaddr_storage *>(<char *>self._hdrs + nmax * sizeof(mmsghdr))
        self._iovs = <iovec *>(<char *>self._names + nmax * sizeof(sockaddr_storage))
        self._cbufs = <char *>self._iovs + nmax * sizeof(iovec)
        for i in range(nmax):
            self._iovs[i].iov_base = self._block + i * self.slot_size
            self._iovs[i].iov_len = self.slot_size
        self._exports = 0
        self._generation = 0
        self._open_piece = False
        self._dirty = 0
        self._armed_names = -1

    def __dealloc__(self):
        PyMem_Free(self._hdrs)
        self._hdrs = NULL

    @property
    def generation(self):
        """How many receives this pool has started; a batch is current while its generation matches."""
        return self._generation

    @property
    def exports(self):
        """How many memoryviews into the slots are alive (``recv`` refuses while this is not 0)."""
        return self._exports

    def __repr__(self):
        return (f"<csctp.BatchPool max_messages={self.max_messages} slot_size={self.slot_size} "
                f"generation={self._generation} exports={self._exports}>")

    def recv(self, sock, max_messages=None, flags=0, *, bint want_addresses=False):
        """Receive up to *max_messages* (default: all slots) with ONE ``recvmmsg`` call: a :class:`Batch`.

        *sock*: a :class:`csctp.Socket` (or an Association/Endpoint), a
        ``socket.socket`` or a file descriptor (see ``csctp._core.as_socket``
        for what a descriptor csctp does not own gets).  Blocking sockets wait
        for at least one message and return as soon as one is there
        (``MSG_WAITFORONE``) with everything already queued, up to the limit;
        non-blocking ones raise ``BlockingIOError`` when nothing is queued; a
        timeout raises ``TimeoutError``.  With *want_addresses* the sender's
        address of each message is kept (:meth:`Batch.addresses`).

        Makes every earlier batch from this pool stale.  Raises
        ``BufferError`` while memoryviews into the pool's slots are still alive.
        """
        cdef Socket s = as_socket(sock)
        cdef unsigned int n
        cdef Py_ssize_t k
        cdef int r, rflags
        cdef int fl = <int>as_int(flags, "BatchPool.recv: flags", 0, 0x7FFFFFFF)
        cdef Batch b
        if max_messages is None:
            n = self.max_messages
        else:
            n = <unsigned int>as_int(max_messages, "BatchPool.recv: max_messages", 1, self.max_messages)
        if self._exports:
            raise BufferError(
                f"BatchPool.recv: {self._exports} memoryview(s) into this pool's slots are still alive; "
                f"the receive would overwrite them.  Release them (del / .release() / 'with' block) "
                f"or keep the messages with .copy() first")
        if self._busy:
            # the GIL is released in recvmmsg: a second thread would have the kernel write the same slots
            raise RuntimeError("BatchPool.recv: another thread is receiving into this pool; use one pool per thread")
        self._generation += 1
        rflags = fl | MSG_WAITFORONE
        self._busy = True
        try:
            r = self._recvmmsg(s, n, rflags, want_addresses)
        finally:
            self._busy = False
        b = Batch.__new__(Batch)
        b.pool = self
        b._generation = self._generation
        b.has_addresses = want_addresses
        b.starts_mid_message = self._open_piece
        k = 0
        while k < r:
            # one-to-one end of association: recvmsg keeps returning 0, and recvmmsg fills
            # every remaining entry with those empty reads
            if self._hdrs[k].msg_len == 0 and not (self._hdrs[k].msg_hdr.msg_flags & MSG_NOTIFICATION):
                b.eof = True
                break
            _parse_one(self, k)
            if self._meta[k].msg_flags & MSG_NOTIFICATION:
                b.has_notifications = True
            k += 1
        b.n = k
        if s._closing and b.eof:
            # empty reads after close() are its own SHUT_RD, not the peer's end
            b.eof = False
            if k == 0:
                raise OSError(EBADF, "recvmmsg: the socket was closed while the call was in progress")
        if k:
            self._open_piece = not (self._meta[k - 1].msg_flags & MSG_EOR)
        return b

    cdef void _arm(self, unsigned int upto, bint want_addresses) noexcept:
        """Set headers [0, upto) up from scratch (pointers and lengths)."""
        cdef mmsg_call c
        self._call_of(&c, upto, 0, want_addresses)
        _arm_hdrs(&c, upto)

    cdef void _call_of(self, mmsg_call *c, unsigned int n, int flags, bint want_addresses) noexcept:
        c.hdrs = self._hdrs
        c.n = n
        c.flags = flags
        c.iovs = self._iovs
        c.names = self._names if want_addresses else NULL
        c.cbufs = self._cbufs
        c.cspace = self._cspace

    cdef int _recvmmsg(self, Socket s, unsigned int n, int rflags, bint want_addresses) except -1:
        cdef mmsg_call c
        cdef int r
        cdef bint hold = s.may_hold(<size_t>n * <size_t>self.slot_size, BATCH_RECV_HOLD_MAX)
        # Only the headers the last call filled are re-armed: with small batches (a receiver
        # faster than its sender gets 1-2 messages a call) re-arming all slots every call
        # would cost more than parsing what arrived.
        if self._armed_names != <int>want_addresses:
            self._arm(self.max_messages, want_addresses)
            self._armed_names = want_addresses
        self._call_of(&c, n, (rflags | MSG_DONTWAIT) if hold else rflags, want_addresses)
        if self._dirty:
            _rearm_hdrs(&c, self._dirty)
        self._dirty = 0
        try:
            r = <int>s.call(POLLIN, _recvmmsg_impl, &c, "recvmmsg", hold)
        except BaseException:
            self._dirty = n
            raise
        self._dirty = <unsigned int>r
        return r

    def complete(self, sock, Batch batch, i, max_size=16 * 1024 * 1024):
        """The whole message whose first piece is ``batch[i]``, as ``bytes``.

        Joins pieces *i* .. the first with ``MSG_EOR`` in the batch; when the
        message runs past the batch, reads the rest straight from *sock*
        (not into the pool: the batch stays valid).  A message longer than
        *max_size* is drained and raises ``ValueError``.  See
        :meth:`Batch.message_end` for the index of the last piece used.

        When reading the rest ends early (a timeout, ``BlockingIOError``, a
        signal), the pieces read so far are kept: call ``complete`` again with
        the same batch and index (or, once the pool has received again, with
        the new batch, whose first piece continues the message) and it goes on
        where it stopped.  A message is never returned spliced.
        """
        cdef list parts = []
        cdef Py_ssize_t j, total = 0
        cdef Py_ssize_t k = <Py_ssize_t>as_int(i, "BatchPool.complete: i", -0x7FFFFFFF, 0x7FFFFFFF)
        cdef Py_ssize_t limit = <Py_ssize_t>as_int(max_size, "BatchPool.complete: max_size", 1, 1 << 40)
        cdef Reassembler r
        cdef Socket s
        if batch.pool is not self:
            raise ValueError("BatchPool.complete: the batch comes from another pool")
        batch._check("complete")
        k = batch._index(k)
        key = (batch._generation, k)
        if self._rest is not None and (self._rest_key == key or (k == 0 and batch.starts_mid_message)):
            r = <Reassembler>self._rest          # carry on with the message an earlier call began
            if self._rest_key != key:
                whole = self._feed(r, batch, 0)  # this batch holds its next pieces
                if whole is not None:
                    self._rest = None
                    self._open_piece = False if batch.message_end(0) == batch.n - 1 else self._open_piece
                    return whole.data
        else:
            j = k
            while j < batch.n:
                total += self._meta[j].length
                parts.append(PyBytes_FromStringAndSize(self._block + j * self.slot_size, self._meta[j].length))
                if self._meta[j].msg_flags & MSG_EOR:
                    if total > limit:
                        raise ValueError(f"BatchPool.complete: message of {total} bytes exceeds max_size={max_size}")
                    return b"".join(parts)
                j += 1
            r = Reassembler(limit)
            self._feed(r, batch, k)             # no piece here ends it: the scan above found none
        self._rest = r
        self._rest_key = key
        s = as_socket(sock)
        chunk = max(self.slot_size, 65536)
        while True:
            m = s.recv(chunk)                   # an exception leaves the pieces in self._rest
            if m.is_notification:
                # Linux holds notifications back during partial delivery (the pd lobby), so this only
                # happens when the delivery was aborted: the rest of the message will never come
                self._rest = None
                raise ConnectionError("BatchPool.complete: partial delivery aborted (a notification arrived "
                                      "before the end of the message)")
            if not m.data:
                self._rest = None
                raise ConnectionError("BatchPool.complete: the association ended in the middle of a message")
            try:
                whole = r.feed(m)
            except ValueError:
                self._rest = None
                raise ValueError(f"BatchPool.complete: message exceeds max_size={max_size} (discarded)") from None
            if whole is not None:
                self._rest = None
                if batch._generation == self._generation:
                    self._open_piece = False
                return whole.data

    cdef object _feed(self, Reassembler r, Batch batch, Py_ssize_t k):
        """Feed pieces k.. of *batch* into *r* up to the one that ends the message: the whole one, or None."""
        cdef Message m
        cdef Py_ssize_t j
        for j in range(k, batch.n):
            m = message_new()
            m.data = PyBytes_FromStringAndSize(self._block + j * self.slot_size, self._meta[j].length)
            m.stream = self._meta[j].rcv.stream
            m.assoc_id = self._meta[j].rcv.assoc_id
            m.msg_flags = self._meta[j].msg_flags
            whole = r.feed(m)
            if whole is not None:
                return whole
        return None


@cython.freelist(8)         # one per receive: reuse instead of malloc/free
cdef class Batch:
    """The messages one :meth:`BatchPool.recv` call received (valid until the pool's next receive).

    ``len(batch)`` messages.  One field of message *i*, straight from the
    pool (no numpy, no object per message): ``length(i)``, ``stream(i)``,
    ``ppid(i)`` (host order), ``assoc_id(i)``, ``is_notification(i)``.
    Numpy arrays of length ``len(batch)``, made on first access and kept:
    ``lengths``, ``streams``, ``ppids``, ``assoc_ids``, ``msg_flags``,
    ``rcv_flags``, ``ssns``, ``tsns``, ``cumtsns``, ``contexts``, ``nxt_*``
    (NXTINFO when enabled), and boolean ``eor``, ``notification``,
    ``unordered``.  ``data(i)`` is a zero-copy read-only memoryview;
    ``copy(i)`` gives bytes; ``batch[i]`` and iteration give
    :class:`BatchMessage` views.  ``has_notifications`` is True when a slot
    holds a notification; ``eof`` is True when the peer ended the
    (one-to-one) association after these messages.
    """

    def __cinit__(self):
        self.n = 0
        self.eof = False
        self.has_notifications = False
        self._cache = None

    def __init__(self, *args, **kwargs):
        raise TypeError("Batch objects come from BatchPool.recv(); they cannot be created directly")

    cdef int _check(self, str what) except -1:
        if self.pool is None:
            raise RuntimeError(f"{what} of a Batch that no BatchPool.recv() made")
        if self._generation != self.pool._generation:
            raise RuntimeError(
                f"stale batch: {what} of a batch whose pool has received again since (the slots were "
                f"reused); call .copy() to keep a message beyond the next BatchPool.recv")
        return 0

    cdef Py_ssize_t _index(self, object index) except -1:
        cdef Py_ssize_t i = <Py_ssize_t>as_int(index, "batch index", -0x7FFFFFFF, 0x7FFFFFFF)
        return self._at(i, "batch index")

    cdef Py_ssize_t _at(self, Py_ssize_t i, str what) except -1:
        """Index *i* (negative from the end) checked against this batch, which must be current."""
        if self.pool is None or self._generation != self.pool._generation:
            self._check(what)
        if i < 0:
            i += self.n
        if i < 0 or i >= self.n:
            raise IndexError(f"{what} out of range (batch has {self.n} messages)")
        return i

    cdef object _array(self, str name):
        self._check(name)
        if self._cache is None:
            self._cache = {}
        a = self._cache.get(name)
        if a is None:
            # a copy (len(batch) items), made once per batch: metadata never changes under a
            # caller who keeps it past the next receive, and holding it does not block that receive
            a = self.pool._arrays[name][:self.n].copy()
            a.flags.writeable = False       # as read-only as the metadata it was copied from
            self._cache[name] = a
        return a

    @property
    def stale(self):
        """True once the pool has received again (the data are gone)."""
        return self.pool is None or self._generation != self.pool._generation

    def __len__(self):
        return self.n

    def __repr__(self):
        state = "stale" if self.stale else "current"
        return f"<csctp.Batch {self.n} messages ({state}){' eof' if self.eof else ''}>"

    # one field of one message, from the pool's C arrays: no numpy, no object per message
    def length(self, Py_ssize_t i):
        """Length in bytes of message *i* (of this piece, for a message larger than a slot)."""
        return self.pool._meta[self._at(i, "Batch.length")].length

    def stream(self, Py_ssize_t i):
        """Stream of message *i*."""
        return self.pool._meta[self._at(i, "Batch.stream")].rcv.stream

    def ppid(self, Py_ssize_t i):
        """Payload protocol identifier of message *i* (host order)."""
        return self.pool._meta[self._at(i, "Batch.ppid")].rcv.ppid

    def assoc_id(self, Py_ssize_t i):
        """Association id of message *i*."""
        return self.pool._meta[self._at(i, "Batch.assoc_id")].rcv.assoc_id

    def is_notification(self, Py_ssize_t i):
        """True when slot *i* holds a kernel notification (MSG_NOTIFICATION), not user data."""
        return (self.pool._meta[self._at(i, "Batch.is_notification")].msg_flags & MSG_NOTIFICATION) != 0

    # metadata: numpy arrays, copied out of the pool on first access
    @property
    def lengths(self): return self._array("lengths")
    @property
    def streams(self): return self._array("streams")
    @property
    def ppids(self): return self._array("ppids")
    @property
    def assoc_ids(self): return self._array("assoc_ids")
    @property
    def msg_flags(self): return self._array("msg_flags")
    @property
    def rcv_flags(self): return self._array("rcv_flags")
    @property
    def ssns(self): return self._array("ssns")
    @property
    def tsns(self): return self._array("tsns")
    @property
    def cumtsns(self): return self._array("cumtsns")
    @property
    def contexts(self): return self._array("contexts")
    @property
    def info(self):
        """Bit 1: RCVINFO (or SNDRCV) came with the message; bit 2: NXTINFO did."""
        return self._array("info")
    @property
    def nxt_lengths(self): return self._array("nxt_lengths")
    @property
    def nxt_streams(self): return self._array("nxt_streams")
    @property
    def nxt_ppids(self): return self._array("nxt_ppids")
    @property
    def nxt_flags(self): return self._array("nxt_flags")

    cdef object _mask(self, str name, str field, int bit):
        # derived arrays are cached like the others: a loop over batch.eor[i] makes one array, not n
        self._check(name)
        if self._cache is not None and name in self._cache:
            return self._cache[name]
        a = (self._array(field) & bit) != 0
        a.flags.writeable = False
        self._cache[name] = a
        return a

    @property
    def eor(self):
        """bool array: the message (or its last piece) ends here (MSG_EOR); False for a partial piece."""
        return self._mask("eor", "msg_flags", MSG_EOR)

    @property
    def notification(self):
        """bool array: the slot holds a kernel notification (MSG_NOTIFICATION), not user data."""
        return self._mask("notification", "msg_flags", MSG_NOTIFICATION)

    @property
    def unordered(self):
        """bool array: sent with SCTP_UNORDERED."""
        return self._mask("unordered", "rcv_flags", SCTP_UNORDERED)

    def data(self, i):
        """Message *i* as a read-only memoryview over its pool slot (no copy).

        Counts as an export: release it before the pool's next receive.
        """
        return self[i].data

    def copy(self, i):
        """Message *i* as ``bytes`` (one copy): survives the pool's next receive."""
        cdef BatchPool p = self.pool
        cdef Py_ssize_t k
        self._check("copy")
        k = self._index(i)
        return PyBytes_FromStringAndSize(p._block + k * p.slot_size, p._meta[k].length)

    def addresses(self, i=None):
        """The sender address of message *i*, or a list for all (needs ``recv(..., want_addresses=True)``)."""
        cdef BatchPool p = self.pool
        cdef Py_ssize_t k
        self._check("addresses")
        if not self.has_addresses:
            raise ValueError("Batch.addresses: receive with pool.recv(..., want_addresses=True) to keep sender addresses")
        if i is not None:
            k = self._index(i)
            return _address(p, k)
        return [_address(p, k) for k in range(self.n)]

    def message_end(self, i):
        """Index of the piece that ends the message starting at *i* (MSG_EOR), or -1 when it continues past the batch."""
        cdef BatchPool p = self.pool
        cdef Py_ssize_t j
        self._check("message_end")
        j = self._index(i)
        while j < self.n:
            if p._meta[j].msg_flags & MSG_EOR:
                return j
            j += 1
        return -1

    def __getitem__(self, i):
        self._check("message")
        return _message_view(self, self._index(i))

    def __iter__(self):
        cdef _BatchIter it
        self._check("iteration")
        it = _BatchIter.__new__(_BatchIter)
        it.batch = self
        it.i = 0
        return it


cdef BatchMessage _message_view(Batch b, Py_ssize_t k):
    """The view of message *k* of the current batch *b* (checked by the caller)."""
    cdef BatchPool p = b.pool
    cdef BatchMessage m = BatchMessage.__new__(BatchMessage)
    cdef slot_meta *sm = &p._meta[k]
    m.batch = b
    m.index = k
    m.length = sm.length
    m.stream = sm.rcv.stream
    m.ssn = sm.rcv.ssn
    m.ppid = sm.rcv.ppid
    m.tsn = sm.rcv.tsn
    m.assoc_id = sm.rcv.assoc_id
    m.msg_flags = sm.msg_flags
    m.rcv_flags = sm.rcv.flags
    m.context = sm.rcv.context
    return m


@cython.final
cdef class _BatchIter:
    """``iter(batch)``: one :class:`BatchMessage` per step, the batch's currency checked at each."""
    cdef Batch batch
    cdef Py_ssize_t i

    def __iter__(self):
        return self

    def __next__(self):
        cdef Batch b = self.batch
        if self.i >= b.n:
            raise StopIteration
        if b._generation != b.pool._generation:
            b._check("iteration")
        self.i += 1
        return _message_view(b, self.i - 1)


cdef object _address(BatchPool p, Py_ssize_t k):
    cdef socklen_t nl = p._hdrs[k].msg_hdr.msg_namelen
    if nl == 0:
        return None
    return sockaddr_to_py(<sockaddr *>&p._names[k], nl)


@cython.freelist(64)        # one per message a caller looks at: reuse instead of malloc/free
cdef class BatchMessage:
    """A light view of one message in a :class:`Batch` (metadata copied, data not).

    ``data`` is a zero-copy read-only memoryview over the pool slot (valid
    until the pool's next receive); ``copy()`` returns bytes.  ``stream``,
    ``ssn``, ``ppid`` (host order), ``tsn``, ``assoc_id``, ``context``,
    ``msg_flags``, ``rcv_flags`` stay readable after the batch goes stale.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("BatchMessage objects come from a Batch (batch[i]); they cannot be created directly")

    cdef Batch _current(self, str what):
        if self.batch is None:
            raise RuntimeError(f"{what} of a BatchMessage that no Batch made")
        self.batch._check(what)
        return self.batch

    @property
    def data(self):
        """Read-only memoryview over the pool slot (no copy)."""
        return PyMemoryView_FromObject(self)

    def copy(self):
        """The payload as ``bytes`` (one copy)."""
        cdef BatchPool p = self._current("copy").pool
        return PyBytes_FromStringAndSize(p._block + self.index * p.slot_size, self.length)

    @property
    def eor(self):
        """True when this is the end of a message; False for a partial piece (message larger than the slot)."""
        return (self.msg_flags & MSG_EOR) != 0

    @property
    def is_notification(self):
        """True when the data is a kernel notification (parse it with csctp's notification parser)."""
        return (self.msg_flags & MSG_NOTIFICATION) != 0

    @property
    def unordered(self):
        return (self.rcv_flags & SCTP_UNORDERED) != 0

    @property
    def addr(self):
        """The sender's address (with ``want_addresses=True``), else None."""
        self._current("addr")
        if not self.batch.has_addresses:
            return None
        return _address(self.batch.pool, self.index)

    def __len__(self):
        return self.length

    def __repr__(self):
        kind = "notification" if self.is_notification else "message"
        return (f"<csctp.BatchMessage #{self.index} {kind} {self.length} bytes stream={self.stream} "
                f"ppid={self.ppid} assoc_id={self.assoc_id} eor={self.eor}>")

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        cdef BatchPool p = self._current("data").pool
        if flags & PyBUF_WRITABLE:
            raise BufferError("batch message data is read-only (it lives in the receive pool); use .copy()")
        buffer.buf = p._block + self.index * p.slot_size
        buffer.obj = self
        buffer.len = self.length
        buffer.readonly = 1
        buffer.itemsize = 1
        buffer.format = _FMT_B if (flags & PyBUF_FORMAT) else NULL
        buffer.ndim = 1
        buffer.shape = &self.length if (flags & PyBUF_ND) else NULL
        buffer.strides = &_ONE if ((flags & PyBUF_STRIDES) == PyBUF_STRIDES) else NULL
        buffer.suboffsets = NULL
        buffer.internal = NULL
        p._exports += 1

    def __releasebuffer__(self, Py_buffer *buffer):
        self.batch.pool._exports -= 1


def reassemble(BatchPool pool, sock, Batch batch, max_size=16 * 1024 * 1024):
    """Yield ``(index, data)`` for each whole message in *batch*.

    Single-piece messages come as zero-copy memoryviews (release them before
    the next receive); messages split across slots are joined (reading their
    remainder from *sock* if needed, see :meth:`BatchPool.complete`) and
    come as ``bytes``.  Use it on every batch: a batch that begins with the
    tail of a message started in an earlier, unreassembled batch raises
    ``RuntimeError``.
    """
    cdef Py_ssize_t i = 0, j
    if batch.starts_mid_message:
        if pool._rest is None:
            raise RuntimeError("reassemble: this batch begins in the middle of a message whose first piece was "
                               "in an earlier batch; complete() or reassemble() every batch that ends in a "
                               "partial piece")
        # an earlier complete() stopped early (a timeout): this batch carries the message on
        j = batch.message_end(0)
        yield 0, pool.complete(sock, batch, 0, max_size)
        i = batch.n if j < 0 else j + 1
    while i < batch.n:
        j = batch.message_end(i)
        if j == i:
            yield i, batch.data(i)
            i += 1
        else:
            yield i, pool.complete(sock, batch, i, max_size)
            i = batch.n if j < 0 else j + 1


# ---- sending ------------------------------------------------------------------

cdef object _per_message(object v, Py_ssize_t n, long long lo, long long hi, str name):
    """None, an int (one value for all), or ``bytes`` holding *n* native int64 values checked against lo..hi.

    A list or tuple of Python ints is converted here, without numpy: a small
    batch (an echo of the one or two messages a call brought) must not pay
    numpy's fixed cost per call.  Anything else goes through ``np.asarray``.
    """
    cdef object a
    cdef bytes out
    cdef long long *p
    cdef long long x
    cdef int overflow
    cdef Py_ssize_t i
    if v is None:
        return None
    if type(v) is list or type(v) is tuple:
        if len(v) == n:
            out = PyBytes_FromStringAndSize(NULL, n * sizeof(long long))
            p = <long long *>PyBytes_AS_STRING(out)
            for i in range(n):
                e = v[i]
                if type(e) is not int:
                    break                       # numpy values, bools, floats ...: the general path decides
                x = PyLong_AsLongLongAndOverflow(e, &overflow)
                if overflow or x < lo or x > hi:
                    raise ValueError(f"send_batch: {name} must be in {lo}..{hi}, got {e}")
                p[i] = x
            else:
                return out
    elif type(v) is int:
        x = PyLong_AsLongLongAndOverflow(v, &overflow)
        if overflow or x < lo or x > hi:
            raise ValueError(f"send_batch: {name} must be in {lo}..{hi}, got {v}")
        return v
    elif isinstance(v, (bool, np.bool_)):
        raise TypeError(f"send_batch: {name} must be an int or a sequence of ints, got bool")
    elif isinstance(v, (int, np.integer)):
        xv = int(v)
        if xv < lo or xv > hi:
            raise ValueError(f"send_batch: {name} must be in {lo}..{hi}, got {xv}")
        return xv
    try:
        a = np.asarray(v)
    except Exception as e:
        raise TypeError(f"send_batch: {name} must be an int or a sequence of ints, got {type(v).__name__}") from None
    if a.ndim != 1:
        raise ValueError(f"send_batch: {name} must be an int or a 1-D sequence, got shape {a.shape}")
    if a.shape[0] != n:
        raise ValueError(f"send_batch: {name} has {a.shape[0]} values for {n} messages")
    if a.dtype.kind not in "iu":
        raise TypeError(f"send_batch: {name} must hold integers, got dtype {a.dtype}")
    if n and (a.min() < lo or a.max() > hi):
        bad = a[(a < lo) | (a > hi)][0]
        raise ValueError(f"send_batch: {name} must be in {lo}..{hi}, got {int(bad)}")
    return np.ascontiguousarray(a, dtype=np.int64).tobytes()


cdef inline long long _pick(const long long *arr, long long scalar, Py_ssize_t i) noexcept nogil:
    return scalar if arr == NULL else arr[i]


cdef inline const long long *_values(object a, long long *scalar) noexcept:
    """What _per_message returned, as a pointer to per-message values (NULL: *scalar* for all)."""
    if a is None:
        scalar[0] = 0
        return NULL
    if type(a) is bytes:
        return <const long long *>PyBytes_AS_STRING(a)
    scalar[0] = <long long>a
    return NULL


def send_batch(sock, buffers, streams=None, ppids=None, flags=None, assoc_ids=None, contexts=None):
    """Send many messages with ONE ``sendmmsg`` call; returns how many were sent.

    *buffers*: a sequence of C-contiguous bytes-like objects (bytes,
    bytearray, memoryview, numpy arrays ...) or a 2-D C-contiguous array
    whose rows are the messages; sent straight from the callers' memory.
    *streams*, *ppids* (host order), *flags* (``SCTP_UNORDERED`` ...),
    *assoc_ids* (one-to-many) and *contexts*: an int for all messages or a
    sequence / numpy array with one value per message; each message is
    sent with an SNDINFO control message holding its values (one shared
    by all when every value is one int for all).

    Everything is validated before the first system call.  On a
    non-blocking socket whose send buffer fills, returns the number the
    kernel took (possibly fewer than given: those were sent, the rest were
    not and can be retried); raises ``BlockingIOError`` only when none was
    taken.  A blocking socket sends all of them; with a timeout, it returns
    the number sent when the timeout expires after some went, and raises
    ``TimeoutError`` when none did.  Any other error (a stream beyond the
    negotiated count, the association gone ...) is raised, with the number
    of messages sent before it in the exception's ``sent`` attribute.
    """
    cdef Socket s = as_socket(sock)
    cdef mmsg_call call
    cdef Py_buffer whole
    cdef bint have_whole = False
    cdef Py_buffer *views = NULL
    cdef Py_ssize_t nviews = 0
    cdef PyObject **held = NULL         # the items sent from, each with a reference of ours
    cdef Py_ssize_t nheld = 0
    cdef Py_ssize_t n, i, ninfo, rowlen = 0
    cdef list seq = None
    cdef object item
    cdef object a_streams, a_ppids, a_flags, a_assoc, a_ctx
    cdef const long long *p_streams = NULL
    cdef const long long *p_ppids = NULL
    cdef const long long *p_flags = NULL
    cdef const long long *p_assoc = NULL
    cdef const long long *p_ctx = NULL
    cdef long long s_streams = 0, s_ppids = 0, s_flags = 0, s_assoc = 0, s_ctx = 0
    cdef size_t cspace = csctp_cmsg_space(sizeof(sctp_sndinfo))
    cdef char *mem
    cdef void *heap = NULL
    # 12.5 KiB: 64 messages with their own SNDINFO, buffer views and held references fit, and a
    # batch that fits costs no allocation (a malloc and free per call were 8-16 instructions a message)
    cdef uint64_t stackmem[1600]
    cdef size_t need
    cdef mmsghdr *hdrs
    cdef iovec *iovs
    cdef char *cbufs
    cdef msghdr *m
    cdef cmsghdr *c
    cdef sctp_sndinfo *si
    cdef Py_ssize_t total = 0
    cdef size_t nbytes = 0
    cdef bint hold
    cdef int r, err
    cdef unsigned int left

    # buffers: one 2-D array, or a sequence of buffers
    if PyObject_CheckBuffer(buffers) and not isinstance(buffers, (bytes, bytearray)):
        try:
            PyObject_GetBuffer(buffers, &whole, PyBUF_C_CONTIGUOUS)
        except (BufferError, ValueError) as e:     # numpy says ValueError for a strided array
            raise TypeError(f"send_batch: a buffer given as the batch must be a 2-D C-contiguous array ({e})") from None
        have_whole = True
        if whole.ndim != 2:
            PyBuffer_Release(&whole)
            raise TypeError(f"send_batch: buffers must be a sequence of bytes-like objects or a 2-D array "
                            f"(one message per row), got a {whole.ndim}-D buffer")
        n = whole.shape[0]
        rowlen = whole.shape[1] * whole.itemsize
        if n and rowlen == 0:
            PyBuffer_Release(&whole)
            raise ValueError("send_batch: rows of length 0 (SCTP carries no empty user messages)")
    elif isinstance(buffers, (bytes, bytearray, str)):
        raise TypeError(f"send_batch: buffers must be a sequence of bytes-like objects or a 2-D array, "
                        f"got a single {type(buffers).__name__} (wrap it in a list)")
    else:
        try:
            # the caller's list itself: its items are held below (no list copy a call)
            seq = <list>buffers if type(buffers) is list else list(buffers)
        except TypeError:
            raise TypeError(f"send_batch: buffers must be a sequence of bytes-like objects or a 2-D array, "
                            f"got {type(buffers).__name__}") from None
        n = len(seq)
    try:
        if n > MAX_SEND_BATCH:
            raise ValueError(f"send_batch: at most {MAX_SEND_BATCH} messages per call, got {n}")
        a_streams = _per_message(streams, n, 0, 0xFFFF, "streams")
        a_ppids = _per_message(ppids, n, 0, 0xFFFFFFFF, "ppids")
        a_flags = _per_message(flags, n, 0, 0xFFFF, "flags")
        a_assoc = _per_message(assoc_ids, n, -0x80000000, 0x7FFFFFFF, "assoc_ids")
        a_ctx = _per_message(contexts, n, 0, 0xFFFFFFFF, "contexts")
        if n == 0:
            return 0
        p_streams = _values(a_streams, &s_streams)
        p_ppids = _values(a_ppids, &s_ppids)
        p_flags = _values(a_flags, &s_flags)
        p_assoc = _values(a_assoc, &s_assoc)
        p_ctx = _values(a_ctx, &s_ctx)
        # Messages that all carry the same metadata share one SNDINFO: the kernel only reads
        # a send's control buffer, so a batch then costs one to build, not one a message.
        if p_streams == NULL and p_ppids == NULL and p_flags == NULL and p_assoc == NULL and p_ctx == NULL:
            ninfo = 1
        else:
            ninfo = n

        need = (n * (sizeof(mmsghdr) + sizeof(iovec)) + ninfo * cspace
                + (0 if have_whole else n * (sizeof(Py_buffer) + sizeof(PyObject *))))
        if need <= sizeof(stackmem):
            mem = <char *>stackmem
        else:
            heap = PyMem_Malloc(need)
            if heap == NULL:
                raise MemoryError()
            mem = <char *>heap
        hdrs = <mmsghdr *>mem
        iovs = <iovec *>(mem + n * sizeof(mmsghdr))
        cbufs = mem + n * (sizeof(mmsghdr) + sizeof(iovec))
        if not have_whole:
            views = <Py_buffer *>(cbufs + ninfo * cspace)
            # The items as they are now, each with a reference of ours (the list's own may go:
            # a buffer export can run Python code, and the GIL is released in the call).
            # No Python code runs in this loop.
            held = <PyObject **>(views + n)
            for i in range(n):
                held[i] = PyList_GET_ITEM(seq, i)
                _incref(held[i])
            nheld = n
            for i in range(n):
                item = <object>held[i]
                if PyBytes_CheckExact(item):
                    # immutable, and held: its bytes stay in place until the call returns
                    iovs[i].iov_base = PyBytes_AS_STRING(item)
                    iovs[i].iov_len = <size_t>PyBytes_GET_SIZE(item)
                else:
                    try:
                        PyObject_GetBuffer(item, &views[nviews], PyBUF_SIMPLE)
                    except (BufferError, TypeError) as e:
                        raise TypeError(f"send_batch: buffers[{i}] must be a C-contiguous bytes-like object, "
                                        f"got {type(item).__name__} ({e})") from None
                    iovs[i].iov_base = views[nviews].buf
                    iovs[i].iov_len = <size_t>views[nviews].len
                    nviews += 1
                if iovs[i].iov_len == 0:
                    raise ValueError(f"send_batch: buffers[{i}] is empty (SCTP carries no empty user messages)")
                nbytes += iovs[i].iov_len
        else:
            for i in range(n):
                iovs[i].iov_base = <char *>whole.buf + i * rowlen
                iovs[i].iov_len = rowlen
            nbytes = <size_t>n * <size_t>rowlen
        memset(cbufs, 0, ninfo * cspace)
        for i in range(ninfo):
            c = <cmsghdr *>(cbufs + i * cspace)
            c.cmsg_level = IPPROTO_SCTP
            c.cmsg_type = CSCTP_CMSG_SNDINFO
            c.cmsg_len = csctp_cmsg_len(sizeof(sctp_sndinfo))
            si = <sctp_sndinfo *>csctp_cmsg_data(c)
            si.snd_sid = <uint16_t>_pick(p_streams, s_streams, i)
            si.snd_flags = <uint16_t>_pick(p_flags, s_flags, i)
            si.snd_ppid = htonl(<uint32_t>_pick(p_ppids, s_ppids, i))
            si.snd_context = <uint32_t>_pick(p_ctx, s_ctx, i)
            si.snd_assoc_id = <sctp_assoc_t>_pick(p_assoc, s_assoc, i)
        for i in range(n):
            m = &hdrs[i].msg_hdr
            m.msg_name = NULL
            m.msg_namelen = 0
            m.msg_iov = &iovs[i]
            m.msg_iovlen = 1
            m.msg_control = cbufs if ninfo == 1 else cbufs + i * cspace
            m.msg_controllen = cspace
            m.msg_flags = 0
            hdrs[i].msg_len = 0

        memset(&call, 0, sizeof(call))
        hold = s.may_hold(nbytes, BATCH_SEND_HOLD_MAX)
        if hold:
            call.flags = MSG_DONTWAIT
        while total < n:
            call.hdrs = hdrs + total
            call.n = <unsigned int>(n - total)
            try:
                r = <int>s.call(POLLOUT, _sendmmsg_impl, &call, "sendmmsg", hold)
            except (BlockingIOError, TimeoutError) as e:
                if total:
                    break                       # the send buffer stayed full: report what went
                e.sent = 0
                raise
            except OSError as e:
                # the kernel reports an error only for the first message it could not take:
                # the ones before it were sent, and the caller must know how many
                e.sent = total
                raise
            if r == 0:
                break
            total += r
        return total
    finally:
        for i in range(nviews):
            PyBuffer_Release(&views[i])
        for i in range(nheld):
            _decref(held[i])
        PyMem_Free(heap)
        if have_whole:
            PyBuffer_Release(&whole)
