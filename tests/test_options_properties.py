"""Property tests for option encoding (csctp.options) on the real kernel.

For every drawn value a setter either takes effect exactly -- the typed
getter returns what was set, and the raw bytes the kernel holds have the C
structure's layout (PPIDs in network order on the wire side) -- or is
refused with a ValueError/TypeError naming the option, or an OSError from
the kernel, leaving the previous values in place.  Never an OverflowError,
a silent truncation or a crash.

Each test works on one endpoint socket (no association): options there are
stored as given, without the jiffies rounding an association applies.
"""

import errno
import socket
import struct

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import csctp
from csctp import constants as C
from csctp import options as O

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
SEND_FLAGS = (C.SCTP_UNORDERED, C.SCTP_ADDR_OVER, C.SCTP_ABORT, C.SCTP_EOF)
send_flags = st.sets(st.sampled_from(SEND_FLAGS)).map(lambda fs: sum(fs))
# integers outside a field's range: just below, just above, and far beyond 64 bits
def outside(lo, hi):
    return st.one_of(st.integers(max_value=lo - 1), st.integers(min_value=hi + 1),
                     st.sampled_from([lo - 1, hi + 1, -2**63, 2**64, 2**100, -2**100]))
not_ints = st.one_of(st.floats(allow_nan=True).filter(lambda f: f != 0), st.text(min_size=1),
                     st.binary(min_size=1), st.just(object()), st.lists(st.integers(), min_size=1))


@pytest.fixture
def ep():
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        yield s


@pytest.fixture
def ep_many():
    with csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET) as s:
        yield s


def _set_or_keep(setter, getter, kwargs, expect):
    """Apply *setter*; on success the getter must equal expect(before), else before."""
    before = getter()
    try:
        setter(**kwargs)
    except OSError as e:
        assert e.errno == errno.EINVAL, e
        assert getter() == before, "a refused setsockopt changed the option"
        return before, False
    after = getter()
    assert after == expect(before), (kwargs, before, after)
    return after, True


# ---- values in range: exact round trips ----------------------------------------

@SETTINGS
@given(u16, u16, u16, u16)
def test_initmsg_round_trips_and_zero_keeps_a_field(ep, ostreams, instreams, attempts, timeo):
    new = (ostreams, instreams, attempts, timeo)
    _set_or_keep(lambda **k: O.set_initmsg(ep, **k), lambda: tuple(O.get_initmsg(ep)),
                 dict(ostreams=ostreams, instreams=instreams, max_attempts=attempts, max_init_timeout=timeo),
                 lambda before: tuple(n or b for n, b in zip(new, before)))
    raw = O.get_raw(ep, C.SCTP_INITMSG, 8)
    assert struct.unpack("=4H", raw) == tuple(O.get_initmsg(ep))


@SETTINGS
@given(u32, u32, u32)
def test_rtoinfo_round_trips_or_is_refused_whole(ep, initial, rmax, rmin):
    assume(not (rmin and rmax and rmin > rmax))     # refused before the call: see the ValueError test
    new = (initial, rmax, rmin)
    _set_or_keep(lambda **k: O.set_rtoinfo(ep, **k), lambda: tuple(O.get_rtoinfo(ep)),
                 dict(initial=initial, max=rmax, min=rmin),
                 lambda before: tuple(n or b for n, b in zip(new, before)))
    # struct sctp_rtoinfo { sctp_assoc_t; u32 initial, max, min; }
    assert struct.unpack("=i3I", O.get_raw(ep, C.SCTP_RTOINFO, 16))[1:] == tuple(O.get_rtoinfo(ep))


def test_rtoinfo_min_above_max_is_a_value_error_before_the_kernel(ep):
    before = O.get_rtoinfo(ep)
    with pytest.raises(ValueError, match="SCTP_RTOINFO"):
        O.set_rtoinfo(ep, max=1000, min=2000)
    assert O.get_rtoinfo(ep) == before


