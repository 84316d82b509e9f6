"""csctp.Endpoint (one-to-many) on the real kernel: ids, replies, sendall, peeloff, autoclose, events."""

import errno
import select
import socket
import threading
import time

import pytest

import csctp
from csctp import constants as C


@pytest.fixture
def gateway():
    """A listening one-to-many endpoint and a factory of one-to-one clients connected to it."""
    ep = csctp.Endpoint("127.0.0.1:0")
    ep.settimeout(10)
    port = ep.local_addresses[0][1]
    clients = []

    def client():
        c = csctp.connect(f"127.0.0.1:{port}", timeout=10)
        clients.append(c)
        return c

    yield ep, port, client
    for c in clients:
        c.close()
    ep.close()


def test_listen_one_to_many_returns_an_endpoint(gateway):
    ep, _, _ = gateway
    assert isinstance(ep, csctp.Endpoint)
    assert ep.socket.type == socket.SOCK_SEQPACKET
    assert ep.socket.getsockopt(C.SOL_SCTP, C.SCTP_NODELAY) == 1


def test_messages_carry_assoc_id_and_replies_go_by_id(gateway):
    ep, _, client = gateway
    a, b = client(), client()
    a.send(b"from a", stream=1, ppid=46)
    b.send(b"from b", stream=2, ppid=3)
    got = {m.data: m for m in (ep.recv(), ep.recv())}
    ia, ib = got[b"from a"].assoc_id, got[b"from b"].assoc_id
    assert ia != ib and ia > 0 and ib > 0
    assert (got[b"from a"].stream, got[b"from a"].ppid) == (1, 46)
    assert sorted(ep.associations()) == sorted([ia, ib])
    ep.send(b"to b", assoc_id=ib, stream=3, ppid=9)
    ep.send(b"to a", assoc_id=ia)
    m = b.recv()
    assert (m.data, m.stream, m.ppid) == (b"to b", 3, 9)
    assert a.recv().data == b"to a"
    ea = ep.association(ia)
    assert isinstance(ea, csctp.EndpointAssociation) and ea.assoc_id == ia and ea.endpoint is ep
    assert ea.peer_addresses == a.local_addresses
    assert ea.local_addresses == a.peer_addresses
    st = ea.status
    assert (st.assoc_id, st.outstreams, st.instreams) == (ia, 10, 10)
    assert st.state is csctp.AssocState.ESTABLISHED
    assert ea.primary in a.local_addresses
    paths = ea.paths()
    assert sorted(p.address for p in paths) == sorted(a.local_addresses)
    assert [(p.address, p.state) for p in paths if p.primary] == [(ea.primary, csctp.PathState.ACTIVE)]
    assert ep.association(ib).status.assoc_id == ib             # each object asks about its own association
    ea.send(b"by object", stream=2, ppid=7)
    ea.ostream(4).send(b"by stream handle")
    assert [(m.data, m.stream, m.ppid) for m in (a.recv(), a.recv())] == [
        (b"by object", 2, 7), (b"by stream handle", 4, 0)]
    assert ea.sendv([b"gathered ", b"pieces"], ppid=1) == 15
    assert a.recv().data == b"gathered pieces"


def test_sendall_reaches_every_association(gateway):
    ep, _, client = gateway
    cs = [client() for _ in range(3)]
    for c in cs:
        c.send(b"hello")
    for _ in cs:
        ep.recv()
    assert sorted(ep.sendall(b"broadcast", ppid=5)) == sorted(ep.associations())
    assert [(m.data, m.ppid) for m in (c.recv() for c in cs)] == [(b"broadcast", 5)] * 3


def _fill_with_sendall(ep, clients):
    """Associations whose peers do not read, and sendall until the endpoint's send buffer is full.

    Returns ({assoc_id: client index}, how many sendall calls went through, the BlockingIOError).
    """
    ep.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    ids = {}
    for i, c in enumerate(clients):
        c.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send(b"%d" % i)
    for _ in clients:
        m = ep.recv()
        ids[m.assoc_id] = int(m.data)
    ep.settimeout(0)
    for k in range(2000):               # bounded: the buffers hold a few of these
        try:
            got = ep.sendall(b"%06d" % k + b"x" * 994)
        except BlockingIOError as e:
            return ids, k, e
        assert sorted(got) == sorted(ids)
    pytest.fail("the send buffer never filled")


