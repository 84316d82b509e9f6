"""Every program in examples/ runs here, against the real kernel, as a subprocess."""

import os
import re
import subprocess
import sys

import pytest

import csctp

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")


def example(name):
    return [sys.executable, os.path.join(EXAMPLES, name)]


def run(name, *args, timeout=120):
    r = subprocess.run(example(name) + list(args), capture_output=True, timeout=timeout)
    assert r.returncode == 0, f"{name} failed:\n{r.stdout.decode()}\n{r.stderr.decode()}"
    return r.stdout.decode()


def start(name, *args):
    """Start a server example and read the port from its first line."""
    p = subprocess.Popen(example(name) + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    m = re.search(r":(\d+)\s*$", line.split(",")[0])
    assert m, f"{name} printed {line!r}; stderr: {p.stderr.read().decode() if p.poll() is not None else ''}"
    return p, int(m.group(1))


def finish(p):
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, out.decode(), err.decode()


def test_every_example_is_covered_here():
    names = {f for f in os.listdir(EXAMPLES) if f.endswith(".py")}
    assert names == {"demo.py", "echo_server.py", "multistream_client.py", "gateway.py",
                     "multihomed_client.py", "diameter_aio.py", "batch_echo.py", "worker_processes.py"}


def test_demo():
    out = run("demo.py", "--messages", "200")
    assert "MISMATCH" not in out


def test_echo_server_and_multistream_client():
    srv, port = start("echo_server.py", "127.0.0.1:0", "--associations", "1")
    try:
        out = run("multistream_client.py", f"127.0.0.1:{port}", "--streams", "5", "--messages", "25")
    finally:
        rc, _, err = finish(srv)
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 5 and all(ln.endswith("5 echoed in order: True") for ln in lines)
    assert "stream 0: ppid 46" in lines[0] and "stream 2: ppid 18" in lines[2]


def test_multihomed_client_moves_the_primary_and_still_gets_its_echo():
    srv, port = start("echo_server.py", "127.0.0.1/127.0.0.2:0", "--associations", "1")
    try:
        out = run("multihomed_client.py", f"127.0.0.1/127.0.0.2:{port}", "--local", "127.0.0.3/127.0.0.4:0")
    finally:
        rc, _, err = finish(srv)
    assert rc == 0, err
    assert "127.0.0.3" in out and "127.0.0.4" in out
    assert re.search(r"primary now: +\('127\.0\.0\.2', %d" % port, out)
    paths = [ln for ln in out.splitlines() if ln.startswith("path ")]        # assoc.paths(): one per peer address
    assert len(paths) == 2
    assert sum(ln.endswith("(primary)") for ln in paths) == 1
    assert re.match(r"path 127\.0\.0\.2:%d [A-Z]+ srtt \d+ ms rto \d+ ms cwnd \d+ mtu \d+ \(primary\)$" % port,
                    next(ln for ln in paths if ln.endswith("(primary)")))
    assert "echo: over the new primary ppid 46" in out


def test_gateway_answers_by_association_and_peels_one_off():
    gw, port = start("gateway.py", "127.0.0.1:0", "--messages", "4")
    try:
        a = csctp.connect(f"127.0.0.1:{port}", timeout=30)
        b = csctp.connect(f"127.0.0.1:{port}", timeout=30)
        a.send(b"hello from a", stream=1, ppid=46)
        b.send(b"hello from b", stream=2, ppid=46)
        assert (a.recv().data, b.recv().data) == (b"ack: hello from a", b"ack: hello from b")
        b.send(b"PEEL")
        assert b.recv().data == b"peeled"
        a.send(b"again")
        assert a.recv().data == b"ack: again"      # the 4th message: the gateway loop ends after it
        b.send(b"secret", stream=3)
        m = b.recv()
        assert (m.data, m.stream) == (b"private: secret", 3)
        b.shutdown()
        a.close()
        b.close()
    finally:
        rc, out, err = finish(gw)
    assert rc == 0, err
    assert "peeled off" in out and re.search(r"association \d+: state COMM_UP", out)   # COMM_UP events


def test_batch_echo():
    out = run("batch_echo.py", "--messages", "500", "--streams", "3", "--batch", "32")
    lines = out.splitlines()
    assert lines[:3] == [f"stream {sid}: {n} of {n} echoed in order: True" for sid, n in ((0, 167), (1, 167), (2, 166))]
    calls = int(re.fullmatch(r"500 messages there and back in (\d+) system calls", lines[3]).group(1))
    assert calls < 500            # batching: far fewer system calls than messages each way


def test_diameter_over_asyncio():
    out = run("diameter_aio.py", "--clients", "3", "--requests", "4")
    lines = out.splitlines()
    assert len(lines) == 3 * 5
    assert sum("CEA" in ln for ln in lines) == 3 and sum("DWA" in ln for ln in lines) == 12
    assert all("on stream 1" in ln for ln in lines if "DWA" in ln)


@pytest.mark.parametrize("mode", ["processes", "threads"])
def test_worker_processes_hands_associations_round_robin_with_streams_and_ppids_intact(mode):
    out = run("worker_processes.py", "--mode", mode, "--workers", "2", "--clients", "4", "--messages", "5")
    lines = out.splitlines()
    assert lines[0].startswith("gateway on 127.0.0.1:") and lines[0].endswith(f"2 worker {mode}")
    clients = [ln for ln in lines if ln.startswith("client ")]
    assert len(clients) == 4 and all(ln.endswith("streams and PPIDs intact: True") for ln in clients)
    # one association each, handed round robin: each client was served by one worker, two workers in all
    servers = {re.search(r"echoed by (.+);", ln).group(1) for ln in clients}
    assert len(servers) == 2 and not any("," in s for s in servers)
    reports = [ln for ln in lines if ln.endswith("message(s)")]
    assert sorted(reports) == sorted(f"{s} served 2 association(s), 10 message(s)" for s in servers)
    if mode == "processes":
        assert all(s.startswith("worker pid ") for s in servers)


@pytest.mark.nokernel
def test_mypy_strict_passes_on_the_examples():
    mypy = pytest.importorskip("mypy.api")
    root = os.path.dirname(HERE)
    out, err, rc = mypy.run(["--strict", "--no-incremental", "--cache-dir", os.devnull,
                             os.path.join(root, "examples")])
    assert rc == 0, out + err
