"""What csctp's requests put on the wire, decoded by tshark.

One module-wide setup: the two-network topology (tests/netns.py) with
AUTH, ASCONF, PR-SCTP, RE-CONFIG, I-DATA and SCTP over UDP allowed by the
namespaces' sysctls, and one ``tshark`` capture on the client's end of net A
(``dumpcap``, tshark's capture engine, with the capture filter
``sctp or udp port 9899``).  Each feature runs once, on its
own SCTP port, while the capture runs; the capture is then stopped and
decoded once (``tshark -r -T fields``).  Each test asserts that the chunks
of its port carry what csctp was asked for: stream, SSN/MID, PPID and the U
bit of DATA and I-DATA; FORWARD-TSN for abandoned PR-SCTP messages; AUTH with
the HMAC both sides asked for; RE-CONFIG requests for a stream reset and
added streams; ASCONF for bindx; SCTP inside UDP port 9899.
"""

import contextlib
import os
import select
import signal
import socket
import subprocess
import time

import pytest

import csctp
from csctp import constants as C
from csctp import options as O
from tests.figures import record

# long: the features themselves take ~10 s in the VM, but the first tshark of a boot loads libwireshark and
# every dissector, 50-130 s under emulation (measured: decode 5 s after a tshark capture had loaded it, 128 s
# as the first tshark run); shared by every test here, so the whole module goes to `make test-long`
pytestmark = [pytest.mark.netns, pytest.mark.long]

UDP_PORT = 9899
PORTS = {"data": 3001, "idata": 3002, "forward_tsn": 3003, "auth": 3004, "reconfig": 3005, "asconf": 3006,
         "udp": 3007}
# chunk types (RFC 9260, 8260, 3758, 4895, 6525, 5061)
DATA, IDATA, AUTH, RECONFIG, ASCONF_ACK, FORWARD_TSN, ASCONF = 0, 64, 15, 130, 128, 192, 193
# RE-CONFIG / ASCONF parameter types
OUT_SSN_RESET_REQ, RECONFIG_RESPONSE, ADD_OUT_STREAMS = 13, 16, 17
ADD_IP, DEL_IP = 0xC001, 0xC002
FIELDS = ["frame.number", "ip.proto", "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport",
          "sctp.chunk_type", "sctp.data_sid", "sctp.data_ssn", "sctp.data_mid", "sctp.data_payload_proto_id",
          "sctp.data_u_bit", "sctp.forward_tsn_sid", "sctp.hmac_id", "sctp.parameter_type",
          "sctp.parameter_reconfig_sid", "sctp.parameter_add_outgoing_streams_number",
          "sctp.parameter_reconfig_response_result", "sctp.parameter_ipv4_address"]


def _ints(values):
    return [int(v, 0) for v in values if v != ""]


class Packet(dict):
    """One captured frame: field name -> list of its values (strings, as tshark printed them)."""

    def ints(self, field):
        return _ints(self.get(field, []))

    def chunks(self):
        return self.ints("sctp.chunk_type")