def _drain(c, count, into):
    c.settimeout(10)
    for _ in range(count):
        into.append(int(c.recv().data[:6]))


def test_sendall_on_a_full_send_buffer_reaches_every_association_exactly_once(gateway):
    # The kernel's SCTP_SENDALL fails with EAGAIN after some associations got the message
    # when the send buffer fills part-way, and says not which: a retry sent it to them twice.
    ep, _, client = gateway
    cs = [client() for _ in range(4)]
    ids, k, err = _fill_with_sendall(ep, cs)
    assert err.pending and sorted(err.sent_to + err.pending) == sorted(ids)
    assert not set(err.sent_to) & set(err.pending)
    # finish message k as the error says, and 20 more through the full buffer, blocking
    got = [[] for _ in cs]
    threads = [threading.Thread(target=_drain, args=(c, k + 21, got[i])) for i, c in enumerate(cs)]
    for t in threads:
        t.start()
    try:
        ep.settimeout(10)
        for aid in err.pending:
            ep.send(b"%06d" % k + b"x" * 994, assoc_id=aid)
        for j in range(k + 1, k + 21):
            assert sorted(ep.sendall(b"%06d" % j + b"x" * 994)) == sorted(ids)
    finally:
        for t in threads:
            t.join(60)
    assert got == [list(range(k + 21))] * len(cs)          # each once, in order, to everyone


def test_a_sendall_parked_on_a_full_buffer_fails_when_another_thread_closes_the_endpoint(gateway):
    ep, _, client = gateway
    cs = [client() for _ in range(4)]
    ids, k, _ = _fill_with_sendall(ep, cs)
    ep.settimeout(30)
    out = {}

    def broadcast():
        try:
            out["ids"] = ep.sendall(b"%06d" % k + b"x" * 994)
        except OSError as e:
            out["error"] = e

    t = threading.Thread(target=broadcast)
    t.start()
    time.sleep(0.5)
    assert t.is_alive()                 # parked: nobody reads
    ep.close()
    t.join(10)
    assert not t.is_alive() and "ids" not in out
    e = out["error"]
    assert e.errno == errno.EBADF
    assert e.pending and sorted(e.sent_to + e.pending) == sorted(ids)


def test_sendall_skips_an_association_that_ended_and_says_how_far_an_error_got(gateway, monkeypatch):
    ep, _, client = gateway
    cs = [client() for _ in range(3)]
    for i, c in enumerate(cs):
        c.send(b"%d" % i)
    by_client = {int(m.data): m.assoc_id for m in (ep.recv() for _ in cs)}
    listed = ep.associations()
    cs[1].abort()
    deadline = time.monotonic() + 10
    while by_client[1] in ep.associations() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert by_client[1] not in ep.associations()
    # listed before the abort: the send to the ended one fails and is skipped
    monkeypatch.setattr(csctp.Endpoint, "associations", lambda self: listed)
    assert sorted(ep.sendall(b"to the living")) == sorted([by_client[0], by_client[2]])
    assert [cs[0].recv().data, cs[2].recv().data] == [b"to the living"] * 2
    monkeypatch.undo()
    with pytest.raises(OSError) as e:
        ep.sendall(b"x", stream=12)     # beyond the 10 streams negotiated: the kernel refuses it
    assert (e.value.sent_to, sorted(e.value.pending)) == ([], sorted([by_client[0], by_client[2]]))


def test_send_needs_exactly_one_destination(gateway):
    ep, _, _ = gateway
    with pytest.raises(ValueError, match="assoc_id"):
        ep.send(b"x")
    with pytest.raises(ValueError, match="assoc_id"):
        ep.send(b"x", assoc_id=1, to="127.0.0.1:1")


def test_client_endpoint_connects_and_sends_implicitly(gateway):
    ep, port, _ = gateway
    with csctp.Endpoint() as cli:
        cli.settimeout(10)
        aid = cli.connect(f"127.0.0.1:{port}", timeout=5)       # as csctp.aio.Endpoint.connect
        assert aid in cli.associations()
        assert cli.gettimeout() == 10                           # the endpoint's own timeout is back
        cli.send(b"explicit", assoc_id=aid)
        m = ep.recv()
        assert m.data == b"explicit"
        ep.send(b"reply", assoc_id=m.assoc_id)
        r = cli.recv()
        assert (r.data, r.assoc_id) == (b"reply", aid)
    with csctp.Endpoint() as cli2:
        cli2.settimeout(10)
        cli2.send(b"implicit setup", to=f"127.0.0.1:{port}")   # the association is set up by the send
        assert ep.recv().data == b"implicit setup"
        assert len(cli2.associations()) == 1


