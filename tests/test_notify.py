"""csctp._notify: typed notifications from the real kernel, subscription, and a hardened parser.

Kernel tests set up real associations over loopback and assert on what the
kernel sends; every option that enables an event (RECONFIG, AUTH,
ADAPTATION_LAYER, INITMSG) is set per socket, so no sysctl is touched.
Parser tests (``nokernel``) feed constructed, truncated and random bytes.
"""

import pickle
import random
import socket
import struct
import time

import pytest

import csctp
from csctp import _notify as N
from csctp import constants as C

ALL_KINDS = [k for k in N.KINDS if k != "data_io"]
WAIT = 10.0          # seconds: upper bound for any event to arrive (emulated VM is slow)


# ---- helpers ------------------------------------------------------------------

def assoc_value(value, assoc_id=0):
    return struct.pack("iI", assoc_id, value)


def next_events(sock, want, *, limit=200, timeout=WAIT):
    """Receive until a notification of each kind in *want* has arrived; return all notifications seen.

    Bounded by *limit* messages and *timeout* seconds; data messages are
    skipped, a reset connection ends the loop.
    """
    want = set(want)
    seen = []
    deadline = time.monotonic() + timeout
    sock.settimeout(timeout)
    for _ in range(limit):
        if not want or time.monotonic() > deadline:
            break
        try:
            m = sock.recv()
        except TimeoutError:
            break
        except ConnectionError:        # reset or aborted: nothing more will come
            break
        if not m.is_notification:
            if m.data == b"" and sock.type == socket.SOCK_STREAM:
                break          # association over (one-to-one EOF)
            continue
        ev = csctp.parse_notification(m.data)
        seen.append(ev)
        want.discard(ev.kind)
    return seen


def of(events, cls):
    return [e for e in events if type(e) is cls]


def no_pending(sock):
    """True when a non-blocking recv has nothing to give."""
    sock.settimeout(0)
    try:
        m = sock.recv()
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(WAIT)
    raise AssertionError(f"unexpected message {m!r}")


def make_pair(pre=None, kinds=ALL_KINDS, subscribe_server=True, subscribe_client=True,
              server_addr="127.0.0.1", family=socket.AF_INET, host="127.0.0.1", pre_client=None):
    """(listener, client, accepted) over loopback, events subscribed before connecting.

    *pre* runs on both sockets before bind/connect, *pre_client* on the client only.
    """
    srv = csctp.Socket(family, socket.SOCK_STREAM)
    cli = csctp.Socket(family, socket.SOCK_STREAM)
    for s in (srv, cli):
        if pre:
            pre(s)
    if pre_client:
        pre_client(cli)
    srv.bind((server_addr, 0) if "/" not in server_addr else server_addr + ":0")
    srv.listen(8)
    if subscribe_server:
        csctp.subscribe(srv, *kinds)
    if subscribe_client:
        csctp.subscribe(cli, *kinds)
    srv.settimeout(WAIT)
    cli.settimeout(WAIT)
    cli.connect((host, srv.getsockname()[1]))
    conn, _ = srv.accept()
    conn.settimeout(WAIT)
    return srv, cli, conn


@pytest.fixture
def sockets():
    """Collects sockets a test makes and closes them afterwards."""
    made = []
    yield made
    for group in made:
        for s in (group if isinstance(group, (tuple, list)) else (group,)):
            s.close()


# ---- kernel: association life cycle -------------------------------------------

def test_comm_up_is_seen_by_both_ends_with_negotiated_stream_counts(sockets):
    def initmsg(s):
        # ostreams 7, max instreams 5: what both ends' ASSOC_CHANGE must reflect
        s.setsockopt(C.SOL_SCTP, C.SCTP_INITMSG, struct.pack("HHHH", 7, 5, 0, 0))
    srv, cli, conn = make_pair(pre_client=initmsg, kinds=["assoc_change"])
    sockets.append((srv, cli, conn))
    c = of(next_events(cli, {"assoc_change"}), csctp.AssocChange)
    s = of(next_events(conn, {"assoc_change"}), csctp.AssocChange)
    assert [e.state for e in c] == [C.SCTP_COMM_UP]
    assert [e.state for e in s] == [C.SCTP_COMM_UP]
    assert (c[0].outbound_streams, c[0].inbound_streams) == (7, 5)
    assert (s[0].outbound_streams, s[0].inbound_streams) == (5, 7)
    assert c[0].error == 0 and c[0].assoc_id > 0 and s[0].assoc_id > 0
    # Linux lists no supported features in sac_info (FreeBSD does)
    assert c[0].info == b"" and c[0].supported_features == []
    assert c[0].kind == "assoc_change" and c[0].type == C.SCTP_ASSOC_CHANGE
    assert c[0].length == 20 == len(c[0].raw)
    # what the kernel sent, as enum members that are still its integers
    assert c[0].type is C.NotificationType.ASSOC_CHANGE and c[0].state is C.AssocChangeState.COMM_UP
    assert "state=COMM_UP" in repr(c[0])


def test_notification_round_trips_through_recv_and_matches_message_assoc_id(sockets):
    srv, cli, conn = make_pair(kinds=["assoc_change"])
    sockets.append((srv, cli, conn))
    m = cli.recv()
    assert m.is_notification and m.eor
    ev = csctp.parse_notification(m.data)
    assert isinstance(ev, csctp.AssocChange) and ev.raw == m.data
    assert ev.raw is m.data                  # exactly the received bytes: no second copy
    conn.send(b"x")
    d = cli.recv()
    assert not d.is_notification and d.assoc_id == ev.assoc_id


def test_unsubscribed_socket_receives_no_notification(sockets):
    srv, cli, conn = make_pair(subscribe_server=False, subscribe_client=False)
    sockets.append((srv, cli, conn))
    for kind in ALL_KINDS + ["data_io"]:
        assert not csctp.subscribed(cli, kind), kind
        assert not csctp.subscribed(conn, kind), kind
    cli.send(b"ping")
    assert conn.recv().data == b"ping"
    conn.send(b"pong")
    assert cli.recv().data == b"pong"
    time.sleep(0.2)
    assert no_pending(cli)
    assert no_pending(conn)


