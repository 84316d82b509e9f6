"""csctp.options against the real kernel: every option is set, read back, and where
the kernel shows an effect, the effect is checked (streams negotiated, fragmentation
point, autoclose, partial delivery, defaults on plain writes, stream reset, ...)."""

import errno
import inspect
import os
import socket
import struct
import subprocess
import sys
import time

import pytest

import csctp
from csctp import constants as C
from csctp import options as O

LOCAL = "127.0.0.1"


# ---- helpers ------------------------------------------------------------------

def wait_until(pred, what, timeout=15.0, step=0.02):
    """Poll *pred* until true; bounded in time and iterations."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / step) + 1):
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            break
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_acked(sock, assoc_id=0):
    """Until everything *sock* sent is acknowledged (so it sits at the peer)."""
    wait_until(lambda: O.get_status(sock, assoc_id).unackdata == 0, "all data acknowledged")


@pytest.fixture
def sockets():
    made = []

    def new(family=socket.AF_INET, type=socket.SOCK_STREAM):
        s = csctp.Socket(family, type)
        s.settimeout(10)
        made.append(s)
        return s

    new.made = made
    yield new
    for s in made:
        s.close()


@pytest.fixture
def make_pair(sockets):
    """Factory: (client, server-side, listener) with hooks run on the listener and the
    client before the association is set up."""

    def make(srv_setup=None, cli_setup=None, family=socket.AF_INET, host=LOCAL, srv_host=None,
             cli_bind=None):
        lst = sockets(family)
        if srv_setup:
            srv_setup(lst)
        lst.bind((srv_host or host, 0))
        lst.listen(8)
        port = lst.getsockname()[1]
        cli = sockets(socket.AF_INET if ":" not in host else socket.AF_INET6)
        if cli_setup:
            cli_setup(cli)
        if cli_bind:
            cli.bind(cli_bind)
        cli.connect((host, port))
        conn, _ = lst.accept()
        conn.settimeout(10)
        sockets.made.append(conn)
        return cli, conn, lst

    return make


def recv_pieces(sock, limit=200):
    """Receive until end of record; returns the list of Messages (bounded)."""
    out = []
    for _ in range(limit):
        m = sock.recv()
        out.append(m)
        if m.eor:
            return out
    raise AssertionError(f"no end of record after {limit} pieces")


# ---- INITMSG and streams ------------------------------------------------------

def test_initmsg_streams_are_negotiated_and_enforced(make_pair):
    def cli_setup(s):
        O.set_initmsg(s, ostreams=3, instreams=5, max_attempts=4, max_init_timeout=2000)
        assert O.get_initmsg(s) == O.InitMsg(3, 5, 4, 2000)

    cli, conn, _ = make_pair(cli_setup=cli_setup)
    mine, theirs = O.get_status(cli), O.get_status(conn)
    assert (mine.outstreams, theirs.instreams) == (3, 3)
    # the server offers 10 outgoing streams by default, the client accepts at most 5
    assert (theirs.outstreams, mine.instreams) == (5, 5)
    cli.send(b"last stream", stream=2)
    assert conn.recv().stream == 2
    with pytest.raises(OSError) as ei:
        cli.send(b"beyond", stream=3)
    assert ei.value.errno == errno.EINVAL and "send" in str(ei.value)


def test_initmsg_zero_fields_are_left_unchanged(sockets):
    s = sockets()
    O.set_initmsg(s, ostreams=7, instreams=9)
    O.set_initmsg(s, max_attempts=2)
    assert O.get_initmsg(s)[:3] == (7, 9, 2)


# ---- simple switches ----------------------------------------------------------

def test_nodelay_round_trip(pair):
    cli, _ = pair
    O.set_nodelay(cli, True)
    assert O.get_nodelay(cli) is True
    O.set_nodelay(cli, False)
    assert O.get_nodelay(cli) is False


def test_maxseg_sets_the_fragmentation_point(make_pair):
    cli, conn, _ = make_pair(cli_setup=lambda s: O.set_maxseg(s, 1000))
    assert O.get_status(cli).fragmentation_point == 1000
    assert O.get_maxseg(cli) == 1000          # on an association: its fragmentation point
    payload = bytes(range(256)) * 20           # 5120 bytes: six DATA chunks, one message
    cli.send(payload)
    assert conn.recv_whole().data == payload
    O.set_maxseg(cli, 600)                     # on the live association
    assert O.get_status(cli).fragmentation_point == 600
    with pytest.raises(OSError) as ei:         # below what a 512-byte MTU allows
        O.set_maxseg(cli, 100)
    assert ei.value.errno == errno.EINVAL and "SCTP_MAXSEG" in str(ei.value)


def test_disable_fragments_makes_a_too_big_send_fail(make_pair):
    def cli_setup(s):
        O.set_maxseg(s, 1000)
        O.set_disable_fragments(s, True)

    cli, conn, _ = make_pair(cli_setup=cli_setup)
    assert O.get_disable_fragments(cli) is True
    cli.send(b"x" * 900)
    assert len(conn.recv().data) == 900
    with pytest.raises(OSError) as ei:
        cli.send(b"x" * 2000)
    assert ei.value.errno == errno.EMSGSIZE
    O.set_disable_fragments(cli, False)
    cli.send(b"y" * 2000)
    assert conn.recv_whole().data == b"y" * 2000


def test_autoclose_closes_an_idle_association(sockets):
    srv = sockets(type=socket.SOCK_SEQPACKET)
    O.set_autoclose(srv, 1)
    assert O.get_autoclose(srv) == 1
    srv.bind((LOCAL, 0))
    srv.listen(4)
    cli = sockets()
    cli.connect((LOCAL, srv.getsockname()[1]))
    cli.send(b"hello")
    assert srv.recv().data == b"hello"
    assert O.get_assoc_number(srv) == 1
    # idle for a second: the server shuts the association down, the client sees EOF
    assert cli.recv().data == b""
    wait_until(lambda: O.get_assoc_number(srv) == 0, "the association to be gone")


def test_autoclose_is_one_to_many_only(pair):
    cli, _ = pair
    with pytest.raises(OSError) as ei:
        O.set_autoclose(cli, 5)
    assert ei.value.errno == errno.EOPNOTSUPP and "one-to-many" in str(ei.value)


@pytest.mark.parametrize("pd_point", [0, 1000])
def test_partial_delivery_point_splits_a_large_message(make_pair, pd_point):
    def srv_setup(s):
        O.set_partial_delivery_point(s, pd_point)
        O.set_fragment_interleave(s, 1)

    cli, conn, _ = make_pair(srv_setup=srv_setup, cli_setup=lambda s: O.set_maxseg(s, 1000))
    assert O.get_partial_delivery_point(conn) == pd_point      # inherited from the listener
    assert O.get_fragment_interleave(conn) == 1
    payload = os.urandom(20000)
    cli.send(payload)
    pieces = recv_pieces(conn)
    assert b"".join(m.data for m in pieces) == payload
    if pd_point:
        # handed up once 1000 bytes had arrived, not after reassembly
        assert len(pieces) > 1 and not pieces[0].eor and len(pieces[0].data) < len(payload)
    else:
        assert len(pieces) == 1


@pytest.mark.parametrize("interleave", [0, 1])
def test_fragment_interleave_lets_other_associations_in_during_partial_delivery(sockets, interleave):
    # One-to-many server; association A is stuck half-way through a large message (partial
    # delivery started, A's window full) when association B's small message arrives.
    # Level 0 holds B back until A's message is complete; level 1 queues it at once.
    srv = sockets(type=socket.SOCK_SEQPACKET)
    O.set_fragment_interleave(srv, interleave)
    O.set_partial_delivery_point(srv, 4000)
    srv.bind((LOCAL, 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    a = sockets()
    O.set_maxseg(a, 1000)
    a.connect((LOCAL, port))
    big = os.urandom(150000)               # more than the server's receive window
    a.send(big)
    wait_until(lambda: O.get_status(a).rwnd < 2000, "A to fill the server's window")
    b = sockets()
    b.connect((LOCAL, port))
    b.send(b"from B")
    wait_acked(b)
    order, got = [], 0
    for _ in range(1000):
        m = srv.recv()
        order.append("B" if m.data == b"from B" else ("A-end" if m.eor else "A"))
        got += len(m.data) if order[-1] != "B" else 0
        if got >= len(big) and "B" in order:
            break
    assert order.count("A-end") == 1 and order.count("B") == 1 and got == len(big)
    if interleave:
        assert order.index("B") < order.index("A-end")
    else:
        assert order.index("B") == order.index("A-end") + 1


def test_partial_delivery_point_above_half_the_receive_buffer_is_refused(sockets):
    s = sockets()
    with pytest.raises(OSError) as ei:
        O.set_partial_delivery_point(s, 1 << 30)
    assert ei.value.errno == errno.EINVAL


# ---- defaults for sends without their own info --------------------------------

def test_default_sndinfo_applies_to_plain_writes(pair):
    cli, srv = pair
    O.set_default_sndinfo(cli, stream=3, ppid=0x1234ABCD, context=7)
    assert O.get_default_sndinfo(cli) == O.DefaultSndInfo(3, 0, 0x1234ABCD, 7)
    os.write(cli.fileno(), b"plain write")     # no SNDINFO: the defaults apply
    m = srv.recv()
    assert (m.data, m.stream, m.ppid) == (b"plain write", 3, 0x1234ABCD)
    cli.send(b"explicit", stream=1, ppid=5)    # an explicit SNDINFO still wins
    m = srv.recv()
    assert (m.stream, m.ppid) == (1, 5)


def test_default_send_param_applies_to_plain_writes(pair):
    cli, srv = pair
    O.set_default_send_param(cli, stream=2, ppid=46, flags=C.SCTP_UNORDERED)
    got = O.get_default_send_param(cli)
    assert (got.stream, got.ppid, got.flags) == (2, 46, C.SCTP_UNORDERED)
    os.write(cli.fileno(), b"cer")
    m = srv.recv()
    assert (m.stream, m.ppid, m.unordered) == (2, 46, True)


def test_default_prinfo_shows_in_the_default_send_parameters(pair):
    cli, _ = pair
    assert O.get_default_prinfo(cli) == O.DefaultPrInfo(C.SCTP_PR_SCTP_NONE, 0)
    O.set_default_prinfo(cli, C.SCTP_PR_SCTP_TTL, 1500)
    assert O.get_default_prinfo(cli) == O.DefaultPrInfo(C.SCTP_PR_SCTP_TTL, 1500)
    assert O.get_default_prinfo(cli).policy is C.PrPolicy.TTL
    sp = O.get_default_send_param(cli)
    assert sp.flags & 0x30 == C.SCTP_PR_SCTP_TTL and sp.timetolive == 1500
    O.set_default_prinfo(cli, 0x20, 3)                      # a plain int is a policy too
    assert O.get_default_prinfo(cli) == (C.PrPolicy.RTX, 3) and "PrPolicy.RTX" in repr(O.get_default_prinfo(cli))
    O.set_default_prinfo(cli, C.SCTP_PR_SCTP_NONE, 99)      # NONE drops the value
    assert O.get_default_prinfo(cli) == O.DefaultPrInfo(C.SCTP_PR_SCTP_NONE, 0)


def test_context_is_reported_on_received_messages(pair):
    cli, srv = pair
    O.set_context(srv, 0xC0FFEE)
    assert O.get_context(srv) == 0xC0FFEE
    cli.send(b"x")
    assert srv.recv().context == 0xC0FFEE


# ---- receive-side ancillary data ----------------------------------------------

def test_recvnxtinfo_describes_the_next_message(pair):
    cli, srv = pair
    O.set_recvnxtinfo(srv, True)
    assert O.get_recvnxtinfo(srv) is True
    cli.send(b"first", stream=1, ppid=5)
    cli.send(b"second!", stream=2, ppid=6)
    wait_acked(cli)
    m = srv.recv()
    assert m.data == b"first" and m.nxt is not None
    assert (m.nxt.stream, m.nxt.ppid, m.nxt.length) == (2, 6, 7)
    m = srv.recv()
    assert m.data == b"second!" and m.nxt is None       # nothing queued behind it
    O.set_recvnxtinfo(srv, False)
    cli.send(b"a")
    cli.send(b"b")
    wait_acked(cli)
    assert srv.recv().nxt is None


def test_recvrcvinfo_off_means_messages_come_without_info(pair):
    cli, srv = pair
    assert O.get_recvrcvinfo(srv) is True        # csctp turns it on
    O.set_recvrcvinfo(srv, False)
    assert O.get_recvrcvinfo(srv) is False
    cli.send(b"bare", stream=4, ppid=9)
    m = srv.recv()
    assert m.data == b"bare" and not m.has_info and m.stream == 0 and m.ppid == 0


@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "unmapped"])
def test_mapped_v4_controls_how_ipv4_peers_appear(make_pair, mapped):
    def srv_setup(s):
        O.set_mapped_v4(s, mapped)
        assert O.get_mapped_v4(s) is mapped

    cli, conn, lst = make_pair(srv_setup=srv_setup, family=socket.AF_INET6, srv_host="::")
    port = cli.getsockname()[1]
    want = "::ffff:127.0.0.1" if mapped else "127.0.0.1"
    assert conn.getpeername()[:2] == (want, port)
    assert O.get_primary(conn)[:2] == (want, port)
    assert O.get_status(conn).primary.address[:2] == (want, port)


# ---- paths --------------------------------------------------------------------

def test_peer_addr_params_round_trip(pair):
    cli, _ = pair
    peer = cli.getpeername()
    O.set_peer_addr_params(cli, address=peer, hbinterval=12000, pathmaxrxt=7, hb_enable=True)
    p = O.get_peer_addr_params(cli, address=peer)
    # the kernel keeps it in jiffies: pick a multiple of 4 ms (HZ=250) and of 10 ms (HZ=100)
    assert (p.hbinterval, p.pathmaxrxt, p.hb_enabled) == (12000, 7, True)
    assert p.address[:2] == peer[:2] and p.pathmtu > 0
    O.set_peer_addr_params(cli, address=peer, hb_enable=False)
    assert O.get_peer_addr_params(cli, address=peer).flags & C.SPP_HB_DISABLE
    O.set_peer_addr_params(cli, sackdelay=120, hbinterval=8000)    # the association as a whole
    p = O.get_peer_addr_params(cli)
    assert (p.address, p.sackdelay, p.hbinterval, p.sackdelay_enabled) == (None, 120, 8000, True)
    assert O.get_delayed_sack(cli).delay == 120                    # the same setting, seen by DELAYED_SACK
    O.set_peer_addr_params(cli, address=peer, pathmtu=1400)    # fixes the path MTU
    p = O.get_peer_addr_params(cli, address=peer)
    assert p.pathmtu == 1400 and not p.pmtud_enabled
    assert O.get_peer_addr_info(cli, peer).mtu == 1400


def test_peer_addr_params_for_an_address_that_is_not_a_peer_fails(pair):
    cli, _ = pair
    with pytest.raises(OSError) as ei:
        O.get_peer_addr_params(cli, address=("127.0.0.9", 9))
    assert ei.value.errno == errno.EINVAL and "SCTP_PEER_ADDR_PARAMS" in str(ei.value)


def test_peer_addr_info_and_status_show_an_established_association(pair):
    cli, srv = pair
    peer = cli.getpeername()
    info = O.get_peer_addr_info(cli, peer)
    assert info.state == C.SCTP_ACTIVE and info.address[:2] == peer[:2]
    assert info.mtu > 0 and info.rto > 0 and info.cwnd > 0
    assert info.state is C.PathState.ACTIVE
    st = O.get_status(cli)
    assert st.state == C.SCTP_ESTABLISHED and st.assoc_id > 0
    # names, not numbers: the state is the enum member and prints as its name
    assert st.state is C.AssocState.ESTABLISHED and "state=<AssocState.ESTABLISHED: 4>" in repr(st)
    assert st.primary.address[:2] == peer[:2] and st.primary.state is C.PathState.ACTIVE
    assert "PathState.ACTIVE" in repr(st.primary)
    assert st.outstreams == 10 and st.fragmentation_point > 1000


def test_paddr_thresholds_round_trip(pair):
    cli, _ = pair
    peer = cli.getpeername()
    O.set_paddr_thresholds(cli, address=peer, pathmaxrxt=6, pathpfthld=2)
    t = O.get_paddr_thresholds(cli, address=peer)
    assert (t.pathmaxrxt, t.pathpfthld) == (6, 2)
    O.set_paddr_thresholds(cli, address=peer, pathpfthld=1, pathcpthld=3)    # V2 (Linux >= 5.9)
    assert O.get_paddr_thresholds(cli, address=peer)[1:] == (6, 1, 3)
    O.set_paddr_thresholds(cli, pathmaxrxt=9, pathpfthld=4)                  # the association
    assert O.get_paddr_thresholds(cli)[1:3] == (9, 4)
    # set on the association, it reaches every path: PEER_ADDR_PARAMS shows the same value
    assert O.get_paddr_thresholds(cli, address=peer).pathpfthld == 4
    assert O.get_peer_addr_params(cli, address=peer).pathmaxrxt == 9


def test_primary_address_of_a_multihomed_peer(make_pair):
    cli, conn, _ = make_pair(cli_bind="127.0.0.1/127.0.0.2:0")
    cport = cli.getsockname()[1]
    peers = {a[0] for a in conn.getpaddrs()}
    assert peers == {"127.0.0.1", "127.0.0.2"}
    for host in ("127.0.0.2", "127.0.0.1"):
        O.set_primary(conn, (host, cport))
        assert O.get_primary(conn) == (host, cport)
        assert O.get_status(conn).primary.address == (host, cport)


def test_set_peer_primary_moves_the_peers_primary(make_pair, sysctl):
    sysctl("addip_enable", 1)      # ASCONF (RFC 5061), which needs SCTP-AUTH
    sysctl("auth_enable", 1)
    cli, conn, _ = make_pair(cli_bind="127.0.0.1/127.0.0.2:0")
    cport = cli.getsockname()[1]
    assert O.get_primary(conn)[0] == "127.0.0.1"
    O.set_peer_primary(cli, ("127.0.0.2", cport))
    wait_until(lambda: O.get_primary(conn) == ("127.0.0.2", cport), "the server's primary to move")


def test_set_peer_primary_without_asconf_is_refused(make_pair, sysctl):
    sysctl("addip_enable", 0)
    cli, conn, _ = make_pair()
    with pytest.raises(PermissionError, match="ASCONF"):
        O.set_peer_primary(cli, cli.getsockname())


# ---- association parameters ---------------------------------------------------

def test_rtoinfo_associnfo_delayed_sack_max_burst_round_trip(pair):
    cli, _ = pair
    O.set_rtoinfo(cli, initial=1500, max=20000, min=300)
    assert O.get_rtoinfo(cli) == O.RtoInfo(1500, 20000, 300)
    O.set_associnfo(cli, max_retrans=4, cookie_life=30000)
    a = O.get_associnfo(cli)
    assert (a.max_retrans, a.cookie_life, a.peer_destinations) == (4, 30000, 1) and a.peer_rwnd > 0
    O.set_delayed_sack(cli, delay=100, freq=3)
    assert O.get_delayed_sack(cli) == O.SackInfo(100, 3)
    O.set_delayed_sack(cli, freq=1)                            # SACK every packet: delay off
    assert O.get_delayed_sack(cli) == O.SackInfo(0, 1)
    O.set_max_burst(cli, 2)
    assert O.get_max_burst(cli) == 2
    O.set_adaptation_layer(cli, 0xA1B2C3D4)
    assert O.get_adaptation_layer(cli) == 0xA1B2C3D4


def test_assoc_id_scoping_on_one_to_many(one_to_many, sockets):
    srv, port = one_to_many
    clients = [sockets() for _ in range(2)]
    ids = []
    for c in clients:
        c.connect((LOCAL, port))
        c.send(b"hi")
        ids.append(srv.recv().assoc_id)
    a1, a2 = ids
    O.set_context(srv, 77, assoc_id=C.SCTP_ALL_ASSOC)          # existing and future
    assert [O.get_context(srv, a) for a in (0, a1, a2)] == [77, 77, 77]
    O.set_context(srv, 5, assoc_id=a1)                         # one association
    assert [O.get_context(srv, a) for a in (0, a1, a2)] == [77, 5, 77]
    clients[0].send(b"one")
    clients[1].send(b"two")
    got = {m.data: m.context for m in (srv.recv(), srv.recv())}
    assert got == {b"one": 5, b"two": 77}
    O.set_max_burst(srv, 3, assoc_id=C.SCTP_CURRENT_ASSOC)     # existing only
    assert [O.get_max_burst(srv, a) for a in (a1, a2)] == [3, 3] and O.get_max_burst(srv) != 3
    assert O.get_status(srv, a2).assoc_id == a2
    with pytest.raises(OSError) as ei:                          # RTOINFO takes no CURRENT wildcard
        O.set_rtoinfo(srv, max=5000, assoc_id=C.SCTP_CURRENT_ASSOC)
    assert ei.value.errno == errno.EINVAL
    with pytest.raises(OSError) as ei:
        O.get_status(srv, 0x7FFFFF00)
    assert ei.value.errno == errno.EINVAL and "SCTP_STATUS" in str(ei.value)


def test_assoc_number_and_id_list_on_one_to_many(one_to_many, sockets):
    srv, port = one_to_many
    assert O.get_assoc_number(srv) == 0 and O.get_assoc_ids(srv) == []
    seen = set()
    for _ in range(3):
        c = sockets()
        c.connect((LOCAL, port))
        c.send(b"x")
        seen.add(srv.recv().assoc_id)
    assert O.get_assoc_number(srv) == 3
    assert sorted(O.get_assoc_ids(srv)) == sorted(seen)


def test_assoc_number_is_one_to_many_only(pair):
    cli, _ = pair
    with pytest.raises(OSError) as ei:
        O.get_assoc_number(cli)
    assert ei.value.errno == errno.EOPNOTSUPP


def test_assoc_stats_count_the_messages_sent(pair):
    cli, srv = pair
    O.set_nodelay(cli, True)
    before = O.get_assoc_stats(cli)
    n = 25
    for i in range(n):
        cli.send(b"m%d" % i)
    for i in range(n):
        srv.recv()
    wait_acked(cli)
    after, theirs = O.get_assoc_stats(cli), O.get_assoc_stats(srv)
    assert after.oodchunks - before.oodchunks >= n
    assert after.opackets > before.opackets and after.isacks > before.isacks
    assert theirs.iodchunks >= n and theirs.osacks >= 1


# ---- PR-SCTP ------------------------------------------------------------------

def test_pr_supported_is_negotiated(make_pair):
    cli, conn, _ = make_pair(cli_setup=lambda s: O.set_pr_supported(s, False))
    assert O.get_pr_supported(cli) is False
    assert O.get_pr_supported(conn) is False       # the client's INIT did not offer it
    cli2, conn2, _ = make_pair()
    assert O.get_pr_supported(conn2) is True


def test_pr_status_counts_messages_abandoned_by_ttl(make_pair):
    def srv_setup(s):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # window closes after a few messages

    cli, conn, _ = make_pair(srv_setup=srv_setup)
    assert O.get_pr_assoc_status(cli) == O.PrStatus(0, 0)
    assert O.get_pr_stream_status(cli, 0, C.SCTP_PR_SCTP_TTL) == O.PrStatus(0, 0)
    O.set_default_prinfo(cli, C.SCTP_PR_SCTP_TTL, 100)             # plain writes expire after 100 ms
    n = 40
    for i in range(n):
        os.write(cli.fileno(), b"%04d" % i + b"." * 996)
    time.sleep(0.5)                    # let the queued ones outlive their TTL
    got = []
    conn.settimeout(0.5)

    def drained_and_counted():
        try:
            while True:
                got.append(conn.recv_whole())
        except (TimeoutError, BlockingIOError):
            pass
        return sum(O.get_pr_assoc_status(cli, C.SCTP_PR_SCTP_TTL)) > 0

    wait_until(drained_and_counted, "TTL-expired messages to be abandoned", timeout=20)
    st = O.get_pr_assoc_status(cli, C.SCTP_PR_SCTP_TTL)
    assert O.get_pr_stream_status(cli, 0, C.SCTP_PR_SCTP_TTL) == st
    assert O.get_pr_assoc_status(cli, C.SCTP_PR_SCTP_RTX) == O.PrStatus(0, 0)
    # what was abandoned before its first transmission never reached the receiver
    assert len(got) < n and len(got) + st.abandoned_unsent <= n
    with pytest.raises(OSError) as ei:                       # beyond the negotiated streams
        O.get_pr_stream_status(cli, 500)
    assert ei.value.errno == errno.EINVAL


# ---- stream reconfiguration (RFC 6525) ----------------------------------------

def _reconf(flags):
    def setup(s):
        O.set_reconfig_supported(s, True)
        O.set_enable_stream_reset(s, flags)
    return setup


def _send_retrying(sock, data, **kw):
    # a stream being reset refuses sends (EAGAIN) until the peer answers
    for _ in range(500):
        try:
            return sock.send(data, **kw)
        except BlockingIOError:
            time.sleep(0.02)
    raise AssertionError("stream stayed closed after the reset")


def test_reset_streams_restarts_the_ssn(make_pair):
    flags = C.SCTP_ENABLE_RESET_STREAM_REQ
    cli, conn, _ = make_pair(srv_setup=_reconf(flags), cli_setup=_reconf(flags))
    assert O.get_reconfig_supported(cli) is True and O.get_enable_stream_reset(cli) == flags
    for i in range(3):
        cli.send(b"s%d" % i, stream=1)
    assert [conn.recv().ssn for _ in range(3)] == [0, 1, 2]
    wait_acked(cli)
    O.reset_streams(cli, [1])
    _send_retrying(cli, b"after reset", stream=1)
    m = conn.recv()
    assert (m.data, m.stream, m.ssn) == (b"after reset", 1, 0)


def test_reset_assoc_restarts_every_ssn(make_pair):
    flags = C.SCTP_ENABLE_RESET_ASSOC_REQ
    cli, conn, _ = make_pair(srv_setup=_reconf(flags), cli_setup=_reconf(flags))
    for i in range(2):
        cli.send(b"a", stream=2)
    assert [conn.recv().ssn for _ in range(2)] == [0, 1]
    wait_acked(cli)
    O.reset_assoc(cli)
    for _ in range(500):             # every stream is closed until the peer answers
        try:
            cli.send(b"after", stream=2)
            break
        except BlockingIOError:
            time.sleep(0.02)
    m = conn.recv()
    assert (m.data, m.stream, m.ssn) == (b"after", 2, 0)


def test_reset_without_reconfig_raises_unsupported_option(pair):
    cli, _ = pair
    O.set_reconfig_supported(cli, False)        # too late for this association; it never had it
    with pytest.raises(csctp.UnsupportedOption) as ei:
        O.reset_streams(cli, [0])
    assert ei.value.option == "SCTP_RESET_STREAMS" and ei.value.errno == errno.ENOPROTOOPT
    assert "RE-CONFIG" in str(ei.value)


def test_add_streams_raises_the_stream_count(make_pair):
    flags = C.SCTP_ENABLE_CHANGE_ASSOC_REQ
    cli, conn, _ = make_pair(srv_setup=_reconf(flags), cli_setup=_reconf(flags))
    assert O.get_status(cli).outstreams == 10
    O.add_streams(cli, outstreams=5)
    wait_until(lambda: O.get_status(conn).instreams == 15, "the peer to accept 5 more streams")
    assert O.get_status(cli).outstreams == 15
    _send_retrying(cli, b"on a new stream", stream=14)
    m = conn.recv()
    assert (m.data, m.stream) == (b"on a new stream", 14)


# ---- stream schedulers (RFC 8260) ---------------------------------------------

def test_stream_scheduler_and_values_round_trip(pair):
    cli, _ = pair
    assert O.get_stream_scheduler(cli) == C.SCTP_SS_FCFS
    O.set_stream_scheduler(cli, C.SCTP_SS_PRIO)
    assert O.get_stream_scheduler(cli) == C.SCTP_SS_PRIO
    O.set_stream_value(cli, 2, 5)
    O.set_stream_priority(cli, 3, 0)
    assert (O.get_stream_value(cli, 2), O.get_stream_value(cli, 3)) == (5, 0)
    O.set_stream_scheduler(cli, 2)                     # an int works as well as the enum
    assert O.get_stream_scheduler(cli) is C.Scheduler.RR
    with pytest.raises(OSError) as ei:                 # beyond the negotiated streams
        O.set_stream_value(cli, 50, 1)
    assert ei.value.errno == errno.EINVAL


def test_stream_scheduler_fc_is_supported_or_reported_unsupported(pair):
    cli, _ = pair
    try:
        O.set_stream_scheduler(cli, C.SCTP_SS_FC)      # Linux >= 6.2
    except csctp.UnsupportedOption as e:
        assert e.option == "SCTP_STREAM_SCHEDULER" and "FC" in str(e)
        assert O.get_stream_scheduler(cli) == C.SCTP_SS_FCFS
    else:
        assert O.get_stream_scheduler(cli) == C.SCTP_SS_FC


def _queue_then_drain(scheduler, sockets_pair):
    """Queue messages on stream 2 then stream 1 while the receiver's window is shut;
    return the order of streams the receiver sees."""
    cli, conn = sockets_pair
    O.set_stream_scheduler(cli, scheduler)
    if scheduler == C.SCTP_SS_PRIO:
        O.set_stream_value(cli, 1, 0)          # stream 1 first
        O.set_stream_value(cli, 2, 10)
    O.set_nodelay(cli, True)
    n = 30
    for i in range(n):
        cli.send(b"2" * 1000, stream=2)
    for i in range(n):
        cli.send(b"1" * 1000, stream=1)
    return [conn.recv_whole().stream for _ in range(2 * n)]


@pytest.mark.parametrize("scheduler", [C.SCTP_SS_FCFS, C.SCTP_SS_PRIO], ids=["fcfs", "prio"])
def test_prio_scheduler_serves_the_high_priority_stream_first(make_pair, scheduler):
    cli, conn, _ = make_pair(srv_setup=lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096))
    order = _queue_then_drain(scheduler, (cli, conn))
    last_2 = max(i for i, s in enumerate(order) if s == 2)
    first_1 = order.index(1)
    if scheduler == C.SCTP_SS_FCFS:
        assert first_1 > last_2                 # strictly in send order
    else:
        assert first_1 < last_2                 # stream 1 overtook the queued stream 2 messages


# ---- interleaving (RFC 8260 I-DATA) -------------------------------------------

def test_interleaving_needs_fragment_interleave_first(sockets, sysctl):
    sysctl("intl_enable", 1)
    s = sockets()
    with pytest.raises(PermissionError, match="FRAGMENT_INTERLEAVE"):
        O.set_interleaving_supported(s, True)
    O.set_fragment_interleave(s, 2)
    O.set_interleaving_supported(s, True)
    assert O.get_interleaving_supported(s) is True


def test_interleaving_is_refused_while_the_sysctl_is_off(sockets, sysctl):
    sysctl("intl_enable", 0)
    s = sockets()
    O.set_fragment_interleave(s, 2)
    with pytest.raises(PermissionError, match="intl_enable"):
        O.set_interleaving_supported(s, True)


def test_interleaving_negotiated_uses_i_data(make_pair, sysctl):
    sysctl("intl_enable", 1)

    def setup(s):
        O.set_fragment_interleave(s, 2)
        O.set_interleaving_supported(s, True)

    plain_cli, _, _ = make_pair()
    cli, conn, _ = make_pair(srv_setup=setup, cli_setup=setup)
    assert O.get_interleaving_supported(cli) is True and O.get_interleaving_supported(conn) is True
    assert O.get_interleaving_supported(plain_cli) is False
    # an I-DATA chunk header is 4 bytes longer than a DATA chunk header
    assert O.get_status(plain_cli).fragmentation_point - O.get_status(cli).fragmentation_point == 4
    payload = os.urandom(3000)
    cli.send(payload, stream=3, ppid=8)
    m = conn.recv_whole()
    assert (m.data, m.stream, m.ppid) == (payload, 3, 8)


# ---- REUSE_PORT ---------------------------------------------------------------

def test_reuse_port_lets_two_sockets_bind_one_port(sockets):
    a, b = sockets(), sockets()
    for s in (a, b):
        O.set_reuse_port(s, True)
        assert O.get_reuse_port(s) is True
    a.bind((LOCAL, 0))
    port = a.getsockname()[1]
    b.bind((LOCAL, port))
    assert b.getsockname()[1] == port
    c = sockets()
    with pytest.raises(OSError) as ei:
        c.bind((LOCAL, port))
    assert ei.value.errno == errno.EADDRINUSE


def test_reuse_port_is_one_to_one_only(sockets):
    s = sockets(type=socket.SOCK_SEQPACKET)
    with pytest.raises(OSError) as ei:
        O.set_reuse_port(s, True)
    assert ei.value.errno == errno.EOPNOTSUPP and "one-to-one" in str(ei.value)


# ---- SCTP-AUTH (RFC 4895) -----------------------------------------------------

def test_auth_chunks_and_keys(make_pair, sysctl):
    sysctl("auth_enable", 1)

    def setup(s):
        O.add_auth_chunk(s, C.SCTP_CID_DATA)
        O.set_auth_key(s, 1, b"shared secret")
        assert C.SCTP_CID_DATA in O.get_local_auth_chunks(s)

    cli, conn, _ = make_pair(srv_setup=setup, cli_setup=setup)
    assert O.get_auth_supported(cli) is True
    assert C.SCTP_CID_DATA in O.get_peer_auth_chunks(conn)
    assert C.SCTP_CID_DATA in O.get_peer_auth_chunks(cli)
    assert O.get_active_key(cli) == 0
    O.set_active_key(cli, 1)
    assert O.get_active_key(cli) == 1
    cli.send(b"authenticated with key 1", stream=1)
    assert conn.recv().data == b"authenticated with key 1"
    with pytest.raises(OSError) as ei:          # the active key cannot be deleted
        O.delete_key(cli, 1)
    assert ei.value.errno == errno.EINVAL
    O.deactivate_key(cli, 0)
    O.delete_key(cli, 0)
    with pytest.raises(OSError):
        O.set_active_key(cli, 0)                # gone
    with pytest.raises(OSError):
        O.set_active_key(cli, 7)                # never existed


def test_hmac_ident_order_and_sha1_requirement(sockets, sysctl):
    sysctl("auth_enable", 1)
    s = sockets()
    assert C.SCTP_AUTH_HMAC_ID_SHA1 in O.get_hmac_ident(s)
    O.set_hmac_ident(s, [C.SCTP_AUTH_HMAC_ID_SHA256, C.SCTP_AUTH_HMAC_ID_SHA1])
    assert O.get_hmac_ident(s) == [C.SCTP_AUTH_HMAC_ID_SHA256, C.SCTP_AUTH_HMAC_ID_SHA1]
    with pytest.raises(OSError) as ei:
        O.set_hmac_ident(s, [C.SCTP_AUTH_HMAC_ID_SHA256])      # RFC 4895: SHA-1 is mandatory
    assert ei.value.errno == errno.EINVAL and "SHA-1" in str(ei.value)


def test_auth_disabled_is_reported_with_the_sysctl_to_set(sockets, sysctl):
    sysctl("auth_enable", 0)
    s = sockets()
    with pytest.raises(PermissionError, match="auth_enable"):
        O.add_auth_chunk(s, C.SCTP_CID_DATA)
    O.set_auth_supported(s, True)               # or per socket
    O.add_auth_chunk(s, C.SCTP_CID_DATA)
    assert C.SCTP_CID_DATA in O.get_local_auth_chunks(s)


def test_auth_chunk_that_cannot_be_authenticated_is_refused(sockets, sysctl):
    sysctl("auth_enable", 1)
    s = sockets()
    with pytest.raises(OSError) as ei:
        O.add_auth_chunk(s, 1)                  # INIT
    assert ei.value.errno == errno.EINVAL


# ---- raw paths, libsctp, errors -----------------------------------------------

def test_an_option_number_the_kernel_lacks_raises_unsupported_option(pair):
    cli, _ = pair
    with pytest.raises(csctp.UnsupportedOption) as ei:
        O.get_raw(cli, 999, 16)
    assert ei.value.errno == errno.ENOPROTOOPT and ei.value.option == "SCTP option 999"
    assert isinstance(ei.value, OSError)
    with pytest.raises(csctp.UnsupportedOption):
        O.set_raw(cli, 999, 1)
    O.set_nodelay(cli, True)
    assert struct.unpack("i", O.get_raw(cli, C.SCTP_NODELAY, 4)) == (1,)
    O.set_raw(cli, C.SCTP_NODELAY, 0)
    assert O.get_nodelay(cli) is False


def test_opt_info_reads_status_through_libsctp(pair):
    cli, _ = pair
    raw = O.opt_info(cli, C.SCTP_STATUS, bytes(512))
    assoc_id, state = struct.unpack_from("ii", raw)
    st = O.get_status(cli)
    assert (assoc_id, state) == (st.assoc_id, C.SCTP_ESTABLISHED)
    with pytest.raises(csctp.UnsupportedOption, match="libsctp"):
        O.opt_info(cli, C.SCTP_CONTEXT, bytes(8))


def test_generic_dispatch_by_name(pair):
    cli, srv = pair
    assert O.get(cli, "initmsg") == O.get_initmsg(cli)
    O.set(cli, "nodelay", True)
    assert O.get(cli, "SCTP_NODELAY") is True
    O.set(cli, "initmsg", O.get_initmsg(cli)._replace(ostreams=4))
    assert O.get(cli, "initmsg").ostreams == 4
    O.set(cli, "rtoinfo", {"max": 9000}, min=400)
    assert O.get(cli, "rtoinfo")[1:] == (9000, 400)
    O.set(srv, "context", 31)
    assert O.get(srv, "context") == 31
    assert O.get(cli, "status").state == C.SCTP_ESTABLISHED
    assert O.get(cli, "peer_addr_info", address=cli.getpeername()).state == C.SCTP_ACTIVE
    assert O.get(cli, "stream_scheduler") is C.Scheduler.FCFS
    O.set(cli, "SCTP_MAX_BURST", 3)
    assert O.get(cli, "max_burst") == 3
    assert struct.unpack("=iI", O.get_raw(cli, "max_burst", 8))[1] == 3      # raw calls take names too
    with pytest.raises(ValueError, match="cannot be set"):
        O.set(cli, "status", 1)
    with pytest.raises(ValueError, match="subscribe"):          # a known number without a typed accessor
        O.get(cli, "event")
    with pytest.raises(ValueError, match="unknown SCTP option"):
        O.get(cli, "no_such_option")
    assert "initmsg" in O.OPTIONS and "auth_key" in O.OPTIONS


def test_works_with_a_stdlib_socket_and_a_plain_fd(pair):
    cli, _ = pair
    s = socket.socket(fileno=os.dup(cli.fileno()))
    try:
        O.set_nodelay(s, True)
        assert O.get_nodelay(cli.fileno()) is True
    finally:
        s.close()


@pytest.mark.nokernel
@pytest.mark.parametrize("call, exc, match", [
    (lambda: O.set_initmsg(0, ostreams=-1), ValueError, "ostreams"),
    (lambda: O.set_initmsg(0, ostreams=70000), ValueError, "0..65535"),
    (lambda: O.set_initmsg(0, ostreams="3"), TypeError, "must be an int"),
    (lambda: O.set_initmsg(0, ostreams=2.5), TypeError, "must be an int"),
    (lambda: O.set_nodelay(0, "yes"), TypeError, "bool"),
    (lambda: O.set_rtoinfo(0, max=100, min=200), ValueError, "greater than max"),
    (lambda: O.set_maxseg(0, -5), ValueError, "SCTP_MAXSEG"),
    (lambda: O.get_status(0, assoc_id=-1), ValueError, "assoc_id"),
    (lambda: O.get_status(0, assoc_id=True), TypeError, "assoc_id"),
    (lambda: O.set_delayed_sack(0, delay=501), ValueError, "delay"),
    (lambda: O.set_peer_addr_params(0, sackdelay=900), ValueError, "sackdelay"),
    (lambda: O.set_peer_addr_params(0, hb_demand=True), ValueError, "address"),
    (lambda: O.set_peer_addr_params(0, hbinterval=5, hb_enable=False), ValueError, "hb_enable"),
    (lambda: O.set_peer_addr_params(0, pathmtu=1400, pmtud_enable=True), ValueError, "PMTU"),
    (lambda: O.set_peer_addr_params(0, address="not an address"), ValueError, "SCTP_PEER_ADDR_PARAMS"),
    (lambda: O.set_primary(0, None), ValueError, "peer address"),
    (lambda: O.set_primary(0, "127.0.0.1/127.0.0.2:5"), ValueError, "one address"),
    (lambda: O.set_default_sndinfo(0, ppid=-1), ValueError, "ppid"),
    (lambda: O.set_default_sndinfo(0, flags=0x8000), ValueError, "flags"),
    (lambda: O.set_default_prinfo(0, 0x40), ValueError, "policy"),
    (lambda: O.get_pr_assoc_status(0, policy=0), ValueError, "policy"),
    (lambda: O.set_stream_scheduler(0, 9), ValueError, "unknown scheduler"),
    (lambda: O.set_stream_value(0, 70000, 1), ValueError, "stream"),
    (lambda: O.set_enable_stream_reset(0, 0x10), ValueError, "flags"),
    (lambda: O.reset_streams(0, [1], incoming=False, outgoing=False), ValueError, "incoming"),
    (lambda: O.reset_streams(0, [-1]), ValueError, "stream"),
    (lambda: O.add_streams(0), ValueError, "at least one"),
    (lambda: O.add_auth_chunk(0, 256), ValueError, "chunk_type"),
    (lambda: O.set_auth_key(0, 1, "text key"), TypeError, "bytes"),
    (lambda: O.set_hmac_ident(0, []), ValueError, "1..4"),
    (lambda: O.set_auth_key(0, 1, b"k" * 70000), ValueError, "65535"),
    (lambda: O.set_fragment_interleave(0, 3), ValueError, "0..2"),
    (lambda: O.set_paddr_thresholds(0, pathpfthld=5, pathcpthld=2), ValueError, "pathcpthld"),
    (lambda: O.opt_info(0, C.SCTP_STATUS, b"ab"), ValueError, "bytes"),
    (lambda: O.get_raw(0, C.SCTP_NODELAY, 0), ValueError, "size"),
    (lambda: O.set_raw(0, C.SCTP_NODELAY, "1"), TypeError, "bytes-like"),
    (lambda: O.get_nodelay("not a socket"), TypeError, "socket"),
    (lambda: O.get(0, 42), TypeError, "str"),
    (lambda: O.set(0, "initmsg", 5), TypeError, "mapping"),
])
def test_bad_values_are_refused_before_the_system_call(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.nokernel
def test_result_types_are_typed_named_tuples():
    st = O.Status(3, C.SCTP_ESTABLISHED, 1000, 0, 0, 10, 10, 1452,
                  O.PeerAddrInfo(("127.0.0.1", 9), C.SCTP_ACTIVE, 4380, 1, 200, 1500))
    assert "fragmentation_point=1452" in repr(st) and st.primary.state == C.SCTP_ACTIVE
    assert O.InitMsg.__annotations__["ostreams"] is int
    assert O.Status.__annotations__["state"] is C.AssocState
    assert O.PeerAddrInfo.__annotations__["state"] is C.PathState
    assert O.DefaultPrInfo.__annotations__["policy"] is C.PrPolicy
    assert "state=<AssocState.ESTABLISHED: 4>" in repr(st) and repr(st).startswith("Status(")
    p = O.PeerAddrParams(None, 30000, 5, 1500, 200, C.SPP_HB_ENABLE | C.SPP_PMTUD_ENABLE)
    assert p.hb_enabled and p.pmtud_enabled and not p.sackdelay_enabled
    assert csctp.options is O


# ---- the module and its table (no kernel needed) ---------------------------------

@pytest.mark.nokernel
def test_csctp_options_is_a_real_module_in_a_fresh_interpreter():
    code = ("import csctp.options, sys; import csctp; "
            "assert csctp.options is sys.modules['csctp.options'] and csctp.options.__file__.endswith('options.py'); "
            "from csctp.options import get_status, Status, TABLE; "
            "print(len(TABLE), Status.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(len(O.TABLE)), "csctp.options"]


def _kernel_option_constants():
    """The socket option block of csctp/constants.py, read from its source (independent of the table)."""
    text = open(C.__file__).read().split("# socket options (level SOL_SCTP)\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.split(" = ") for line in text.splitlines())


@pytest.mark.nokernel
def test_table_has_one_row_per_option_number_and_name():
    names = [o.name for o in O.TABLE]
    numbers = [o.number for o in O.TABLE]
    assert len(set(names)) == len(names) and len(set(numbers)) == len(numbers)
    # every socket option of the kernel ABI has its row, under its own name
    kernel = _kernel_option_constants()
    assert len(kernel) == 60
    assert {o.constant: str(o.number) for o in O.TABLE} == kernel
    assert all(o.level == C.SOL_SCTP and o.kind in O.KINDS for o in O.TABLE)


@pytest.mark.nokernel
@pytest.mark.parametrize("row", O.TABLE, ids=lambda o: o.name)
def test_table_row_matches_csctp_constants_and_its_accessors(row):
    # the row's number comes from the C header: it must be what csctp.constants says
    assert getattr(C, row.constant) == row.number
    assert O.lookup(row.name) is row and O.lookup(row.constant) is row and O.lookup(row.number) is row
    if row.kind == O.RAW:
        assert row.getter is row.setter is None and row.name not in O.OPTIONS
        return
    assert row.name in O.OPTIONS and (row.getter or row.setter) is not None
    for fn in (row.getter, row.setter):
        if fn is not None:
            # the table's accessors are the module's functions, documented by name
            assert getattr(O, fn.__name__) is fn
            assert row.constant in fn.__doc__ or row.constant.replace("_V2", "") in fn.__doc__
    if row.kind in (O.ASSOC_VALUE, O.ASSOC_BOOL):
        assert row.assoc and "assoc_id" in inspect.signature(row.getter).parameters
    if row.kind in (O.BOOL, O.ASSOC_BOOL):
        assert row.result is bool


@pytest.mark.nokernel
def test_lookup_of_unknown_options():
    with pytest.raises(ValueError, match="unknown SCTP option 'nagle'"):
        O.lookup("nagle")
    with pytest.raises(ValueError, match="number 999"):
        O.lookup(999)
    with pytest.raises(TypeError, match="must be an int"):
        O.lookup(1.5)
    assert O.lookup("peer_addr_info").name == "get_peer_addr_info"      # the get_ may be left out
    assert O.lookup(C.SCTP_STREAM_SCHEDULER).result is C.Scheduler


@pytest.mark.nokernel
def test_result_type_names_do_not_clash_with_message_metadata():
    import csctp._message as M
    metadata = {n for n in dir(M) if isinstance(getattr(M, n), type)}
    assert {"SndInfo", "PrInfo", "SndRcvInfo", "RcvInfo", "NxtInfo"} <= metadata
    results = {o.result.__name__ for o in O.TABLE
               if isinstance(o.result, type) and o.result.__module__ == "csctp.options"}
    assert {"DefaultSndInfo", "DefaultPrInfo", "Status"} <= results
    assert not results & metadata
    assert not hasattr(O, "SndInfo") and not hasattr(O, "PrInfo")


@pytest.mark.nokernel
def test_stub_declares_exactly_the_module_functions():
    import ast
    import csctp._options as impl
    stub = ast.parse(open(impl.__file__.rsplit("/", 1)[0] + "/_options.pyi").read())
    declared = {n.name for n in stub.body if isinstance(n, ast.FunctionDef)}
    functions = {n: getattr(impl, n) for n in dir(impl) if not n.startswith("_")}
    public = {n for n, f in functions.items()
              if callable(f) and not isinstance(f, type) and getattr(f, "__module__", "") == "csctp._options"}
    assert declared == public
    assert set(O.__all__) >= public


# ---- SCTP over UDP (RFC 6951) and PLPMTUD probe interval (RFC 8899) -------------
# Both structures: sctp_assoc_t, padding to 8, sockaddr_storage (128), then the value at 136; 144 bytes.
ENCAPS_SIZE, ENCAPS_VALUE_AT = 144, 136


def test_remote_udp_encaps_port_socket_wide_association_and_peer_address(pair, sockets):
    fresh = sockets()
    assert O.get_remote_udp_encaps_port(fresh) == int(open("/proc/sys/net/sctp/encap_port").read())
    O.set_remote_udp_encaps_port(fresh, 9899)
    assert O.get_remote_udp_encaps_port(fresh) == 9899
    # the kernel takes the port as it goes on the wire: network byte order in the structure
    raw = O.get_raw(fresh, "remote_udp_encaps_port", ENCAPS_SIZE)
    assert raw[ENCAPS_VALUE_AT:ENCAPS_VALUE_AT + 2] == struct.pack("!H", 9899)
    O.set_remote_udp_encaps_port(fresh, 0)
    assert O.get_remote_udp_encaps_port(fresh) == 0
    cli, _ = pair
    peer = cli.getpeername()
    O.set_remote_udp_encaps_port(cli, 9900)                    # the association and all its paths
    assert O.get_remote_udp_encaps_port(cli) == 9900
    assert O.get_remote_udp_encaps_port(cli, address=peer) == 9900
    O.set_remote_udp_encaps_port(cli, 9901, address=peer)      # one path only
    assert O.get_remote_udp_encaps_port(cli, address=peer) == 9901
    assert O.get_remote_udp_encaps_port(cli) == 9900
    # by name, through TABLE
    O.set(cli, "remote_udp_encaps_port", 0)
    assert O.get(cli, "remote_udp_encaps_port") == 0
    assert O.lookup("SCTP_REMOTE_UDP_ENCAPS_PORT").kind == O.STRUCT


def test_remote_udp_encaps_port_of_an_address_that_is_not_a_peer_fails(pair):
    cli, _ = pair
    with pytest.raises(OSError) as ei:
        O.set_remote_udp_encaps_port(cli, 9899, address=("127.0.0.9", 9))
    assert ei.value.errno == errno.EINVAL and "SCTP_REMOTE_UDP_ENCAPS_PORT" in str(ei.value)


def test_front_door_keywords_set_the_socket_wide_encapsulation_port():
    lst = csctp.listen((LOCAL, 0), udp_encaps_port=9899)
    try:
        assert O.get_remote_udp_encaps_port(lst.socket) == 9899
        ep = csctp.Endpoint(udp_encaps_port=9898)
        try:
            assert O.get_remote_udp_encaps_port(ep.socket) == 9898
        finally:
            ep.close()
        # over loopback with udp_port off the port is kept but nothing is encapsulated: it connects
        a = csctp.connect((LOCAL, lst.address[1]), udp_encaps_port=0, timeout=10)
        try:
            assert O.get_remote_udp_encaps_port(a.socket) == 0
        finally:
            a.close()
    finally:
        lst.close()


def test_plpmtud_probe_interval_round_trip_and_the_kernel_minimum(pair, sockets):
    fresh = sockets()
    # the kernel keeps it in jiffies: multiples of 4 ms (HZ=250) and 10 ms (HZ=100) read back exactly
    O.set_plpmtud_probe_interval(fresh, 6000)
    assert O.get_plpmtud_probe_interval(fresh) == 6000
    assert O.get(fresh, "plpmtud_probe_interval") == 6000
    O.set_plpmtud_probe_interval(fresh, 0)                     # off
    assert O.get_plpmtud_probe_interval(fresh) == 0
    cli, _ = pair
    peer = cli.getpeername()
    O.set_plpmtud_probe_interval(cli, 10000, address=peer)
    assert O.get_plpmtud_probe_interval(cli, address=peer) == 10000
    O.set(cli, "plpmtud_probe_interval", 20000)
    assert O.get_plpmtud_probe_interval(cli) == 20000
    # csctp refuses what the kernel refuses: below the minimum is EINVAL from the kernel too
    with pytest.raises(ValueError, match="SCTP_PLPMTUD_PROBE_INTERVAL"):
        O.set_plpmtud_probe_interval(fresh, O.PLPMTUD_PROBE_INTERVAL_MIN - 1)
    raw = bytearray(ENCAPS_SIZE)
    struct.pack_into("=I", raw, ENCAPS_VALUE_AT, O.PLPMTUD_PROBE_INTERVAL_MIN - 1)
    with pytest.raises(OSError) as ei:
        O.set_raw(fresh, "plpmtud_probe_interval", bytes(raw))
    assert ei.value.errno == errno.EINVAL
    struct.pack_into("=I", raw, ENCAPS_VALUE_AT, O.PLPMTUD_PROBE_INTERVAL_MIN)
    O.set_raw(fresh, "plpmtud_probe_interval", bytes(raw))
    assert O.get_plpmtud_probe_interval(fresh) == O.PLPMTUD_PROBE_INTERVAL_MIN


@pytest.mark.nokernel
@pytest.mark.parametrize("call, exc, message", [
    (lambda s: O.set_remote_udp_encaps_port(s, -1), ValueError, "SCTP_REMOTE_UDP_ENCAPS_PORT: port"),
    (lambda s: O.set_remote_udp_encaps_port(s, 65536), ValueError, "SCTP_REMOTE_UDP_ENCAPS_PORT: port"),
    (lambda s: O.set_remote_udp_encaps_port(s, "9899"), TypeError, "SCTP_REMOTE_UDP_ENCAPS_PORT: port"),
    (lambda s: O.set_remote_udp_encaps_port(s, 9899, address="nonsense"), ValueError,
     "SCTP_REMOTE_UDP_ENCAPS_PORT"),
    (lambda s: O.set_plpmtud_probe_interval(s, 1), ValueError, "at least 5000"),
    (lambda s: O.set_plpmtud_probe_interval(s, 4999), ValueError, "SCTP_PLPMTUD_PROBE_INTERVAL"),
    (lambda s: O.set_plpmtud_probe_interval(s, -1), ValueError, "SCTP_PLPMTUD_PROBE_INTERVAL: interval"),
    (lambda s: O.set_plpmtud_probe_interval(s, 1 << 32), ValueError, "SCTP_PLPMTUD_PROBE_INTERVAL: interval"),
])
def test_udp_encaps_and_probe_interval_values_are_checked_before_the_call(call, exc, message):
    # validation comes before the system call, so a UDP socket stands in for an SCTP one here
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        with pytest.raises(exc, match=message):
            call(s)
