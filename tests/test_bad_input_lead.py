"""Bad input the core once let through the wrong way, kept as regressions.

Each was found by the reliability work (huge ints raising OverflowError,
floats truncated to ints, unbounded timeouts and recv sizes, TypeErrors
not naming the call, numpy's ValueError for non-contiguous arrays) and is
now refused with a TypeError / ValueError naming the operation
(csctp/_convert.pxd, csctp/_core.pyx).
"""

import socket

import pytest

import csctp
from csctp import constants as C

ALLOWED = (TypeError, ValueError, OSError)

HUGE_INT_CALLS = {
    "send stream=2**40": lambda s: s.send(b"x", stream=2**40),
    "send flags=2**40": lambda s: s.send(b"x", flags=2**40),
    "send assoc_id=2**40": lambda s: s.send(b"x", assoc_id=2**40),
    "sendv stream=2**40": lambda s: s.sendv([b"x"], stream=2**40),
    "recv flags=2**40": lambda s: s.recv(16, 2**40),
    "recv bufsize=2**70": lambda s: s.recv(2**70),
    "recv_into nbytes=2**70": lambda s: s.recv_into(bytearray(8), 2**70),
    "listen backlog=2**40": lambda s: s.listen(2**40),
    "shutdown how=2**40": lambda s: s.shutdown(2**40),
    "bindx flags=2**40": lambda s: s.bindx("127.0.0.1:0", 2**40),
    "peeloff assoc_id=2**40": lambda s: s.peeloff(2**40),
    "getpaddrs assoc_id=2**40": lambda s: s.getpaddrs(2**40),
    "setsockopt value=2**40": lambda s: s.setsockopt(C.SOL_SCTP, C.SCTP_NODELAY, 2**40),
    "setsockopt level=2**40": lambda s: s.setsockopt(2**40, C.SCTP_NODELAY, 1),
}


@pytest.mark.parametrize("call", list(HUGE_INT_CALLS))
def test_huge_integer_arguments_raise_value_error(pair, call):
    cli, _ = pair
    with pytest.raises(ALLOWED):
        HUGE_INT_CALLS[call](cli)


def test_absurd_recv_bufsize_is_a_value_error(pair):
    _, srv = pair
    with pytest.raises(ValueError, match="recv"):
        srv.recv(2**40)


def test_float_stream_is_a_type_error_not_truncated(pair):
    cli, _ = pair
    with pytest.raises(TypeError):
        cli.send(b"x", stream=1.5)


def test_float_ppid_is_a_type_error_not_truncated(pair):
    cli, _ = pair
    with pytest.raises(TypeError, match="ppid"):
        cli.send(b"x", ppid=1.5)


@pytest.mark.parametrize("value", [float("inf"), 1e300])
def test_timeouts_that_do_not_fit_are_refused(value):
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(ValueError, match="timeout"):
            s.settimeout(value)


@pytest.mark.parametrize("call,op", [
    (lambda s: s.getsockopt(C.SOL_SCTP, C.SCTP_NODELAY, "abc"), "getsockopt"),
    (lambda s: s.sendv(None), "sendv"),
    (lambda s: s.sendv([b"x"], auth_key="x"), "sendv"),
], ids=["getsockopt-str", "sendv-None", "sendv-auth_key-str"])
def test_type_errors_name_the_operation(pair, call, op):
    cli, _ = pair
    with pytest.raises(TypeError, match=op):
        call(cli)


def test_non_contiguous_numpy_error_names_the_call(pair):
    import numpy as np
    cli, _ = pair
    a = np.arange(64, dtype=np.uint8).reshape(8, 8)[:, ::2]
    with pytest.raises((TypeError, ValueError), match="send"):
        cli.send(a)


# The libsctp-level functions (csctp._lksctp) and the notification calls once
# took Cython-typed C integers: a huge value raised OverflowError without
# naming the call.  They now go through the same checks as the Socket methods.
def _lk():
    from csctp import _lksctp
    return _lksctp


def _notify():
    from csctp import _notify
    return _notify


LIBSCTP_HUGE_INT_CALLS = {
    "sctp_peeloff assoc_id=2**40": ("sctp_peeloff", lambda s: _lk().sctp_peeloff(s, 2**40)),
    "sctp_peeloff_flags assoc_id=2**40": ("sctp_peeloff_flags", lambda s: _lk().sctp_peeloff_flags(s, 2**40, 0)),
    "sctp_peeloff_flags flags=2**40": ("sctp_peeloff_flags", lambda s: _lk().sctp_peeloff_flags(s, 1, 2**40)),
    "sctp_getpaddrs assoc_id=2**40": ("sctp_getpaddrs", lambda s: _lk().sctp_getpaddrs(s, 2**40)),
    "sctp_getladdrs assoc_id=-2**40": ("sctp_getladdrs", lambda s: _lk().sctp_getladdrs(s, -2**40)),
    "sctp_bindx flags=2**40": ("sctp_bindx", lambda s: _lk().sctp_bindx(s, "127.0.0.1:0", 2**40)),
    "sctp_send flags=2**40": ("sctp_send", lambda s: _lk().sctp_send(s, b"x", None, 2**40)),
    "sctp_recvmsg bufsize=2**70": ("sctp_recvmsg", lambda s: _lk().sctp_recvmsg(s, 2**70)),
    "sctp_recvmsg flags=2**40": ("sctp_recvmsg", lambda s: _lk().sctp_recvmsg(s, 16, 2**40)),
    "sctp_recvv bufsize=0": ("sctp_recvv", lambda s: _lk().sctp_recvv(s, 0)),
    "sctp_recvv flags=-2**40": ("sctp_recvv", lambda s: _lk().sctp_recvv(s, 16, -2**40)),
    "subscribe assoc_id=2**40": ("subscribe", lambda s: _notify().subscribe(s, "assoc_change", assoc_id=2**40)),
    "subscribed assoc_id=2**40": ("subscribed", lambda s: _notify().subscribed(s, "assoc_change", assoc_id=2**40)),
}


@pytest.mark.parametrize("call", list(LIBSCTP_HUGE_INT_CALLS))
def test_libsctp_functions_refuse_huge_integers_by_name(pair, call):
    op, fn = LIBSCTP_HUGE_INT_CALLS[call]
    cli, _ = pair
    with pytest.raises(ValueError, match=op):
        fn(cli)


@pytest.mark.parametrize("call", [
    lambda s: _lk().sctp_peeloff(s, 1.0),
    lambda s: _lk().sctp_getpaddrs(s, "0"),
    lambda s: _lk().sctp_recvmsg(s, 16.0),
    lambda s: _notify().subscribe(s, "assoc_change", assoc_id=0.0),
], ids=["peeloff-float", "getpaddrs-str", "recvmsg-float", "subscribe-float"])
def test_libsctp_functions_refuse_non_integers(pair, call):
    cli, _ = pair
    with pytest.raises(TypeError, match="must be an int"):
        call(cli)


def test_recv_whole_enforces_max_size_on_a_single_delivery(pair):
    # a message that arrives whole in one recv() is held to max_size too
    cli, srv = pair
    cli.send(b"y" * 200)
    with pytest.raises(ValueError, match="max_size=100"):
        srv.recv_whole(max_size=100)
    cli.send(b"z" * 50)
    assert srv.recv_whole(max_size=100).data == b"z" * 50
