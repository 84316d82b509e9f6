"""csctp against socat (package socat), SCTP4-LISTEN and SCTP4-CONNECT.

socat moves bytes: it reads a socket with read(2) into a block of ``-b``
bytes (8192 by default) and writes each read with write(2).  On SCTP that
sends every block as one message on stream 0 with PPID 0, and it cannot
carry a stream or a PPID through.  So these tests check bytes, message
boundaries where socat's reads make them deterministic, the stream/PPID
socat sends (0/0), and a clean shutdown on both sides (socat exits 0).
"""

import os

import pytest

from tests.interop.peers import (connect_when_listening, echo_through_byte_relay, free_port,
                                 payload, program, receive_from_sender, shut_down_and_see_the_end)

pytestmark = pytest.mark.interop

BLOCK = 8192        # socat's default -b


def test_socat_echo_returns_each_small_message_whole_and_big_ones_in_blocks(peer):
    port = free_port()
    # PIPE: what socat reads from the association goes into a pipe and back out to it
    p = peer("socat", [program("socat"), "-d", "-d", f"SCTP4-LISTEN:{port},bind=127.0.0.1,reuseaddr", "PIPE"])
    a = connect_when_listening(f"127.0.0.1:{port}", p)
    a.subscribe("assoc_change")
    echo_through_byte_relay(a, BLOCK)
    shut_down_and_see_the_end(a)
    assert p.wait() == 0, p.output()[-2000:]
    assert "exiting with status 0" in p.output()


def test_socat_sends_a_file_in_block_sized_messages_and_shuts_down(peer, tmp_path):
    data = b"".join(payload(i, 1000) for i in range(3 * BLOCK // 1000 + 1))[:3 * BLOCK + 100]
    src = os.path.join(tmp_path, "source")
    with open(src, "wb") as f:
        f.write(data)
    # -u: file to association only; at the file's end socat shuts the association down
    got = receive_from_sender(lambda port: peer(
        "socat", [program("socat"), "-d", "-d", "-u", f"OPEN:{src},rdonly", f"SCTP4-CONNECT:127.0.0.1:{port}"]))
    # a regular file gives full reads: one message per block, the rest last
    assert [len(m.data) for m in got] == [BLOCK, BLOCK, BLOCK, 100]
    assert all((m.stream, m.ppid, m.eor) == (0, 0, True) for m in got)
    assert b"".join(m.data for m in got) == data
