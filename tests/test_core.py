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


def test_ipv6_address_on_an_ipv4_socket_is_a_value_error():
    with csctp.Socket(socket.AF_INET) as s:
        with pytest.raises(ValueError, match="AF_INET socket"):
            s.bind("[::1]:0")


def test_ipv4_peer_on_an_ipv6_socket_is_v4_mapped(loopback_pair):
    srv = csctp.Socket(socket.AF_INET6)
    try:
        srv.bind(("::", 0))
        srv.listen(1)
        srv.settimeout(10)
        port = srv.getsockname()[1]
        with csctp.Socket(socket.AF_INET) as cli:
            cli.settimeout(10)
            cli.connect(("127.0.0.1", port))
            conn, peer = srv.accept()
            with conn:
                assert peer[0] == "::ffff:127.0.0.1"
                cli.send(b"v4 on v6", ppid=3)
                assert conn.recv().data == b"v4 on v6"
    finally:
        srv.close()


def test_multihomed_bind_and_connectx_return_the_association(one_to_many):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        srv.bind("127.0.0.1/127.0.0.2:0")
        port = srv.getsockname()[1]
        assert sorted(srv.getladdrs()) == [("127.0.0.1", port), ("127.0.0.2", port)]
        srv.listen(1)
        srv.settimeout(10)
        with csctp.Socket(socket.AF_INET) as cli:
            cli.settimeout(10)
            aid = cli.connectx(f"127.0.0.1/127.0.0.2:{port}")
            assert aid > 0
            conn, _ = srv.accept()
            with conn:
                cli.send(b"ping")
                m = conn.recv()
                assert m.data == b"ping"
                assert sorted(a[0] for a in conn.getladdrs()) == ["127.0.0.1", "127.0.0.2"]
                assert sorted(a[0] for a in cli.getpaddrs()) == ["127.0.0.1", "127.0.0.2"]
    finally:
        srv.close()


def test_nxtinfo_describes_the_next_message(pair):
    cli, srv = pair
    srv.setsockopt(C.SOL_SCTP, C.SCTP_RECVNXTINFO, 1)
    cli.send(b"one", stream=1, ppid=10)
    cli.send(b"two!", stream=2, ppid=20)
    import time
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:      # until both are queued
        n, m = srv.recv_into(bytearray(16), 0, socket.MSG_PEEK)
        if m.nxt is not None:
            break
        time.sleep(0.01)
    m = srv.recv()
    assert m.data == b"one" and m.nxt is not None
    assert (m.nxt.stream, m.nxt.ppid, m.nxt.length) == (2, 20, 4)
    assert srv.recv().nxt is None


def test_sendv_gathers_buffers_with_prinfo_and_authinfo(loopback_pair, sysctl):
    sysctl("auth_enable", 1)
    cli, srv = loopback_pair()
    parts = [b"head|", memoryview(b"xxbodyxx")[2:6], bytearray(b"|tail")]
    n = cli.sendv(parts, stream=2, ppid=0xFFFFFF80, pr_policy=C.SCTP_PR_SCTP_RTX, pr_value=3, auth_key=0)
    assert n == 14
    m = srv.recv()
    assert (m.data, m.stream, m.ppid) == (b"head|body|tail", 2, 0xFFFFFF80)


def test_sendv_to_several_addresses_sets_up_an_association(one_to_many):
    srv, port = one_to_many
    srv.bindx(("127.0.0.2", port))
    with csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET) as cli:
        cli.settimeout(10)
        cli.sendv([b"implicit"], ppid=1, to=[("127.0.0.1", port), ("127.0.0.2", port)])
        m = srv.recv()
        assert m.data == b"implicit" and m.assoc_id > 0
        srv.send(b"reply", assoc_id=m.assoc_id)
        r = cli.recv()
        assert r.data == b"reply"
        assert sorted(a[0] for a in cli.getpaddrs(r.assoc_id)) == ["127.0.0.1", "127.0.0.2"]


def test_recv_copies_the_payload_once(pair):
    # tracemalloc sees every Python allocation: receiving an N-byte message
    # must allocate about N (the returned bytes), not 2N (a bounce buffer + bytes).
    import tracemalloc
    cli, srv = pair
    size = 48 * 1024           # below the partial delivery point: delivered whole
    payload = bytes(size)
    cli.send(payload)
    srv.recv(0, socket.MSG_PEEK)      # wait until the message is there, outside the measurement
    tracemalloc.start()
    try:
        m = srv.recv(size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert m.data == payload
    assert size <= peak < size + size // 4


def test_recv_into_copies_nothing_into_python_memory(pair):
    import tracemalloc
    cli, srv = pair
    size = 48 * 1024
    buf = bytearray(size)
    cli.send(b"\x07" * size)
    srv.recv(16, socket.MSG_PEEK)
    tracemalloc.start()
    try:
        n, m = srv.recv_into(buf)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == size and buf[0] == 7 and buf[-1] == 7
    assert peak < 8 * 1024         # a Message object, nothing payload-sized


def test_signals_interrupting_recv_are_retried_pep475(pair):
    import signal
    import threading
    cli, srv = pair
    hits = []
    old = signal.signal(signal.SIGALRM, lambda *a: hits.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)      # EINTR every 50 ms
        t = threading.Timer(0.5, cli.send, args=(b"after the signals",))
        t.start()
        m = srv.recv()
        t.join()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert m.data == b"after the signals"
    assert len(hits) >= 2


def test_a_raising_signal_handler_interrupts_recv(pair):
    import signal
    _, srv = pair

    def boom(*a):
        raise KeyboardInterrupt("from handler")

    old = signal.signal(signal.SIGALRM, boom)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(KeyboardInterrupt, match="from handler"):
            srv.recv()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_blocking_recv_releases_the_gil(pair):
    import threading
    import time
    cli, srv = pair
    got = []
    t = threading.Thread(target=lambda: got.append(srv.recv()))
    t.start()
    count = 0
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:      # Python work while the other thread is in recvmsg()
        count += 1
    cli.send(b"done")
    t.join(10)
    assert got and got[0].data == b"done"
    assert count > 1000
