"""pytest-benchmark microbenchmarks: per-call overhead of csctp's hot calls on a real kernel.

Run with ``make bench-micro`` (through the harness: a VM when this kernel has
no SCTP).  Not part of ``make test``: pytest's testpaths is ``tests``.

Each benchmark times one call with its socket already in the state the call
needs (a message queued for ``recv``, an empty send queue for ``send``); the
setup that gets it there runs outside the timed region (``pedantic`` with a
per-round ``setup``).  stdlib ``socket`` and pysctp equivalents are timed
alongside for reference.  Batch calls move 64 messages per call (see
``extra_info['messages_per_call']``): divide by 64 for the per-message cost.
"""

import socket
import struct

import pytest

import csctp

IPPROTO_SCTP = 132
SCTP_NODELAY = 3
SCTP_SNDINFO = 2
ROUNDS = 2000
BATCH = 64
PAYLOAD = bytes(128)

try:
    from csctp import _batch
except ImportError:  # the batch branch is not merged into this checkout
    _batch = None
try:
    from csctp import _notify
except ImportError:
    _notify = None
try:
    import sctp as pysctp
except ImportError:
    pysctp = None


def _drain(sock):
    """Empty sock's receive queue without blocking (bounded)."""
    sock.settimeout(0)
    for _ in range(100000):
        try:
            sock.recv(65536)
        except (BlockingIOError, socket.timeout):
            break
    sock.settimeout(None)


@pytest.fixture
def pair():
    """A connected csctp one-to-one pair over loopback: (client, server side)."""
    lst = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.setsockopt(IPPROTO_SCTP, SCTP_NODELAY, 1)
    cli.settimeout(10)
    cli.connect(("127.0.0.1", lst.getsockname()[1]))
    cli.settimeout(None)        # the plain blocking path, as the runner's loops use
    srv, _ = lst.accept()
    yield cli, srv
    for s in (cli, srv, lst):
        s.close()


@pytest.fixture
def stdlib_pair():
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
    cli.setsockopt(IPPROTO_SCTP, SCTP_NODELAY, 1)
    cli.connect(lst.getsockname())
    srv, _ = lst.accept()
    yield cli, srv
    for s in (cli, srv, lst):
        s.close()


@pytest.fixture
def pysctp_pair():
    if pysctp is None:
        pytest.skip("pysctp is not installed (make bench-deps installs it)")
    lst = pysctp.sctpsocket_tcp(socket.AF_INET)
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    cli = pysctp.sctpsocket_tcp(socket.AF_INET)
    cli.setsockopt(IPPROTO_SCTP, SCTP_NODELAY, 1)
    cli.connect(lst.getsockname())
    srv, _ = lst.accept()
    srv.events.data_io = True
    yield cli, srv
    for s in (cli, srv, lst):
        s.close()


def _queued(sender_send, n=1):
    def setup():
        for _ in range(n):
            sender_send()
    return setup


# ---- csctp per message -------------------------------------------------------------

def test_csctp_send(benchmark, pair):
    cli, srv = pair
    benchmark.pedantic(cli.send, args=(PAYLOAD,), kwargs={"stream": 1, "ppid": 46},
                       setup=lambda: _drain(srv), rounds=ROUNDS)
    _drain(srv)


def test_csctp_recv(benchmark, pair):
    cli, srv = pair
    m = benchmark.pedantic(srv.recv, setup=_queued(lambda: cli.send(PAYLOAD, stream=1, ppid=46)), rounds=ROUNDS)
    assert (len(m.data), m.stream, m.ppid) == (128, 1, 46)


def test_csctp_recv_into(benchmark, pair):
    cli, srv = pair
    buf = bytearray(65536)
    n, m = benchmark.pedantic(srv.recv_into, args=(buf,),
                              setup=_queued(lambda: cli.send(PAYLOAD, stream=1, ppid=46)), rounds=ROUNDS)
    assert (n, m.stream, m.ppid) == (128, 1, 46)


# ---- csctp batch ----------------------------------------------------------------------

@pytest.mark.skipif(_batch is None, reason="csctp._batch not in this checkout")
def test_csctp_batch_recv_64(benchmark, pair):
    cli, srv = pair
    pool = _batch.BatchPool(BATCH, 2048)

    def setup():
        for _ in range(BATCH):
            cli.send(PAYLOAD, stream=1, ppid=46)

    benchmark.extra_info["messages_per_call"] = BATCH
    b = benchmark.pedantic(pool.recv, args=(srv,), setup=setup, rounds=ROUNDS // 10)
    assert b.n >= 1


@pytest.mark.skipif(_batch is None, reason="csctp._batch not in this checkout")
def test_csctp_send_batch_64(benchmark, pair):
    cli, srv = pair
    bufs = [PAYLOAD] * BATCH
    benchmark.extra_info["messages_per_call"] = BATCH
    n = benchmark.pedantic(_batch.send_batch, args=(cli, bufs), kwargs={"streams": 1, "ppids": 46},
                           setup=lambda: _drain(srv), rounds=ROUNDS // 10)
    assert n == BATCH
    _drain(srv)


# ---- options and notifications ----------------------------------------------------------

def test_csctp_getsockopt_nodelay(benchmark, pair):
    cli, _ = pair
    assert benchmark(cli.getsockopt, IPPROTO_SCTP, SCTP_NODELAY) == 1


def test_csctp_setsockopt_nodelay(benchmark, pair):
    cli, _ = pair
    benchmark(cli.setsockopt, IPPROTO_SCTP, SCTP_NODELAY, 1)
    assert cli.getsockopt(IPPROTO_SCTP, SCTP_NODELAY) == 1


@pytest.mark.skipif(_notify is None, reason="csctp._notify not in this checkout")
def test_csctp_parse_assoc_change(benchmark):
    # struct sctp_assoc_change: SCTP_ASSOC_CHANGE, flags, length, COMM_UP, error, out/in streams, assoc id
    raw = struct.pack("=HHIHHHHi", 0x8001, 0, 20, 0, 0, 10, 10, 7)
    ev = benchmark(_notify.parse, raw)
    assert ev.assoc_id == 7


# ---- references: stdlib socket and pysctp -----------------------------------------------

def test_stdlib_sendmsg_sndinfo(benchmark, stdlib_pair):
    cli, srv = stdlib_pair
    anc = [(IPPROTO_SCTP, SCTP_SNDINFO, struct.pack("=HHIIi", 1, 0, socket.htonl(46), 0, 0))]
    benchmark.pedantic(cli.sendmsg, args=([PAYLOAD], anc), setup=lambda: _drain(srv), rounds=ROUNDS)
    _drain(srv)


def test_stdlib_recv_into(benchmark, stdlib_pair):
    cli, srv = stdlib_pair
    buf = bytearray(65536)
    n = benchmark.pedantic(srv.recv_into, args=(buf,), setup=_queued(lambda: cli.send(PAYLOAD)), rounds=ROUNDS)
    assert n == 128


def test_pysctp_sctp_send(benchmark, pysctp_pair):
    cli, srv = pysctp_pair
    benchmark.pedantic(cli.sctp_send, args=(PAYLOAD,), kwargs={"ppid": 46, "stream": 1},
                       setup=lambda: _drain(srv), rounds=ROUNDS)
    _drain(srv)


def test_pysctp_sctp_recv(benchmark, pysctp_pair):
    cli, srv = pysctp_pair
    res = benchmark.pedantic(srv.sctp_recv, args=(65536,),
                             setup=_queued(lambda: cli.sctp_send(PAYLOAD, ppid=46, stream=1)), rounds=ROUNDS)
    assert len(res[2]) == 128
