"""The one system-call helper: close-safety, fd reuse, timeouts mid-message, batch memory, bad input.

A thread inside any receive or send call (per-message, batch, libsctp) while
another thread closes the socket must end with ``OSError(EBADF)`` and never
act on the descriptor number the kernel hands to the next association.  A
timeout in the middle of a partially delivered message keeps the pieces read
so far: the message arrives whole on the next call, never spliced.
"""

import array
import errno
import gc
import socket
import subprocess
import threading
import time

import numpy as np
import pytest

import csctp
from csctp import _lksctp as L
from csctp import constants as C
from csctp._batch import Batch, BatchMessage, BatchPool, send_batch

WAIT = 10.0


class Server:
    """A listener whose accepted associations tend to reuse the descriptor numbers just freed."""

    def __init__(self):
        self.lst = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lst.bind(("127.0.0.1", 0))
        self.lst.listen(64)
        self.lst.settimeout(WAIT)
        self.port = self.lst.getsockname()[1]
        self.made = []

    def pair(self):
        cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
        cli.settimeout(WAIT)
        cli.connect(("127.0.0.1", self.port))
        conn, _ = self.lst.accept()
        conn.settimeout(WAIT)
        self.made += [cli, conn]
        return cli, conn

    def close(self):
        for s in self.made:
            s.close()
        self.lst.close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def _in_thread(fn):
    """Run *fn* in a thread: (thread, outcome list [('ok', value) | ('err', exception)])."""
    out = []

    def run():
        try:
            out.append(("ok", fn()))
        except BaseException as e:        # noqa: BLE001 - the test inspects it
            out.append(("err", e))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def _settle(t, seconds=0.05):
    """Give a thread time to reach its blocking wait (it must still be running)."""
    t.join(seconds)
    assert t.is_alive(), "the call returned before anything was sent: the test would prove nothing"


def _ends_with_ebadf(t, out, what):
    """The thread's call must end (woken by close()) with OSError(EBADF)."""
    t.join(WAIT)
    assert not t.is_alive(), f"{what}: close() did not wake the waiting call"
    (kind, val), = out
    assert kind == "err" and isinstance(val, OSError) and val.errno == errno.EBADF, (what, kind, val)


def _fill_send_buffer(sock):
    """Send until the kernel refuses (the peer does not read): the next blocking send waits."""
    sock.settimeout(0)
    sent = 0
    for _ in range(100000):
        try:
            sent += sock.send(b"f" * 4096)
        except BlockingIOError:
            break
    sock.settimeout(None)
    assert sent > 0
    return sent


# ---- close while a call waits: EBADF, never the next association's data ---------------------

RECEIVERS = {
    "recv": lambda s: s.recv(),
    "recv_into": lambda s: s.recv_into(bytearray(1024)),
    "recv_whole": lambda s: s.recv_whole(),
    "batch": lambda s: BatchPool(8, 256).recv(s),
    "sctp_recvmsg": lambda s: L.sctp_recvmsg(s),
    "sctp_recvv": lambda s: L.sctp_recvv(s),
}


@pytest.mark.parametrize("call", sorted(RECEIVERS))
def test_close_wakes_a_waiting_receive_and_the_reused_fd_keeps_its_data(server, call):
    cli1, conn1 = server.pair()
    conn1.settimeout(None)                    # blocking: only close() can end the wait
    old_fd = conn1.fileno()
    t, out = _in_thread(lambda: RECEIVERS[call](conn1))
    _settle(t)
    conn1.close()
    _ends_with_ebadf(t, out, call)
    cli2, conn2 = server.pair()               # usually gets old_fd back: the call has left
    cli2.send(b"private to association 2")
    assert conn2.recv().data == b"private to association 2"
    assert conn1.fileno() == -1 and old_fd >= 0


SENDERS = {
    "send": lambda s: s.send(b"x" * 4096),
    "sendv": lambda s: s.sendv([b"x" * 2048, b"y" * 2048]),
    "send_batch": lambda s: send_batch(s, [b"x" * 4096] * 4),
    "sctp_sendmsg": lambda s: L.sctp_sendmsg(s, b"x" * 4096),
}


@pytest.mark.parametrize("call", sorted(SENDERS))
def test_close_wakes_a_waiting_send_and_nothing_reaches_the_next_association(server, call):
    cli1, conn1 = server.pair()
    conn1.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    _fill_send_buffer(conn1)                   # cli1 never reads: the next send waits
    t, out = _in_thread(lambda: SENDERS[call](conn1))
    _settle(t)
    conn1.close()
    _ends_with_ebadf(t, out, call)
    cli2, conn2 = server.pair()
    conn2.send(b"hello 2")
    cli2.settimeout(2)
    assert cli2.recv().data == b"hello 2"
    with pytest.raises(TimeoutError):          # and nothing else: no filler from association 1
        cli2.recv()