def _decode(pcap):
    p = subprocess.run(["tshark", "-r", pcap, "-n", "-d", f"udp.port=={UDP_PORT},sctp",
                        "-o", "sctp.tsn_analysis:FALSE", "-T", "fields", "-E", "occurrence=a",
                        "-E", "aggregator=,", *[a for f in FIELDS for a in ("-e", f)]],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
    assert p.returncode == 0, f"tshark -r: {p.stderr.strip()}"
    out = []
    for line in p.stdout.splitlines():
        cols = line.split("\t")
        out.append(Packet((f, c.split(",") if c else []) for f, c in zip(FIELDS, cols)))
    return out


class Capture:
    """``dumpcap -i <dev>`` (tshark's capture engine) inside a namespace, writing a pcapng file.

    dumpcap rather than ``tshark -i``: tshark loads every dissector before it
    starts dumpcap, which under emulation took most of a minute.  Bounded by
    ``-a duration``; :meth:`stop` ends it early.  "File:" on stderr means
    the device is open, but the first frames could still be missed, so a
    canary (UDP to the discard port, admitted by the capture filter) is sent
    until the file grows.
    """

    def __init__(self, ns, dev, path, capture_filter, canary_to, limit_s=600):
        self.path = path
        self.proc = ns.popen(["dumpcap", "-i", dev, "-f", f"({capture_filter}) or udp port 9", "-w", path,
                              "-q", "-a", f"duration:{limit_s}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = b""
        deadline = time.monotonic() + 120
        while b"File:" not in seen:
            left = deadline - time.monotonic()
            assert left > 0 and self.proc.poll() is None, f"dumpcap did not start capturing: {seen!r}"
            if select.select([self.proc.stderr], [], [], left)[0]:
                chunk = os.read(self.proc.stderr.fileno(), 4096)
                assert chunk or self.proc.poll() is None, f"dumpcap exited: {seen!r}"
                seen += chunk
        with ns.entered():
            canary = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            start = os.path.getsize(path) if os.path.exists(path) else 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                canary.sendto(b"canary", (canary_to, 9))
                time.sleep(0.3)
                if os.path.exists(path) and os.path.getsize(path) > start:
                    break
            self.canary_s = round(30 - (deadline - time.monotonic()), 1)
        finally:
            canary.close()

    def stop(self):
        time.sleep(0.5)                            # the last frames reach the ring before we stop
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stderr.close()


def _wait_event(assoc, kind, timeout=20, pred=lambda e: True):
    """The first queued notification of *kind* matching *pred* (poll_events reads what is ready)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        for ev in assoc.poll_events():
            if isinstance(ev, kind) and pred(ev):
                return ev
            seen.append(ev)
        time.sleep(0.05)
    raise AssertionError(f"no {kind.__name__} within {timeout} s; saw {seen}")


@contextlib.contextmanager
def _pair(topo, name, client_setup=None, server_setup=None, **listen_kw):
    """(client, server) associations on net A, port PORTS[name]; optional socket options before connect."""
    port = PORTS[name]
    a_srv, a_cli = topo.addr("server", "a"), topo.addr("client", "a")
    with topo.server.entered():
        lst = csctp.listen((a_srv, port), **listen_kw)
    lst.settimeout(20)
    cli = srv = None
    try:
        if server_setup is not None:
            server_setup(lst.socket)
        with topo.client.entered():
            sock = csctp.Socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if client_setup is not None:
                client_setup(sock)
            sock.bind((a_cli, 0))
            sock.settimeout(20)
            sock.connectx([(a_srv, port)])
        except BaseException:
            sock.close()
            raise
        cli = csctp.Association(sock)
        srv = lst.accept()
        srv.settimeout(20)
        yield cli, srv
    finally:
        for a in (cli, srv, lst):
            if a is not None:
                a.close()


# ---- the features, run once under one capture ----------------------------------------------------

def _send_and_receive(cli, srv, sends):
    for data, sid, ppid, unordered in sends:
        cli.send(data, stream=sid, ppid=ppid, unordered=unordered)
    got = sorted((bytes(m.data), m.stream, m.ppid, m.unordered) for m in (srv.recv() for _ in sends))
    assert got == sorted(sends)


def _data(topo):
    sends = [(b"one", 1, 46, False), (b"two", 1, 46, False), (b"three", 2, 1234567, False),
             (b"loose", 3, 60, True)]
    with _pair(topo, "data") as (cli, srv):
        _send_and_receive(cli, srv, sends)
    return {}


def _idata(topo):
    def interleave(s):
        O.set_fragment_interleave(s, 2)          # the kernel refuses I-DATA without full interleave
        O.set_interleaving_supported(s, True)

    with _pair(topo, "idata", interleave, interleave) as (cli, srv):
        negotiated = (O.get_interleaving_supported(cli.socket), O.get_interleaving_supported(srv.socket))
        _send_and_receive(cli, srv, [(b"i0", 1, 7, False), (b"i1", 1, 7, False), (b"j0", 2, 8, False)])
    return {"negotiated": negotiated}


def _forward_tsn(topo):
    def fast(s):
        O.set_rtoinfo(s, initial=200, min=100, max=1000)

    with _pair(topo, "forward_tsn", fast) as (cli, srv):
        _send_and_receive(cli, srv, [(b"before", 5, 9, False)])
        topo.netem("a", "loss 100%")             # the client's sends on net A vanish
        try:
            for i in range(3):
                cli.send(b"doomed %d" % i, stream=5, ppid=9, ttl=100)
            time.sleep(0.5)                      # past the TTL: the retransmission abandons them
        finally:
            topo.clear_netem("a")
        cli.send(b"after", stream=5, ppid=10)
        m = srv.recv()                           # in order on stream 5: only after the FORWARD-TSN skipped
        got = (bytes(m.data), m.stream, m.ppid)
    return {"first_after_loss": got}


def _auth(topo):
    hmacs = [C.SCTP_AUTH_HMAC_ID_SHA256, C.SCTP_AUTH_HMAC_ID_SHA1]

    def client(s):
        O.set_hmac_ident(s, hmacs)

    def server(s):
        O.set_hmac_ident(s, hmacs)
        O.add_auth_chunk(s, DATA)                # the server accepts DATA only authenticated

    with _pair(topo, "auth", client, server) as (cli, srv):
        peer_chunks = O.get_peer_auth_chunks(cli.socket)
        _send_and_receive(cli, srv, [(b"signed", 0, 3, False), (b"sealed", 1, 3, False)])
    return {"peer_auth_chunks": peer_chunks}


def _reconfig(topo):
    def allow(s):
        # both sides: the requester may send these requests, the peer performs them (else "denied")
        O.set_enable_stream_reset(s, C.SCTP_ENABLE_RESET_STREAM_REQ | C.SCTP_ENABLE_CHANGE_ASSOC_REQ)

    with _pair(topo, "reconfig", allow, allow) as (cli, srv):
        _send_and_receive(cli, srv, [(b"on two", 2, 1, False)])
        cli.subscribe("stream_reset", "stream_change")
        before = cli.status.outstreams
        O.reset_streams(cli.socket, [2], outgoing=True)
        reset = _wait_event(cli, csctp.StreamReset)
        O.add_streams(cli.socket, outstreams=2)
        change = _wait_event(cli, csctp.StreamChange)
        after = cli.status.outstreams
        _send_and_receive(cli, srv, [(b"on a new stream", after - 1, 1, False)])
    return {"outstreams": (before, after), "events": (reset, change)}


def _asconf(topo):
    b_cli = topo.addr("client", "b")
    with _pair(topo, "asconf") as (cli, srv):
        srv.subscribe("peer_addr_change")
        port = cli.local_addresses[0][1]
        cli.socket.bindx([(b_cli, port)], C.SCTP_BINDX_ADD_ADDR)
        _wait_event(srv, csctp.PeerAddrChange, pred=lambda e: e.addr and e.addr[0] == b_cli
                    and e.state == csctp.PeerAddrChangeState.ADDR_ADDED)
        added = sorted(a[0] for a in srv.peer_addresses)
        cli.socket.bindx([(b_cli, port)], C.SCTP_BINDX_REM_ADDR)
        _wait_event(srv, csctp.PeerAddrChange, pred=lambda e: e.addr and e.addr[0] == b_cli
                    and e.state == csctp.PeerAddrChangeState.ADDR_REMOVED)
        removed = sorted(a[0] for a in srv.peer_addresses)
    return {"peer_addresses": (added, removed)}


def _udp_connect(topo):
    a_srv, a_cli = topo.addr("server", "a"), topo.addr("client", "a")
    port = PORTS["udp"]
    with topo.server.entered():
        lst = csctp.listen((a_srv, port))
    lst.settimeout(20)
    cli = srv = None
    try:
        with topo.client.entered():
            cli = csctp.connect((a_srv, port), local=(a_cli, 0), udp_encaps_port=UDP_PORT, timeout=20)
        srv = lst.accept()
        srv.settimeout(20)
        _send_and_receive(cli, srv, [(b"wrapped", 4, 77, False), (b"twice", 4, 77, False)])
    finally:
        for a in (cli, srv, lst):
            if a is not None:
                a.close()
    return {}


FEATURES = {"data": _data, "idata": _idata, "forward_tsn": _forward_tsn, "auth": _auth, "reconfig": _reconfig,
            "asconf": _asconf, "udp": _udp_connect}


def _selected_features(session):
    """The features whose tests this session runs (each test names it with @feature)."""
    names = set()
    for item in session.items:
        if item.module.__name__ == __name__ and hasattr(item, "function"):
            names.add(item.function.feature)
    return names


def feature(name):
    def mark(fn):
        fn.feature = name
        return fn
    return mark


@pytest.fixture(scope="module")
def wire(request, tmp_path_factory):
    """Run the selected tests' features once under one capture: ({name: facts or exception}, [Packet])."""
    wanted = _selected_features(request.session)
    from tests import netns
    why = netns.root_problem()
    if why:
        pytest.fail(f"test_wire: {why}")
    topo = netns.TwoNetworks()
    try:
        for ns in (topo.client, topo.server):
            for key, value in (("net.sctp.reconf_enable", 1), ("net.sctp.intl_enable", 1),
                               ("net.sctp.udp_port", UDP_PORT), ("net.sctp.encap_port", 0)):
                ns.sysctl(key, value)
        pcap = str(tmp_path_factory.mktemp("wire") / "neta.pcapng")
        results, took = {}, {}
        t_start = time.monotonic()
        cap = Capture(topo.client, "neta", pcap, f"sctp or udp port {UDP_PORT}", topo.addr("server", "a"))
        took["dumpcap start"] = round(time.monotonic() - t_start, 1)
        took["of which canary"] = cap.canary_s
        try:
            for name, run in FEATURES.items():
                if name not in wanted:
                    continue
                t0 = time.monotonic()
                try:
                    results[name] = run(topo)
                except Exception as e:          # reported by that feature's test
                    results[name] = e
                took[name] = round(time.monotonic() - t0, 1)
        finally:
            cap.stop()
        t0 = time.monotonic()
        packets = _decode(pcap)
        took["tshark decode"] = round(time.monotonic() - t0, 1)
        record("wire: seconds per step of the capture run", frames=len(packets), **took)
    finally:
        topo.teardown()
    yield results, packets


def _of(wire, name):
    results, packets = wire
    facts = results[name]
    if isinstance(facts, Exception):
        raise AssertionError(f"{name}: the exchange failed: {facts!r}") from facts
    port = PORTS[name]
    mine = [p for p in packets if port in p.ints("sctp.srcport") + p.ints("sctp.dstport")]
    assert mine, f"{name}: nothing on SCTP port {port} in the capture"
    return facts, mine


def _data_chunks(packets):
    """(sid, ssn, ppid, u) of every DATA chunk, from packets carrying only DATA (plus SACK/AUTH around it)."""
    out = set()
    for p in packets:
        n = p.chunks().count(DATA)
        sids, ssns, ppids, us = (p.ints(f) for f in ("sctp.data_sid", "sctp.data_ssn",
                                                      "sctp.data_payload_proto_id", "sctp.data_u_bit"))
        assert len(sids) == len(ssns) == len(ppids) == len(us) == n, p
        out.update(zip(sids, ssns, ppids, us))
    return out


@feature("data")
def test_data_chunks_carry_the_stream_ssn_ppid_and_u_bit_asked_for(wire):
    _, pkts = _of(wire, "data")
    chunks = _data_chunks([p for p in pkts if DATA in p.chunks()])
    ordered = {c for c in chunks if c[3] == 0}
    assert ordered == {(1, 0, 46, 0), (1, 1, 46, 0), (2, 0, 1234567, 0)}
    assert {(sid, ppid, u) for sid, _, ppid, u in chunks if u} == {(3, 60, 1)}


@feature("idata")
def test_interleaving_puts_i_data_with_message_ids_on_the_wire(wire):
    facts, pkts = _of(wire, "idata")
    assert facts["negotiated"] == (True, True)
    types = {t for p in pkts for t in p.chunks()}
    assert IDATA in types and DATA not in types, types
    idata = set()
    for p in pkts:
        if IDATA in p.chunks():
            idata.update(zip(p.ints("sctp.data_sid"), p.ints("sctp.data_mid"),
                             p.ints("sctp.data_payload_proto_id")))
    assert idata == {(1, 0, 7), (1, 1, 7), (2, 0, 8)}


@feature("forward_tsn")
def test_expired_pr_sctp_messages_are_skipped_with_forward_tsn(wire):
    facts, pkts = _of(wire, "forward_tsn")
    assert facts["first_after_loss"] == (b"after", 5, 10)
    fwd = [p for p in pkts if FORWARD_TSN in p.chunks()]
    assert fwd, "no FORWARD-TSN chunk"
    assert 5 in {sid for p in fwd for sid in p.ints("sctp.forward_tsn_sid")}


@feature("auth")
def test_auth_chunks_use_the_hmac_both_sides_listed_first(wire):
    facts, pkts = _of(wire, "auth")
    assert DATA in facts["peer_auth_chunks"]
    with_data = [p for p in pkts if DATA in p.chunks()]
    assert with_data
    for p in with_data:
        ch = p.chunks()
        assert AUTH in ch and ch.index(AUTH) < ch.index(DATA), f"DATA without AUTH before it: {ch}"
        assert set(p.ints("sctp.hmac_id")) == {C.SCTP_AUTH_HMAC_ID_SHA256}


@feature("reconfig")
def test_stream_reset_and_add_streams_are_re_config_requests(wire):
    facts, pkts = _of(wire, "reconfig")
    before, after = facts["outstreams"]
    assert after == before + 2, facts["events"]
    rc = [p for p in pkts if RECONFIG in p.chunks()]
    params = {t for p in rc for t in p.ints("sctp.parameter_type")}
    assert {OUT_SSN_RESET_REQ, ADD_OUT_STREAMS, RECONFIG_RESPONSE} <= params, params
    assert 2 in {s for p in rc for s in p.ints("sctp.parameter_reconfig_sid")}
    assert 2 in {n for p in rc for n in p.ints("sctp.parameter_add_outgoing_streams_number")}
    assert set(n for p in rc for n in p.ints("sctp.parameter_reconfig_response_result")) == {1}   # performed


@feature("asconf")
def test_bindx_add_and_remove_are_asconf_chunks(wire):
    facts, pkts = _of(wire, "asconf")
    b_cli = "198.51.100.1"
    added, removed = facts["peer_addresses"]
    assert b_cli in added and b_cli not in removed
    asconf = [p for p in pkts if ASCONF in p.chunks()]
    params = {t for p in asconf for t in p.ints("sctp.parameter_type")}
    assert {ADD_IP, DEL_IP} <= params, params
    assert b_cli in {a for p in asconf for a in p.get("sctp.parameter_ipv4_address", [])}
    assert any(ASCONF_ACK in p.chunks() for p in pkts)


@feature("udp")
def test_udp_encapsulation_wraps_every_packet_in_udp_9899(wire):
    _, pkts = _of(wire, "udp")
    assert all(p.ints("ip.proto") == [socket.IPPROTO_UDP] for p in pkts), [p.ints("ip.proto") for p in pkts]
    assert all(UDP_PORT in p.ints("udp.srcport") + p.ints("udp.dstport") for p in pkts)
    assert {(4, 77)} == {(s, pp) for p in pkts if DATA in p.chunks()
                         for s, pp in zip(p.ints("sctp.data_sid"), p.ints("sctp.data_payload_proto_id"))}
