"""Failover on real paths: cut links under load, move the primary, lose both paths, ASCONF.

Heartbeats every 100 ms, one retransmission per path and RTOs of 50-200 ms
make a dead path detected within about a second, even under emulation.
"""

import errno
import time

import pytest

from csctp import constants as C
from tests import sctp_raw, traffic
from tests.figures import record
from tests.traffic import Collector

pytestmark = pytest.mark.netns

PORT = 2905
STREAMS = 10


def _send_numbered(sock, total, streams=STREAMS, on_message=None, size=64):
    sent = {s: 0 for s in range(streams)}
    for i in range(total):
        s = i % streams
        sock.send(traffic.payload(s, sent[s], size), stream=s, ppid=s + 1)
        sent[s] += 1
        if on_message is not None:
            on_message(i)
    return sent


def _drain_notifications(sock, limit=1000):
    """Notifications already queued on *sock* (it receives no data in these tests)."""
    out = []
    sock.settimeout(0.2)
    for _ in range(limit):
        try:
            m = sock.recv()
        except TimeoutError:
            break
        if m.is_notification:
            out.append(sctp_raw.parse_notification(m.data))
    return out


def _is_change(ev, addr_host, state):
    return isinstance(ev, sctp_raw.PeerAddrChange) and ev.addr and ev.addr[0] == addr_host and ev.state == state


def test_cutting_the_primary_path_loses_nothing_and_reports_the_path(two_networks):
    topo = two_networks
    total = 10_000
    cli, conn, srv = topo.pair("ipv4")
    try:
        for s in (cli, conn):
            sctp_raw.tune_fast_failover(s)
            sctp_raw.subscribe(s, C.SCTP_PEER_ADDR_CHANGE, C.SCTP_ASSOC_CHANGE)
            s.setsockopt(C.SOL_SCTP, C.SCTP_NODELAY, 1)
        a_srv, a_cli = topo.addr("server", "a"), topo.addr("client", "a")
        assert sctp_raw.primary(cli) == (a_srv, PORT)
        rx = Collector(conn, deadline=time.monotonic() + 300)
        rx.start()

        def cut(i):
            if i == total // 5:
                topo.link_down("a")

        sent = _send_numbered(cli, total, on_message=cut)
        assert rx.wait_for(lambda c: len(c.data) >= total, 240), f"only {len(rx.data)} of {total} arrived"
        assert rx.wait_for(lambda c: any(_is_change(e, a_cli, C.SCTP_ADDR_UNREACHABLE) for e in c.events), 60), \
            f"server never reported {a_cli} unreachable: {rx.events}"
        topo.link_up("a")
        assert rx.wait_for(lambda c: any(_is_change(e, a_cli, C.SCTP_ADDR_AVAILABLE) for e in c.events), 60), \
            f"server never reported {a_cli} available again: {rx.events}"
        rx.stop()
        client_events = _drain_notifications(cli)
        figs = traffic.check_streams(rx.data, sent)
        states = [(e.addr[0], e.state) for e in rx.events_of(sctp_raw.PeerAddrChange)]
        # unreachable comes before available for the cut address
        seq = [st for host, st in states if host == a_cli]
        assert seq.index(C.SCTP_ADDR_UNREACHABLE) < len(seq) - 1 - seq[::-1].index(C.SCTP_ADDR_AVAILABLE)
        record("failover: primary path cut under load", **figs, streams=STREAMS,
               server_path_events=states,
               client_path_events=[(e.addr[0], e.state) for e in client_events
                                   if isinstance(e, sctp_raw.PeerAddrChange)])
    finally:
        for s in (cli, conn, srv):
            s.close()


def test_setting_the_primary_moves_the_traffic(two_networks):
    topo = two_networks
    cli, conn, srv = topo.pair("ipv4")
    n, size = 300, 1000
    try:
        cli.setsockopt(C.SOL_SCTP, C.SCTP_NODELAY, 1)
        moved = {}
        for net, other in (("b", "a"), ("a", "b")):
            target = (topo.addr("server", net), PORT)
            cli.setsockopt(C.SOL_SCTP, C.SCTP_PRIMARY_ADDR, sctp_raw.prim(0, target))
            assert sctp_raw.primary(cli) == target
            before = {x: topo.stats(x)["tx_bytes"] for x in "ab"}
            rx = Collector(conn, deadline=time.monotonic() + 120)
            rx.start()
            sent = _send_numbered(cli, n, size=size)
            assert rx.wait_for(lambda c: len(c.data) >= n, 100)
            rx.stop()
            traffic.check_streams(rx.data, sent)
            delta = {x: topo.stats(x)["tx_bytes"] - before[x] for x in "ab"}
            moved[net] = delta
            # every payload byte left through the primary's path; the other saw at most heartbeats
            assert delta[net] >= n * size
            assert delta[other] < n * size // 10
        record("failover: primary moved", tx_bytes_with_primary_b=moved["b"], tx_bytes_with_primary_a=moved["a"])
    finally:
        for s in (cli, conn, srv):
            s.close()


