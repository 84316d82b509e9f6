"""Bad input to every public method of csctp.Socket and csctp._addr: a clear error, never a crash.

Each case names the call and the exception class it must raise (a
TypeError, ValueError or OSError subclass) and a pattern its message must
contain (the operation, or the offending value).  Cases where the core
raises something else are in the ``xfail-lead`` block at the end.
"""

import os
import socket

import pytest

import csctp
from csctp import _addr
from csctp import constants as C

SOL = C.SOL_SCTP


def _raises(exc, match, fn):
    with pytest.raises(exc, match=match) as ei:
        fn()
    assert isinstance(ei.value, (TypeError, ValueError, OSError))
    return ei.value


# ---- a connected pair -----------------------------------------------------------------

CONNECTED_CASES = {
    # data
    "send str": (TypeError, "send: need a bytes-like", lambda c: c.send("text")),
    "send int": (TypeError, "send: need a bytes-like", lambda c: c.send(5)),
    "send None": (TypeError, "send: need a bytes-like", lambda c: c.send(None)),
    "send non-contiguous": (TypeError, "send: need a C-contiguous", lambda c: c.send(memoryview(b"abcdef")[::2])),
    "send empty": (ValueError, "send: empty", lambda c: c.send(b"")),
    "send empty bytearray": (ValueError, "send: empty", lambda c: c.send(bytearray())),
    "send stream -1": (ValueError, "stream must be in 0..65535", lambda c: c.send(b"x", stream=-1)),
    "send stream 65536": (ValueError, "stream must be in 0..65535", lambda c: c.send(b"x", stream=65536)),
    "send stream str": (TypeError, "send: stream must be an int", lambda c: c.send(b"x", stream="1")),
    # the association negotiated 10 outbound streams: the kernel says EINVAL, named as send
    "send stream >= outbound streams": (OSError, "send: Invalid argument", lambda c: c.send(b"x", stream=10)),
    "send stream 65535": (OSError, "send: Invalid argument", lambda c: c.send(b"x", stream=65535)),
    "send ppid -1": (ValueError, "ppid must be in 0..4294967295", lambda c: c.send(b"x", ppid=-1)),
    "send ppid 2**32": (ValueError, "ppid must be in 0..4294967295", lambda c: c.send(b"x", ppid=2**32)),
    "send ppid str": (TypeError, "ppid must be an int", lambda c: c.send(b"x", ppid="46")),
    "send context -1": (ValueError, "context must be in", lambda c: c.send(b"x", context=-1)),
    "send ttl -1": (ValueError, "ttl must be in", lambda c: c.send(b"x", ttl=-1)),
    "send ttl str": (TypeError, "ttl must be an int", lambda c: c.send(b"x", ttl="1")),
    "send flags -1": (ValueError, r"send: flags must be in 0\.\.65535", lambda c: c.send(b"x", flags=-1)),
    "send flags 0x10000": (ValueError, r"send: flags must be in 0\.\.65535", lambda c: c.send(b"x", flags=0x10000)),
    "send to v6 on v4 socket": (ValueError, "IPv6 address", lambda c: c.send(b"x", to="[::1]:5")),
    "send to bad port": (ValueError, "out of range", lambda c: c.send(b"x", to=("127.0.0.1", 70000))),
    "sendv empty list": (ValueError, "sendv: need 1..1024 buffers", lambda c: c.sendv([])),
    "sendv 2000 buffers": (ValueError, "sendv: need 1..1024 buffers", lambda c: c.sendv([b"a"] * 2000)),
    "sendv int item": (TypeError, "sendv: need a bytes-like", lambda c: c.sendv([b"a", 1])),
    "sendv empty buffers": (ValueError, "sendv: empty", lambda c: c.sendv([b"", b""])),
    "sendv bad policy": (ValueError, "pr_policy", lambda c: c.sendv([b"a"], pr_policy=5)),
    "sendv pr_value -1": (ValueError, "pr_value must be in", lambda c: c.sendv([b"a"], pr_policy=0x10, pr_value=-1)),
    "sendv auth_key -1": (ValueError, "auth_key must be in", lambda c: c.sendv([b"a"], auth_key=-1)),
    "sendv stream >= outbound": (OSError, "sendv: Invalid argument", lambda c: c.sendv([b"a"], stream=10)),
    "recv_into bytes": (TypeError, "recv_into: need a writable", lambda c: c.recv_into(b"read only")),
    "recv_into non-contiguous": (TypeError, "recv_into", lambda c: c.recv_into(memoryview(bytearray(64))[::2])),
    "recv_into readonly memoryview": (TypeError, "recv_into: need a writable",
                                      lambda c: c.recv_into(memoryview(bytearray(8)).toreadonly())),
    "recv_into empty": (ValueError, "recv_into: buffer has no room", lambda c: c.recv_into(bytearray())),
    "recv_into nbytes -1": (ValueError, "nbytes must be in", lambda c: c.recv_into(bytearray(8), -1)),
    "recv_into nbytes > len": (ValueError, "nbytes must be in", lambda c: c.recv_into(bytearray(8), 9)),
    "recv_into str": (TypeError, "recv_into", lambda c: c.recv_into("abc")),
    "recv bufsize str": (TypeError, "recv: bufsize must be an int", lambda c: c.recv("a")),
    # options
    "setsockopt short struct": (OSError, r"setsockopt\(level=132, optname=0\)",
                                lambda c: c.setsockopt(SOL, C.SCTP_RTOINFO, b"\0\0\0")),
    "setsockopt unknown option": (OSError, "setsockopt", lambda c: c.setsockopt(SOL, 9999, 1)),
    "setsockopt object": (TypeError, "setsockopt: need a bytes-like", lambda c: c.setsockopt(SOL, 3, object())),
    "setsockopt rto min > max": (OSError, "setsockopt", lambda c: c.setsockopt(
        SOL, C.SCTP_RTOINFO, __import__("tests.sctp_raw", fromlist=["x"]).rtoinfo(0, 100, 50, 500))),
    "getsockopt unknown option": (OSError, "getsockopt", lambda c: c.getsockopt(SOL, 9999)),
    "getsockopt length -1": (ValueError, "buffer length must be in", lambda c: c.getsockopt(SOL, 3, -1)),
    "getsockopt length 2**21": (ValueError, "buffer length must be in", lambda c: c.getsockopt(SOL, 3, 2**21)),
    "getsockopt too short": (OSError, "getsockopt", lambda c: c.getsockopt(SOL, C.SCTP_STATUS, 4)),
    # association management
    "peeloff on one-to-one": (OSError, "sctp_peeloff", lambda c: c.peeloff(1)),
    "bindx bad flags": (ValueError, "sctp_bindx: flags", lambda c: c.bindx("127.0.0.1:0", 99)),
    "bindx on connected": (OSError, "sctp_bindx", lambda c: c.bindx("203.0.113.1:0")),
    "listen on connected": (OSError, "listen", lambda c: c.listen()),
    "connect again": (OSError, "sctp_connectx", lambda c: c.connect("127.0.0.1:9")),
    "accept on connected": (OSError, "accept", lambda c: c.accept()),
    "shutdown how 99": (ValueError, "shutdown: how", lambda c: c.shutdown(99)),
    "settimeout -1": (ValueError, "settimeout: timeout must be None or 0", lambda c: c.settimeout(-1)),
    "settimeout nan": (ValueError, "settimeout: timeout must be None or 0", lambda c: c.settimeout(float("nan"))),
    "settimeout str": (TypeError, "settimeout: timeout must be None or a number", lambda c: c.settimeout("soon")),
}


