"""csctp against Nmap's ncat (package ncat) with ``--sctp``.

ncat is a byte tool: it writes with write(2) (stream 0, PPID 0) and cannot
carry a stream or a PPID.  With ``--exec`` it relays between the association
and the program's pipes in reads of at most 8192 bytes.  So these tests check
the bytes, stream/PPID 0, message boundaries where ncat's reads keep them (a
message of at most PIPE_BUF, 4096 bytes, sent after the previous echo comes
back whole), the 8192-byte bound on what it sends, and a clean shutdown on
both sides (ncat exits 0).
"""

import os

import pytest

from tests.interop.peers import (connect_when_listening, echo_through_byte_relay, free_port,
                                 payload, program, receive_from_sender, shut_down_and_see_the_end)

pytestmark = pytest.mark.interop

RELAY_BLOCK = 8192       # ncat's read size when it relays (seen: a 32 KiB message came back as 8192-byte ones)


def test_ncat_exec_cat_echoes_small_messages_whole_and_64_kib_in_relay_blocks(peer):
    port = free_port()
    p = peer("ncat", [program("ncat"), "-v", "--sctp", "-l", "127.0.0.1", str(port), "--exec", "/bin/cat"])
    a = connect_when_listening(f"127.0.0.1:{port}", p)
    a.subscribe("assoc_change")
    echo_through_byte_relay(a, RELAY_BLOCK)
    shut_down_and_see_the_end(a)
    assert p.wait() == 0, p.output()[-2000:]


def test_ncat_client_sends_its_input_and_shuts_down_at_its_end(peer, tmp_path):
    data = b"".join(payload(i, 1000) for i in range(50))
    src = os.path.join(tmp_path, "source")
    with open(src, "wb") as f:
        f.write(data)
    got = receive_from_sender(lambda port: peer(
        "ncat", [program("ncat"), "-v", "--sctp", "--send-only", "127.0.0.1", str(port)], stdin=src))
    # how ncat cuts its input into writes is its own business: the bytes and stream/PPID 0 are checked
    assert b"".join(m.data for m in got) == data
    assert all((m.stream, m.ppid, m.eor) == (0, 0, True) for m in got)
