"""Property tests for csctp._addr: every accepted form round-trips; garbage fails cleanly.

Hostname resolution is replaced by a resolver that always says "no such
name" (socket.getaddrinfo, not the kernel): random text must never reach the
network, and a garbage spec that looks like a name must still end in the
documented gaierror.
"""

import ipaddress
import socket
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from csctp import _addr

pytestmark = pytest.mark.nokernel

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ports = st.integers(min_value=0, max_value=65535)
v4 = st.ip_addresses(v=4).map(str)
v6 = st.ip_addresses(v=6)
hosts = st.one_of(v4.map(lambda h: ("v4", h)), v6.map(lambda a: ("v6", a)))


def _no_dns(host, *a, **kw):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (resolver disabled in this test)")


def _same(got, family, host, port):
    """got is (host, port) for IPv4 or (host, port, 0, 0) for IPv6, naming the same address."""
    if family == "v4":
        return got == (str(host), port)
    return (len(got) == 4 and got[1:] == (port, 0, 0)
            and socket.inet_pton(socket.AF_INET6, got[0]) == ipaddress.IPv6Address(host).packed)


def _forms(family, host, port):
    if family == "v4":
        return [f"{host}:{port}", (host, port), [f"{host}:{port}"], [(host, port)]]
    a = ipaddress.IPv6Address(host)
    return [f"[{a.compressed}]:{port}", f"[{a.exploded}]:{port}", (a.compressed, port),
            (a.exploded, port, 0, 0), [f"[{a}]:{port}"]]


@SETTINGS
@given(hosts, ports)
def test_every_accepted_form_parses_back_to_the_same_address(h, port):
    family, host = h
    for form in _forms(family, host, port):
        got = _addr.parse(form)
        assert len(got) == 1 and _same(got[0], family, host, port), (form, got)
    # a spec without a port takes the one given separately
    bare = str(host) if family == "v4" else f"[{host}]"
    assert _same(_addr.parse(bare, port=port)[0], family, host, port)


@SETTINGS
@given(st.lists(hosts, min_size=1, max_size=6), ports)
def test_multihomed_specs_keep_every_address_in_order(hs, port):
    spec = "/".join(h if fam == "v4" else f"[{h}]" for fam, h in hs) + f":{port}"
    got = _addr.parse(spec)
    assert len(got) == len(hs)
    assert all(_same(g, fam, h, port) for g, (fam, h) in zip(got, hs))
    # the parsed tuples are themselves a valid spec that parses to the same thing
    assert _addr.parse(got) == got
    al = _addr.pack(spec)
    assert len(al) == len(hs) and al.families == (1 if any(f == "v4" for f, _ in hs) else 0) | (
        2 if any(f == "v6" for f, _ in hs) else 0)


ALLOWED = (ValueError, TypeError, socket.gaierror)


@SETTINGS
@given(st.text(max_size=80))
def test_garbage_text_fails_only_with_value_type_or_gaierror(text):
    with mock.patch.object(socket, "getaddrinfo", _no_dns):
        try:
            got = _addr.parse(text)
        except ALLOWED:
            return
    assert isinstance(got, list) and got     # it was a valid spec after all


@SETTINGS
@given(st.text(alphabet="0123456789abcdef:.[]/%", max_size=60), st.one_of(st.none(), ports))
def test_address_like_garbage_fails_cleanly(text, port):
    with mock.patch.object(socket, "getaddrinfo", _no_dns):
        try:
            got = _addr.parse(text, port=port)
        except ALLOWED:
            return
    assert isinstance(got, list) and got


anything = st.recursive(
    st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=20), st.binary(max_size=20), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.tuples(inner, inner, inner, inner)),
    max_leaves=8)


@SETTINGS
@given(anything)
def test_garbage_objects_fail_only_with_value_type_or_gaierror(obj):
    with mock.patch.object(socket, "getaddrinfo", _no_dns):
        try:
            got = _addr.parse(obj)
        except ALLOWED:
            return
    assert isinstance(got, list) and got