def test_graceful_shutdown_gives_shutdown_event_then_shutdown_comp(sockets):
    srv, cli, conn = make_pair(kinds=["assoc_change", "shutdown"])
    sockets.append((srv, cli, conn))
    next_events(cli, {"assoc_change"})
    next_events(conn, {"assoc_change"})
    cli.shutdown(socket.SHUT_WR)
    s = next_events(conn, {"shutdown", "assoc_change"})
    assert [type(e) for e in s] == [csctp.Shutdown, csctp.AssocChange]
    assert s[0].assoc_id == s[1].assoc_id and s[0].length == 12
    assert s[1].state == C.SCTP_SHUTDOWN_COMP
    c = of(next_events(cli, {"assoc_change"}), csctp.AssocChange)
    assert [e.state for e in c] == [C.SCTP_SHUTDOWN_COMP]


def test_abort_with_reason_gives_comm_lost_with_user_abort_cause(sockets):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    csctp.subscribe(srv, "assoc_change")
    o2m = csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET)
    csctp.subscribe(o2m, "assoc_change")
    o2m.settimeout(WAIT)
    srv.settimeout(WAIT)
    aid = o2m.connect(("127.0.0.1", srv.getsockname()[1]))
    conn, _ = srv.accept()
    sockets.append((srv, o2m, conn))
    assert [e.state for e in next_events(conn, {"assoc_change"})] == [C.SCTP_COMM_UP]
    up = next_events(o2m, {"assoc_change"})
    assert [(e.state, e.assoc_id) for e in up] == [(C.SCTP_COMM_UP, aid)]
    o2m.send(b"bye-reason\xff", flags=C.SCTP_ABORT, assoc_id=aid)
    lost = of(next_events(conn, {"assoc_change"}), csctp.AssocChange)
    assert [e.state for e in lost] == [C.SCTP_COMM_LOST]
    # error: cause 12 (User-Initiated Abort) in host order; info: the ABORT's
    # cause TLV, big-endian code and length, with the reason bytes
    assert lost[0].error == 12
    assert lost[0].info == struct.pack("!HH", 12, 4 + 11) + b"bye-reason\xff"
    assert lost[0].supported_features == []
    mine = of(next_events(o2m, {"assoc_change"}), csctp.AssocChange)
    assert [(e.state, e.assoc_id) for e in mine] == [(C.SCTP_COMM_LOST, aid)]


def test_peer_closing_with_linger_zero_is_comm_lost_on_one_to_one(sockets):
    srv, cli, conn = make_pair(kinds=["assoc_change"])
    sockets.append((srv, cli, conn))
    next_events(conn, {"assoc_change"})
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    cli.close()
    lost = of(next_events(conn, {"assoc_change"}), csctp.AssocChange)
    assert [(e.state, e.error) for e in lost] == [(C.SCTP_COMM_LOST, 12)]
    assert lost[0].info == struct.pack("!HH", 12, 4)


def test_sender_dry_arrives_once_data_is_acked(sockets):
    srv, cli, conn = make_pair(kinds=["sender_dry"], subscribe_server=False)
    sockets.append((srv, cli, conn))
    cli.send(b"data" * 100)
    assert conn.recv().data == b"data" * 100
    dry = next_events(cli, {"sender_dry"})
    assert [type(e) for e in dry] == [csctp.SenderDry]
    assert dry[0].assoc_id > 0 and dry[0].length == 12


def test_peer_addr_change_confirms_a_second_peer_address(sockets):
    # server multi-homed on two loopback addresses: the client's path to the
    # second one is unconfirmed until a HEARTBEAT succeeds (RFC 4960 5.4)
    srv, cli, conn = make_pair(kinds=["peer_addr_change"], server_addr="127.0.0.1/127.0.0.2",
                               subscribe_server=False)
    sockets.append((srv, cli, conn))
    port = srv.getsockname()[1]
    evs = of(next_events(cli, {"peer_addr_change"}, timeout=30), csctp.PeerAddrChange)
    assert evs, "no PEER_ADDR_CHANGE within 30 s"
    assert (evs[0].addr, evs[0].state, evs[0].error) == (
        ("127.0.0.2", port), C.SCTP_ADDR_CONFIRMED, C.SCTP_HEARTBEAT_SUCCESS)
    assert evs[0].length == 148 and evs[0].assoc_id > 0
    assert evs[0].state is C.PeerAddrChangeState.ADDR_CONFIRMED and "state=ADDR_CONFIRMED" in repr(evs[0])


def test_peer_addr_change_over_ipv6_carries_a_sockaddr_in6(sockets):
    srv, cli, conn = make_pair(kinds=["peer_addr_change"], family=socket.AF_INET6,
                               server_addr="[::1]/127.0.0.2", host="::1", subscribe_server=False)
    sockets.append((srv, cli, conn))
    port = srv.getsockname()[1]
    evs = of(next_events(cli, {"peer_addr_change"}, timeout=30), csctp.PeerAddrChange)
    assert evs, "no PEER_ADDR_CHANGE within 30 s"
    # an IPv4 peer address on an AF_INET6 socket comes back v4-mapped
    assert evs[0].addr == ("::ffff:127.0.0.2", port, 0, 0)
    assert evs[0].state == C.SCTP_ADDR_CONFIRMED


# ---- kernel: failed sends carry the payload back ------------------------------