def test_close_wakes_a_waiting_accept(server):
    t, out = _in_thread(lambda: server.lst.accept())
    server.lst.settimeout(None)
    _settle(t)
    server.lst.close()
    _ends_with_ebadf(t, out, "accept")


def test_close_wakes_a_batch_complete_waiting_for_the_rest(lossy_lo):
    cli, conn, srv = _pd_pair()
    try:
        cli.send(b"A" * 150_000)
        pool = BatchPool(2, 1000)
        b = pool.recv(conn)
        assert not b.eor[len(b) - 1]
        conn.settimeout(None)
        with lossy_lo:                          # the rest cannot come: complete() waits for it
            t, out = _in_thread(lambda: pool.complete(conn, b, 0))
            _settle(t)
            conn.close()
            _ends_with_ebadf(t, out, "complete")
    finally:
        cli.close()
        srv.close()


def test_a_closed_socket_never_touches_its_reused_number(server):
    from csctp import options as O
    cli1, conn1 = server.pair()
    conn1.settimeout(None)
    fd = conn1.fileno()
    t, out = _in_thread(conn1.recv)
    _settle(t)
    conn1.close()
    _ends_with_ebadf(t, out, "recv")
    cli2, conn2 = server.pair()                     # the next socket made gets the lowest free number
    assert fd in (cli2.fileno(), conn2.fileno()), "the kernel did not reuse the number: nothing to prove"
    conn2.send(b"to 2 only")
    cli2.send(b"to 2 only")
    for call in (conn1.recv, lambda: conn1.send(b"leak"), lambda: O.get_status(conn1),
                 lambda: conn1.getpaddrs(), lambda: BatchPool(2, 64).recv(conn1)):
        with pytest.raises(OSError) as ei:
            call()
        assert ei.value.errno == errno.EBADF
    for s in (cli2, conn2):                         # each got its peer's message, nothing more
        assert s.recv().data == b"to 2 only"
        s.settimeout(0.5)
        with pytest.raises(TimeoutError):
            s.recv()


def test_close_race_stress_never_crosses_associations(server, rounds=1000):
    """Threads blocked in receive and send calls, close(), and a new association that reuses the number."""
    wrong = 0
    reused = 0
    calls = [("recv", lambda s: s.recv()), ("batch", lambda s: BatchPool(4, 128).recv(s)),
             ("recv_into", lambda s: s.recv_into(bytearray(256)))]
    deadline = time.monotonic() + 600
    for i in range(rounds):
        assert time.monotonic() < deadline, f"stress: round {i} past the time bound"
        name, call = calls[i % len(calls)]
        cli1, conn1 = server.pair()
        conn1.settimeout(None)
        old = conn1.fileno()
        t, out = _in_thread(lambda: call(conn1))
        if i % 2:
            time.sleep(0.002)                  # sometimes inside the wait, sometimes before it
        conn1.close()
        cli2, conn2 = server.pair()
        # a new socket gets the number only once no call is inside the old one
        reused += old in (cli2.fileno(), conn2.fileno())
        cli2.send(b"round %d" % i)
        conn2.send(b"back %d" % i)
        t.join(WAIT)
        assert not t.is_alive(), f"round {i} ({name}): the closed call still runs"
        kind, val = out[0]
        if kind == "ok":
            wrong += 1                         # it read something: only association 2 had data
        else:
            assert isinstance(val, OSError) and val.errno == errno.EBADF, (i, name, val)
        assert conn2.recv().data == b"round %d" % i
        assert cli2.recv().data == b"back %d" % i
        for s in (cli1, cli2, conn2):
            s.close()
        server.made.clear()
    assert wrong == 0
    assert reused > 0, "no round reused a descriptor number: the race was never set up"


# ---- timeouts in the middle of a message: kept, never spliced ------------------------------

def _tc_lo(*args):
    subprocess.run(["tc", "qdisc", *args], check=True, capture_output=True)


@pytest.fixture
def lossy_lo():
    """Drop everything on loopback while inside the block (the rest of a message cannot arrive)."""
    class Lossy:
        on = False

        def __enter__(self):
            _tc_lo("replace", "dev", "lo", "root", "netem", "loss", "100%")
            self.on = True

        def __exit__(self, *exc):
            _tc_lo("del", "dev", "lo", "root")
            self.on = False
    lossy = Lossy()
    yield lossy
    if lossy.on:
        _tc_lo("del", "dev", "lo", "root")


def _pd_pair():
    """(client, server side, listener): a 150 KB message arrives in pieces (small window, low PD point)."""
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)       # far below the message size
    srv.setsockopt(C.SOL_SCTP, C.SCTP_PARTIAL_DELIVERY_POINT, 1000)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(WAIT)
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.settimeout(WAIT)
    try:
        cli.connect(("127.0.0.1", srv.getsockname()[1]))
        conn, _ = srv.accept()
    except BaseException:
        cli.close()
        srv.close()
        raise
    conn.settimeout(WAIT)
    cli.settimeout(0)
    return cli, conn, srv


