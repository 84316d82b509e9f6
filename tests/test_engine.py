"""csctp._engine: the receive engine's compiled common case, and every way out of it, on the real kernel.

The engine answers ``recv``/``recv_into``/``send`` in C when nothing was read
ahead, no piece waits to be joined and the end is not known; these tests
drive each exit from that path (a piece, a notification first, read-ahead
messages, an error, the end, a large message that releases the GIL) and
check that nothing is lost, spliced or reordered.
"""

import threading
import time

import pytest

import csctp


@pytest.fixture
def assocs():
    lst = csctp.listen("127.0.0.1:0")
    lst.settimeout(10)
    cli = csctp.connect(f"127.0.0.1:{lst.address[1]}", timeout=10)
    srv = lst.accept()
    srv.settimeout(10)
    cli.settimeout(10)
    yield cli, srv
    for x in (cli, srv, lst):
        x.close()


def test_front_door_runs_on_the_engine():
    from csctp._engine import Engine
    assert issubclass(csctp.Association, Engine) and issubclass(csctp.Endpoint, Engine)
    # the compiled calls are the ones users reach, not shadowed by Python methods
    for name in ("recv", "recv_into", "send", "_recv_step"):
        assert getattr(csctp.Association, name) is getattr(Engine, name), name
    assert csctp.Endpoint.recv is Engine.recv and csctp.Endpoint.send is not Engine.send


def test_recv_and_recv_into_keep_metadata_and_order(assocs):
    cli, srv = assocs
    for i in range(40):
        assert cli.send(b"m%03d" % i, stream=i % 4, ppid=0x80000000 + i, unordered=False) == 4
    buf = bytearray(64)
    got = []
    for i in range(40):
        if i % 2:
            m = srv.recv()
            got.append((m.data, m.stream, m.ppid))
        else:
            n, m = srv.recv_into(buf)
            assert m.data is None and m.eor
            got.append((bytes(buf[:n]), m.stream, m.ppid))
    per_stream = {}
    for data, sid, ppid in got:
        per_stream.setdefault(sid, []).append(int(data[1:]))
        assert ppid == 0x80000000 + int(data[1:])
        assert sid == int(data[1:]) % 4
    assert all(v == sorted(v) for v in per_stream.values()) and sum(map(len, per_stream.values())) == 40


def test_recv_reassembles_when_the_buffer_is_smaller_than_the_message(assocs):
    cli, srv = assocs
    srv.socket.recv_size = 1000
    payload = bytes(range(256)) * 40            # 10,240 bytes: eleven pieces
    cli.send(payload, stream=1, ppid=7)
    cli.send(b"after", stream=1, ppid=8)
    m = srv.recv()
    assert (m.data, m.stream, m.ppid, m.eor) == (payload, 1, 7, True)
    assert srv.recv().data == b"after"


def test_recv_into_gives_pieces_of_a_message_larger_than_the_buffer(assocs):
    cli, srv = assocs
    payload = bytes(range(256)) * 8             # 2,048 bytes
    cli.send(payload, ppid=9)
    buf = bytearray(1000)
    out, eors = b"", []
    while not eors or not eors[-1]:
        n, m = srv.recv_into(buf)
        assert m.ppid == 9
        out += bytes(buf[:n])
        eors.append(m.eor)
    assert out == payload and eors == [False, False, True]


def test_a_notification_first_is_queued_and_the_data_returned(assocs):
    cli, srv = assocs
    srv.subscribe("sender_dry")         # the kernel queues SENDER_DRY at once (nothing in flight)
    cli.send(b"data", ppid=1)
    buf = bytearray(100)
    n, m = srv.recv_into(buf)
    assert bytes(buf[:n]) == b"data" and not m.is_notification
    kinds = [type(e).__name__ for e in srv.events()]
    assert kinds == ["SenderDry"]


