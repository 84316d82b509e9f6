# cython: language_level=3
"""The receive engine's common case, compiled: one system call, one whole message.

:class:`csctp.association._Receiver` (and so ``Association``, ``Endpoint``
and, through them, :mod:`csctp.aio`) is a subclass of :class:`Engine`.  The
engine's state lives here as C fields (the socket, its reassembler, the
read-ahead queue, the end), and so do the calls that run once per message:
``recv``, ``recv_into``, ``recv_batch``, ``send``, ``send_batch``, the step :mod:`csctp.aio`
drives and ``csctp.aio``'s ``recv`` and ``send`` (:func:`aio_recv`, :func:`aio_send`).  They
handle the case that is almost always true, that nothing was read ahead, no
piece of a message is waiting to be joined and the end is not yet known,
with one C call into the socket core and no Python frame.  Everything else,
(a notification, a piece, an error, the end, the read-ahead queue) goes to
the Python methods of ``_Receiver`` that handled it before: there is one
receive engine, and this is its first line.
"""

cimport cython
from cpython.object cimport PyObject
from cpython.contextvars cimport PyContext_Enter, PyContext_Exit
from csctp._core cimport Socket, Reassembler
from csctp._message cimport Message
from csctp._convert cimport as_int, as_u32
from csctp.includes.socket cimport MSG_EOR
from csctp.includes.sctp cimport MSG_NOTIFICATION, SCTP_UNORDERED, sctp_assoc_t

from errno import EBADF
from socket import SOCK_STREAM

import csctp        # csctp.send_batch: loaded with numpy on first use, then a plain attribute (csctp.__getattr__)

cdef extern from "Python.h":
    # raw forms: the result tuple of recv_into is reused in place when nobody else holds it
    Py_ssize_t Py_REFCNT(PyObject *o)
    PyObject *PyTuple_GET_ITEM(PyObject *p, Py_ssize_t pos)
    void PyTuple_SET_ITEM(PyObject *p, Py_ssize_t pos, PyObject *o)
    void Py_INCREF(PyObject *o)
    void Py_DECREF(PyObject *o)
    int PyObject_GC_IsTracked(PyObject *o)
    void PyObject_GC_Track(void *o)