def test_peeloff_returns_an_association_and_moves_buffered_messages(gateway):
    ep, _, client = gateway
    a, b = client(), client()
    a.send(b"a1")
    b.send(b"b1")
    a.send(b"a2")
    # poll_events() reads everything ready and keeps the data messages for recv()
    for _ in range(50):
        ep.poll_events()
        if len(ep._pending) == 3:
            break
        select.select([ep.fileno()], [], [], 0.2)
    first = ep.recv().data
    assert first in (b"a1", b"b1")
    ia = next(x.assoc_id for x in ep._pending if x.data.startswith(b"a"))
    peeled = ep.peeloff(ia)
    with peeled:
        assert isinstance(peeled, csctp.Association)
        peeled.settimeout(10)
        moved = [b"a2"] if first == b"a1" else [b"a1", b"a2"]
        assert [peeled.recv().data for _ in moved] == moved     # moved over from the endpoint's buffer
        a.send(b"a3")
        assert peeled.recv().data == b"a3"
        peeled.send(b"direct")
        assert a.recv().data == b"direct"
        assert ia not in ep.associations()
    b.send(b"b2")
    expected = [b"b1", b"b2"] if first == b"a1" else [b"b2"]
    assert [ep.recv().data for _ in expected] == expected


def test_autoclose_round_trips(gateway):
    ep, _, _ = gateway
    assert ep.autoclose == 0
    ep.autoclose = 30
    assert ep.autoclose == 30
    with pytest.raises(ValueError):
        ep.autoclose = -1


def test_assoc_change_events_announce_new_and_ended_associations(gateway):
    ep, _, client = gateway
    ep.subscribe("assoc_change")
    a = client()
    a.send(b"hi")
    assert ep.recv().data == b"hi"               # the COMM_UP before it went to the events queue
    ups = list(ep.events())
    assert [(e.kind, e.state) for e in ups] == [("assoc_change", C.SCTP_COMM_UP)]
    aid = ups[0].assoc_id
    a.close()
    ep.settimeout(10)
    evs = []
    for _ in range(50):
        evs = ep.poll_events() or evs
        if evs:
            break
        select.select([ep.fileno()], [], [], 0.2)
    assert [(e.kind, e.state, e.assoc_id) for e in evs] == [("assoc_change", C.SCTP_SHUTDOWN_COMP, aid)]


def test_endpoint_abort_and_shutdown_one_association(gateway):
    ep, _, client = gateway
    a, b = client(), client()
    a.send(b"a")
    b.send(b"b")
    ids = {m.data: m.assoc_id for m in (ep.recv(), ep.recv())}
    ep.association(ids[b"a"]).abort(b"go away")
    with pytest.raises(ConnectionResetError):
        a.recv()
    ep.association(ids[b"b"]).shutdown()
    with pytest.raises(csctp.AssociationClosed):
        b.recv()
    for _ in range(50):                                # the kernel forgets them once they have ended
        if not ep.associations():
            break
        time.sleep(0.1)
    with pytest.raises(LookupError, match="no association"):
        ep.association(ids[b"a"])


def test_endpoint_rejects_a_one_to_one_socket():
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(ValueError, match="one-to-many"):
        csctp.Endpoint(sock=s)
    s.close()


def test_endpoint_batch_send_by_assoc_id_and_batch_receive(gateway):
    ep, _, client = gateway
    a, b = client(), client()
    a.send(b"a")
    b.send(b"b")
    ids = {}
    for _ in range(10):
        for m in ep.recv_batch(8):
            ids[m.copy()] = m.assoc_id
        if len(ids) == 2:
            break
    assert ep.send_batch([b"to a", b"to b"], assoc_ids=[ids[b"a"], ids[b"b"]], ppids=[1, 2]) == 2
    ma, mb = a.recv(), b.recv()
    assert (ma.data, ma.ppid, mb.data, mb.ppid) == (b"to a", 1, b"to b", 2)