def test_recv_whole_keeps_the_pieces_across_a_timeout(lossy_lo):
    cli, conn, srv = _pd_pair()
    try:
        payload = bytes(range(256)) * 600                             # 153,600 bytes, one message
        assert cli.send(payload, stream=3) == len(payload)
        conn.recv_size = 4096
        conn.settimeout(0.3)
        with lossy_lo:                                                # the rest cannot arrive now
            with pytest.raises(TimeoutError):
                for _ in range(1000):
                    conn.recv_whole()
        assert 0 < conn.reassembler.pending < len(payload)            # the timeout came mid-message
        conn.settimeout(30)                                           # retransmissions bring the rest
        m = conn.recv_whole()
        assert m.eor and m.stream == 3 and len(m.data) == len(payload)
        assert m.data == payload, "spliced: the pieces read before the timeout were lost"
        assert conn.reassembler.pending == 0
        cli.settimeout(WAIT)
        cli.send(b"next")
        assert conn.recv_whole().data == b"next"
        conn.close()
    finally:
        cli.close()
        srv.close()


def test_batch_complete_resumes_after_a_timeout(lossy_lo):
    cli, conn, srv = _pd_pair()
    try:
        payload = bytes(range(251)) * 600
        cli.send(payload, stream=1)
        pool = BatchPool(4, 2048)
        b = pool.recv(conn)
        assert len(b) >= 1 and not b.eor[len(b) - 1]
        conn.settimeout(0.3)
        with lossy_lo:
            with pytest.raises(TimeoutError):
                for _ in range(1000):
                    pool.complete(conn, b, 0)
        conn.settimeout(30)
        whole = pool.complete(conn, b, 0)                             # carries on where it stopped
        assert whole == payload, "spliced: the middle pieces read before the timeout were lost"
        conn.close()
    finally:
        cli.close()
        srv.close()


def test_peeloff_moves_the_pieces_of_a_message_with_the_association(one_to_many):
    ep, port = one_to_many
    ep.recv_size = 1000
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.settimeout(WAIT)
    try:
        cli.connect(("127.0.0.1", port))
        payload = bytes(range(200)) * 50                              # 10,000 bytes
        cli.send(payload, stream=2)
        first = ep.recv()                                             # 1000 bytes of it
        assert not first.eor and first.assoc_id > 0
        assert ep.reassembler.feed(first) is None
        peeled = ep.peeloff(first.assoc_id)
        assert ep.reassembler.pending == 0 and peeled.reassembler.pending == 1000
        peeled.settimeout(WAIT)
        m = peeled.recv_whole()
        assert m.data == payload and m.stream == 2
        peeled.close()
    finally:
        cli.close()


# ---- batch memory and metadata -------------------------------------------------------------

@pytest.mark.nokernel
def test_pool_memory_cannot_be_resized_under_the_kernel():
    p = BatchPool(8, 8192)
    with pytest.raises(ValueError):
        p.buffer.resize((1, 16))
    for arr in p._arrays.values():
        with pytest.raises(ValueError):
            arr.resize(1)
    assert p.buffer.shape == (8, 8192)


@pytest.mark.nokernel
def test_pool_arrays_keep_the_memory_alive_after_the_pool_is_gone():
    p = BatchPool(4, 64)
    buf = p.buffer
    lengths = p._arrays["lengths"]
    del p
    gc.collect()
    buf[3, 63] = 7                 # still valid memory (a use-after-free would show under ASan)
    assert buf[3, 63] == 7 and lengths.shape == (4,)


def _rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.nokernel
def test_pools_are_freed_without_the_cycle_collector():
    """The arrays a pool hands out must not point back at it: no cycle, freed on the last reference."""
    gc.collect()
    gc.disable()
    try:
        before = _rss_mib()
        for _ in range(60):
            p = BatchPool(64, 65536)                 # 4 MiB, touched below so that it is resident
            p.buffer[:] = 1
            _ = p._arrays["lengths"], p.buffer
            del p, _
        grown = _rss_mib() - before
    finally:
        gc.enable()
    assert grown < 64, f"RSS grew {grown:.0f} MiB over 60 pools of 4 MiB: pools wait for the cycle collector"


@pytest.mark.nokernel
@pytest.mark.parametrize("make", [
    lambda: Batch(), lambda: BatchMessage(),
    lambda: Batch.__new__(Batch).lengths, lambda: Batch.__new__(Batch).copy(0),
    lambda: bytes(BatchMessage.__new__(BatchMessage)), lambda: BatchMessage.__new__(BatchMessage).copy(),
    lambda: BatchMessage.__new__(BatchMessage).addr,
], ids=["Batch()", "BatchMessage()", "new-Batch.lengths", "new-Batch.copy", "bytes(new-BatchMessage)",
        "new-BatchMessage.copy", "new-BatchMessage.addr"])
