"""Helpers of the interoperability tests: csctp against SCTP implementations this project did not write.

Every peer is a program from a Debian package (``tools/install-system-deps.sh
--interop`` installs them; ``make interop`` runs that, builds the Go peer and
runs these tests in the VM), started by the test on loopback and stopped by
it.  Nothing here waits without a bound: a peer that hangs is killed at the
end of its test, every receive has a timeout, every wait has a deadline.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from typing import Callable, Iterator, List, Optional, Sequence

import pytest

import csctp

# every receive on the csctp side; generous, the VM emulates its CPU
RECV_TIMEOUT = 30.0
# a peer's start, its exit, a line in its log
PEER_DEADLINE = 30.0

HINT = ("run `make interop`: it installs the interop peers (tools/install-system-deps.sh --interop) "
        "and builds the Go peer before booting the VM")


def program(name: str) -> str:
    """The path of *name*, or a failure that says how to install it (never a skip)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"interop: {name} is not installed; {HINT}")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on for a peer to bind: bind port 0, read it, close."""
    with csctp.listen(f"{host}:0") as lst:
        port: int = lst.address[1]
    return port


class Peer:
    """One run of another implementation's program; its stdout and stderr go to one log file."""

    def __init__(self, name: str, argv: Sequence[str], log: str, *, stdin: Optional[str] = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        with open(log, "wb") as out:
            src = open(stdin, "rb") if stdin else subprocess.DEVNULL
            try:
                self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=src)
            finally:
                if stdin:
                    src.close()      # type: ignore[union-attr]

    def output(self) -> str:
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_for(self, pattern: str, deadline: float = PEER_DEADLINE) -> "re.Match[str]":
        """The first match of *pattern* in the log, waiting for it up to *deadline* seconds."""
        end = time.monotonic() + deadline
        for _ in range(int(deadline / 0.05) + 1):
            m = re.search(pattern, self.output(), re.M)
            if m:
                return m
            if self.proc.poll() is not None:
                m = re.search(pattern, self.output(), re.M)    # it may have written it just before exiting
                if m:
                    return m
                pytest.fail(f"{self.name} exited ({self.proc.returncode}) before printing {pattern!r}:\n"
                            f"{self.output()[-3000:]}")
            if time.monotonic() > end:
                break
            time.sleep(0.05)
        pytest.fail(f"{self.name} printed no {pattern!r} within {deadline:g} s:\n{self.output()[-3000:]}")

    def wait(self, deadline: float = PEER_DEADLINE) -> int:
        """The exit status, once it exits by itself within *deadline* seconds."""
        try:
            return self.proc.wait(deadline)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} did not exit within {deadline:g} s:\n{self.output()[-3000:]}")

    def stop(self) -> Optional[int]:
        """Stop it if it still runs: SIGTERM, then SIGKILL after 5 s.  Its status (None if killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                return None
        return self.proc.returncode


@pytest.fixture
def peer(tmp_path: "os.PathLike[str]") -> Iterator[Callable[..., Peer]]:
    """Factory: ``peer(name, argv, stdin=path)`` starts a Peer; every one still running is stopped after the test."""
    started: List[Peer] = []

    def start(name: str, argv: Sequence[str], *, stdin: Optional[str] = None) -> Peer:
        p = Peer(name, argv, os.path.join(tmp_path, f"{name}-{len(started)}.log"), stdin=stdin)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def connect_when_listening(address: str, peer: Peer, **kw: object) -> csctp.Association:
    """csctp.connect to a peer that is starting up: retried while it refuses, within PEER_DEADLINE."""
    end = time.monotonic() + PEER_DEADLINE
    for _ in range(int(PEER_DEADLINE / 0.1) + 1):
        try:
            a = csctp.connect(address, timeout=RECV_TIMEOUT, **kw)   # type: ignore[arg-type]
        except ConnectionRefusedError:
            if peer.proc.poll() is not None:
                pytest.fail(f"{peer.name} exited ({peer.proc.returncode}) before listening:\n{peer.output()[-3000:]}")
            if time.monotonic() > end:
                break
            time.sleep(0.1)
            continue
        return a
    pytest.fail(f"{peer.name} did not listen on {address} within {PEER_DEADLINE:g} s:\n{peer.output()[-3000:]}")


def recv_until_closed(assoc: csctp.Association, limit: int = 10_000) -> List[csctp.Message]:
    """Every message up to the graceful end (AssociationClosed); at most *limit* messages."""
    got = []
    for _ in range(limit):
        try:
            got.append(assoc.recv())
        except csctp.AssociationClosed:
            return got
    pytest.fail(f"more than {limit} messages and no end of the association")


def exchange_rounds(assoc: csctp.Association) -> tuple[list[tuple[int, int, bytes]], list[csctp.Message]]:
    """Send ROUNDS, each round received back (as many messages) before the next is sent.

    Returns (sent: [(stream, ppid, data)], echoed messages), every echo whole (MSG_EOR).
    """
    sent: list[tuple[int, int, bytes]] = []
    echoed: list[csctp.Message] = []
    tag = 0
    for rnd in ROUNDS:
        for stream, ppid, size in rnd:
            data = payload(tag, size)
            tag += 1
            assoc.send(data, stream=stream, ppid=ppid)
            sent.append((stream, ppid, data))
        for _ in rnd:
            m = assoc.recv()
            assert m.eor
            echoed.append(m)
    return sent, echoed


def echo_through_byte_relay(assoc: csctp.Association, block: int) -> None:
    """A peer that relays bytes (stream 0, PPID 0) through a pipe, in reads of at most *block* bytes.

    A message of at most PIPE_BUF (4096) bytes, sent after the previous echo is
    back, is one read, one atomic pipe write and read, one write: it comes back
    whole.  A 64 KiB one comes back in pieces of at most *block* bytes.
    """
    for i, (stream, ppid, size) in enumerate([(0, 0, 1), (2, 46, 1453), (1, 2**31, 4096), (3, 2**32 - 1, 7)]):
        data = payload(i, size)
        assoc.send(data, stream=stream, ppid=ppid)
        m = assoc.recv()
        assert (m.data, m.stream, m.ppid, m.eor) == (data, 0, 0, True)
    big = payload(9, 65536)
    assoc.send(big, stream=1, ppid=3)
    pieces: list[bytes] = []
    for _ in range(100):
        if sum(map(len, pieces)) >= len(big):
            break
        m = assoc.recv()
        assert (m.stream, m.ppid, m.eor) == (0, 0, True) and 0 < len(m.data) <= block
        pieces.append(m.data)
    assert b"".join(pieces) == big


def shut_down_and_see_the_end(assoc: csctp.Association) -> None:
    """Our graceful shutdown, completed: the next receive says so, SHUTDOWN_COMP was queued; then close."""
    assoc.shutdown(wait=RECV_TIMEOUT)
    with pytest.raises(csctp.AssociationClosed):
        assoc.recv()
    assert shutdown_comp_seen(assoc)
    assoc.close()


def receive_from_sender(start: Callable[[int], Peer]) -> List[csctp.Message]:
    """Listen, ``start(port)`` a peer that connects, sends and shuts down; every message it sent.

    Checks the end on both sides: SHUTDOWN_COMP queued here, the peer's exit status 0.
    """
    with listen_watching_end() as lst:
        p = start(lst.address[1])
        a = lst.accept()
    a.settimeout(RECV_TIMEOUT)
    a.subscribe("assoc_change")
    got = recv_until_closed(a)
    assert shutdown_comp_seen(a)
    a.close()
    assert p.wait() == 0, p.output()[-2000:]
    return got


def shutdown_comp_seen(assoc: csctp.Association) -> bool:
    """True once an assoc_change SHUTDOWN_COMP was queued (the association must be subscribed)."""
    from csctp import constants as C
    return any(getattr(e, "state", None) == C.SCTP_SHUTDOWN_COMP for e in assoc.events())


def payload(tag: int, size: int) -> bytes:
    """*size* printable bytes that say which message they belong to (sctp_darn prints what it gets)."""
    head = bytes([48 + tag % 75])      # printable, and different for each of the first 75 messages
    return (head + b"%05d-" % tag * (size // 6 + 1))[:size]


# (stream, ppid, size) per message, in rounds: the peer echoes each round before the next is sent,
# so neither side's receive window fills while the other waits to send.  PPIDs on both sides of
# 2**31 (a signed 32-bit field would turn the top half negative), sizes around the fragmentation
# point of a 1500-byte MTU (1452/1453) and a whole 64 KiB message.
ROUNDS = [
    [(i % 4, (0, 3, 46, 2**31, 2**32 - 1, 0x12345678)[i % 6], (1, 100, 1452, 1453)[i // 4]) for i in range(16)],
    [(1, 2**31 + 1, 65536)],
    [(3, 2**32 - 1, 65536), (0, 46, 5)],
]


def by_stream(items: Sequence[tuple]) -> dict:   # type: ignore[type-arg]
    """{stream: [item, ...]} keeping each stream's order; items are tuples starting with the stream."""
    out: dict = {}   # type: ignore[type-arg]
    for it in items:
        out.setdefault(it[0], []).append(it)
    return out


def listen_watching_end(address: str = "127.0.0.1:0", **kw: object) -> csctp.Listener:
    """csctp.listen with assoc_change subscribed on the listening socket, before any peer connects.

    An accepted association inherits it, so a peer that sends and closes before
    ``accept()`` returns still leaves its SHUTDOWN_COMP queued; subscribing the
    accepted Association afterwards would be too late for it (the end would be
    seen only as the 0-byte read).
    """
    lst = csctp.listen(address, **kw)   # type: ignore[arg-type]
    csctp.subscribe(lst.socket, "assoc_change")
    lst.settimeout(RECV_TIMEOUT)
    return lst
