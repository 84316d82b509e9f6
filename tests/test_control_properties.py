"""Property tests for the control-message parsers of the receive paths.

``csctp._core`` (recv / recv_into: one message) and ``csctp._batch``
(recvmmsg: one slot) read RCVINFO, NXTINFO and the legacy SNDRCV out of the
control buffer the kernel fills.  Both are given buffers built here with
``struct`` in the kernel's layout: every field must come back exactly (PPIDs
converted from network to host order), RCVINFO must win over SNDRCV, and
truncated, overrunning or random buffers must never be read past their end
or half-decoded.  ``make asan`` runs these with the sanitizer build; the
buffers are heap blocks of exactly their size there.
"""

import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from csctp import _batch, _core

pytestmark = pytest.mark.nokernel

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCTP_SNDRCV, SCTP_RCVINFO, SCTP_NXTINFO = 1, 3, 4
HDR = struct.calcsize("@Nii")

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
aid = st.integers(-2**31, 2**31 - 1)


def cmsg(ctype, payload, level=socket.IPPROTO_SCTP):
    n = HDR + len(payload)
    return struct.pack("@Nii", n, level, ctype) + payload + b"\0" * (-n % 8)


def wire(ppid):
    """A host-order PPID as the kernel stores it (network order) read back as a native u32."""
    return struct.unpack("@I", struct.pack("!I", ppid))[0]


rcvinfo = st.fixed_dictionaries(dict(sid=u16, ssn=u16, flags=u16, ppid=u32, tsn=u32, cumtsn=u32,
                                     context=u32, assoc_id=aid))
nxtinfo = st.fixed_dictionaries(dict(sid=u16, flags=u16, ppid=u32, length=u32, assoc_id=aid))


def pack_rcvinfo(r):
    return struct.pack("@HHHxxIIIIi", r["sid"], r["ssn"], r["flags"], wire(r["ppid"]), r["tsn"],
                       r["cumtsn"], r["context"], r["assoc_id"])


def pack_nxtinfo(x):
    return struct.pack("@HHIIi", x["sid"], x["flags"], wire(x["ppid"]), x["length"], x["assoc_id"])


def pack_sndrcv(r):
    # struct sctp_sndrcvinfo: stream, ssn, flags, ppid, context, timetolive, tsn, cumtsn, assoc_id
    return struct.pack("@HHHxxIIIIIi", r["sid"], r["ssn"], r["flags"], wire(r["ppid"]), r["context"], 0,
                       r["tsn"], r["cumtsn"], r["assoc_id"])


def check_core_rcv(m, r):
    assert (m.stream, m.ssn, m.ppid, m.tsn, m.cumtsn, m.context, m.assoc_id) == (
        r["sid"], r["ssn"], r["ppid"], r["tsn"], r["cumtsn"], r["context"], r["assoc_id"])


def check_batch_rcv(d, r):
    assert (d["streams"], d["ssns"], d["rcv_flags"], d["ppids"], d["tsns"], d["cumtsns"], d["contexts"],
            d["assoc_ids"]) == (r["sid"], r["ssn"], r["flags"], r["ppid"], r["tsn"], r["cumtsn"], r["context"],
                                r["assoc_id"])
    assert d["info"] & 1


@SETTINGS
@given(rcvinfo, st.booleans())
def test_rcvinfo_decodes_exactly_in_both_parsers(r, with_foreign):
    buf = cmsg(SCTP_RCVINFO, pack_rcvinfo(r))
    if with_foreign:   # a control message of another level first: skipped, not misread
        buf = cmsg(SCTP_RCVINFO, b"\xff" * 28, level=socket.SOL_SOCKET) + buf
    check_core_rcv(_core._parse_control(buf), r)
    check_batch_rcv(_batch._parse_control(buf), r)


@SETTINGS
@given(rcvinfo, st.integers(0, 4), st.sampled_from([0, 8, 16]))
def test_one_rcvinfo_decodes_alike_whatever_room_its_buffer_leaves(r, longer, tail):
    # The parsers read a buffer of exactly one RCVINFO (what the kernel usually writes)
    # without walking it; a longer claimed length (up to the padding) or room after it
    # takes the walk, and both must say the same.
    buf = struct.pack("@Nii", HDR + 28 + longer, socket.IPPROTO_SCTP, SCTP_RCVINFO) + pack_rcvinfo(r)
    buf += b"\0" * (4 + tail)
    check_core_rcv(_core._parse_control(buf), r)
    check_batch_rcv(_batch._parse_control(buf), r)