def test_cutting_both_paths_ends_the_association_with_comm_lost(two_networks):
    topo = two_networks
    cli, conn, srv = topo.pair("ipv4")
    try:
        sctp_raw.tune_fast_failover(cli, asocmaxrxt=2)   # may not exceed the sum of the paths' pathmaxrxt
        sctp_raw.subscribe(cli, C.SCTP_ASSOC_CHANGE, C.SCTP_PEER_ADDR_CHANGE)
        cli.send(b"before", stream=1)
        assert conn.recv().data == b"before"
        topo.link_down("a")
        topo.link_down("b")
        cli.send(b"into the void", stream=1)
        cli.settimeout(30)
        events = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            m = cli.recv()
            if not m.is_notification:
                break
            events.append(sctp_raw.parse_notification(m.data))
            if any(isinstance(e, sctp_raw.AssocChange) and e.state == C.SCTP_COMM_LOST for e in events):
                break
        lost = [e for e in events if isinstance(e, sctp_raw.AssocChange) and e.state == C.SCTP_COMM_LOST]
        assert lost, f"no COMM_LOST: {events}"
        with pytest.raises(OSError, match="send") as ei:
            cli.send(b"after", stream=1)
        # the association's own error (ETIMEDOUT after COMM_LOST), not a local wait running out
        assert ei.value.errno in (errno.ETIMEDOUT, errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN), ei.value
        record("failover: both paths cut", events=[type(e).__name__ + f"(state={e.state})" for e in events],
               send_error=f"{type(ei.value).__name__}: {ei.value}")
    finally:
        for s in (cli, conn, srv):
            s.close()


def test_adding_and_removing_a_local_address_on_a_live_association(two_networks):
    topo = two_networks
    srv = topo.socket("server")
    srv.bindx([(h, PORT) for h in topo.addrs("server")])
    srv.listen(4)
    srv.settimeout(20)
    cli = topo.socket("client")
    cli.settimeout(20)
    conn = None
    try:
        a_cli, b_cli = topo.addrs("client")
        cli.bind((a_cli, 0))
        port = cli.getsockname()[1]
        cli.connectx([(h, PORT) for h in topo.addrs("server")])
        conn, _ = srv.accept()
        sctp_raw.subscribe(conn, C.SCTP_PEER_ADDR_CHANGE)
        rx = Collector(conn, deadline=time.monotonic() + 120)
        rx.start()
        sent = {s: 0 for s in range(STREAMS)}

        def burst(k):
            for i in range(k):
                s = i % STREAMS
                cli.send(traffic.payload(s, sent[s]), stream=s)
                sent[s] += 1

        burst(100)
        cli.bindx([(b_cli, port)], C.SCTP_BINDX_ADD_ADDR)          # RFC 5061 ASCONF ADD-IP
        assert rx.wait_for(lambda c: any(_is_change(e, b_cli, C.SCTP_ADDR_ADDED) for e in c.events), 30), rx.events
        assert sorted(conn.getpaddrs()) == sorted((h, port) for h in (a_cli, b_cli))
        burst(100)
        cli.bindx([(b_cli, port)], C.SCTP_BINDX_REM_ADDR)          # ASCONF DELETE-IP
        assert rx.wait_for(lambda c: any(_is_change(e, b_cli, C.SCTP_ADDR_REMOVED) for e in c.events), 30), rx.events
        assert conn.getpaddrs() == [(a_cli, port)]
        burst(100)
        assert rx.wait_for(lambda c: len(c.data) >= 300, 60)
        rx.stop()
        figs = traffic.check_streams(rx.data, sent)
        record("asconf: add/remove address", **figs,
               events=[(e.addr[0], e.state) for e in rx.events_of(sctp_raw.PeerAddrChange)])
    finally:
        for s in (cli, conn, srv):
            if s is not None:
                s.close()
