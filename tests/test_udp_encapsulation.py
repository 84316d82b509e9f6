"""SCTP over UDP (RFC 6951) between two network namespaces whose links drop IP protocol 132.

Both namespaces get ``net.sctp.udp_port`` and an nftables input rule that drops
bare SCTP (``meta l4proto sctp drop``, :meth:`tests.netns.NetNS.drop_bare_sctp`).
A packet socket on each side's links sees every frame before that rule, so the
tests can say what went on the wire: encapsulated associations carry data and
show only UDP to/from the encapsulation port; a plain association attempt puts
bare SCTP on the wire, which the rule drops, and fails.  With two paths, an
encapsulated multi-homed association fails over to the second UDP path; with
PLPMTUD on, large messages survive a link MTU cut.
"""

import errno
import socket
import struct
import threading
import time

import pytest

import csctp
from csctp import options as O
from tests.figures import record

pytestmark = pytest.mark.netns

UDP_PORT = 9899           # net.sctp.udp_port on both sides, and the remote port the client sends to
SCTP_PORT = 2905
ETH_P_ALL = 0x0003


class Capture:
    """Frames seen on one namespace's link (a packet socket, before the nft input rule)."""

    def __init__(self, ns, dev="neta"):
        with ns.entered():
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((dev, 0))
        self.sock.setblocking(False)
        self.bare_sctp = 0
        self.udp_encaps = 0

    def drain(self, limit=100000):
        for _ in range(limit):
            try:
                frame = self.sock.recv(65535)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno != errno.ENETDOWN:
                    raise
                continue        # the link went down (a failover test): reported once, the queued frames remain
            self._count(frame)
        raise AssertionError(f"more than {limit} frames on the link")

    def _count(self, f):
        ethertype = struct.unpack("!H", f[12:14])[0]
        if ethertype == 0x0800:
            ihl = (f[14] & 0x0F) * 4
            proto, l4 = f[14 + 9], 14 + ihl
        elif ethertype == 0x86DD:
            proto, l4 = f[14 + 6], 14 + 40
        else:
            return
        if proto == socket.IPPROTO_SCTP:
            self.bare_sctp += 1
        elif proto == socket.IPPROTO_UDP and UDP_PORT in struct.unpack("!HH", f[l4:l4 + 4]):
            self.udp_encaps += 1

    def close(self):
        self.sock.close()


@pytest.fixture
def blocked(two_networks):
    """The two-network topology with SCTP-over-UDP on and bare SCTP dropped on both sides.

    The sysctls and filters live in the namespaces, which two_networks deletes afterwards.
    """
    topo = two_networks
    for ns in (topo.client, topo.server):
        ns.sysctl("net.sctp.udp_port", UDP_PORT)
        ns.sysctl("net.sctp.encap_port", 0)         # plain SCTP unless a socket asks for UDP
        ns.drop_bare_sctp()
    caps = [Capture(topo.client), Capture(topo.server)]
    yield topo, caps
    for c in caps:
        c.close()


def _listen(topo, **kw):
    with topo.server.entered():
        lst = csctp.listen((topo.addr("server", "a"), SCTP_PORT), **kw)
    lst.settimeout(20)
    return lst


def test_the_udp_sysctls_belong_to_the_namespace(blocked):
    topo, _ = blocked
    assert topo.client.sysctl_get("net.sctp.udp_port") == str(UDP_PORT)
    # this process's own namespace (the VM's) is untouched
    with open("/proc/sys/net/sctp/udp_port") as f:
        assert f.read().strip() != str(UDP_PORT)


def test_an_encapsulated_association_carries_messages_where_bare_sctp_is_dropped(blocked):
    topo, caps = blocked
    lst = _listen(topo)
    try:
        with topo.client.entered():
            cli = csctp.connect((topo.addr("server", "a"), SCTP_PORT), local=(topo.addr("client", "a"), 0),
                                udp_encaps_port=UDP_PORT, timeout=20)
        try:
            srv = lst.accept()
            try:
                assert O.get_remote_udp_encaps_port(cli.socket) == UDP_PORT
                sent = [(f"message {i} on stream {i % 4}".encode(), i % 4, 1000 + i) for i in range(12)]
                for data, sid, ppid in sent:
                    cli.send(data, stream=sid, ppid=ppid)
                got = [srv.recv() for _ in sent]
                assert sorted((bytes(m.data), m.stream, m.ppid) for m in got) == sorted(sent)
                srv.send(b"reply", stream=3, ppid=77)
                m = cli.recv()
                assert (bytes(m.data), m.stream, m.ppid) == (b"reply", 3, 77)
                # the server learnt the client's UDP port from what arrived (RFC 6951 5.1)
                assert O.get_remote_udp_encaps_port(srv.socket, address=srv.socket.getpeername()) == UDP_PORT
            finally:
                srv.close()
        finally:
            cli.close()
    finally:
        lst.close()
    for c in caps:
        c.drain()
    client_cap, server_cap = caps
    assert server_cap.udp_encaps >= 6 and client_cap.udp_encaps >= 6, (client_cap.udp_encaps, server_cap.udp_encaps)
    assert (client_cap.bare_sctp, server_cap.bare_sctp) == (0, 0)