def test_send_failed_event_returns_unsent_payload_when_init_is_aborted(sockets):
    # nothing listens on the port: the implicit association's INIT is answered
    # with ABORT, and the message queued with it comes back
    probe = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    o2m = csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET)
    sockets.append(o2m)
    o2m.bind(("127.0.0.1", 0))
    csctp.subscribe(o2m, "assoc_change", "send_failed_event", "send_failed")
    payload = b"never-delivered\x00\xff"
    o2m.send(payload, to=("127.0.0.1", closed_port), ppid=0x800000FF, stream=3, context=77)
    evs = next_events(o2m, {"assoc_change", "send_failed_event", "send_failed"})
    assert [e.state for e in of(evs, csctp.AssocChange)] == [C.SCTP_CANT_STR_ASSOC]
    (sfe,) = of(evs, csctp.SendFailedEvent)
    assert (sfe.data, sfe.ppid, sfe.stream, sfe.context) == (payload, 0x800000FF, 3, 77)
    assert sfe.flags == C.SCTP_DATA_UNSENT and not sfe.sent
    assert sfe.length == 32 + len(payload)
    # the legacy structure, subscribed too, carries the same message
    (sf,) = of(evs, csctp.SendFailed)
    assert (sf.data, sf.ppid, sf.stream, sf.context) == (payload, 0x800000FF, 3, 77)
    assert sf.flags == C.SCTP_DATA_UNSENT and sf.length == 48 + len(payload)


def test_send_failed_events_return_every_queued_message_when_peer_aborts(sockets):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # peer window closes fast
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    csctp.subscribe(cli, "send_failed_event")
    cli.settimeout(WAIT)
    srv.settimeout(WAIT)
    cli.connect(("127.0.0.1", srv.getsockname()[1]))
    conn, _ = srv.accept()
    sockets.append((srv, cli, conn))
    cli.settimeout(0)
    sent = []
    for i in range(5000):                 # until the send buffer is full
        msg = b"%06d" % i + b"x" * 994
        try:
            cli.send(msg, ppid=7, stream=1)
        except BlockingIOError:
            break
        sent.append(msg)
    assert 10 < len(sent) < 5000
    time.sleep(0.3)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()                          # ABORT with most of the data still queued
    evs = of(next_events(cli, {"never"}, limit=len(sent) + 10, timeout=5), csctp.SendFailedEvent)
    failed = [e.data for e in evs]
    assert failed, "no SEND_FAILED_EVENT"
    # what failed is exactly the tail of what was sent, in order, payload intact
    assert failed == sent[len(sent) - len(failed):]
    assert all(e.ppid == 7 and e.stream == 1 and e.error == 12 for e in evs)
    assert sum(not e.sent for e in evs) >= len(evs) - 1 >= 1


def test_pr_sctp_ttl_expiry_returns_the_abandoned_messages(sockets):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    csctp.subscribe(cli, "send_failed_event")
    cli.settimeout(WAIT)
    srv.settimeout(WAIT)
    cli.connect(("127.0.0.1", srv.getsockname()[1]))
    conn, _ = srv.accept()
    sockets.append((srv, cli, conn))
    fillers = [b"F%03d" % i + b"." * 996 for i in range(30)]   # 30 KB: more than the peer's window
    for f in fillers:
        cli.send(f)
    ttl_msgs = [b"ttl-%d" % i for i in range(3)]
    for m in ttl_msgs:
        cli.send(m, ttl=1, ppid=99, stream=2)    # 1 ms to live, queued behind the fillers
    time.sleep(0.3)
    got = [conn.recv().data for _ in fillers]     # opening the window flushes and abandons
    assert got == fillers
    evs = of(next_events(cli, {"never"}, limit=len(ttl_msgs), timeout=WAIT), csctp.SendFailedEvent)
    assert [e.data for e in evs] == ttl_msgs
    assert all((e.ppid, e.stream, e.error, e.sent) == (99, 2, 0, False) for e in evs)
    conn.settimeout(0.5)
    with pytest.raises(TimeoutError):
        conn.recv()                               # and they never reached the peer


# ---- kernel: REMOTE_ERROR from an injected ERROR chunk -------------------------
#
# Linux sends an ERROR chunk inside an established association only for
# conditions a well-behaved Linux peer never creates (DATA on a stream the
# receiver lacks, an unknown chunk type with the "report" bit, an AUTH chunk
# with an unsupported HMAC), so the test plays the peer: it learns the
# association's verification tag from a raw IPPROTO_SCTP socket (which gets
# a copy of every inbound SCTP packet) and sends one ERROR chunk with a cause
# csctp has never heard of.  Needs root: the tests run as root in the VM.

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def sctp_packet(sport, dport, vtag, chunk):
    """An SCTP packet (RFC 9260 3.1); the CRC32c goes in little-endian, as Linux computes it."""
    head = struct.pack("!HHII", sport, dport, vtag, 0)
    return head[:8] + struct.pack("<I", crc32c(head + chunk)) + chunk


def learn_vtag(raw, dport, trigger, timeout=WAIT):
    """The verification tag of packets to *dport*: call *trigger* and watch the raw socket."""
    raw.settimeout(timeout)
    trigger()
    for _ in range(100):
        pkt = raw.recv(65535)
        ihl = (pkt[0] & 0x0F) * 4
        sport_, dport_, vtag = struct.unpack_from("!HHI", pkt, ihl)
        if dport_ == dport and vtag != 0:
            return vtag
    raise AssertionError(f"no SCTP packet to port {dport} seen")


def test_remote_error_carries_cause_code_and_binary_data(sockets):
    srv, cli, conn = make_pair(kinds=["remote_error"])
    sockets.append((srv, cli, conn))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, C.IPPROTO_SCTP)
    sockets.append(raw)
    cport = cli.getsockname()[1]
    sport = conn.getsockname()[1]
    vtag = learn_vtag(raw, sport, lambda: cli.send(b"learn the tag"))
    assert conn.recv().data == b"learn the tag"
    body = b"\x00\xff\xfe\x80csctp\x00"             # 10 bytes: padded to 12 on the wire
    cause = struct.pack("!HH", 0x4321, 4 + len(body)) + body
    # ERROR chunk (RFC 9260 3.3.10); its length leaves out the final padding
    chunk = struct.pack("!BBH", 9, 0, 4 + len(cause)) + cause + b"\x00" * 2
    raw.sendto(sctp_packet(cport, sport, vtag, chunk), ("127.0.0.1", 0))
    (ev,) = of(next_events(conn, {"remote_error"}), csctp.RemoteError)
    assert ev.error == 0x4321
    # the kernel hands over the cause body with its padding (SCTP_PAD4(length) - 4 bytes)
    assert ev.data == body + b"\x00" * 2 and type(ev.data) is bytes
    assert ev.assoc_id > 0 and ev.length == 16 + 12
    cli.send(b"still up")
    assert conn.recv().data == b"still up"


