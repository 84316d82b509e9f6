"""Multi-homing on real paths: bindx/connectx with several addresses per side (two_networks)."""

import socket

import pytest

from tests import netns, sctp_raw

pytestmark = pytest.mark.netns

PORT = 2905
V4, V6 = socket.AF_INET, socket.AF_INET6

LAYOUTS = netns.LAYOUTS


def _addrs(topo, side, layout, port):
    return [(topo.addr(side, net, fam), port) for net, fam in layout]


def _norm(addr):
    """Address tuple -> (host, port), folding v4-mapped IPv6 to plain IPv4."""
    host = addr[0]
    if host.startswith("::ffff:") and "." in host:
        host = host[len("::ffff:"):]
    return host, addr[1]


def multihomed_pair(topo, kind="ipv4", timeout=20):
    return topo.pair(kind, PORT, timeout)


@pytest.mark.parametrize("kind", list(LAYOUTS))
def test_bindx_connectx_addresses_match_on_both_sides(two_networks, kind):
    topo = two_networks
    family, layout = LAYOUTS[kind]
    cli, conn, srv = multihomed_pair(topo, kind)
    try:
        cport = cli.getsockname()[1]
        want_srv = sorted(_norm(a) for a in _addrs(topo, "server", layout, PORT))
        want_cli = sorted(_norm(a) for a in _addrs(topo, "client", layout, cport))
        assert sorted(_norm(a) for a in cli.getpaddrs()) == want_srv
        assert sorted(_norm(a) for a in cli.getladdrs()) == want_cli
        assert sorted(_norm(a) for a in conn.getpaddrs()) == want_cli
        assert sorted(_norm(a) for a in conn.getladdrs()) == want_srv
        assert sorted(_norm(a) for a in srv.getladdrs()) == want_srv
        # and the association carries data both ways on several streams
        for i in range(10):
            cli.send(b"up %d" % i, stream=i, ppid=3)
        got = [conn.recv() for _ in range(10)]
        assert [(m.data, m.stream, m.ppid) for m in got] == [(b"up %d" % i, i, 3) for i in range(10)]
        conn.send(b"down", stream=9, ppid=4)
        m = cli.recv()
        assert (m.data, m.stream, m.ppid) == (b"down", 9, 4)
    finally:
        for s in (cli, conn, srv):
            s.close()


def test_one_to_many_endpoint_sees_every_peer_address(two_networks):
    topo = two_networks
    srv = topo.socket("server", V4, socket.SOCK_SEQPACKET)
    srv.bindx(_addrs(topo, "server", LAYOUTS["ipv4"][1], PORT))
    srv.listen(8)
    srv.settimeout(20)
    cli = topo.socket("client", V4)
    cli.bindx(_addrs(topo, "client", LAYOUTS["ipv4"][1], 0))
    cli.settimeout(20)
    try:
        cli.connectx(_addrs(topo, "server", LAYOUTS["ipv4"][1], PORT))
        cli.send(b"hello", stream=1, ppid=9)
        m = srv.recv()
        assert m.data == b"hello" and m.assoc_id > 0
        cport = cli.getsockname()[1]
        assert sorted(srv.getpaddrs(m.assoc_id)) == sorted(
            (a, cport) for a in topo.addrs("client"))
    finally:
        cli.close()
        srv.close()


def test_every_peer_path_is_reported_by_peer_addr_info(two_networks):
    topo = two_networks
    cli, conn, srv = multihomed_pair(topo)
    try:
        for host in topo.addrs("server"):
            info = sctp_raw.peer_addr_info(cli, (host, PORT))
            assert info.addr == (host, PORT)
            assert info.mtu > 0 and info.rto > 0
        assert sctp_raw.primary(cli) in [(h, PORT) for h in topo.addrs("server")]
        with pytest.raises(OSError, match="getsockopt"):
            sctp_raw.peer_addr_info(cli, ("203.0.113.9", PORT))   # not a peer address
    finally:
        for s in (cli, conn, srv):
            s.close()


def test_namespaces_are_isolated_from_each_other_and_from_the_host(two_networks):
    # the client namespace owns only its own addresses: binding a server address fails there
    topo = two_networks
    s = topo.socket("client")
    try:
        with pytest.raises(OSError, match="bind"):
            s.bind((topo.addr("server", "a"), 0))
    finally:
        s.close()
    assert topo.client.sysctl_get("net.sctp.addip_enable") == "1"
    assert netns.root_problem() is None
