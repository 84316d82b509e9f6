"""csctp against lksctp-tools' own test programs, sctp_darn and sctp_test (package lksctp-tools).

Both are C programs on the kernel's socket API with their own sendmsg/recvmsg
and SCTP_SNDRCV control messages; they print the raw ``sinfo_ppid`` field,
which holds the PPID in network byte order (RFC 6458 leaves it opaque), so a
PPID they print is compared through ``socket.ntohl``.
"""

import re
import socket

import pytest

from tests.interop.peers import (RECV_TIMEOUT, by_stream, connect_when_listening, exchange_rounds, free_port,
                                 listen_watching_end, program, recv_until_closed, shut_down_and_see_the_end,
                                 shutdown_comp_seen)

pytestmark = pytest.mark.interop

# sctp_darn's print of one received message: its SNDRCV cmsg, then the data with the last byte cut
DARN_MESSAGE = re.compile(r"sinfo_stream (\d+)\s+sinfo_ssn \d+\s+sinfo_flags \S+\s+sinfo_ppid (\d+)"
                          r".*?DATA\((\d+)\):  ([^\n]*)\n", re.S)


def test_sctp_darn_sees_each_stream_and_ppid_and_echoes_whole_messages(peer):
    port = free_port()
    # a one-to-many socket (its default; only there does it subscribe to SCTP_SNDRCV and print it),
    # line-buffered: its log is read while it runs and it is stopped with SIGTERM
    p = peer("sctp_darn", ["stdbuf", "-oL", program("sctp_darn"), "-H", "127.0.0.1", "-P", str(port), "-l", "-e"])
    p.wait_for(r"listening")
    a = connect_when_listening(f"127.0.0.1:{port}", p)
    a.subscribe("assoc_change")
    sent, msgs = exchange_rounds(a)
    echoed = [(m.stream, m.ppid, m.data) for m in msgs]
    # sctp_darn -e echoes with a plain sendto (no SCTP_SNDRCV): stream 0, PPID 0, the message whole;
    # one stream back, so the order is the order it read them in (per stream the order they were sent)
    assert [(s, ppid) for s, ppid, _ in echoed] == [(0, 0)] * len(sent)
    assert sorted(d for *_, d in echoed) == sorted(d for *_, d in sent)
    stream_of = {d: s for s, _, d in sent}          # payloads are unique
    assert by_stream([(stream_of[d], d) for *_, d in echoed]) == by_stream([(s, d) for s, _, d in sent])

    shut_down_and_see_the_end(a)
    # one-to-many: the end of one association is a notification, and it goes on listening
    p.wait_for(r"ASSOC_CHANGE - SHUTDOWN_COMP")
    out = p.output()
    assert p.stop() == -15, out[-500:]           # SIGTERM: it was still running, not crashed
    seen = [(int(s), socket.ntohl(int(ppid)), int(n), text) for s, ppid, n, text in DARN_MESSAGE.findall(out)]
    # what sctp_darn read: each stream in order, each PPID as csctp sent it, each message whole
    assert by_stream([(s, ppid, n) for s, ppid, n, _ in seen]) == by_stream(
        [(s, ppid, len(d)) for s, ppid, d in sent])
    # its print of the data: all but the last byte (it writes its NUL terminator there)
    printed = [text for *_, text in seen]
    assert all(any(t.startswith(d[:-1].decode()) for t in printed) for *_, d in sent)


def sctp_test_payload(size: int) -> bytes:
    """What sctp_test sends for *size*: its 50-digit pattern repeated, the last byte a NUL."""
    return (b"0123456789" * 5 * (size // 50 + 1))[:size - 1] + b"\0"


# sctp_test -d 2: one line per sendmsg, then the SNDRCV it set (raw sinfo_ppid: rand())
SCTP_TEST_SEND = re.compile(r"sendmsg\(sk=\d+, assoc=\d+\)\s+(\d+) bytes\.\s+SNDRCV\(stream=(\d+) "
                            r"flags=0x([0-9a-f]+) ppid=(\d+)")


def test_sctp_test_client_sends_ordered_messages_on_its_streams_then_shuts_down(peer):
    lst = listen_watching_end(instreams=16)
    port = lst.address[1]
    # -c 4: ten sizes 1..32768 bytes; -x 2: twice; -M 4 -o 1: ordered, streams 1,2,3,0,1,...
    p = peer("sctp_test", [program("sctp_test"), "-H", "127.0.0.1", "-P", str(free_port()),
                           "-h", "127.0.0.1", "-p", str(port), "-s", "-T",
                           "-c", "4", "-x", "2", "-M", "4", "-o", "1", "-r", "7", "-d", "2"])
    with lst:
        a = lst.accept()
    a.settimeout(RECV_TIMEOUT)
    a.subscribe("assoc_change")
    got = recv_until_closed(a)           # sctp_test closes its socket after the last message: SHUTDOWN
    assert shutdown_comp_seen(a)
    a.close()
    assert p.wait() == 0, p.output()[-2000:]
    sends = [(int(st), socket.ntohl(int(ppid)), sctp_test_payload(int(n)), int(fl, 16))
             for n, st, fl, ppid in SCTP_TEST_SEND.findall(p.output())]
    assert len(sends) == 20 and {s for s, *_ in sends} == {0, 1, 2, 3}
    assert all(fl == 0 for *_, fl in sends)          # ordered
    assert not any(m.unordered for m in got)
    assert by_stream([(m.stream, m.ppid, m.data) for m in got]) == by_stream([t[:3] for t in sends])
    # rand() seeded with -r 7 fills the raw field: about half the PPIDs on the wire are >= 2**31
    assert any(ppid >= 2**31 for _, ppid, *_ in sends) and any(ppid < 2**31 for _, ppid, *_ in sends)
