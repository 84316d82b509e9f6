"""Fixtures of the interoperability tests (tests/interop/peers.py holds the helpers)."""

from tests.interop.peers import peer  # noqa: F401  (the fixture, offered to every test here)