def test_partial_delivery_aborted_when_the_sender_aborts_mid_message(sockets):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)       # far below the message size
    srv.setsockopt(C.SOL_SCTP, C.SCTP_PARTIAL_DELIVERY_POINT, 1000)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    csctp.subscribe(srv, "partial_delivery", "assoc_change")
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.settimeout(WAIT)
    srv.settimeout(WAIT)
    cli.connect(("127.0.0.1", srv.getsockname()[1]))
    conn, _ = srv.accept()
    sockets.append((srv, cli, conn))
    assert [e.state for e in next_events(conn, {"assoc_change"})] == [C.SCTP_COMM_UP]
    cli.settimeout(0)
    assert cli.send(b"A" * 150_000, stream=4) == 150_000
    piece = conn.recv(4096)                     # the receiver is now mid-message (partial delivery)
    assert (len(piece.data), piece.eor, piece.stream) == (4096, False, 4)
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    cli.close()                                  # ABORT before the rest of the message arrives
    evs = next_events(conn, {"partial_delivery", "assoc_change"})
    assert [type(e) for e in evs] == [csctp.PartialDelivery, csctp.AssocChange]
    pd, lost = evs
    assert pd.indication == C.SCTP_PARTIAL_DELIVERY_ABORTED and pd.assoc_id == lost.assoc_id
    assert pd.length == 24
    # Linux 6.1 reports stream and seq 0 when the association dies (sctp_ulpq_abort_pd
    # passes no stream); a FORWARD-TSN abort reports the real ones
    assert pd.stream in (0, 4) and pd.seq == 0
    assert lost.state == C.SCTP_COMM_LOST


# ---- kernel: options that announce themselves ------------------------------

def test_adaptation_indication_carries_the_peers_value(sockets):
    def adapt(s):
        s.setsockopt(C.SOL_SCTP, C.SCTP_ADAPTATION_LAYER, struct.pack("I", 0x80C0FFEE))
    srv, cli, conn = make_pair(pre=adapt, kinds=["adaptation"])
    sockets.append((srv, cli, conn))
    for s in (cli, conn):
        (ev,) = of(next_events(s, {"adaptation"}), csctp.AdaptationIndication)
        assert ev.adaptation_ind == 0x80C0FFEE and ev.length == 16 and ev.assoc_id > 0


def test_authentication_no_auth_when_the_peer_lacks_auth(sockets):
    def no_auth(s):
        s.setsockopt(C.SOL_SCTP, C.SCTP_AUTH_SUPPORTED, assoc_value(0))
    srv, cli, conn = make_pair(pre=no_auth, kinds=["authentication"])
    sockets.append((srv, cli, conn))
    (ev,) = of(next_events(cli, {"authentication"}), csctp.Authentication)
    assert (ev.indication, ev.keynumber, ev.altkeynumber) == (C.SCTP_AUTH_NO_AUTH, 0, 0)
    assert ev.length == 20


def test_authentication_free_key_after_deactivating_the_old_key(sockets):
    def auth(s):
        s.setsockopt(C.SOL_SCTP, C.SCTP_AUTH_SUPPORTED, assoc_value(1))
    srv, cli, conn = make_pair(pre=auth, kinds=["authentication"])
    sockets.append((srv, cli, conn))
    time.sleep(0.2)
    assert no_pending(cli)       # both ends support AUTH: no NO_AUTH event
    cli.setsockopt(C.SOL_SCTP, C.SCTP_AUTH_KEY, struct.pack("iHH", 0, 1, 8) + b"\x00secret\xff")
    cli.setsockopt(C.SOL_SCTP, C.SCTP_AUTH_ACTIVE_KEY, struct.pack("iHxx", 0, 1))
    cli.setsockopt(C.SOL_SCTP, C.SCTP_AUTH_DEACTIVATE_KEY, struct.pack("iHxx", 0, 0))
    (ev,) = of(next_events(cli, {"authentication"}), csctp.Authentication)
    assert (ev.indication, ev.keynumber) == (C.SCTP_AUTH_FREE_KEY, 0)


def _reconf(s):
    # RFC 6525 per endpoint, so net.sctp.reconf_enable can stay as it is
    s.setsockopt(C.SOL_SCTP, C.SCTP_RECONFIG_SUPPORTED, assoc_value(1))
    s.setsockopt(C.SOL_SCTP, C.SCTP_ENABLE_STREAM_RESET, assoc_value(
        C.SCTP_ENABLE_RESET_STREAM_REQ | C.SCTP_ENABLE_RESET_ASSOC_REQ | C.SCTP_ENABLE_CHANGE_ASSOC_REQ))


def test_stream_reset_event_on_both_ends(sockets):
    srv, cli, conn = make_pair(pre=_reconf, kinds=["stream_reset"])
    sockets.append((srv, cli, conn))
    cli.send(b"before", stream=3)
    assert conn.recv().ssn == 0
    cli.setsockopt(C.SOL_SCTP, C.SCTP_RESET_STREAMS,
                   struct.pack("iHHHH", 0, C.SCTP_STREAM_RESET_OUTGOING, 2, 1, 3))
    (mine,) = of(next_events(cli, {"stream_reset"}), csctp.StreamReset)
    (theirs,) = of(next_events(conn, {"stream_reset"}), csctp.StreamReset)
    assert (mine.flags, mine.streams) == (C.SCTP_STREAM_RESET_OUTGOING_SSN, [1, 3])
    assert (theirs.flags, theirs.streams) == (C.SCTP_STREAM_RESET_INCOMING_SSN, [1, 3])
    assert mine.length == 12 + 2 * 2
    cli.send(b"after", stream=3)
    assert conn.recv().ssn == 0              # the reset took effect: SSN restarted


