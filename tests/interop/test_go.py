"""csctp against a Go program on github.com/ishidawataru/sctp (tests/interop/goecho/main.go).

The Go side is ours, the SCTP library under it is not: Debian's
golang-github-ishidawataru-sctp-dev, built offline by ``make interop``
into build/interop/goecho.  It echoes each message on the stream and with
the PPID it came with and logs what it received, the PPID as on the wire.
"""

import os
import re

import pytest

import csctp
from tests.interop.peers import RECV_TIMEOUT, ROUNDS, by_stream, payload, shutdown_comp_seen

pytestmark = pytest.mark.interop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def goecho() -> str:
    path = os.environ.get("CSCTP_GOECHO", os.path.join(ROOT, "build", "interop", "goecho"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"interop: no Go peer at {path}: `make interop` builds it (go build, GO111MODULE=off, "
                    "GOPATH=/usr/share/gocode) before booting the VM")
    return path


def test_go_peer_echoes_every_message_on_its_stream_with_its_ppid_then_exits_on_shutdown(peer):
    p = peer("goecho", [goecho(), "-listen", "127.0.0.1:0", "-timeout", "300s"])
    port = int(p.wait_for(r"^listening (\d+)$").group(1))
    a = csctp.connect(f"127.0.0.1:{port}", timeout=RECV_TIMEOUT, ostreams=16)
    a.subscribe("assoc_change")
    sent, echoed = [], []
    tag = 0
    for rnd in ROUNDS:
        for stream, ppid, size in rnd:
            data = payload(tag, size)
            tag += 1
            a.send(data, stream=stream, ppid=ppid)
            sent.append((stream, ppid, data))
        for _ in rnd:
            m = a.recv()
            assert m.eor
            echoed.append((m.stream, m.ppid, m.data))
    # the same messages back, stream and PPID unchanged, in order on each stream (not across streams)
    assert by_stream(echoed) == by_stream(sent)

    a.shutdown(wait=RECV_TIMEOUT)
    with pytest.raises(csctp.AssociationClosed):
        a.recv()
    assert shutdown_comp_seen(a)
    a.close()
    assert p.wait() == 0, p.output()[-2000:]
    out = p.output()
    assert f"eof after {len(sent)} messages" in out
    # what the Go side read off the wire: the PPIDs csctp put there (network byte order), whole messages
    seen = [tuple(map(int, t)) for t in re.findall(r"^recv stream=(\d+) ppid=(\d+) len=(\d+)$", out, re.M)]
    assert by_stream(seen) == by_stream([(s, ppid, len(d)) for s, ppid, d in sent])
