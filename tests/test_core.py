"""csctp._core.Socket against the real kernel: associations, streams, PPIDs, buffers."""

import mmap
import socket

import pytest

import csctp
from csctp import constants as C


@pytest.mark.nokernel
def test_extension_imports_and_has_a_version():
    assert csctp.Socket.__module__ == "csctp._core"
    assert csctp.__version__.count(".") == 2


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_one_to_one_messages_keep_stream_and_ppid(loopback_pair, family):
    cli, srv = loopback_pair(family)
    sent = [(b"msg-%d" % i, i % 5, 1000 + i) for i in range(15)]
    for data, stream, ppid in sent:
        assert cli.send(data, stream=stream, ppid=ppid) == len(data)
    got = [srv.recv() for _ in sent]
    assert [(m.data, m.stream, m.ppid) for m in got] == sent
    assert all(m.eor and not m.is_notification for m in got)
    # per-stream sequence numbers count up independently
    assert [m.ssn for m in got if m.stream == 3] == [0, 1, 2]


def test_both_directions_and_assoc_id_is_reported(pair):
    cli, srv = pair
    srv.send(b"hello client", stream=2, ppid=7)
    m = cli.recv()
    assert (m.data, m.stream, m.ppid) == (b"hello client", 2, 7)
    assert m.assoc_id > 0


@pytest.mark.parametrize("ppid", [0, 1, 46, 0x80, 0xFF, 0x1234ABCD, 0x80000000, 0x800000FF, 0xFFFFFFFF])
def test_ppid_round_trips_in_host_order(pair, ppid):
    cli, srv = pair
    cli.send(b"x", ppid=ppid)
    assert srv.recv().ppid == ppid


def test_ppid_is_big_endian_on_the_wire(pair):
    # Diameter's PPID 46 must reach a peer that reads the raw field with ntohl() as 46.
    cli, srv = pair
    srv.setsockopt(C.SOL_SCTP, C.SCTP_RECVRCVINFO, 0)
    # legacy SNDRCV path (data_io event on) hands us the raw sinfo_ppid field
    srv.setsockopt(C.SOL_SCTP, C.SCTP_EVENTS, b"\x01" + b"\x00" * 9)
    cli.send(b"x", ppid=46)
    m = srv.recv()
    assert m.ppid == 46


def test_unordered_flag_is_reported(pair):
    cli, srv = pair
    cli.send(b"u", flags=C.SCTP_UNORDERED)
    assert srv.recv().unordered


def test_one_to_many_tells_clients_apart_by_association(one_to_many):
    srv, port = one_to_many
    clients = [csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(2)]
    try:
        for i, c in enumerate(clients):
            c.settimeout(10)
            c.connect(("127.0.0.1", port))
            c.send(b"from client %d" % i, stream=i, ppid=100 + i)
        got = [srv.recv() for _ in clients]
        by_data = {m.data: m for m in got}
        assert set(by_data) == {b"from client 0", b"from client 1"}
        a0, a1 = by_data[b"from client 0"].assoc_id, by_data[b"from client 1"].assoc_id
        assert a0 != a1 and a0 > 0 and a1 > 0
        assert by_data[b"from client 1"].ppid == 101
        # sender addresses are loopback with the clients' own ports
        ports = {m.addr[1] for m in got}
        assert ports == {c.getsockname()[1] for c in clients}
        # reply to each association by id
        srv.send(b"to 1", assoc_id=a1, stream=1)
        assert clients[1].recv().data == b"to 1"
    finally:
        for c in clients:
            c.close()


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview-slice", "mmap", "numpy"])
def test_send_from_any_contiguous_buffer(pair, kind):
    cli, srv = pair
    payload = bytes(range(256)) * 4
    if kind == "bytes":
        buf = payload
    elif kind == "bytearray":
        buf = bytearray(payload)
    elif kind == "memoryview-slice":
        buf = memoryview(b"??" + payload + b"??")[2:-2]
    elif kind == "mmap":
        buf = mmap.mmap(-1, len(payload))
        buf.write(payload)
    else:
        np = pytest.importorskip("numpy")
        buf = np.frombuffer(payload, dtype=np.uint8).copy()
    assert cli.send(buf) == len(payload)
    assert srv.recv().data == payload


def test_recv_into_fills_the_callers_buffer(pair):
    cli, srv = pair
    cli.send(b"abcdef", stream=4, ppid=9)
    buf = bytearray(100)
    n, m = srv.recv_into(buf)
    assert n == 6 and buf[:6] == b"abcdef" and m.data is None
    assert (m.stream, m.ppid, m.eor) == (4, 9, True)