def test_stream_change_event_after_adding_streams(sockets):
    srv, cli, conn = make_pair(pre=_reconf, kinds=["stream_change"])
    sockets.append((srv, cli, conn))
    cli.setsockopt(C.SOL_SCTP, C.SCTP_ADD_STREAMS, struct.pack("iHH", 0, 0, 2))
    (mine,) = of(next_events(cli, {"stream_change"}), csctp.StreamChange)
    (theirs,) = of(next_events(conn, {"stream_change"}), csctp.StreamChange)
    assert (mine.flags, mine.instreams, mine.outstreams) == (0, 0, 2)
    assert (theirs.flags, theirs.instreams, theirs.outstreams) == (0, 2, 0)
    cli.send(b"on a new stream", stream=11)  # 10 default + 2 added: stream 11 exists now
    assert conn.recv().stream == 11


def test_assoc_reset_event_reports_matching_tsns(sockets):
    srv, cli, conn = make_pair(pre=_reconf, kinds=["assoc_reset"])
    sockets.append((srv, cli, conn))
    cli.setsockopt(C.SOL_SCTP, C.SCTP_RESET_ASSOC, struct.pack("i", 0))
    (mine,) = of(next_events(cli, {"assoc_reset"}), csctp.AssocReset)
    (theirs,) = of(next_events(conn, {"assoc_reset"}), csctp.AssocReset)
    assert mine.flags == 0 and theirs.flags == 0
    assert (mine.local_tsn, mine.remote_tsn) == (theirs.remote_tsn, theirs.local_tsn)
    assert mine.length == 20


# ---- kernel: subscription ---------------------------------------------------

def test_subscribe_turns_kinds_on_and_off(sockets):
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    sockets.append(s)
    csctp.subscribe(s, "shutdown", C.SCTP_SENDER_DRY_EVENT)
    assert csctp.subscribed(s, "shutdown") and csctp.subscribed(s, "sender_dry")
    assert not csctp.subscribed(s, "assoc_change")
    csctp.subscribe(s, "shutdown", on=False)
    assert not csctp.subscribed(s, "shutdown") and csctp.subscribed(s, "sender_dry")


def test_subscribe_accepts_socket_socket_and_fd(sockets):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM, C.IPPROTO_SCTP)
    try:
        csctp.subscribe(raw, "assoc_change")
        assert csctp.subscribed(raw.fileno(), "assoc_change")
        csctp.subscribe(raw.fileno(), "assoc_change", on=False)
        assert not csctp.subscribed(raw, "assoc_change")
    finally:
        raw.close()


def test_subscribe_rejects_unknown_kinds_and_closed_sockets(sockets):
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    sockets.append(s)
    with pytest.raises(ValueError, match="'assoc_chnage'"):
        csctp.subscribe(s, "assoc_change", "assoc_chnage")
    assert not csctp.subscribed(s, "assoc_change")   # nothing half-applied
    with pytest.raises(ValueError, match="0x7fff"):
        csctp.subscribe(s, 0x7FFF)
    with pytest.raises(TypeError):
        csctp.subscribe(s, 1.5)
    with pytest.raises(ValueError, match="at least one"):
        csctp.subscribe(s)
    s.close()
    with pytest.raises(OSError):
        csctp.subscribe(s, "shutdown")


def test_legacy_sctp_events_fallback_keeps_other_subscriptions(sockets):
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    sockets.append(s)
    csctp.subscribe(s, "shutdown")                         # via SCTP_EVENT
    size = N._subscribe_legacy(s, "assoc_change", "sender_dry")
    # the size is what this kernel reports for its struct sctp_event_subscribe
    assert size == len(s.getsockopt(C.SOL_SCTP, C.SCTP_EVENTS, 64)) and size >= 10
    got = s.getsockopt(C.SOL_SCTP, C.SCTP_EVENTS, size)
    assert got[1] == 1 and got[5] == 1 and got[9] == 1 and got[0] == 0
    assert csctp.subscribed(s, "shutdown") and csctp.subscribed(s, "assoc_change")
    N._subscribe_legacy(s, "sender_dry", on=False)
    assert not csctp.subscribed(s, "sender_dry") and csctp.subscribed(s, "assoc_change")


def test_legacy_subscription_delivers_events_for_real(sockets):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    N._subscribe_legacy(cli, "assoc_change", "shutdown")
    N._subscribe_legacy(srv, "assoc_change", "shutdown")
    cli.settimeout(WAIT)
    srv.settimeout(WAIT)
    cli.connect(("127.0.0.1", srv.getsockname()[1]))
    conn, _ = srv.accept()
    sockets.append((srv, cli, conn))
    assert [e.state for e in next_events(cli, {"assoc_change"})] == [C.SCTP_COMM_UP]
    assert [e.state for e in next_events(conn, {"assoc_change"})] == [C.SCTP_COMM_UP]
    cli.shutdown(socket.SHUT_WR)
    assert [e.kind for e in next_events(conn, {"shutdown", "assoc_change"})] == ["shutdown", "assoc_change"]


def test_one_to_many_subscription_per_association(sockets):
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(WAIT)
    csctp.subscribe(srv, "assoc_change")
    cli = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.settimeout(WAIT)
    cli.connect(("127.0.0.1", srv.getsockname()[1]))
    sockets.append((srv, cli))
    (up,) = next_events(srv, {"assoc_change"})
    assert not csctp.subscribed(srv, "sender_dry", assoc_id=up.assoc_id)
    csctp.subscribe(srv, "sender_dry", assoc_id=up.assoc_id)
    assert csctp.subscribed(srv, "sender_dry", assoc_id=up.assoc_id)
    # idle association: the kernel reports it dry as soon as one subscribes (RFC 6458 6.1.9)
    dry = next_events(srv, {"sender_dry"})
    assert [(type(e), e.assoc_id) for e in dry] == [(csctp.SenderDry, up.assoc_id)]


# ---- parser: constructed bytes (nokernel) ------------------------------------