cdef class Engine:
    """The per-message calls of the receive engine (see the module documentation)."""

    cdef public Socket _sock            # the csctp.Socket the engine reads
    cdef public Reassembler _reasm      # the socket's reassembler (partial deliveries)
    cdef public object _pending         # csctp.association._Pending: what was read ahead
    cdef public object _end             # None, or (exception class, errno, text) once ended
    cdef tuple _result                  # recv_into's last (nbytes, Message), reused if no one holds it
    cdef public object _pool            # recv_batch's csctp._batch.BatchPool (None until the first call)
    cdef int _pool_max                  # its max_messages

    cdef object _pair(self, Py_ssize_t n, Message m):
        """``(n, m)``: the previous result tuple refilled when its only reference is ours.

        A receive loop unpacks the tuple and drops it, so one tuple serves
        every call (CPython's zip() and dict.items() iteration do the same);
        a caller that keeps a result gets a new tuple next time.
        """
        cdef PyObject *t
        cdef PyObject *old_n
        cdef PyObject *old_m
        cdef object num = n
        if self._result is not None:
            t = <PyObject *>self._result
            if Py_REFCNT(t) == 1:
                old_n = PyTuple_GET_ITEM(t, 0)
                old_m = PyTuple_GET_ITEM(t, 1)
                Py_INCREF(<PyObject *>num)
                Py_INCREF(<PyObject *>m)
                PyTuple_SET_ITEM(t, 0, <PyObject *>num)
                PyTuple_SET_ITEM(t, 1, <PyObject *>m)
                Py_DECREF(old_n)
                Py_DECREF(old_m)
                if not PyObject_GC_IsTracked(t):      # the collector may have untracked it
                    PyObject_GC_Track(t)
                return self._result
        self._result = (num, m)
        return self._result

    cdef inline bint _nothing_ahead(self):
        """True when no data message waits in the read-ahead queue and the end is not known."""
        p = self._pending
        return self._end is None and (len(p) == 0 or not p.ndata)

    def recv(self):
        """Receive one whole user message (blocking unless a timeout is set).

        Partial deliveries are reassembled; notifications are queued for
        :meth:`events` and never returned here.  At the association's end
        (one-to-one or peeled-off), after every message that came before
        it: :class:`AssociationClosed` for a graceful shutdown (either
        side's), ``ConnectionResetError`` after an ABORT or a lost
        association; every later call raises it again without a system
        call.  ``TimeoutError`` / ``BlockingIOError`` per :meth:`settimeout`.
        """
        cdef Message m
        if self._nothing_ahead():
            try:
                m = self._sock.recv_msg(0, 0)
            except OSError as e:
                return self._recv_failed(e)
            if (m.msg_flags & (MSG_EOR | MSG_NOTIFICATION)) == MSG_EOR and m.data and not self._reasm._parts:
                return m        # one whole message, nothing buffered
            whole = self._sort(m)
            if whole is not None:
                return whole
        return self._recv_message("recv")

    def recv_into(self, buffer):
        """Receive one message (or the next piece of one) straight into *buffer*: ``(nbytes, Message)``.

        Zero-copy: the kernel writes into *buffer*; ``Message.data`` is None.
        ``Message.eor`` is False when the message did not fit (call again for
        the rest).  Notifications are queued for :meth:`events` as with
        :meth:`recv`.  Messages already buffered are copied into *buffer*
        (truncation raises ``ValueError``).  Ends as :meth:`recv` does.
        """
        cdef Message m
        cdef Py_ssize_t n
        if self._nothing_ahead():
            try:
                m = self._sock.recv_into_msg(buffer, 0, 0, &n)
            except OSError as e:
                return self._recv_into_rest(buffer, e)
            if n and not (m.msg_flags & MSG_NOTIFICATION):
                return self._pair(n, m)
            return self._recv_into_rest(buffer, (n, m))
        return self._recv_into_rest(buffer, None)

    def recv_batch(self, max_messages=64):
        """Receive up to *max_messages* in one system call (``recvmmsg``): a :class:`csctp._batch.Batch`.

        The batch's views point into a pool owned by this object and reused
        by the next ``recv_batch`` (see docs/batch.md for the lifetime rule;
        ``copy()`` keeps a message).  The batch is raw: notifications stay
        in it, flagged (``batch.notification``), including, on an
        association, the ``assoc_change``/``shutdown`` ones the engine
        subscribes to for itself (they come at the association's end), and
        partial pieces are not joined.  The engine still learns
        the end from them: after it, ``recv_batch`` raises like
        :meth:`recv`.  Messages already read ahead (by :meth:`poll_events`,
        a stream handle, ``events()``) must not be overtaken: while any
        waits, this raises ``RuntimeError``; receive them with :meth:`recv`.
        """
        cdef int n = <int>as_int(max_messages, "recv_batch: max_messages", 1, 1024)
        p = self._pending
        if len(p) and p.ndata:
            raise RuntimeError(
                f"recv_batch: {p.ndata} message(s) read ahead are waiting and would be overtaken "
                f"by this batch; receive them with recv() first")
        if self._end is not None:
            raise self._end_error("recv_batch")
        pool = self._pool
        if pool is None or self._pool_max < n:
            from csctp._batch import BatchPool      # numpy, loaded on first use
            pool = self._pool = BatchPool(max_messages=n)
            self._pool_max = n
        try:
            batch = pool.recv(self._sock, n)
        except OSError as e:
            self._sock_error(e)
            raise
        if batch.has_notifications:       # a flag set by the receive: no numpy per call
            self._batch_notifications(batch)
        if batch.eof and self._sock.type == SOCK_STREAM:
            self._graceful()
        return batch

    def _recv_step(self):
        """One receive system call (see ``_Receiver``): a whole data message or None; never raises the end."""
        return self._step(False)

    def _try_step(self):
        """:meth:`_recv_step` for an event loop: False, not ``BlockingIOError``, when nothing is there yet."""
        return self._step(True)

    cdef object _step(self, bint again):
        cdef Message m
        if self._end is not None:
            return None
        try:
            m = self._sock.recv_msg(0, 0, again)
        except OSError as e:
            self._sock_error(e)
            if self._end is not None:
                return None
            raise
        if m is None:
            return False
        if (m.msg_flags & (MSG_EOR | MSG_NOTIFICATION)) == MSG_EOR and m.data and not self._reasm._parts:
            return m
        return self._sort(m)

    def send(self, data, *, stream=0, ppid=0, unordered=False, ttl=None, context=0) -> int:
        """Send one message from any bytes-like object (no copy): returns the bytes sent.

        *stream* must be below the negotiated outbound streams; *ppid* is a
        host-order int; *unordered* skips in-stream ordering; *ttl*
        (milliseconds) makes the message abandonable (PR-SCTP); *context* is
        returned in a SEND_FAILED notification.
        """
        return self._send(data, stream, ppid, unordered, ttl, context)

    def send_batch(self, buffers, *, streams=0, ppids=0, flags=0):
        """Send many messages in one system call (``sendmmsg``): returns how many were sent.

        *streams*, *ppids*, *flags* are one value for all or one per message
        (see :func:`csctp.send_batch`).  Fewer than ``len(buffers)`` means
        the send buffer filled up (non-blocking): resend the rest.
        """
        return csctp.send_batch(self._sock, buffers, streams, ppids, flags)

    def _check_send_args(self, stream, ppid, ttl, context):
        """The checks :meth:`send` makes of its metadata, without sending (a message queued to
        be sent later must fail now, as an immediate send would)."""
        as_int(stream, "send: stream", 0, 0xFFFF)
        as_u32(ppid, "send: ppid")
        as_u32(context, "send: context")
        if ttl is not None:
            as_u32(ttl, "send: ttl")

    def _send_args(self, data, stream, ppid, unordered, ttl, context):
        """:meth:`send` with every argument given by position: csctp.aio's per-message call
        (keyword matching costs a few hundred instructions a call)."""
        return self._send(data, stream, ppid, unordered, ttl, context)

    cdef object _send(self, data, stream, ppid, unordered, ttl, context):
        cdef int sid = <int>as_int(stream, "send: stream", 0, 0xFFFF)
        cdef unsigned int p = as_u32(ppid, "send: ppid")
        cdef unsigned int ctx = as_u32(context, "send: context")
        return self._sock.send_msg(data, <unsigned short>sid, p, SCTP_UNORDERED if unordered else 0, ctx,
                                   0, ttl, None)


