"""csctp.connect / csctp.listen / Association / Listener / stream handles, on the real kernel."""

import select
import socket

import time
import typing

import pytest

import csctp
from csctp import constants as C


def free_port(host="127.0.0.1"):
    """A port nobody listens on: bind, read the port, close."""
    s = csctp.Socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def assoc_pair():
    """Factory: (client Association, server Association, Listener) over loopback."""
    made = []

    def make(host="127.0.0.1", **kw):
        lst = csctp.listen(f"[{host}]:0" if ":" in host else f"{host}:0", **kw)
        lst.settimeout(10)
        port = lst.address[1]
        cli = csctp.connect(f"[{host}]:{port}" if ":" in host else f"{host}:{port}", timeout=10, **kw)
        srv = lst.accept()
        srv.settimeout(10)
        made.extend([cli, srv, lst])
        return cli, srv, lst

    yield make
    for x in made:
        x.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"], ids=["ipv4", "ipv6"])
def test_messages_keep_stream_and_ppid_both_ways(assoc_pair, host):
    cli, srv, _ = assoc_pair(host)
    for i in range(6):
        cli.send(b"req %d" % i, stream=i % 3, ppid=46)
    got = [srv.recv() for _ in range(6)]
    # order holds within a stream, not across streams
    assert sorted((m.stream, m.ssn, m.data, m.ppid) for m in got) == sorted(
        (i % 3, i // 3, b"req %d" % i, 46) for i in range(6))
    srv.send(b"answer", stream=2, ppid=0xFFFFFFFF)
    m = cli.recv()
    assert (m.data, m.stream, m.ppid, m.eor) == (b"answer", 2, 0xFFFFFFFF, True)
    assert m.assoc_id > 0


def test_defaults_nodelay_on_rcvinfo_on(assoc_pair):
    cli, srv, _ = assoc_pair()
    assert cli.socket.getsockopt(C.SOL_SCTP, C.SCTP_NODELAY) == 1
    assert srv.socket.getsockopt(C.SOL_SCTP, C.SCTP_RECVRCVINFO) == 1
    assert cli.socket.getsockopt(C.SOL_SCTP, C.SCTP_RECVRCVINFO) == 1


def test_nodelay_can_be_turned_off():
    lst = csctp.listen("127.0.0.1:0")
    a = csctp.connect(f"127.0.0.1:{lst.address[1]}", nodelay=False, timeout=10)
    try:
        assert a.socket.getsockopt(C.SOL_SCTP, C.SCTP_NODELAY) == 0
    finally:
        a.close()
        lst.close()


def test_unordered_and_context_and_ttl_are_accepted(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.send(b"u", unordered=True, ttl=5000, context=7)
    m = srv.recv()
    assert m.data == b"u" and m.unordered


def test_recv_reassembles_a_message_larger_than_one_read(assoc_pair):
    cli, srv, _ = assoc_pair()
    big = bytes(range(256)) * 400            # 102 400 bytes > the core's 64 KiB read size
    cli.send(big, stream=1, ppid=9)
    cli.send(b"after", stream=1)
    m = srv.recv()
    assert m.eor and m.stream == 1 and m.ppid == 9
    assert m.data == big
    assert srv.recv().data == b"after"


def test_recv_into_is_zero_copy_into_the_callers_buffer(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.send(b"hello", stream=4, ppid=3)
    buf = bytearray(100)
    n, m = srv.recv_into(buf)
    assert n == 5 and bytes(buf[:5]) == b"hello"
    assert m.data is None and m.stream == 4 and m.ppid == 3


def test_graceful_shutdown_raises_association_closed_not_an_empty_message(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.send(b"last words")
    cli.shutdown()
    assert srv.recv().data == b"last words"      # queued data is delivered before the SHUTDOWN
    with pytest.raises(csctp.AssociationClosed):
        srv.recv()
    with pytest.raises(EOFError):                 # AssociationClosed is an EOFError
        srv.recv()


def test_iterating_an_association_stops_at_shutdown(assoc_pair):
    cli, srv, _ = assoc_pair()
    for i in range(3):
        cli.send(b"%d" % i)
    cli.shutdown()
    assert [m.data for m in srv] == [b"0", b"1", b"2"]


def test_abort_is_a_connection_reset_on_the_other_side(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.abort(b"overload")
    assert cli.closed
    with pytest.raises(ConnectionResetError):
        srv.recv()


def test_abort_without_reason(assoc_pair):
    cli, srv, _ = assoc_pair()
    srv.abort()
    with pytest.raises(ConnectionResetError):
        cli.recv()


def test_no_events_until_subscribed(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.shutdown()
    with pytest.raises(csctp.AssociationClosed):
        srv.recv()
    assert list(srv.events()) == []


def test_subscribed_shutdown_event_goes_to_events_not_recv(assoc_pair):
    cli, srv, _ = assoc_pair()
    srv.subscribe("shutdown")
    cli.send(b"data")
    cli.shutdown()
    assert srv.recv().data == b"data"
    with pytest.raises(csctp.AssociationClosed):
        srv.recv()
    evs = list(srv.events())
    assert [e.kind for e in evs] == ["shutdown"]
    assert evs[0].type == C.SCTP_SHUTDOWN_EVENT
    assert list(srv.events()) == []              # drained


def test_sender_dry_event_after_subscribing_on_an_idle_association(assoc_pair):
    cli, srv, _ = assoc_pair()
    cli.send(b"x")
    assert srv.recv().data == b"x"
    cli.subscribe("sender_dry")                   # the kernel reports "dry" at once when nothing is in flight
    cli.settimeout(10)
    evs = []
    for _ in range(100):
        evs = cli.poll_events()
        if evs:
            break
        srv.send(b"ping")                         # wake the client's socket; data is kept for recv()
        assert cli.recv().data == b"ping"
    assert [e.kind for e in evs] == ["sender_dry"]


def test_poll_events_keeps_data_for_recv(assoc_pair):
    cli, srv, _ = assoc_pair()
    srv.subscribe("shutdown")
    cli.send(b"one")
    cli.send(b"two")
    cli.shutdown()
    evs = []
    for _ in range(100):
        select.select([srv.fileno()], [], [], 0.1)
        evs += srv.poll_events()
        if evs:
            break
    assert [e.kind for e in evs] == ["shutdown"]
    assert [srv.recv().data, srv.recv().data] == [b"one", b"two"]


def test_stream_handles_send_and_demultiplex(assoc_pair):
    cli, srv, _ = assoc_pair()
    out1, out2 = cli.ostream(1), cli.ostream(2)
    out1.send(b"a1", ppid=1)
    out2.send(b"b1", ppid=2)
    out1.send(b"a2", ppid=1)
    out2.send(b"b2", ppid=2)
    in2 = srv.istream(2)
    m = in2.recv()
    assert (m.data, m.stream, m.ppid) == (b"b1", 2, 2)
    assert in2.recv().data == b"b2"
    # stream 1's messages were buffered on the way, in order, for recv()
    assert [srv.recv().data, srv.recv().data] == [b"a1", b"a2"]


def test_stream_handle_buffering_is_bounded_and_loses_nothing(assoc_pair):
    cli, srv, _ = assoc_pair()
    srv.max_pending_bytes = 3000
    for i in range(6):                       # 6 KB on stream 1, then one message on stream 2
        cli.send(bytes([i]) * 1000, stream=1)
    cli.send(b"two", stream=2)
    in2 = srv.istream(2)
    with pytest.raises(csctp.PendingLimitError, match=r"istream\(2\).*max_pending_bytes=3000.*nothing was dropped"):
        in2.recv()
    assert isinstance(csctp.PendingLimitError(), BufferError)
    # everything read so far is kept, in order; draining stream 1 lets stream 2 through
    got = [srv.recv().data for _ in range(6)]
    assert got == [bytes([i]) * 1000 for i in range(6)]
    assert srv._pending.nbytes == 0
    assert in2.recv().data == b"two"


def test_poll_events_stops_reading_ahead_at_the_limit(assoc_pair):
    cli, srv, _ = assoc_pair()
    srv.max_pending_bytes = 1500
    for i in range(5):
        cli.send(bytes([i]) * 1000)
    # poll until the read-ahead passes the limit; polling again then reads nothing more
    for _ in range(500):
        assert srv.poll_events() == []
        if srv._pending.nbytes > 1500:
            break
        time.sleep(0.02)
    time.sleep(0.2)                          # the other three have arrived by now
    srv.poll_events()
    assert srv._pending.nbytes == 2000
    assert [srv.recv().data for _ in range(5)] == [bytes([i]) * 1000 for i in range(5)]


def test_stream_handle_ids_are_checked(assoc_pair):
    cli, _, _ = assoc_pair()
    with pytest.raises(ValueError, match="ostream"):
        cli.ostream(70000)
    with pytest.raises(ValueError, match="istream"):
        cli.istream(-1)


def test_a_stream_beyond_the_negotiated_ones_is_an_error():
    lst = csctp.listen("127.0.0.1:0", instreams=2)
    cli = csctp.connect(f"127.0.0.1:{lst.address[1]}", ostreams=5, timeout=10)
    try:
        srv = lst.accept()
        cli.send(b"ok", stream=1)
        assert srv.recv().stream == 1
        with pytest.raises(OSError):
            cli.send(b"no", stream=3)              # the peer granted only 2 inbound streams
        srv.close()
    finally:
        cli.close()
        lst.close()


def test_addresses(assoc_pair):
    cli, srv, lst = assoc_pair()
    port = lst.address[1]
    assert cli.peer_addresses == [("127.0.0.1", port)]
    assert srv.local_addresses == [("127.0.0.1", port)]
    assert srv.peer_addresses == cli.local_addresses


def test_multi_homed_listen_and_connect():
    lst = csctp.listen("127.0.0.1/127.0.0.2:0")
    port = lst.address[1]
    assert sorted(a[0] for a in lst.local_addresses) == ["127.0.0.1", "127.0.0.2"]
    cli = csctp.connect(f"127.0.0.1/127.0.0.2:{port}", local="127.0.0.3/127.0.0.4:0", timeout=10)
    try:
        srv = lst.accept()
        assert sorted(a[0] for a in cli.peer_addresses) == ["127.0.0.1", "127.0.0.2"]
        assert sorted(a[0] for a in srv.peer_addresses) == ["127.0.0.3", "127.0.0.4"]
        cli.send(b"hi")
        assert srv.recv().data == b"hi"
        srv.close()
    finally:
        cli.close()
        lst.close()


def test_connect_to_a_port_nobody_listens_on_is_refused():
    port = free_port()
    with pytest.raises(ConnectionRefusedError, match="sctp_connectx"):
        csctp.connect(f"127.0.0.1:{port}", timeout=10)


def test_bad_arguments():
    with pytest.raises(ValueError, match="ostreams"):
        csctp.connect("127.0.0.1:9", ostreams=0)
    with pytest.raises(ValueError, match="SCTP address"):
        csctp.connect("127.0.0.1:notaport")
    with pytest.raises(TypeError):
        csctp.Association("not a socket")
    with pytest.raises(ValueError):
        csctp.Association(csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET))


def test_recv_timeout(assoc_pair):
    _, srv, _ = assoc_pair()
    srv.settimeout(0.1)
    assert srv.gettimeout() == 0.1
    with pytest.raises(TimeoutError):
        srv.recv()


def test_context_manager_and_close_twice(assoc_pair):
    cli, srv, _ = assoc_pair()
    with cli as a:
        assert a.fileno() >= 0
    assert cli.closed and cli.fileno() == -1
    cli.close()
    with pytest.raises(csctp.AssociationClosed):
        srv.recv()
    assert "closed" in repr(cli)


def test_listener_accepts_several_and_reports_its_address():
    with csctp.listen("127.0.0.1:0", backlog=4) as lst:
        lst.settimeout(10)
        port = lst.address[1]
        clients = [csctp.connect(f"127.0.0.1:{port}", timeout=10) for _ in range(3)]
        it = iter(lst)
        servers = [next(it) for _ in clients]
        for i, c in enumerate(clients):
            c.send(b"%d" % i)
        assert sorted(s.recv().data for s in servers) == [b"0", b"1", b"2"]
        for x in clients + servers:
            x.close()
        assert "Listener" in repr(lst)
    assert "closed" in repr(lst)


def test_status_reports_state_and_negotiated_streams():
    lst = csctp.listen("127.0.0.1:0", instreams=4)
    cli = csctp.connect(f"127.0.0.1:{lst.address[1]}", ostreams=7, instreams=3, timeout=10)
    try:
        srv = lst.accept()
        st = cli.status
        assert st.state == C.SCTP_ESTABLISHED
        assert st.state is csctp.AssocState.ESTABLISHED and "ESTABLISHED" in repr(st)    # a name, not 4
        assert isinstance(st.primary.state, csctp.PathState)
        assert (st.outstreams, st.instreams) == (4, 3)     # min of what each side asked for
        assert srv.status.outstreams == 3
        assert st.primary.address[:2] == ("127.0.0.1", lst.address[1])
        srv.close()
    finally:
        cli.close()
        lst.close()


def test_primary_can_be_read_and_moved():
    lst = csctp.listen("127.0.0.1/127.0.0.2:0")
    port = lst.address[1]
    cli = csctp.connect(f"127.0.0.1/127.0.0.2:{port}", timeout=10)
    try:
        srv = lst.accept()
        assert cli.primary[:2] == ("127.0.0.1", port)
        cli.primary = f"127.0.0.2:{port}"
        assert cli.primary[:2] == ("127.0.0.2", port)
        assert cli.status.primary.address[:2] == ("127.0.0.2", port)
        cli.send(b"via the new primary")
        assert srv.recv().data == b"via the new primary"
        srv.close()
    finally:
        cli.close()
        lst.close()


def test_paths_are_objects_per_peer_address_with_the_primary_marked():
    lst = csctp.listen("127.0.0.1/127.0.0.2:0")
    port = lst.address[1]
    assert lst.address == lst.local_addresses[0]             # the first bound address
    cli = csctp.connect(f"127.0.0.1/127.0.0.2:{port}", local="127.0.0.3/127.0.0.4:0", timeout=10)
    try:
        srv = lst.accept()
        paths = cli.paths()
        assert sorted(p.address[:2] for p in paths) == [("127.0.0.1", port), ("127.0.0.2", port)]
        assert all(isinstance(p, csctp.Path) and isinstance(p.state, csctp.PathState) for p in paths)
        assert [p.address[:2] for p in paths if p.primary] == [cli.primary[:2]]
        first = next(p for p in paths if p.primary)
        assert first.state is csctp.PathState.ACTIVE             # the path the handshake went over
        assert first.mtu > 0 and first.rto > 0 and first.cwnd > 0 and first.srtt >= 0
        cli.primary = f"127.0.0.2:{port}"
        assert [p.address[:2] for p in cli.paths() if p.primary] == [("127.0.0.2", port)]
        with pytest.raises(AttributeError):
            first.state = csctp.PathState.INACTIVE               # type: ignore[misc]  # a snapshot: frozen
        assert sorted(p.address[:2] for p in srv.paths()) == [("127.0.0.3", cli.local_addresses[0][1]),
                                                               ("127.0.0.4", cli.local_addresses[0][1])]
        srv.close()
    finally:
        cli.close()
        lst.close()


@pytest.mark.nokernel
def test_every_public_name_of_the_python_layer_has_a_docstring():
    import inspect

    import csctp.aio
    import csctp.association
    import csctp.endpoint
    missing = []
    for mod in (csctp.association, csctp.endpoint, csctp.aio):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if typing.get_origin(obj) is typing.Union:          # a type alias (Address, Event): documented by comment
                continue
            if not inspect.getdoc(obj):
                missing.append(f"{mod.__name__}.{name}")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    target = member.fget if isinstance(member, property) else member
                    if callable(target) and not inspect.getdoc(target):
                        missing.append(f"{mod.__name__}.{name}.{attr}")
    assert missing == []


def test_batch_send_and_receive(assoc_pair):
    cli, srv, _ = assoc_pair()
    msgs = [b"m%d" % i for i in range(10)]
    assert cli.send_batch(msgs, streams=[i % 2 for i in range(10)], ppids=46) == 10
    got = []
    for _ in range(10):
        batch = srv.recv_batch(16)
        got += [(m.copy(), m.stream, m.ppid) for m in batch]
        if len(got) == 10:
            break
    assert sorted(got) == sorted((b"m%d" % i, i % 2, 46) for i in range(10))


def test_recv_batch_checks_its_size_and_grows_its_pool_without_losing_order(assoc_pair):
    cli, srv, _ = assoc_pair()
    for bad, exc in ((0, ValueError), (1025, ValueError), (-1, ValueError), ("8", TypeError), (2.5, TypeError)):
        with pytest.raises(exc, match="recv_batch: max_messages"):
            srv.recv_batch(bad)
    for i in range(12):
        cli.send(b"m%d" % i)
    srv.settimeout(10)
    got = []
    small = srv.recv_batch(4)                      # the pool is made for 4 ...
    assert 1 <= len(small) <= 4
    got += [m.copy() for m in small]
    while len(got) < 12:                           # ... and remade, larger, by the next call
        b = srv.recv_batch(16)
        assert len(b) <= 16
        got += [m.copy() for m in b]
    assert got == [b"m%d" % i for i in range(12)]