BASE = C.SCTP_SN_TYPE_BASE


def hdr(t, length, flags=0):
    return struct.pack("=HHI", t, flags, length)


def sockaddr_in(host, port):
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(host)


def sockaddr_in6(host, port, flow=0, scope=0):
    return (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, flow)
            + socket.inet_pton(socket.AF_INET6, host) + struct.pack("=I", scope))


def build(kind):
    """A valid notification of *kind* as the kernel lays it out, and the fields it must parse to."""
    if kind == "assoc_change":
        info = bytes([1, 2, 5])
        b = struct.pack("=HHHHi", 0, 0, 7, 9, 42) + info
        return hdr(C.SCTP_ASSOC_CHANGE, 8 + len(b)) + b, dict(
            state=0, error=0, outbound_streams=7, inbound_streams=9, assoc_id=42, info=info,
            supported_features=[C.SCTP_ASSOC_SUPPORTS_PR, C.SCTP_ASSOC_SUPPORTS_AUTH,
                                C.SCTP_ASSOC_SUPPORTS_RE_CONFIG])
    if kind == "peer_addr_change":
        ss = sockaddr_in("192.0.2.7", 2905).ljust(128, b"\0")
        return hdr(C.SCTP_PEER_ADDR_CHANGE, 148) + ss + struct.pack("=iii", 1, 0, 5), dict(
            addr=("192.0.2.7", 2905), state=C.SCTP_ADDR_UNREACHABLE, error=0, assoc_id=5)
    if kind == "send_failed":
        info = struct.pack("=HHHxxIIIIIi", 4, 9, 3, socket.htonl(0x80000001), 11, 500, 1000, 999, 6)
        data = b"\x00\xffpayload"
        b = struct.pack("=I", 0x0C00) + info + struct.pack("=i", 6) + data
        return hdr(C.SCTP_SEND_FAILED, 8 + len(b), flags=1) + b, dict(
            flags=1, sent=True, error=12, stream=4, ssn=9, info_flags=3, ppid=0x80000001, context=11,
            timetolive=500, tsn=1000, cumtsn=999, assoc_id=6, data=data)
    if kind == "send_failed_event":
        data = b"\x80unsent"
        b = struct.pack("=IHHIIi", 0, 2, 0, socket.htonl(46), 3, 8) + struct.pack("=i", 8) + data
        return hdr(C.SCTP_SEND_FAILED_EVENT, 8 + len(b)) + b, dict(
            flags=0, sent=False, error=0, stream=2, info_flags=0, ppid=46, context=3, assoc_id=8, data=data)
    if kind == "remote_error":
        data = b"\xde\xad\xbe\xef\x00\x01"
        b = struct.pack("!H", 0x0006) + b"\0\0" + struct.pack("=i", 3) + data
        return hdr(C.SCTP_REMOTE_ERROR, 8 + len(b)) + b, dict(error=6, assoc_id=3, data=data)
    if kind == "shutdown":
        return hdr(C.SCTP_SHUTDOWN_EVENT, 12) + struct.pack("=i", 4), dict(assoc_id=4)
    if kind == "partial_delivery":
        return hdr(C.SCTP_PARTIAL_DELIVERY_EVENT, 24) + struct.pack("=IiII", 0, 5, 3, 17), dict(
            indication=C.SCTP_PARTIAL_DELIVERY_ABORTED, assoc_id=5, stream=3, seq=17)
    if kind == "adaptation":
        return hdr(C.SCTP_ADAPTATION_INDICATION, 16) + struct.pack("=Ii", 0xFFFFFFFF, 2), dict(
            adaptation_ind=0xFFFFFFFF, assoc_id=2)
    if kind == "authentication":
        return hdr(C.SCTP_AUTHENTICATION_EVENT, 20) + struct.pack("=HHIi", 3, 0, 1, 9), dict(
            keynumber=3, altkeynumber=0, indication=C.SCTP_AUTH_FREE_KEY, assoc_id=9)
    if kind == "sender_dry":
        return hdr(C.SCTP_SENDER_DRY_EVENT, 12) + struct.pack("=i", 1), dict(assoc_id=1)
    if kind == "stream_reset":
        b = struct.pack("=i", 2) + struct.pack("=3H", 0, 1, 65535)
        return hdr(C.SCTP_STREAM_RESET_EVENT, 8 + len(b), flags=1) + b, dict(
            flags=1, assoc_id=2, streams=[0, 1, 65535])
    if kind == "assoc_reset":
        return hdr(C.SCTP_ASSOC_RESET_EVENT, 20, flags=4) + struct.pack("=iII", 2, 0xFFFFFFFE, 12), dict(
            flags=C.SCTP_ASSOC_RESET_DENIED, assoc_id=2, local_tsn=0xFFFFFFFE, remote_tsn=12)
    if kind == "stream_change":
        return hdr(C.SCTP_STREAM_CHANGE_EVENT, 16) + struct.pack("=iHH", 2, 12, 14), dict(
            assoc_id=2, instreams=12, outstreams=14)
    raise KeyError(kind)


CLASSES = {
    "assoc_change": csctp.AssocChange, "peer_addr_change": csctp.PeerAddrChange,
    "send_failed": csctp.SendFailed, "send_failed_event": csctp.SendFailedEvent,
    "remote_error": csctp.RemoteError, "shutdown": csctp.Shutdown,
    "partial_delivery": csctp.PartialDelivery, "adaptation": csctp.AdaptationIndication,
    "authentication": csctp.Authentication, "sender_dry": csctp.SenderDry,
    "stream_reset": csctp.StreamReset, "assoc_reset": csctp.AssocReset,
    "stream_change": csctp.StreamChange,
}
# smallest sn_length each type accepts (its fixed part in the kernel ABI)
MIN_SIZE = {
    "assoc_change": 20, "peer_addr_change": 148, "send_failed": 48, "send_failed_event": 32,
    "remote_error": 16, "shutdown": 12, "partial_delivery": 16, "adaptation": 16,
    "authentication": 20, "sender_dry": 12, "stream_reset": 12, "assoc_reset": 20, "stream_change": 16,
}