cdef enum:
    _PENDING, _DONE, _CANCELLED, _FAILED

# from asyncio, imported with the first FdWaiter: the synchronous API does not load asyncio
cdef object CancelledError = None, InvalidStateError = None
cdef object _current_task = None    # asyncio.current_task, or the dict behind it where it is a Python function
cdef bint _tasks_dict = False


cdef _import_asyncio():
    global CancelledError, InvalidStateError, _current_task, _tasks_dict
    import asyncio.tasks
    CancelledError = asyncio.CancelledError
    InvalidStateError = asyncio.InvalidStateError
    d = getattr(asyncio.tasks, "_current_tasks", None)
    # before 3.12 current_task() is a Python function over this dict (a frame per call)
    _tasks_dict = type(d) is dict and not isinstance(asyncio.current_task, type(len))
    _current_task = d if _tasks_dict else asyncio.current_task


cdef inline bint _in_task(loop) except -1:
    if _tasks_dict:
        return (<dict>_current_task).get(loop) is not None
    return _current_task(loop) is not None


cdef class Readiness:
    """What a task awaits for one readiness of an :class:`FdWaiter`'s descriptor.

    A task suspended on an asyncio Future resumes one loop turn after the
    future completes: the future schedules the task's wake-up with
    ``call_soon``, so a request/response exchange pays, per message, the
    readiness callback's turn and then a second turn for the task (on uvloop
    an ``epoll_wait`` with no timeout and a handle; on asyncio's loop a whole
    pass of its Python loop).  A Task accepts any object that speaks
    asyncio's future protocol (``_asyncio_future_blocking``, ``get_loop``,
    ``add_done_callback``, ``result``, ``cancel``); this one resumes its
    task from the readiness callback itself, as a protocol's
    ``data_received`` runs there, when the loop is running no task at that
    moment.  Everything else (cancellation, failure when the socket closes,
    completion from inside a task) schedules the wake-up with ``call_soon``,
    as asyncio's Future does.  Cancelled, it leaves its waiter's list and
    takes the loop's callback with it when it was the last one waiting.
    """

    cdef FdWaiter _io
    cdef int _write
    cdef public object _asyncio_future_blocking
    cdef object _cb, _ctx               # the waiting task's wake-up and its context
    cdef list _more                     # further (callback, context) pairs: nobody adds them in csctp
    cdef int _state
    cdef bint _yielded
    cdef object _exc                    # the exception (_FAILED) or the cancel message (_CANCELLED)

    def __cinit__(self, FdWaiter io not None, int write):
        self._io = io
        self._write = write
        self._asyncio_future_blocking = False
        self._state = _PENDING

    def get_loop(self):
        return self._io.loop

    def done(self):
        return self._state != _PENDING

    def cancelled(self):
        return self._state == _CANCELLED

    def result(self):
        if self._state == _DONE:
            return None
        if self._state == _FAILED:
            raise self._exc
        if self._state == _CANCELLED:
            raise CancelledError() if self._exc is None else CancelledError(self._exc)
        raise InvalidStateError("Result is not ready.")

    def exception(self):
        if self._state == _CANCELLED or self._state == _PENDING:
            self.result()
        return self._exc if self._state == _FAILED else None

    def add_done_callback(self, fn, *, context=None):
        if self._state != _PENDING:
            self._io.loop.call_soon(fn, self, context=context)
        elif self._cb is None and not self._more:
            self._cb = fn
            self._ctx = context
        else:
            if self._more is None:
                self._more = []
            self._more.append((fn, context))

    def remove_done_callback(self, fn):
        cdef int n = 0
        if self._cb is not None and self._cb == fn:
            self._cb = self._ctx = None
            n += 1
        if self._more:
            kept = [c for c in self._more if c[0] != fn]
            n += len(self._more) - len(kept)
            self._more = kept
        return n

    def cancel(self, msg=None):
        if self._state != _PENDING:
            return False
        self._io._leave(self)
        self._finish(_CANCELLED, msg, False)
        return True

    # awaitable and its own iterator: yields itself once, as asyncio's Future does
    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        if self._state == _PENDING:
            if self._yielded:
                raise RuntimeError("await wasn't used with future")
            self._yielded = True
            self._asyncio_future_blocking = True
            return self
        self.result()
        raise StopIteration

    cdef _finish(self, int state, exc, bint now):
        """Complete; *now*: run the one waiting task's wake-up here rather than on the next turn."""
        if self._state != _PENDING:
            return
        self._state = state
        self._exc = exc
        cb, ctx, more = self._cb, self._ctx, self._more
        self._cb = self._ctx = self._more = None        # a task and its future refer to each other
        loop = self._io.loop
        if cb is None:
            pass
        elif now and not more:
            if ctx is None:
                cb(self)
            else:
                PyContext_Enter(ctx)
                try:
                    cb(self)
                finally:
                    PyContext_Exit(ctx)
            return
        else:
            loop.call_soon(cb, self, context=ctx)
        if more:
            for fn, c in more:
                loop.call_soon(fn, self, context=c)


