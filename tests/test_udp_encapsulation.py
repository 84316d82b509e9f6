"""SCTP over UDP (RFC 6951) between two network namespaces whose links drop IP protocol 132.

Both namespaces get ``net.sctp.udp_port`` and a ``tc`` ingress filter that drops
bare SCTP (the VM has ``tc`` but no nftables/iptables).  A packet socket on
each side's link sees every frame before that ingress filter, so the tests can
say what went on the wire: encapsulated associations carry data and show only
UDP to/from the encapsulation port; a plain association attempt puts bare SCTP
on the wire, which the filter drops, and fails.
"""

import socket
import struct
import subprocess
import time

import pytest

import csctp
from csctp import options as O

pytestmark = pytest.mark.netns

UDP_PORT = 9899           # net.sctp.udp_port on both sides, and the remote port the client sends to
SCTP_PORT = 2905
ETH_P_ALL = 0x0003


def _tc_batch(ns, commands):
    with ns.entered():
        p = subprocess.run(["tc", "-batch", "-"], input="\n".join(commands) + "\n", stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 0, f"tc -batch in {ns.name}: {p.stderr.strip()}"


class Capture:
    """Frames seen on one namespace's link (a packet socket, before tc ingress)."""

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
        cmds = []
        for dev in ("neta", "netb"):
            cmds += [f"qdisc add dev {dev} ingress",
                     f"filter add dev {dev} parent ffff: protocol ip prio 1 u32 match ip protocol 132 0xff "
                     "action drop",
                     f"filter add dev {dev} parent ffff: protocol ipv6 prio 2 u32 match ip6 protocol 132 0xff "
                     "action drop"]
        _tc_batch(ns, cmds)
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
    # the INIT went out bare and reached the server's link, where the filter dropped it
    assert server_cap.bare_sctp >= 1 and server_cap.udp_encaps == 0