@pytest.mark.parametrize("case", list(CONNECTED_CASES))
def test_connected_socket_rejects_bad_input_clearly(pair, case):
    cli, srv = pair
    exc, match, fn = CONNECTED_CASES[case]
    _raises(exc, match, lambda: fn(cli))
    # the association survives every rejected call
    cli.settimeout(10)
    cli.send(b"still fine", stream=2, ppid=5)
    m = srv.recv()
    assert (m.data, m.stream, m.ppid) == (b"still fine", 2, 5)


def test_non_contiguous_numpy_array_is_refused_not_copied(pair):
    # numpy refuses the buffer itself (ValueError "ndarray is not C-contiguous");
    # that the message should also name the call is in test_bad_input_lead.py
    import numpy as np
    cli, srv = pair
    a = np.arange(64, dtype=np.uint8).reshape(8, 8)[:, ::2]
    _raises((TypeError, ValueError), "contiguous", lambda: cli.send(a))
    _raises((TypeError, ValueError), "contiguous", lambda: srv.recv_into(a))


# ---- closed sockets -----------------------------------------------------------------

CLOSED_CALLS = {   # call -> (what the error message names, the call)
    "send": ("send", lambda s: s.send(b"x")), "sendv": ("sendv", lambda s: s.sendv([b"x"])),
    "recv": ("recv", lambda s: s.recv()), "recv_into": ("recv_into", lambda s: s.recv_into(bytearray(8))),
    "recv_whole": ("recv", lambda s: s.recv_whole()), "bind": ("bind", lambda s: s.bind("127.0.0.1:0")),
    "bindx": ("sctp_bindx", lambda s: s.bindx("127.0.0.1:0")), "listen": ("listen", lambda s: s.listen()),
    "connect": ("sctp_connectx", lambda s: s.connect("127.0.0.1:9")),
    "connectx": ("sctp_connectx", lambda s: s.connectx(["127.0.0.1:9"])),
    "accept": ("accept", lambda s: s.accept()), "peeloff": ("sctp_peeloff", lambda s: s.peeloff(1)),
    "getpaddrs": ("sctp_getpaddrs", lambda s: s.getpaddrs()),
    "getladdrs": ("sctp_getladdrs", lambda s: s.getladdrs()),
    "getsockname": ("getsockname", lambda s: s.getsockname()),
    "getpeername": ("getpeername", lambda s: s.getpeername()),
    "shutdown": ("shutdown", lambda s: s.shutdown()),
    "setsockopt": ("setsockopt", lambda s: s.setsockopt(SOL, C.SCTP_NODELAY, 1)),
    "getsockopt": ("getsockopt", lambda s: s.getsockopt(SOL, C.SCTP_NODELAY)),
    "settimeout": ("settimeout", lambda s: s.settimeout(1)),
    "setblocking": ("settimeout", lambda s: s.setblocking(False)),
}


