"""Bad input the core (csctp/_core.pyx, the lead's) does not yet reject the documented way.

Every test here is ``xfail(strict=True)``: it states the behaviour the
project's rule asks for (bad input -> TypeError / ValueError / OSError
subclass naming the operation) and fails today.  When the core is fixed the
test starts passing, strict xfail turns that into a failure, and the marker
is removed.  See the reliability report for each finding.
"""

import socket

import pytest

import csctp
from csctp import constants as C

ALLOWED = (TypeError, ValueError, OSError)
OVERFLOW = pytest.mark.xfail(strict=True, reason=(
    "xfail-lead: int-typed Cython arguments raise OverflowError (not TypeError/ValueError) "
    "for values beyond the C type, without naming the operation"))

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


@OVERFLOW
@pytest.mark.parametrize("call", list(HUGE_INT_CALLS))
def test_huge_integer_arguments_raise_value_error(pair, call):
    cli, _ = pair
    with pytest.raises(ALLOWED):
        HUGE_INT_CALLS[call](cli)


@pytest.mark.xfail(strict=True, reason=(
    "xfail-lead: recv(bufsize) allocates bufsize bytes before any check; 2**40 raises MemoryError "
    "instead of a ValueError naming recv"))
def test_absurd_recv_bufsize_is_a_value_error(pair):
    _, srv = pair
    with pytest.raises(ValueError, match="recv"):
        srv.recv(2**40)


@pytest.mark.xfail(strict=True, reason=(
    "xfail-lead: Cython 'int stream' silently truncates a float (1.5 -> stream 1) and sends"))
def test_float_stream_is_a_type_error_not_truncated(pair):
    cli, _ = pair
    with pytest.raises(TypeError):
        cli.send(b"x", stream=1.5)


@pytest.mark.xfail(strict=True, reason=(
    "xfail-lead: _as_u32 converts a float ppid with a C cast (1.5 -> 1) instead of refusing it"))
def test_float_ppid_is_a_type_error_not_truncated(pair):
    cli, _ = pair
    with pytest.raises(TypeError, match="ppid"):
        cli.send(b"x", ppid=1.5)


@pytest.mark.xfail(strict=True, reason=(
    "xfail-lead: settimeout accepts inf / 1e300; _wait then casts left*1000 to int "
    "(undefined behaviour in C) for the poll timeout"))
@pytest.mark.parametrize("value", [float("inf"), 1e300])
def test_timeouts_that_do_not_fit_are_refused(value):
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(ValueError, match="timeout"):
            s.settimeout(value)


@pytest.mark.xfail(strict=True, reason=(
    "xfail-lead: the right exception type, but the message does not name the operation "
    "(getsockopt(value='abc'): 'string argument without an encoding'; "
    "sendv(None): \"'NoneType' object is not iterable\"; sendv(auth_key='x'): \"'<=' not supported\")"))
@pytest.mark.parametrize("call,op", [
    (lambda s: s.getsockopt(C.SOL_SCTP, C.SCTP_NODELAY, "abc"), "getsockopt"),
    (lambda s: s.sendv(None), "sendv"),
    (lambda s: s.sendv([b"x"], auth_key="x"), "sendv"),
], ids=["getsockopt-str", "sendv-None", "sendv-auth_key-str"])
def test_type_errors_name_the_operation(pair, call, op):
    cli, _ = pair
    with pytest.raises(TypeError, match=op):
        call(cli)


@pytest.mark.xfail(strict=True, reason=(
    "xfail-lead: _get_buffer catches BufferError/TypeError only; numpy reports a non-contiguous "
    "array with ValueError('ndarray is not C-contiguous'), which escapes without naming send/recv_into"))
def test_non_contiguous_numpy_error_names_the_call(pair):
    import numpy as np
    cli, _ = pair
    a = np.arange(64, dtype=np.uint8).reshape(8, 8)[:, ::2]
    with pytest.raises((TypeError, ValueError), match="send"):
        cli.send(a)
