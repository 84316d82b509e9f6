"""csctp as an M3UA ASP (RFC 4666) against osmo-stp, Osmocom's SS7 signalling transfer point (package osmo-stp).

The test builds the M3UA messages itself and sends them with PPID 3 (M3UA)
on stream 0, where RFC 4666 puts ASP state maintenance; osmo-stp, configured
to accept ASPs it does not know, answers ASPUP with ASPUP_ACK, BEAT with a
BEAT_ACK carrying the same heartbeat data, ASPDN with ASPDN_ACK.  Each
answer's header, stream and PPID are checked, then the association is shut
down gracefully and osmo-stp is seen to notice.
"""

import os
import struct
from typing import List, Tuple

import pytest

import csctp
from tests.interop.peers import connect_when_listening, free_port, program, shut_down_and_see_the_end

pytestmark = pytest.mark.interop

M3UA_PPID = 3
VERSION = 1
MGMT, ASPSM = 0, 3                                      # message classes (RFC 4666 3.1.2)
ASPUP, ASPDN, BEAT, ASPUP_ACK, ASPDN_ACK, BEAT_ACK = 1, 2, 3, 4, 5, 6
NTFY = 1
TAG_HEARTBEAT_DATA, TAG_ASP_IDENTIFIER = 0x0009, 0x0011

CONFIG = """\
log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging timestamp 0
 logging level all notice
 logging level lss7 info
 logging level linp info
line vty
 bind 127.0.0.1
cs7 instance 0
 point-code 0.23.1
 xua rkm routing-key-allocation dynamic-permitted
 listen m3ua {port}
  accept-asp-connections dynamic-permitted
  local-ip 127.0.0.1
"""


def tlv(tag: int, value: bytes) -> bytes:
    """One M3UA parameter: tag, length (without padding), value padded to 4 bytes."""
    return struct.pack("!HH", tag, 4 + len(value)) + value + b"\0" * (-len(value) % 4)


def m3ua(cls: int, typ: int, params: bytes = b"") -> bytes:
    return struct.pack("!BBBBI", VERSION, 0, cls, typ, 8 + len(params)) + params


def parse(msg: bytes) -> Tuple[int, int, List[Tuple[int, bytes]]]:
    """(class, type, [(tag, value), ...]) of one M3UA message, its header checked."""
    version, reserved, cls, typ, length = struct.unpack_from("!BBBBI", msg)
    assert (version, reserved, length) == (VERSION, 0, len(msg)), msg.hex()
    params, off = [], 8
    for _ in range(64):
        if off >= len(msg):
            break
        tag, plen = struct.unpack_from("!HH", msg, off)
        assert plen >= 4 and off + plen <= len(msg), msg.hex()
        params.append((tag, msg[off + 4:off + plen]))
        off += plen + (-plen % 4)
    return cls, typ, params


def answer(a: csctp.Association, want: Tuple[int, int]) -> List[Tuple[int, bytes]]:
    """The parameters of the next message of class/type *want*; NTFY messages before it are skipped."""
    for _ in range(8):
        m = a.recv()
        assert (m.stream, m.ppid, m.eor) == (0, M3UA_PPID, True), m
        cls, typ, params = parse(m.data)
        if (cls, typ) == (MGMT, NTFY):
            continue
        assert (cls, typ) == want, f"expected M3UA {want}, got {(cls, typ)}: {m.data.hex()}"
        return params
    pytest.fail(f"no M3UA {want} after 8 messages")


def test_osmo_stp_answers_aspup_beat_and_aspdn_then_sees_the_shutdown(peer, tmp_path):
    port = free_port()
    cfg = os.path.join(tmp_path, "osmo-stp.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(port=port))
    p = peer("osmo-stp", [program("osmo-stp"), "-c", cfg])
    a = connect_when_listening(f"127.0.0.1:{port}", p)
    a.subscribe("assoc_change")

    a.send(m3ua(ASPSM, ASPUP, tlv(TAG_ASP_IDENTIFIER, struct.pack("!I", 4711))), stream=0, ppid=M3UA_PPID)
    answer(a, (ASPSM, ASPUP_ACK))

    beat = os.urandom(13) + b"csctp interop"
    a.send(m3ua(ASPSM, BEAT, tlv(TAG_HEARTBEAT_DATA, beat)), stream=0, ppid=M3UA_PPID)
    assert answer(a, (ASPSM, BEAT_ACK)) == [(TAG_HEARTBEAT_DATA, beat)]

    a.send(m3ua(ASPSM, ASPDN), stream=0, ppid=M3UA_PPID)
    answer(a, (ASPSM, ASPDN_ACK))

    shut_down_and_see_the_end(a)
    # osmo-stp logs the end of the (dynamic) ASP's association
    p.wait_for(r"asp-dyn-0: xUA SRV SHUTDOWN_EVENT")
    assert p.proc.poll() is None, "osmo-stp must keep serving after one ASP leaves"