@SETTINGS
@given(u16, u32)
def test_associnfo_round_trips(ep, max_retrans, cookie_life):
    _set_or_keep(lambda **k: O.set_associnfo(ep, **k),
                 lambda: (O.get_associnfo(ep).max_retrans, O.get_associnfo(ep).cookie_life),
                 dict(max_retrans=max_retrans, cookie_life=cookie_life),
                 lambda before: (max_retrans or before[0], cookie_life or before[1]))


@SETTINGS
@given(u16, send_flags, u32, u32)
def test_default_sndinfo_round_trips_with_ppid_in_network_order_underneath(ep, stream, flags, ppid, context):
    after, took = _set_or_keep(lambda **k: O.set_default_sndinfo(ep, **k), lambda: tuple(O.get_default_sndinfo(ep)),
                               dict(stream=stream, flags=flags, ppid=ppid, context=context),
                               lambda before: (stream, flags, ppid, context))
    assert took, "an endpoint takes any stream, flags from the allowed set, ppid and context"
    # struct sctp_sndinfo { u16 sid; u16 flags; u32 ppid (network order); u32 context; sctp_assoc_t }
    sid, fl, wire_ppid, ctx, _ = struct.unpack("=HHIIi", O.get_raw(ep, C.SCTP_DEFAULT_SNDINFO, 16))
    assert (sid, fl, ctx) == (stream, flags, context)
    assert wire_ppid == struct.unpack("=I", struct.pack("!I", ppid))[0]


@SETTINGS
@given(u16, send_flags, u32, u32, u32)
def test_default_send_param_round_trips(ep, stream, flags, ppid, context, ttl):
    O.set_default_send_param(ep, stream=stream, flags=flags, ppid=ppid, context=context, timetolive=ttl)
    got = O.get_default_send_param(ep)
    assert (got.stream, got.flags, got.ppid, got.context, got.timetolive) == (
        stream, flags, ppid, context, ttl)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 2**32 - 1)), min_size=1, max_size=6))
def test_delayed_sack_follows_rfc6458_semantics(steps):
    with csctp.Socket(socket.AF_INET, socket.SOCK_STREAM) as ep:     # fresh: delayed SACK on, values known
        _delayed_sack_steps(ep, steps)


def _delayed_sack_steps(ep, steps):
    # model: delay 0 keeps the delay; freq 1 turns delayed SACK off, freq > 1 sets it (and on);
    # a non-zero delay turns it on; while off the kernel reports (0, 1); (0, 0) changes nothing
    delay, freq = O.get_delayed_sack(ep)
    on = not (delay == 0 and freq == 1)
    for d, f in steps:
        O.set_delayed_sack(ep, delay=d, freq=f)
        if d == 0 and f == 0:
            pass
        else:
            if d:
                delay, on = d, True
            if f == 1:
                on = False
            elif f > 1:
                freq, on = f, True
        assert tuple(O.get_delayed_sack(ep)) == ((delay, freq) if on else (0, 1)), (d, f)


@SETTINGS
@given(u32, u32, u32)
def test_assoc_value_options_round_trip(ep, burst, context, indication):
    O.set_max_burst(ep, burst)
    O.set_context(ep, context)
    O.set_adaptation_layer(ep, indication)
    assert (O.get_max_burst(ep), O.get_context(ep), O.get_adaptation_layer(ep)) == (burst, context, indication)
    # struct sctp_assoc_value { sctp_assoc_t; u32 value; }
    assert struct.unpack("=iI", O.get_raw(ep, C.SCTP_CONTEXT, 8))[1] == context


@SETTINGS
@given(st.integers(0, 0x7FFFFFFF))
def test_autoclose_round_trips_or_is_capped_at_the_sysctl(ep_many, seconds):
    with open("/proc/sys/net/sctp/max_autoclose") as f:
        cap = int(f.read())
    O.set_autoclose(ep_many, seconds)
    assert O.get_autoclose(ep_many) == min(seconds, cap)


@SETTINGS
@given(st.sampled_from([0, 1, 2]), st.booleans(), st.booleans())
def test_int_and_bool_options_round_trip(ep, level, nodelay, nofrag):
    O.set_fragment_interleave(ep, level)
    O.set_nodelay(ep, nodelay)
    O.set_disable_fragments(ep, nofrag)
    assert O.get_nodelay(ep) is nodelay and O.get_disable_fragments(ep) is nofrag
    # the kernel keeps a flag: any non-zero level reads back as 1
    assert O.get_fragment_interleave(ep) == min(level, 1)