cdef class FdWaiter:
    """Readiness waits on one descriptor for :mod:`csctp.aio`: at most one reader and one writer callback registered.

    Compiled because a request/response exchange waits once per message on
    each side, and the time from the loop's wake-up to the task's next
    system call is the round trip's critical path.  A task waiting here
    resumes inside the loop's readiness callback (see :class:`Readiness`).
    """

    cdef readonly object loop
    cdef readonly int fd
    cdef readonly tuple waiters         # (readers, writers): lists of Readiness
    cdef bint _registered[2]

    def __init__(self, loop, int fd):
        if _current_task is None:
            _import_asyncio()
        self.loop = loop
        self.fd = fd
        self.waiters = ([], [])
        self._registered[0] = self._registered[1] = False

    @property
    def registered(self):
        """(reader, writer): whether the loop watches the descriptor for each."""
        return (self._registered[0], self._registered[1])

    def _fire(self, int write):
        # The reader stays registered while coroutines keep waiting: a receive loop
        # (request/response, a stream of messages) then costs no epoll_ctl per message.
        # Readiness that nobody waits for unregisters it, so an unread socket does not
        # spin the loop; writable is a socket's usual state, so the writer is watched
        # only while somebody waits.
        cdef list futs = self.waiters[write]
        if futs:
            # The loop runs no task during its callbacks, except when a task runs the loop
            # itself (nested loops): a task is never resumed inside another one.
            _wake(futs, not _in_task(self.loop))
            if not write or futs:
                return
        self._unregister(write)

    cdef _unregister(self, int write):
        if self._registered[write]:
            self._registered[write] = False
            (self.loop.remove_writer if write else self.loop.remove_reader)(self.fd)

    cdef _leave(self, Readiness r):
        # a cancelled wait: a callback nobody waits for does not outlive its last waiter
        cdef list futs = self.waiters[r._write]
        if r in futs:
            futs.remove(r)
            if not futs:
                self._unregister(r._write)

    def wait(self, int write):
        """An awaitable that completes when the descriptor is readable (0) or writable (1)."""
        if self.fd < 0:
            raise OSError(EBADF, "wait: socket is closed")
        r = Readiness(self, write)
        (<list>self.waiters[write]).append(r)
        if not self._registered[write]:
            (self.loop.add_writer if write else self.loop.add_reader)(self.fd, self._fire, write)
            self._registered[write] = True
        return r

    def wake_readers(self):
        """Let every coroutine waiting to read re-check its queue (data or events arrived for it)."""
        _wake(self.waiters[0], False)

    def forget(self):
        """The owner is gone without close(): stop watching before its descriptor is closed and reused."""
        if self._registered[0] or self._registered[1]:
            try:
                self.close()
            except Exception:       # a finalizer; the loop may be closed or in another thread
                pass

    def close(self):
        """Remove the callbacks and fail the waiters: the descriptor is about to be closed."""
        cdef int write
        cdef list futs
        for write in range(2):
            self._unregister(write)
            futs = self.waiters[write][:]
            self.waiters[write].clear()
            for f in futs:
                (<Readiness>f)._finish(_FAILED, OSError(EBADF, "socket closed while waiting"), False)
        self.fd = -1