def test_a_plain_association_attempt_is_dropped_and_fails(blocked):
    topo, caps = blocked
    lst = _listen(topo)
    try:
        t0 = time.monotonic()
        with pytest.raises(OSError):
            with topo.client.entered():
                a = csctp.connect((topo.addr("server", "a"), SCTP_PORT), local=(topo.addr("client", "a"), 0),
                                  udp_encaps_port=0, max_attempts=1, init_timeout=1.0, timeout=15)
            a.close()
        assert time.monotonic() - t0 < 15
    finally:
        lst.close()
    for c in caps:
        c.drain()
    client_cap, server_cap = caps
    # the INIT went out bare and reached the server's link, where the nft rule dropped it
    assert server_cap.bare_sctp >= 1 and server_cap.udp_encaps == 0


# ---- two UDP paths: failover -------------------------------------------------------------------

class Inbox(threading.Thread):
    """Everything one association delivers (messages and subscribed events), read on a thread until stopped."""

    def __init__(self, assoc, deadline):
        super().__init__(daemon=True)
        self.assoc, self.deadline = assoc, deadline
        self.messages, self.events, self.error = [], [], None
        self.stopping = threading.Event()
        self.cond = threading.Condition()
        assoc.settimeout(0.5)

    def run(self):
        try:
            while not self.stopping.is_set() and time.monotonic() < self.deadline:
                try:
                    for item in self.assoc.items():
                        with self.cond:
                            (self.events if isinstance(item, csctp.Notification) else self.messages).append(item)
                            self.cond.notify_all()
                        if self.stopping.is_set():
                            return
                    return                                   # the association ended
                except TimeoutError:
                    continue
        except BaseException as e:                           # reported by wait_for
            self.error = e

    def wait_for(self, predicate, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while not predicate(self):
                left = end - time.monotonic()
                if left <= 0 or self.error is not None or not self.is_alive():
                    break
                self.cond.wait(min(left, 0.5))
            ok = predicate(self)
        assert self.error is None, f"receiver failed: {self.error!r}"
        return ok

    def stop(self):
        self.stopping.set()
        self.join(5)


def _tune_fast_failover(assoc):
    # heartbeats every 100 ms, one retransmission per path, RTO 100 ms..1 s: a dead path is declared
    # within about a second even under emulation (RTO.max stays 1 s, as in test_failover.py)
    O.set_rtoinfo(assoc.socket, initial=200, min=100, max=1000)
    O.set_peer_addr_params(assoc.socket, hbinterval=100, pathmaxrxt=1, hb_enable=True)


def _numbered(stream, seq, size=64):
    head = b"%d:%d:" % (stream, seq)
    return head + bytes(size - len(head))


def test_a_multihomed_encapsulated_association_fails_over_to_the_second_udp_path(blocked):
    topo, _ = blocked
    caps = {(side, dev): Capture(topo.ns(side), dev) for side in ("client", "server") for dev in ("neta", "netb")}
    a_cli, b_cli = topo.addrs("client")
    a_srv, b_srv = topo.addrs("server")
    streams, total, cut_at = 8, 1600, 400
    with topo.server.entered():
        lst = csctp.listen(f"{a_srv}/{b_srv}:{SCTP_PORT}", udp_encaps_port=UDP_PORT)
    lst.settimeout(20)
    cli = srv = inbox = None
    try:
        with topo.client.entered():
            cli = csctp.connect(f"{a_srv}/{b_srv}:{SCTP_PORT}", local=f"{a_cli}/{b_cli}:0",
                                udp_encaps_port=UDP_PORT, timeout=20)
        srv = lst.accept()
        for a in (cli, srv):
            _tune_fast_failover(a)
        srv.subscribe("peer_addr_change")
        assert cli.primary[:2] == (a_srv, SCTP_PORT)
        assert {p.address[0] for p in srv.paths()} == {a_cli, b_cli}
        # every path of both sides encapsulates (the listener's socket-wide port reached its association)
        for a, peer in ((cli, a_srv), (cli, b_srv), (srv, a_cli), (srv, b_cli)):
            assert O.get_remote_udp_encaps_port(a.socket, address=(peer, a.peer_addresses[0][1])) == UDP_PORT
        inbox = Inbox(srv, deadline=time.monotonic() + 240)
        inbox.start()
        sent = {s: 0 for s in range(streams)}
        for i in range(total):
            if i == cut_at:
                topo.link_down("a")                      # the client's end of path A: both directions die
            s = i % streams
            cli.send(_numbered(s, sent[s]), stream=s, ppid=100 + s)
            sent[s] += 1
        assert inbox.wait_for(lambda ib: len(ib.messages) >= total, 180), \
            f"only {len(inbox.messages)} of {total} arrived"
        assert inbox.wait_for(lambda ib: any(isinstance(e, csctp.PeerAddrChange) and e.addr and e.addr[0] == a_cli
                                             and e.state == csctp.PeerAddrChangeState.ADDR_UNREACHABLE
                                             for e in ib.events), 60), \
            f"the server never reported {a_cli} unreachable: {inbox.events}"
        inbox.stop()
        got = {s: [] for s in range(streams)}
        for m in inbox.messages:
            s, q, _ = bytes(m.data).split(b":", 2)
            assert (int(s), m.ppid, len(m.data)) == (m.stream, 100 + m.stream, 64), m
            got[m.stream].append(int(q))
        assert got == {s: list(range(n)) for s, n in sent.items()}, "lost, duplicated or reordered messages"
        assert next(p for p in cli.paths() if p.address[0] == a_srv).state != csctp.PathState.ACTIVE
    finally:
        if inbox is not None:
            inbox.stop()
        for a in (cli, srv, lst):
            if a is not None:
                a.close()
    for c in caps.values():
        c.drain()
        c.close()
    counts = {k: (c.udp_encaps, c.bare_sctp) for k, c in caps.items()}
    # the data after the cut went over path B, inside UDP; nothing anywhere was bare SCTP
    assert caps["server", "netb"].udp_encaps >= (total - cut_at) // 50, counts
    assert all(bare == 0 for _, bare in counts.values()), counts
    record("udp encapsulation: failover to the second UDP path", messages=total, streams=streams,
           cut_after=cut_at, frames_udp_bare=counts,
           server_path_events=[(e.addr[0], e.state.name) for e in inbox.events
                               if isinstance(e, csctp.PeerAddrChange) and e.addr])


# ---- PLPMTUD under a link MTU cut ----------------------------------------------------------------

def test_large_messages_survive_a_link_mtu_cut_with_plpmtud_on(blocked):
    topo, caps = blocked
    a_srv = topo.addr("server", "a")
    sizes = [8192, 16384, 32768, 65536]
    lst = _listen(topo, udp_encaps_port=UDP_PORT)
    cli = srv = None
    try:
        with topo.client.entered():
            cli = csctp.connect((a_srv, SCTP_PORT), local=(topo.addr("client", "a"), 0),
                                udp_encaps_port=UDP_PORT, timeout=60)
        srv = lst.accept()
        srv.settimeout(60)
        interval = O.PLPMTUD_PROBE_INTERVAL_MIN
        for a in (cli, srv):
            O.set_plpmtud_probe_interval(a.socket, interval)
        assert O.get_plpmtud_probe_interval(cli.socket, address=cli.primary) == interval

        def exchange(tag):
            for i, size in enumerate(sizes):
                data = bytes([(i + tag) % 251]) * size
                cli.send(data, stream=i % 4, ppid=tag)
                m = srv.recv()
                assert (len(m.data), m.stream, m.ppid) == (size, i % 4, tag)
                assert bytes(m.data) == data, f"{size}-byte message came back different"

        exchange(1)
        before = [(p.address[0], p.mtu) for p in cli.paths()]
        for side in ("client", "server"):
            topo.ns(side).ip("link", "set", "dev", "neta", "mtu", "1280")
        for rnd in range(2, 6):
            exchange(rnd)
        after = [(p.address[0], p.mtu) for p in cli.paths()]
        mtu_params = O.get_peer_addr_params(cli.socket, address=cli.primary)
    finally:
        for a in (cli, srv, lst):
            if a is not None:
                a.close()
    for c in caps:
        c.drain()
    assert all(c.bare_sctp == 0 for c in caps)
    # what the kernel did with the path MTU is reported, not asserted: probing is timer-driven
    record("udp encapsulation: PLPMTUD and a link MTU cut 1500 -> 1280",
           probe_interval_ms=interval, message_sizes=sizes, rounds_after_cut=4,
           path_mtu_before=before, path_mtu_after=after, spp_pathmtu_after=mtu_params.pathmtu,
           pmtud_enabled=mtu_params.pmtud_enabled)