@pytest.mark.parametrize("how", ["close", "detach"])
@pytest.mark.parametrize("call", list(CLOSED_CALLS))
def test_closed_socket_raises_ebadf_naming_the_call(call, how):
    s = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
    if how == "close":
        s.close()
    else:
        os.close(s.detach())
    op, fn = CLOSED_CALLS[call]
    e = _raises(OSError, f"{op}: socket is closed", lambda: fn(s))
    assert e.errno == 9                                    # EBADF
    assert s.fileno() == -1 and s.closed
    s.close()                                              # closing twice is harmless


# ---- construction and unconnected sockets -------------------------------------------

@pytest.mark.parametrize("args,exc,match", [
    ((12345,), ValueError, "AF_INET or AF_INET6"),
    ((socket.AF_INET, socket.SOCK_DGRAM), ValueError, "SOCK_STREAM"),
    ((socket.AF_INET, 12345), ValueError, "SOCK_STREAM"),
    (("inet",), TypeError, "family must be an int"),
], ids=["family", "dgram", "type", "family-str"])
def test_constructor_rejects_bad_family_and_type(args, exc, match):
    _raises(exc, match, lambda: csctp.Socket(*args))


@pytest.mark.parametrize("fileno,exc,match", [
    ("x", TypeError, "file descriptor"), (-1, OSError, "closed"), (object(), TypeError, "file descriptor"),
], ids=["str", "negative", "object"])
def test_constructor_rejects_bad_fileno(fileno, exc, match):
    _raises(exc, match, lambda: csctp.Socket(socket.AF_INET, socket.SOCK_STREAM, fileno))