def test_batch_objects_cannot_be_made_by_hand(make):
    with pytest.raises((TypeError, RuntimeError)):
        make()


def test_metadata_arrays_never_change_under_their_holder(pair):
    cli, srv = pair
    cli.send(b"one", ppid=1)
    pool = BatchPool(4, 64)
    b1 = pool.recv(srv)
    lens, ppids, eor = b1.lengths, b1.ppids, b1.eor
    cli.send(b"second message", ppid=2)
    b2 = pool.recv(srv)                        # holding metadata does not block the receive ...
    assert b2.lengths.tolist() == [14] and b2.ppids.tolist() == [2]
    assert lens.tolist() == [3] and ppids.tolist() == [1] and eor.tolist() == [True]   # ... nor change it
    with pytest.raises(RuntimeError, match="stale"):
        b1.lengths


def test_blocking_send_batch_raises_on_an_error_and_says_how_many_went(pair):
    cli, srv = pair
    with pytest.raises(OSError) as ei:
        send_batch(cli, [b"a", b"b", b"c"], streams=[0, 500, 0])     # stream 500 is past the 10 negotiated
    assert ei.value.errno == errno.EINVAL and ei.value.sent == 1
    assert srv.recv().data == b"a"
    srv.settimeout(0.5)
    with pytest.raises(TimeoutError):
        srv.recv()


# ---- adopting descriptors ------------------------------------------------------------------

def test_socket_refuses_a_socket_object_as_fileno():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    try:
        with pytest.raises(TypeError, match="detach"):
            csctp.Socket(fileno=s)
        assert s.fileno() >= 0                 # untouched: still the caller's
    finally:
        s.close()


def test_socket_adopts_a_detached_fd_and_checks_what_it_is():
    s = socket.socket(socket.AF_INET6, socket.SOCK_SEQPACKET, socket.IPPROTO_SCTP)
    fd = s.detach()
    a = csctp.Socket(fileno=fd)
    assert (a.family, a.type, a.fileno()) == (socket.AF_INET6, socket.SOCK_SEQPACKET, fd)
    a.close()
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)             # TCP: not ours
    try:
        with pytest.raises(ValueError, match="not an SCTP socket"):
            csctp.Socket(fileno=t.fileno())
        u = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
        with pytest.raises(ValueError, match="type"):
            csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET, fileno=u.fileno())
        u.close()
    finally:
        t.close()


@pytest.mark.nokernel
def test_socket_fileno_that_is_not_a_socket_is_an_oserror():
    import os
    r, w = os.pipe()
    try:
        with pytest.raises(OSError) as ei:
            csctp.Socket(fileno=r)
        assert ei.value.errno == errno.ENOTSOCK
        os.write(w, b"x")                     # the pipe was not taken over
        assert os.read(r, 1) == b"x"
    finally:
        os.close(r)
        os.close(w)


def test_detach_gives_back_a_blocking_descriptor(pair):
    import fcntl
    import os
    cli, _ = pair
    cli.settimeout(None)
    fd = cli.detach()
    try:
        assert not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK
        assert cli.fileno() == -1
    finally:
        os.close(fd)


# ---- small input holes ---------------------------------------------------------------------

@pytest.mark.parametrize("value", [-1, 0, 1 << 31, 2.5, "10", None])
def test_recv_size_takes_only_sensible_sizes(value):
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises((ValueError, TypeError)):
            s.recv_size = value
        assert s.recv_size == 65536
        s.recv_size = 1
        assert s.recv_size == 1
    finally:
        s.close()


@pytest.mark.parametrize("value", ["1", b"1", "inf"])
def test_settimeout_refuses_strings(value):
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(TypeError):
            s.settimeout(value)
    finally:
        s.close()


@pytest.mark.nokernel
@pytest.mark.parametrize("spec", ["127.0.0.1:\uff18\uff10", "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:8_0",
                                  "[fe80::1%999999999999]:80", "127.0.0.1%1:80", "[fe80::1%\u0661]:80"])
def test_address_specs_with_odd_ports_or_scopes_are_refused(spec):
    from csctp._addr import pack
    with pytest.raises(ValueError):
        pack(spec)


@pytest.mark.parametrize("make", [lambda: array.array("B", b"array payload"),
                                  lambda: np.frombuffer(b"numpy payload", dtype=np.uint8)],
                         ids=["array.array", "numpy"])
def test_sendv_takes_one_buffer_object_as_one_buffer(pair, make):
    cli, srv = pair
    data = make()
    assert cli.sendv(data) == len(bytes(data))
    assert srv.recv().data == bytes(data)
