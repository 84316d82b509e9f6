"""csctp._lksctp: the libsctp calls, on csctp Sockets, stdlib sockets and raw fds."""

import socket

import pytest

import csctp
from csctp import _lksctp as L
from csctp import constants as C
from csctp._message import AuthInfo, PrInfo, SndInfo, SndRcvInfo


@pytest.fixture
def stdlib_pair():
    """A one-to-one association made entirely of stdlib sockets (the libsctp calls must work on them)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, C.IPPROTO_SCTP)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(10)
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, C.IPPROTO_SCTP)
    cli.settimeout(10)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    conn.settimeout(None)
    cli.settimeout(None)
    yield cli, conn
    for s in (cli, conn, srv):
        s.close()


def test_sctp_sendmsg_and_sctp_recvmsg_on_stdlib_sockets(stdlib_pair):
    cli, srv = stdlib_pair
    # the deprecated SNDRCV info only arrives with the data_io event subscribed
    srv.setsockopt(C.SOL_SCTP, C.SCTP_EVENTS, b"\x01" + b"\x00" * 9)
    assert L.sctp_sendmsg(cli, b"legacy", ppid=0x800000FF, stream=0, context=9) == 6
    data, addr, info, flags = L.sctp_recvmsg(srv)
    assert data == b"legacy" and addr[0] == "127.0.0.1"
    assert info is not None and info.ppid == 0x800000FF and info.stream == 0
    assert flags & socket.MSG_EOR


def test_sctp_recvmsg_reports_no_info_without_data_io(stdlib_pair):
    cli, srv = stdlib_pair
    L.sctp_sendmsg(cli.fileno(), b"plain", ppid=5)      # a raw fd works too
    data, _, info, _ = L.sctp_recvmsg(srv.fileno())
    assert data == b"plain" and info is None


def test_sctp_send_with_sndrcvinfo(pair):
    cli, srv = pair
    assert L.sctp_send(cli, b"with sinfo", SndRcvInfo(stream=3, ppid=46)) == 10
    m = srv.recv()
    assert (m.data, m.stream, m.ppid) == (b"with sinfo", 3, 46)


def test_sctp_recvv_returns_rcvinfo_and_nxtinfo(pair):
    cli, srv = pair
    srv.setsockopt(C.SOL_SCTP, C.SCTP_RECVNXTINFO, 1)
    cli.send(b"first", stream=1, ppid=11)
    cli.send(b"second message", stream=2, ppid=22)
    import time
    deadline = time.monotonic() + 5
    # wait until both are queued so NXTINFO can describe the second
    while time.monotonic() < deadline:
        data, _, ri, ni, flags = L.sctp_recvv(srv, 4096, socket.MSG_PEEK)
        if ni is not None:
            break
        time.sleep(0.01)
    data, addr, ri, ni, flags = L.sctp_recvv(srv)
    assert data == b"first" and (ri.stream, ri.ppid) == (1, 11)
    assert ni is not None and (ni.stream, ni.ppid, ni.length) == (2, 22, len(b"second message"))
    data, _, ri, ni, _ = L.sctp_recvv(srv)
    assert data == b"second message" and ri.ppid == 22 and ni is None


def test_sctp_sendv_spa_combination(pair, sysctl):
    cli, srv = pair
    n = L.sctp_sendv(cli, [b"gathered ", bytearray(b"from "), memoryview(b"three buffers")],
                     info=(SndInfo(stream=4, ppid=0xABCDEF01), PrInfo(C.SCTP_PR_SCTP_TTL, 10_000)))
    assert n == len(b"gathered from three buffers")
    m = srv.recv()
    assert (m.data, m.stream, m.ppid) == (b"gathered from three buffers", 4, 0xABCDEF01)


def test_sctp_sendv_rejects_unknown_info():
    with pytest.raises(TypeError, match="sctp_sendv: info"):
        L.sctp_sendv(0, [b"x"], info=object())


def test_authinfo_is_accepted_with_auth_enabled(loopback_pair, sysctl):
    sysctl("auth_enable", 1)
    cli, srv = loopback_pair()
    n = L.sctp_sendv(cli, [b"authenticated"], info=(SndInfo(stream=0, ppid=1), AuthInfo(0)))
    assert n == 13
    assert srv.recv().data == b"authenticated"


def test_bindx_connectx_getaddrs_on_raw_fds():
    srv = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, C.IPPROTO_SCTP)
    cli = socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, C.IPPROTO_SCTP)
    try:
        L.sctp_bindx(srv, ("127.0.0.1", 0), C.SCTP_BINDX_ADD_ADDR)
        port = srv.getsockname()[1]
        L.sctp_bindx(srv, [("127.0.0.2", port), ("127.0.0.3", port)], C.SCTP_BINDX_ADD_ADDR)
        assert sorted(a[0] for a in L.sctp_getladdrs(srv)) == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        L.sctp_bindx(srv, ("127.0.0.3", port), C.SCTP_BINDX_REM_ADDR)
        assert sorted(a[0] for a in L.sctp_getladdrs(srv)) == ["127.0.0.1", "127.0.0.2"]
        srv.listen(4)
        aid = L.sctp_connectx(cli, f"127.0.0.1/127.0.0.2:{port}")
        assert aid > 0
        import time
        deadline = time.monotonic() + 5
        peers = []
        while time.monotonic() < deadline:
            try:
                peers = L.sctp_getpaddrs(cli, aid)
            except OSError:
                peers = []
            if len(peers) == 2:
                break
            time.sleep(0.02)
        assert sorted(peers) == [("127.0.0.1", port), ("127.0.0.2", port)]
        fd = L.sctp_peeloff(cli, aid)
        with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM, fileno=fd) as peeled:
            assert sorted(peeled.getpaddrs()) == sorted(peers)
    finally:
        srv.close()
        cli.close()


def test_peeloff_flags_on_raw_fd(one_to_many):
    srv, port = one_to_many
    with csctp.Socket() as c:
        c.settimeout(10)
        c.connect(("127.0.0.1", port))
        c.send(b"x")
        aid = srv.recv().assoc_id
        fd = L.sctp_peeloff_flags(srv.fileno(), aid, socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)
        import fcntl
        import os
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK
        assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        os.close(fd)


@pytest.mark.nokernel
@pytest.mark.parametrize("call,args,exc", [
    (L.sctp_sendmsg, (0, b"x"), {"ppid": -1}),
    (L.sctp_sendmsg, (0, b"x"), {"stream": 65536}),
    (L.sctp_sendmsg, (0, b"x"), {"ppid": "1"}),
])
def test_bad_arguments_are_rejected_before_any_call(call, args, exc):
    with pytest.raises((ValueError, TypeError)):
        call(*args, **exc)


@pytest.mark.nokernel
def test_info_types_validate_and_round_trip():
    s = SndInfo(stream=7, ppid=0xFFFFFFFF, flags=C.SCTP_UNORDERED, context=3, assoc_id=5)
    assert (s.stream, s.ppid, s.flags, s.context, s.assoc_id) == (7, 0xFFFFFFFF, 1, 3, 5)
    assert PrInfo(C.SCTP_PR_SCTP_RTX, 3).policy == C.SCTP_PR_SCTP_RTX
    assert AuthInfo(2).keynumber == 2
    with pytest.raises(ValueError):
        PrInfo(0x40)
    with pytest.raises(ValueError):
        SndInfo(stream=70000)
    assert SndRcvInfo(ppid=0x80000001).ppid == 0x80000001
    assert "SndInfo(stream=7" in repr(s)