def test_messages_read_ahead_are_returned_first_by_both_calls(assocs):
    cli, srv = assocs
    srv.subscribe("sender_dry")
    for i in range(4):
        cli.send(b"x%d" % i, stream=0)
    deadline = time.monotonic() + 10
    while srv._pending.ndata < 4 and time.monotonic() < deadline:
        srv.poll_events()            # reads ahead: the messages wait in the engine's queue
    assert srv._pending.ndata == 4
    cli.send(b"x4")
    buf = bytearray(10)
    n, m = srv.recv_into(buf)
    assert bytes(buf[:n]) == b"x0" and m.data is None
    assert [srv.recv().data for _ in range(4)] == [b"x1", b"x2", b"x3", b"x4"]


def test_the_end_is_raised_by_every_call_after_the_last_message(assocs):
    cli, srv = assocs
    cli.send(b"last")
    cli.shutdown()
    assert srv.recv().data == b"last"
    buf = bytearray(10)
    with pytest.raises(csctp.AssociationClosed, match="recv_into"):
        srv.recv_into(buf)
    with pytest.raises(csctp.AssociationClosed, match="recv"):
        srv.recv()
    assert srv._recv_step() is None


def test_timeout_and_nonblocking_raise_without_losing_anything(assocs):
    cli, srv = assocs
    srv.settimeout(0)
    with pytest.raises(BlockingIOError):
        srv.recv()
    with pytest.raises(BlockingIOError):
        srv.recv_into(bytearray(10))
    srv.settimeout(0.05)
    with pytest.raises(TimeoutError):
        srv.recv()
    srv.settimeout(10)
    cli.send(b"still here", ppid=3)
    m = srv.recv()
    assert (m.data, m.ppid) == (b"still here", 3)


def test_large_messages_release_the_gil_and_arrive_whole(assocs):
    """A receive larger than the bound kept under the GIL releases it: another thread runs meanwhile."""
    cli, srv = assocs
    srv.socket.recv_size = 1 << 20
    payload = bytes(range(256)) * 400           # 100 KiB: over the 64 KiB kept under the GIL, within the send buffer
    ticks = []
    stop = threading.Event()

    def ticker():
        for _ in range(100_000):
            if stop.is_set():
                return
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        got = []
        sender = threading.Thread(target=lambda: [cli.send(payload, ppid=i) for i in range(4)])
        sender.start()
        for _ in range(4):
            got.append(srv.recv())
        sender.join(10)
    finally:
        stop.set()
        t.join(10)
    assert [(m.data == payload, m.ppid) for m in got] == [(True, i) for i in range(4)]
    assert ticks        # the other thread was not starved


def test_send_converts_and_rejects_bad_arguments_naming_the_call(assocs):
    cli, srv = assocs
    with pytest.raises(ValueError, match="send: stream"):
        cli.send(b"x", stream=70000)
    with pytest.raises((ValueError, OverflowError), match="send: ppid"):
        cli.send(b"x", ppid=1 << 32)
    with pytest.raises(TypeError, match="send"):
        cli.send("text")
    with pytest.raises(ValueError, match="send: empty message"):
        cli.send(b"")
    with pytest.raises(TypeError):
        cli.send(b"x", 1)               # stream is keyword-only
    assert cli.send(b"u", unordered=True, ttl=1000, context=5) == 1
    m = srv.recv()
    assert m.unordered and m.data == b"u"


def outcome_of_a_blocked_call(call, wake):
    """Run *call* in a thread, let it block, run *wake* here: what the call returned or raised."""
    got = []

    def caller():
        try:
            got.append(call())
        except Exception as e:       # noqa: BLE001 - the caller's assertion names what is expected
            got.append(e)

    t = threading.Thread(target=caller)
    t.start()
    time.sleep(0.3)
    wake()
    t.join(10)
    assert not t.is_alive() and len(got) == 1
    return got[0]


def test_close_from_another_thread_wakes_a_blocked_recv(assocs):
    cli, srv = assocs
    srv.settimeout(None)
    assert isinstance(outcome_of_a_blocked_call(srv.recv, srv.close), OSError)