@pytest.mark.parametrize("addr,exc,match", [
    ("not an address", ValueError, "no port"),
    ("127.0.0.1", ValueError, "no port"),
    ("127.0.0.1:", ValueError, "bad port"),
    ("127.0.0.1:70000", ValueError, "out of range"),
    ("127.0.0.1:-1", ValueError, "out of range"),
    ("[::1:80", ValueError, "bracket"),
    ("/:80", ValueError, "empty host"),
    ("", ValueError, "empty SCTP address"),
    # a tuple that is not (str, int) is read as a tuple of specs, and the first one has no port
    (("127.0.0.1", "80"), ValueError, "no port in SCTP address '127.0.0.1'"),
    (("127.0.0.1", True), TypeError, "port must be an int"),
    ((5, 80), TypeError, "an SCTP address is a str .*not int"),
    (("127.0.0.1",), ValueError, "no port in SCTP address '127.0.0.1'"),
    (None, TypeError, "an SCTP address is a str"),
    (b"127.0.0.1:80", TypeError, "an SCTP address is a str"),
    ([], ValueError, "empty list"),
    (("::1", 80), ValueError, "IPv6 address"),
    (("127.0.0.1", 80, 0, 0), ValueError, "flowinfo/scope_id"),
    ("[fe80::1%nosuchif0]:80", ValueError, "unknown interface"),
    ("192.0.2.1:80", OSError, "bind"),                        # not an address of this host
], ids=lambda v: repr(v) if not isinstance(v, type) else v.__name__)
def test_bind_rejects_bad_addresses(addr, exc, match):
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        _raises(exc, match, lambda: s.bind(addr))


def test_unresolvable_names_raise_gaierror_quoting_the_input():
    # RFC 6761: .invalid never resolves
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        e = _raises(socket.gaierror, "cannot resolve 'no-such-host.invalid'",
                    lambda: s.connect("no-such-host.invalid:2905"))
        assert isinstance(e, OSError)


def test_connect_to_a_closed_port_is_refused_by_name():
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]                         # bound, never listening
        with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            _raises(ConnectionRefusedError, "sctp_connectx", lambda: s.connect(("127.0.0.1", port)))


def test_one_to_many_calls_with_unknown_association_ids(one_to_many):
    srv, _ = one_to_many
    _raises(OSError, "sctp_peeloff", lambda: srv.peeloff(4242))
    _raises(OSError, "sctp_getpaddrs", lambda: srv.getpaddrs(4242))
    _raises(OSError, "send", lambda: srv.send(b"x", assoc_id=4242))


def test_nonblocking_calls_on_an_idle_socket_never_hang(one_to_many):
    srv, _ = one_to_many
    srv.setblocking(False)
    _raises(BlockingIOError, "recv", lambda: srv.recv())
    _raises(BlockingIOError, "recv_into", lambda: srv.recv_into(bytearray(16)))
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen()
        lst.setblocking(False)
        _raises(BlockingIOError, "accept", lambda: lst.accept())


# ---- csctp._addr directly ------------------------------------------------------------

@pytest.mark.nokernel
@pytest.mark.parametrize("spec,kw,exc,match", [
    (("::1", 80, -1, 0), {}, ValueError, "bad flowinfo/scope_id"),
    (("::1", 80, 2**20, 0), {}, ValueError, "bad flowinfo/scope_id"),
    (("::1", 80, 0, 2**32), {}, ValueError, "bad flowinfo/scope_id"),
    (("::1", 80, "a", 0), {}, ValueError, "bad flowinfo/scope_id"),
    ([None], {}, TypeError, "an SCTP address is a str"),
    ({"host": 1}, {}, TypeError, "an SCTP address is a str"),
    ("127.0.0.1", {"port": True}, TypeError, "port must be an int"),
    ("127.0.0.1", {"port": -1}, ValueError, "out of range"),
    ("127.0.0.1", {"port": "80"}, TypeError, "port must be an int"),
    ("127.0.0.1:80x", {}, ValueError, "bad port"),
    ("a/:80", {}, ValueError, "empty host"),
])
def test_addr_parse_rejects_bad_specs(spec, kw, exc, match):
    _raises(exc, match, lambda: _addr.parse(spec, **kw))


@pytest.mark.nokernel
def test_addr_pack_accepts_its_own_output_and_empty_addrlist_is_empty():
    al = _addr.pack("192.0.2.1/[2001:db8::1]:2905")
    assert _addr.pack(al) is al and len(al) == 2
    assert _addr.AddrList().to_list() == []