@pytest.mark.nokernel
def test_kinds_map_names_to_kernel_sn_types():
    assert len(N.KINDS) == 14 and len(set(N.KINDS.values())) == 14
    assert N.KINDS["data_io"] == C.SCTP_DATA_IO_EVENT == 0x8000
    assert N.KINDS["send_failed_event"] == C.SCTP_SEND_FAILED_EVENT == 0x800D
    assert N.KINDS["stream_change"] == C.SCTP_STREAM_CHANGE_EVENT
    assert csctp.NOTIFICATION_KINDS is N.KINDS
    assert all(N.KIND_NAMES[v] == k for k, v in N.KINDS.items())
    assert set(CLASSES) == set(N.KINDS) - {"data_io"}
    assert all(type(v) is C.NotificationType for v in N.KINDS.values())


@pytest.mark.nokernel
@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_every_type_parses_from_kernel_layout(kind):
    data, fields = build(kind)
    ev = csctp.parse_notification(data)
    assert type(ev) is CLASSES[kind]
    assert ev.kind == kind and ev.type == N.KINDS[kind]
    assert ev.length == len(data) and ev.raw == data
    for name, want in fields.items():
        assert getattr(ev, name) == want, name
    r = repr(ev)
    assert r.startswith(f"<{CLASSES[kind].__name__} assoc_id={fields['assoc_id']}") and r.endswith(">")
    assert isinstance(pickle.loads(pickle.dumps(ev)), CLASSES[kind])


@pytest.mark.nokernel
@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_every_type_truncated_at_every_length_raises_value_error(kind):
    data, _ = build(kind)
    for n in range(len(data)):
        cut = data[:n]
        with pytest.raises(ValueError):
            csctp.parse_notification(cut)          # header claims more than was given
        if n >= 8:
            # a self-consistent header that is too short for its type
            fixed = cut[:4] + struct.pack("=I", n) + cut[8:]
            if n < MIN_SIZE[kind]:
                with pytest.raises(ValueError, match="needs at least"):
                    csctp.parse_notification(fixed)
            else:
                ev = csctp.parse_notification(fixed)   # shorter variable part: still that type
                assert type(ev) is CLASSES[kind] and ev.length == n and ev.raw == fixed


@pytest.mark.nokernel
def test_variable_parts_follow_sn_length():
    data, _ = build("send_failed_event")
    ev = csctp.parse_notification(data[:4] + struct.pack("=I", 34) + data[8:])
    assert ev.data == data[32:34]
    ev = csctp.parse_notification(data + b"trailing garbage")   # bytes past sn_length: ignored
    assert ev.data == b"\x80unsent" and ev.raw == data
    sr, _ = build("stream_reset")
    assert csctp.parse_notification(sr[:4] + struct.pack("=I", 15) + sr[8:]).streams == [0]
    assert csctp.parse_notification(sr[:4] + struct.pack("=I", 12) + sr[8:]).streams == []


@pytest.mark.nokernel
def test_partial_delivery_from_kernels_before_4_16_has_no_stream_or_seq():
    ev = csctp.parse_notification(hdr(C.SCTP_PARTIAL_DELIVERY_EVENT, 16) + struct.pack("=Ii", 0, 5))
    assert (ev.indication, ev.assoc_id, ev.stream, ev.seq) == (0, 5, None, None)


@pytest.mark.nokernel
def test_remote_error_data_stays_binary():
    data, _ = build("remote_error")
    ev = csctp.parse_notification(data)
    assert type(ev.data) is bytes and ev.data == b"\xde\xad\xbe\xef\x00\x01"
    assert "RemoteError" in repr(ev) and "error=6" in repr(ev)


@pytest.mark.nokernel
def test_peer_addr_change_with_ipv6_and_unknown_family():
    ss = sockaddr_in6("2001:db8::1", 3868, 0, 4).ljust(128, b"\0")
    ev = csctp.parse_notification(hdr(C.SCTP_PEER_ADDR_CHANGE, 148) + ss + struct.pack("=iii", 5, 2, 1))
    assert ev.addr == ("2001:db8::1", 3868, 0, 4) and ev.state == C.SCTP_ADDR_CONFIRMED
    ev = csctp.parse_notification(hdr(C.SCTP_PEER_ADDR_CHANGE, 148) + b"\x63\x00" + b"\0" * 126
                                  + struct.pack("=iii", 0, 0, 1))
    assert ev.addr is None and ev.assoc_id == 1


@pytest.mark.nokernel
def test_supported_features_only_for_comm_up_and_restart():
    b = struct.pack("=HHHHi", C.SCTP_COMM_LOST, 0, 0, 0, 1) + struct.pack("!HH", 12, 4)
    ev = csctp.parse_notification(hdr(C.SCTP_ASSOC_CHANGE, 8 + len(b)) + b)
    assert ev.info == b"\x00\x0c\x00\x04" and ev.supported_features == []
    b = struct.pack("=HHHHi", C.SCTP_RESTART, 0, 1, 1, 1) + bytes([C.SCTP_ASSOC_SUPPORTS_INTERLEAVING])
    ev = csctp.parse_notification(hdr(C.SCTP_ASSOC_CHANGE, 8 + len(b)) + b)
    assert ev.supported_features == [C.SCTP_ASSOC_SUPPORTS_INTERLEAVING]


@pytest.mark.nokernel
def test_unknown_type_is_a_generic_notification_with_raw_bytes():
    data = hdr(0x8123, 13, flags=7) + b"\x01\x02\x03\x04\x05"
    ev = csctp.parse_notification(data)
    assert type(ev) is csctp.Notification
    assert (ev.type, ev.flags, ev.length, ev.assoc_id, ev.raw, ev.kind) == (0x8123, 7, 13, 0, data, "unknown")
    assert "0x8123" in repr(ev)
    # data_io has no notification structure of its own: generic as well
    assert type(csctp.parse_notification(hdr(C.SCTP_DATA_IO_EVENT, 8))) is csctp.Notification