cdef _wake(list futs, bint now):
    # A task resumed here may wait again and append to futs: wake what was there.  If one
    # of them lets an exception out (KeyboardInterrupt, SystemExit), the rest still wake.
    cdef Readiness one
    if len(futs) == 1:
        one = futs.pop()
        one._finish(_DONE, None, now)
        return
    cdef list woken = futs[:]
    futs.clear()
    cdef Py_ssize_t i = 0, n = len(woken)
    try:
        while i < n:
            i += 1
            (<Readiness>woken[i - 1])._finish(_DONE, None, now)
    finally:
        while i < n:
            i += 1
            (<Readiness>woken[i - 1])._finish(_DONE, None, False)


@cython.embedsignature(False)       # the documentation shows it as aio.Association.recv()
async def aio_recv(self):
    """Receive one whole user message (see :meth:`csctp.Association.recv`); suspends until one arrives.

    At the association's end raises what :meth:`csctp.Association.recv`
    raises (:class:`csctp.AssociationClosed`, ``ConnectionResetError``),
    after every message that came before it.
    """
    # csctp.aio's Association.recv and Endpoint.recv, compiled: in request/response and in a
    # receiver that keeps up, every call tries, finds nothing, waits for the loop and tries
    # again; here that is two C calls and one wait.  Anything else (data read ahead, the
    # end, another coroutine waiting to read, a notification or piece read) goes to the
    # Python loop that handles every case.
    cdef Engine eng = self._sync
    cdef FdWaiter io = self._io
    cdef list readers = io.waiters[0]
    cdef int i
    for i in range(64):     # a wake-up with nothing to read (another reader took it) waits again
        if readers or not eng._nothing_ahead():
            break
        m = eng._step(True)
        if m is False:
            await io.wait(0)
        elif m is None:
            break
        else:
            return m
    return await self._recv_rest()


@cython.embedsignature(False)       # the documentation shows it as aio.Association.send(data, ...)
async def aio_send(self, data, *, stream=0, ppid=0, unordered=False, ttl=None, context=0):
    """Send one message; suspends while the send buffer is full (nothing is dropped).

    *stream*, *ppid*, *unordered*, *ttl* and *context* as for
    :meth:`csctp.Association.send`.
    """
    # csctp.aio.Association.send, compiled: a Python coroutine pays a dictionary lookup for
    # every keyword argument left at its default, and a Python call to reach the engine; here
    # the common case, a send buffer with room, is one C call.
    cdef Engine eng = self._sync
    try:
        return eng._send(data, stream, ppid, unordered, ttl, context)
    except BlockingIOError:
        pass
    return await self._send_when_room(data, stream, ppid, unordered, ttl, context)