def test_recv_into_rejects_read_only_and_non_contiguous_buffers(pair):
    cli, srv = pair
    with pytest.raises(TypeError, match="writable"):
        srv.recv_into(b"read only")
    with pytest.raises(TypeError, match="contiguous|writable"):
        srv.recv_into(memoryview(bytearray(64))[::2])


def test_big_message_comes_in_pieces_never_truncated(pair):
    cli, srv = pair
    payload = bytes(range(256)) * 64  # 16 KiB
    cli.send(payload, stream=1, ppid=5)
    pieces = []
    while True:
        m = srv.recv(4096)
        pieces.append(m)
        if m.eor:
            break
    assert len(pieces) == 4
    assert [p.eor for p in pieces] == [False, False, False, True]
    assert b"".join(p.data for p in pieces) == payload


def test_recv_whole_reassembles(pair):
    cli, srv = pair
    payload = b"z" * 200_000
    srv.recv_size = 8192
    cli.send(payload, stream=3, ppid=77)
    m = srv.recv_whole()
    assert m.data == payload and m.eor and m.stream == 3 and m.ppid == 77


def test_empty_message_is_a_value_error(pair):
    cli, _ = pair
    with pytest.raises(ValueError, match="empty"):
        cli.send(b"")


@pytest.mark.parametrize("kw,exc", [
    ({"stream": -1}, ValueError), ({"stream": 70000}, ValueError),
    ({"ppid": -1}, ValueError), ({"ppid": 2**32}, ValueError), ({"ppid": 2**80}, ValueError),
    ({"ppid": "46"}, TypeError),
])
def test_bad_send_arguments_raise_clear_errors(pair, kw, exc):
    cli, _ = pair
    with pytest.raises(exc):
        cli.send(b"x", **kw)


def test_send_on_closed_socket_names_the_operation(pair):
    cli, _ = pair
    cli.close()
    with pytest.raises(OSError, match="send: socket is closed"):
        cli.send(b"x")


def test_nonblocking_recv_raises_blocking_io_error(pair):
    _, srv = pair
    srv.setblocking(False)
    with pytest.raises(BlockingIOError, match="recv"):
        srv.recv()


def test_timeout_expires_with_timeout_error(pair):
    _, srv = pair
    srv.settimeout(0.2)
    with pytest.raises(TimeoutError, match="recv"):
        srv.recv()


def test_peer_shutdown_reads_as_empty_data(pair):
    cli, srv = pair
    cli.send(b"last")
    cli.shutdown()
    assert srv.recv().data == b"last"
    assert srv.recv().data == b""


def test_getpaddrs_and_getladdrs_report_loopback(pair):
    cli, srv = pair
    port = srv.getsockname()[1]
    assert cli.getpaddrs() == [("127.0.0.1", port)]
    assert srv.getladdrs() == [("127.0.0.1", port)]


def test_socket_adopts_a_stdlib_socket_fd(pair):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, C.IPPROTO_SCTP)
    w = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM, fileno=s.detach())
    assert w.fileno() >= 0
    w.close()
    assert w.closed


def test_peeloff_and_peeloff_flags_branch_associations(one_to_many):
    srv, port = one_to_many
    clients = [csctp.Socket(socket.AF_INET) for _ in range(2)]
    try:
        for i, c in enumerate(clients):
            c.settimeout(10)
            c.connect(("127.0.0.1", port))
            c.send(b"hi %d" % i)
        assoc_of = {}
        for _ in clients:
            m = srv.recv()
            assoc_of[int(m.data[-1:])] = m.assoc_id
        p0 = srv.peeloff(assoc_of[0])
        p1 = srv.peeloff(assoc_of[1], socket.SOCK_NONBLOCK)   # sctp_peeloff_flags, via the kernel directly
        assert p0.type == p1.type == socket.SOCK_STREAM
        p0.send(b"peeled 0")
        p1.send(b"peeled 1")
        assert clients[0].recv().data == b"peeled 0"
        assert clients[1].recv().data == b"peeled 1"
        with pytest.raises(BlockingIOError):
            p1.recv()                                         # the flag took effect
        with pytest.raises(OSError):
            srv.peeloff(assoc_of[0])                          # already branched off
        p0.close()
        p1.close()
    finally:
        for c in clients:
            c.close()