def test_recv_into_results_kept_by_the_caller_stay_intact(assocs):
    """recv_into refills its result tuple only when the caller dropped it: kept results never change."""
    cli, srv = assocs
    for i in range(3):
        cli.send(b"k%d" % i, ppid=i)
    buf = bytearray(10)
    kept = [srv.recv_into(buf) for _ in range(3)]
    assert [(n, m.ppid) for n, m in kept] == [(2, 0), (2, 1), (2, 2)]
    assert len({id(r) for r in kept}) == 3
    for i in range(3):
        cli.send(b"l%d" % i, ppid=10 + i)
    seen = []
    for _ in range(3):
        n, m = srv.recv_into(buf)           # unpacked and dropped: the same tuple may serve again
        seen.append((n, m.ppid, bytes(buf[:n])))
    assert seen == [(2, 10, b"l0"), (2, 11, b"l1"), (2, 12, b"l2")]
    assert [(n, m.ppid) for n, m in kept] == [(2, 0), (2, 1), (2, 2)]


@pytest.mark.parametrize("call", ["recv", "recv_into"])
def test_a_peer_abort_wakes_a_blocked_call_and_ends_every_later_one(assocs, call):
    cli, srv = assocs
    srv.settimeout(None)
    got = outcome_of_a_blocked_call(srv.recv if call == "recv" else lambda: srv.recv_into(bytearray(64)),
                                    cli.abort)
    assert isinstance(got, ConnectionResetError), got
    # the end is remembered: no further system call, the same error, sends too
    with pytest.raises(ConnectionResetError, match="recv"):
        srv.recv()
    with pytest.raises(ConnectionResetError, match="recv_into"):
        srv.recv_into(bytearray(64))
    with pytest.raises(OSError):
        srv.send(b"after the abort")


@pytest.mark.parametrize("wake", ["peer abort", "own close"])
def test_a_blocked_recv_batch_is_woken_and_every_later_call_fails(assocs, wake):
    cli, srv = assocs
    srv.settimeout(None)
    got = outcome_of_a_blocked_call(lambda: srv.recv_batch(8), cli.abort if wake == "peer abort" else srv.close)
    if wake == "own close":
        assert isinstance(got, OSError) and not isinstance(got, BlockingIOError), got
        with pytest.raises(OSError, match="closed"):
            srv.recv_batch(8)
        return
    srv.settimeout(5)                               # a call that did not learn the end fails instead of hanging
    # the abort comes back as the error of the call, or as the notification inside a raw batch
    if not isinstance(got, ConnectionResetError):
        assert [m.is_notification for m in got] == [True] * len(got) and len(got) >= 1, got
    with pytest.raises(ConnectionResetError, match="recv_batch"):
        srv.recv_batch(8)
    with pytest.raises(ConnectionResetError, match="recv"):
        srv.recv()


def test_recv_batch_timeout_and_nonblocking_lose_nothing(assocs):
    cli, srv = assocs
    srv.settimeout(0)
    with pytest.raises(BlockingIOError, match="recvmmsg"):
        srv.recv_batch(8)
    srv.settimeout(0.05)
    with pytest.raises(TimeoutError, match="recvmmsg"):
        srv.recv_batch(8)
    srv.settimeout(10)
    cli.send(b"after the timeout", ppid=9)
    b = srv.recv_batch(8)
    assert [(m.copy(), m.ppid) for m in b] == [(b"after the timeout", 9)]


def test_an_abort_between_the_pieces_of_a_message_never_passes_for_its_end(assocs):
    """The first piece came, the peer aborts: the rest is read if the kernel kept it, else the call fails."""
    cli, srv = assocs
    data = bytes(range(256)) * 256                  # 64 KiB
    cli.send(data, stream=2, ppid=7)
    buf = bytearray(4096)
    n, m = srv.recv_into(buf)
    assert (n, m.eor) == (4096, False)
    got = bytes(buf[:n])
    cli.abort()
    time.sleep(0.3)
    for _ in range(len(data) // 4096 + 2):
        try:
            n, m = srv.recv_into(buf)
        except ConnectionResetError:
            break
        got += bytes(buf[:n])
        assert data.startswith(got)
        if m.eor:
            assert got == data and (m.stream, m.ppid) == (2, 7)
            break
    else:
        pytest.fail("neither the end of the message nor the end of the association")
    assert data.startswith(got)
    with pytest.raises(ConnectionResetError):
        srv.recv()