# ---- values out of range or of the wrong type: refused, naming the option ----------

SETTERS = {
    # name: (setter taking one value, lo, hi, option named in the message)
    "initmsg.ostreams": (lambda s, v: O.set_initmsg(s, ostreams=v), 0, 0xFFFF, "SCTP_INITMSG"),
    "rtoinfo.max": (lambda s, v: O.set_rtoinfo(s, max=v), 0, 0xFFFFFFFF, "SCTP_RTOINFO"),
    "associnfo.max_retrans": (lambda s, v: O.set_associnfo(s, max_retrans=v), 0, 0xFFFF, "SCTP_ASSOCINFO"),
    "sndinfo.stream": (lambda s, v: O.set_default_sndinfo(s, stream=v), 0, 0xFFFF, "SCTP_DEFAULT_SNDINFO"),
    "sndinfo.ppid": (lambda s, v: O.set_default_sndinfo(s, ppid=v), 0, 0xFFFFFFFF, "SCTP_DEFAULT_SNDINFO"),
    "sndinfo.assoc_id": (lambda s, v: O.set_default_sndinfo(s, assoc_id=v), 0, 0x7FFFFFFF,
                         "SCTP_DEFAULT_SNDINFO"),
    "send_param.timetolive": (lambda s, v: O.set_default_send_param(s, timetolive=v), 0, 0xFFFFFFFF,
                              "SCTP_DEFAULT_SEND_PARAM"),
    "delayed_sack.delay": (lambda s, v: O.set_delayed_sack(s, delay=v), 0, 500, "SCTP_DELAYED_SACK"),
    "max_burst": (lambda s, v: O.set_max_burst(s, v), 0, 0xFFFFFFFF, "SCTP_MAX_BURST"),
    "context": (lambda s, v: O.set_context(s, v), 0, 0xFFFFFFFF, "SCTP_CONTEXT"),
    "adaptation_layer": (lambda s, v: O.set_adaptation_layer(s, v), 0, 0xFFFFFFFF, "SCTP_ADAPTATION_LAYER"),
    "partial_delivery_point": (lambda s, v: O.set_partial_delivery_point(s, v), 0, 0xFFFFFFFF,
                               "SCTP_PARTIAL_DELIVERY_POINT"),
    "fragment_interleave": (lambda s, v: O.set_fragment_interleave(s, v), 0, 2, "SCTP_FRAGMENT_INTERLEAVE"),
    "maxseg": (lambda s, v: O.set_maxseg(s, v), 0, 0xFFFFFFFF, "SCTP_MAXSEG"),
    "default_prinfo.value": (lambda s, v: O.set_default_prinfo(s, C.SCTP_PR_SCTP_TTL, v), 0, 0xFFFFFFFF,
                             "SCTP_DEFAULT_PRINFO"),
}


@SETTINGS
@given(st.sampled_from(sorted(SETTERS)), st.data())
def test_out_of_range_integers_are_value_errors_naming_the_option(ep, which, data):
    setter, lo, hi, name = SETTERS[which]
    v = data.draw(outside(lo, hi))
    with pytest.raises(ValueError, match=name):
        setter(ep, v)


@SETTINGS
@given(st.sampled_from(sorted(SETTERS)), not_ints)
def test_non_integers_are_type_errors_naming_the_option(ep, which, v):
    setter, _, _, name = SETTERS[which]
    with pytest.raises(TypeError, match=name):
        setter(ep, v)


def test_numpy_integers_are_accepted_as_ints(ep):
    import numpy as np
    O.set_context(ep, np.uint32(0xFFFFFFFF))
    O.set_default_sndinfo(ep, stream=np.uint16(7), ppid=np.int64(46))
    assert O.get_context(ep) == 0xFFFFFFFF
    assert O.get_default_sndinfo(ep)[::2] == (7, 46)
    with pytest.raises(ValueError, match="SCTP_CONTEXT"):
        O.set_context(ep, np.int64(-1))