@pytest.mark.parametrize("level, ctype", [(socket.SOL_SOCKET, SCTP_RCVINFO), (socket.IPPROTO_SCTP, 2),
                                          (socket.IPPROTO_SCTP, SCTP_NXTINFO)])
def test_a_buffer_of_one_rcvinfo_sized_message_of_another_kind_is_not_read_as_rcvinfo(level, ctype):
    buf = cmsg(ctype, b"\x07" * 28, level=level)
    assert len(buf) == HDR + 32
    m = _core._parse_control(buf)
    assert (m.has_info, m.stream, m.ppid) == (False, 0, 0)
    assert _batch._parse_control(buf)["info"] & 1 == 0


@SETTINGS
@given(rcvinfo, nxtinfo)
def test_rcvinfo_with_nxtinfo(r, x):
    buf = cmsg(SCTP_RCVINFO, pack_rcvinfo(r)) + cmsg(SCTP_NXTINFO, pack_nxtinfo(x))
    m = _core._parse_control(buf)
    check_core_rcv(m, r)
    assert (m.nxt.stream, m.nxt.flags, m.nxt.ppid, m.nxt.length, m.nxt.assoc_id) == (
        x["sid"], x["flags"], x["ppid"], x["length"], x["assoc_id"])
    d = _batch._parse_control(buf)
    check_batch_rcv(d, r)
    assert (d["nxt_streams"], d["nxt_flags"], d["nxt_ppids"], d["nxt_lengths"], d["info"]) == (
        x["sid"], x["flags"], x["ppid"], x["length"], 3)


@SETTINGS
@given(rcvinfo, rcvinfo, st.booleans())
def test_legacy_sndrcv_is_used_only_without_rcvinfo(legacy, r, rcv_first):
    alone = cmsg(SCTP_SNDRCV, pack_sndrcv(legacy))
    check_core_rcv(_core._parse_control(alone), legacy)
    check_batch_rcv(_batch._parse_control(alone), legacy)
    parts = [cmsg(SCTP_RCVINFO, pack_rcvinfo(r)), alone]
    both = b"".join(parts if rcv_first else parts[::-1])
    check_core_rcv(_core._parse_control(both), r)
    check_batch_rcv(_batch._parse_control(both), r)


@SETTINGS
@given(rcvinfo, st.data())
def test_a_truncated_buffer_is_never_half_decoded(r, data):
    full = cmsg(SCTP_RCVINFO, pack_rcvinfo(r))
    cut = data.draw(st.integers(0, len(full) - 1 - (len(full) - HDR - 28)))   # shorter than header + RCVINFO
    m = _core._parse_control(full[:cut])
    assert (m.stream, m.ppid, m.assoc_id, m.tsn) == (0, 0, 0, 0)
    d = _batch._parse_control(full[:cut])
    assert d["info"] == 0 and (d["streams"], d["ppids"], d["assoc_ids"]) == (0, 0, 0)


@SETTINGS
@given(rcvinfo, st.integers(HDR + 29, 1 << 20))
def test_a_header_claiming_more_than_the_buffer_is_ignored(r, claimed):
    buf = struct.pack("@Nii", claimed, socket.IPPROTO_SCTP, SCTP_RCVINFO) + pack_rcvinfo(r)
    assert _core._parse_control(buf).stream == 0
    assert _batch._parse_control(buf)["info"] == 0


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=160), st.integers(-2**31, 2**31 - 1))
def test_random_control_bytes_never_raise(data, flags):
    _core._parse_control(data, flags)
    _batch._parse_control(data, flags, len(data))


@SETTINGS
@given(st.lists(st.sampled_from(["rcv", "nxt", "sndrcv", "foreign"]), max_size=6), rcvinfo, nxtinfo,
       st.integers(0, 40), st.binary(min_size=1, max_size=4))
def test_mutated_valid_buffers_never_raise(kinds, r, x, pos, junk):
    make = {"rcv": lambda: cmsg(SCTP_RCVINFO, pack_rcvinfo(r)), "nxt": lambda: cmsg(SCTP_NXTINFO, pack_nxtinfo(x)),
            "sndrcv": lambda: cmsg(SCTP_SNDRCV, pack_sndrcv(r)),
            "foreign": lambda: cmsg(7, b"\x01" * 12, level=socket.SOL_SOCKET)}
    buf = bytearray(b"".join(make[k]() for k in kinds))
    buf[pos:pos + len(junk)] = junk
    _core._parse_control(bytes(buf))
    _batch._parse_control(bytes(buf), 0, len(buf))
