"""csctp._addr: address specs, resolution and packing."""

import socket

import pytest

from csctp import _addr

pytestmark = pytest.mark.nokernel


@pytest.mark.parametrize("spec,expected", [
    ("192.0.2.1:2905", [("192.0.2.1", 2905)]),
    ("192.0.2.1/198.51.100.1:2905", [("192.0.2.1", 2905), ("198.51.100.1", 2905)]),
    ("[2001:db8::1]:3868", [("2001:db8::1", 3868, 0, 0)]),
    ("[2001:db8::1]/192.0.2.1:2905", [("2001:db8::1", 2905, 0, 0), ("192.0.2.1", 2905)]),
    ("[2001:db8::1]/[2001:db8::2]:1", [("2001:db8::1", 1, 0, 0), ("2001:db8::2", 1, 0, 0)]),
    ("[fe80::1%1]:5", [("fe80::1", 5, 0, 1)]),
    (("192.0.2.7", 9), [("192.0.2.7", 9)]),
    (("2001:db8::7", 9, 0, 3), [("2001:db8::7", 9, 0, 3)]),
    (["192.0.2.1:1", ("198.51.100.2", 2)], [("192.0.2.1", 1), ("198.51.100.2", 2)]),
    (("192.0.2.1:1", "192.0.2.2:2"), [("192.0.2.1", 1), ("192.0.2.2", 2)]),
])
def test_specs_parse_to_stdlib_tuples(spec, expected):
    assert _addr.parse(spec) == expected


def test_default_port_applies_to_specs_without_one():
    assert _addr.parse("192.0.2.1/192.0.2.2", port=7) == [("192.0.2.1", 7), ("192.0.2.2", 7)]


def test_packing_is_tight_not_sockaddr_storage_sized():
    al = _addr.pack("[2001:db8::1]/192.0.2.1/[2001:db8::2]:5")
    assert len(al) == 3
    # 28 + 16 + 28 bytes: each address takes exactly its own size (RFC 6458 9.1)
    assert al.to_list() == [("2001:db8::1", 5, 0, 0), ("192.0.2.1", 5), ("2001:db8::2", 5, 0, 0)]


@pytest.mark.parametrize("bad", [
    "", "192.0.2.1", "192.0.2.1:http", "192.0.2.1:70000", "[2001:db8::1:5", "192.0.2.1/:5",
    "[fe80::1%nosuchif0]:5", [], ("192.0.2.1",), ("192.0.2.1", 5, 0), ("192.0.2.1", "5"),
])
def test_bad_specs_raise_value_error_quoting_the_input(bad):
    with pytest.raises(ValueError) as e:
        _addr.parse(bad)
    if isinstance(bad, str) and bad:
        assert repr(bad) in str(e.value) or bad in str(e.value)


@pytest.mark.parametrize("bad", [5, None, 3.5, {"h": 1}, (b"192.0.2.1", 5), ("192.0.2.1", 5.0)])
def test_wrong_types_raise_type_error(bad):
    with pytest.raises(TypeError):
        _addr.parse(bad)


def test_unresolvable_names_raise_gaierror_naming_them():
    with pytest.raises(socket.gaierror, match="no-such-host.invalid"):
        _addr.parse("no-such-host.invalid:5")


def test_localhost_resolves():
    (host, port, *rest), *_ = _addr.parse("localhost:5")
    assert port == 5 and host in ("127.0.0.1", "::1")