@pytest.mark.nokernel
@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_type_is_a_notification_type_naming_the_event_class(kind):
    ev = csctp.parse_notification(build(kind)[0])
    assert type(ev.type) is C.NotificationType and ev.type == N.KINDS[kind]
    assert N.EVENT_CLASSES[ev.type] is type(ev) is CLASSES[kind]
    assert N.KIND_NAMES[ev.type] == kind


@pytest.mark.nokernel
@pytest.mark.parametrize("state", list(C.AssocChangeState))
def test_assoc_change_state_is_an_enum_member_printed_by_name(state):
    b = struct.pack("=HHHHi", int(state), 0, 1, 1, 3)
    ev = csctp.parse_notification(hdr(C.SCTP_ASSOC_CHANGE, 8 + len(b)) + b)
    assert ev.state is state and ev.state == int(state) and isinstance(ev.state, int)
    assert f" state={state.name} " in repr(ev)
    assert pickle.loads(pickle.dumps(ev)).state is state


@pytest.mark.nokernel
@pytest.mark.parametrize("state", list(C.PeerAddrChangeState))
def test_peer_addr_change_state_is_an_enum_member_printed_by_name(state):
    ss = sockaddr_in("192.0.2.1", 9).ljust(128, b"\0")
    ev = csctp.parse_notification(hdr(C.SCTP_PEER_ADDR_CHANGE, 148) + ss + struct.pack("=iii", int(state), 0, 5))
    assert ev.state is state and ev.state == int(state)
    assert f" state={state.name} " in repr(ev)


@pytest.mark.nokernel
def test_states_and_types_a_newer_kernel_may_add_stay_ints():
    b = struct.pack("=HHHHi", 77, 0, 1, 1, 3)
    ev = csctp.parse_notification(hdr(C.SCTP_ASSOC_CHANGE, 8 + len(b)) + b)
    assert type(ev.state) is int and ev.state == 77 and " state=77 " in repr(ev)
    ss = sockaddr_in("192.0.2.1", 9).ljust(128, b"\0")
    ev = csctp.parse_notification(hdr(C.SCTP_PEER_ADDR_CHANGE, 148) + ss + struct.pack("=iii", -1, 0, 5))
    assert type(ev.state) is int and ev.state == -1
    ev = csctp.parse_notification(hdr(0x800E, 8))
    assert type(ev.type) is int and ev.type == 0x800E and ev.kind == "unknown"


@pytest.mark.nokernel
def test_parse_takes_any_bytes_like_object_without_alignment():
    data, fields = build("peer_addr_change")
    buf = bytearray(b"\x00" + data + b"\x00")
    for obj in (bytearray(data), memoryview(buf)[1:-1], memoryview(data)):
        ev = csctp.parse_notification(obj)
        assert ev.addr == fields["addr"] and type(ev.raw) is bytes and ev.raw == data
    with pytest.raises(TypeError, match="bytes-like"):
        csctp.parse_notification("text")
    with pytest.raises(TypeError):
        csctp.parse_notification(None)


@pytest.mark.nokernel
def test_short_and_garbled_headers_raise_value_error():
    for bad in (b"", b"\x01\x80", b"\x01\x80\x00\x00\x14\x00\x00"):
        with pytest.raises(ValueError, match="header"):
            csctp.parse_notification(bad)
    with pytest.raises(ValueError, match="garbled"):
        csctp.parse_notification(hdr(C.SCTP_ASSOC_CHANGE, 4) + b"\0" * 16)
    with pytest.raises(ValueError, match="truncated"):
        csctp.parse_notification(hdr(C.SCTP_ASSOC_CHANGE, 0xFFFFFFFF) + b"\0" * 16)


@pytest.mark.nokernel
def test_notifications_are_not_built_by_hand():
    with pytest.raises(TypeError, match="parse_notification"):
        csctp.AssocChange()


@pytest.mark.nokernel
def test_subscribe_validates_kinds_before_any_system_call():
    # a UDP socket: the error must come from csctp's own check, not the kernel
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        with pytest.raises(ValueError, match="unknown notification kind 'nope'"):
            csctp.subscribe(u, "nope")
        with pytest.raises(ValueError, match="unknown notification kind 'nope'"):
            N._subscribe_legacy(u, "nope")
        with pytest.raises(TypeError):
            csctp.subscribe(u, True)
    with pytest.raises(TypeError):
        csctp.subscribe("not a socket", "shutdown")


@pytest.mark.nokernel
def test_fuzz_parser_with_random_and_truncated_bytes():
    rng = random.Random(0x5C7B)
    pool = rng.randbytes(1 << 16)                    # slices of one random block: cheap noise
    valid = [build(k)[0] for k in sorted(CLASSES)]
    types = list(range(BASE, BASE + 16)) + [0, 1, 0x7FFF, 0xFFFF]
    parse = csctp.parse_notification
    parsed = errors = 0
    for i in range(100_000):
        r = i & 3
        off = rng.getrandbits(15)
        if r == 0:                                   # pure noise, any length up to 300
            data = pool[off:off + rng.randrange(300)]
        elif r == 1:                                 # valid header, random body, random sn_length
            n = rng.randrange(8, 300)
            length = (n, rng.randrange(400), rng.getrandbits(32))[i % 3]
            data = hdr(types[off % len(types)], length, off) + pool[off:off + n - 8]
        elif r == 2:                                 # a real notification cut short
            v = valid[off % len(valid)]
            data = v[:rng.randrange(len(v) + 1)]
        else:                                        # a real notification with bytes overwritten
            v = valid[off % len(valid)]
            k = off % len(v)
            data = v[:k] + pool[off:off + 1 + (i & 7)] + v[k + 1 + (i & 7):]
        try:
            ev = parse(data)
        except ValueError:
            errors += 1
            continue
        parsed += 1
        assert 8 <= ev.length <= len(data) and ev.raw == data[:ev.length]
        assert isinstance(ev, csctp.Notification)
    assert parsed > 10_000 and errors > 10_000          # both paths were exercised
