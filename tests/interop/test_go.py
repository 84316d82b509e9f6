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
from tests.interop.peers import RECV_TIMEOUT, by_stream, exchange_rounds, shut_down_and_see_the_end

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
    sent, msgs = exchange_rounds(a)
    echoed = [(m.stream, m.ppid, m.data) for m in msgs]
    # the same messages back, stream and PPID unchanged, in order on each stream (not across streams)
    assert by_stream(echoed) == by_stream(sent)

    shut_down_and_see_the_end(a)
    assert p.wait() == 0, p.output()[-2000:]
    out = p.output()
    assert f"eof after {len(sent)} messages" in out
    # what the Go side read off the wire: the PPIDs csctp put there (network byte order), whole messages
    seen = [tuple(map(int, t)) for t in re.findall(r"^recv stream=(\d+) ppid=(\d+) len=(\d+)$", out, re.M)]
    assert by_stream(seen) == by_stream([(s, ppid, len(d)) for s, ppid, d in sent])
