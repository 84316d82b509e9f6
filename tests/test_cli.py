"""The csctp command line, run as subprocesses (inside the test VM they see kernel SCTP too)."""

import json
import os
import re
import subprocess
import sys
import time

import pytest

import csctp
from csctp import cli

CLI = [sys.executable, "-m", "csctp"]
COMMANDS = ["check", "connect", "listen", "echo", "perf"]


def free_port():
    s = csctp.Socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(*args, stdin=subprocess.DEVNULL):
    """Start a CLI server and read the port it printed on stderr."""
    p = subprocess.Popen(CLI + list(args), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stderr.readline().decode()
    m = re.search(r":(\d+)\s*$", line)
    assert m, f"no port in {line!r}"
    return p, int(m.group(1))


def stop(p):
    if p.poll() is None:
        p.terminate()
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return out, err


@pytest.mark.nokernel
@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help_with_a_description(cmd):
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    description = sub.choices[cmd].description
    assert description and len(description) > 40
    r = subprocess.run(CLI + [cmd, "--help"], capture_output=True, timeout=60)
    assert r.returncode == 0
    out = " ".join(r.stdout.decode().split())
    assert f"usage: csctp {cmd}" in out and " ".join(description.split()) in out


@pytest.mark.nokernel
@pytest.mark.parametrize("argv", [["-m", "csctp"], ["-m", "csctp", "--help"], ["-m", "csctp.cli", "--help"]])
def test_python_m_prints_the_help(argv):
    r = subprocess.run([sys.executable] + argv, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("usage: csctp") and all(cmd in out for cmd in COMMANDS)


@pytest.mark.nokernel
def test_the_console_script_is_installed_next_to_the_interpreter():
    # make build puts it into the venv, pip into the wheel's: the README's `csctp check` works as written
    script = os.path.join(os.path.dirname(sys.executable), "csctp")
    assert os.access(script, os.X_OK), f"no csctp console script at {script} (make build installs it)"
    r = subprocess.run([script, "--version"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == f"csctp {csctp.__version__}\n"


@pytest.mark.nokernel
@pytest.mark.parametrize("data, keep, lines, rest", [
    (b"a\nb\r\n\nc", True, [b"a\n", b"b\r\n", b"\n"], b"c"),
    (b"a\nb\r\n\nc", False, [b"a", b"b", b""], b"c"),
    (b"no end", True, [], b"no end"),
    (b"x\r", False, [], b"x\r"),          # a \r\n cut between two reads stays whole
])
def test_stdin_lines_keep_their_ends_only_in_raw_mode(data, keep, lines, rest):
    assert cli._split_lines(data, keep_ends=keep) == (lines, rest)


@pytest.mark.nokernel
@pytest.mark.parametrize("args, message", [
    (["connect", "127.0.0.1:notaport"], "bad port"),
    (["connect"], "required"),
    (["perf", "sideways", "127.0.0.1:1"], "invalid choice"),
    (["perf", "client", "127.0.0.1:1", "--size", "1"], "--size"),
    (["connect", "127.0.0.1:1", "--timeout", "-1"], "timeout"),
    (["nosuchcommand"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_a_clear_message(args, message):
    r = subprocess.run(CLI + args, capture_output=True, timeout=60)
    assert r.returncode == 2
    assert message in r.stderr.decode()


def test_connect_to_an_unreachable_peer_exits_1_naming_it():
    port = free_port()
    r = subprocess.run(CLI + ["connect", f"127.0.0.1:{port}"], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert f"cannot connect to 127.0.0.1:{port}" in err and "refused" in err.lower()


def test_perf_client_against_nobody_exits_1():
    port = free_port()
    r = subprocess.run(CLI + ["perf", "client", f"127.0.0.1:{port}", "--duration", "1"],
                       capture_output=True, timeout=60)
    assert r.returncode == 1 and "cannot connect" in r.stderr.decode()


def test_connect_sends_stdin_lines_to_listen_which_prints_them_with_metadata():
    lst, port = start("listen", "127.0.0.1:0")
    try:
        r = subprocess.run(CLI + ["connect", f"127.0.0.1:{port}", "--stream", "3", "--ppid", "46",
                                  "--idle-timeout", "0.5"],
                           input=b"hello\nworld\n", capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out, err = lst.communicate(timeout=60)      # listen exits when the peer shuts down
    finally:
        stop(lst)
    assert lst.returncode == 0, err
    lines = out.decode().splitlines()
    assert len(lines) == 2
    assert re.match(r"\[assoc \d+ stream 3 ppid 46 ssn 0 5 B\] hello", lines[0])
    assert re.match(r"\[assoc \d+ stream 3 ppid 46 ssn 1 5 B\] world", lines[1])


def test_echo_server_answers_connect_on_the_same_stream_and_ppid():
    echo, port = start("echo", "127.0.0.1:0")
    try:
        r = subprocess.run(CLI + ["connect", f"127.0.0.1:{port}", "--stream", "2", "--ppid", "0x12345678",
                                  "--expect", "3"],
                           input=b"a\r\nbb\nccc\n", capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.decode().splitlines()
        assert [ln.rsplit("] ", 1)[1] for ln in lines] == ["a", "bb", "ccc"]
        assert all(f"stream 2 ppid {0x12345678}" in ln for ln in lines)
        # --raw: every line goes with its end and comes back byte for byte
        sent = b"raw bytes\nwindows\r\n\nno end"
        r = subprocess.run(CLI + ["connect", f"127.0.0.1:{port}", "--raw", "--expect", "4"],
                           input=sent, capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert r.stdout == sent
    finally:
        stop(echo)


def test_raw_listen_prints_what_raw_connect_read_exactly():
    lst, port = start("listen", "127.0.0.1:0", "--raw")
    sent = b"one\r\ntwo\n\r\n\nthree\r\n"
    try:
        r = subprocess.run(CLI + ["connect", f"127.0.0.1:{port}", "--raw", "--idle-timeout", "0.5"],
                           input=sent, capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out, err = lst.communicate(timeout=60)      # listen exits when the peer shuts down
    finally:
        stop(lst)
    assert lst.returncode == 0, err
    assert out == sent


def test_perf_client_and_server_report_json_with_nothing_lost():
    srv, port = start("perf", "server", "127.0.0.1:0", "--once", "1")
    try:
        r = subprocess.run(CLI + ["perf", "client", f"127.0.0.1:{port}", "--duration", "1", "--size", "64",
                                  "--streams", "3", "--associations", "2", "--rtt-count", "50", "--json"],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        res = json.loads(r.stdout)
        srv.communicate(timeout=60)                 # --once 1: one client run (of two associations), then exit
        assert srv.returncode == 0
    finally:
        stop(srv)
    assert res["sent_messages"] > 0
    assert res["received_messages"] == res["sent_messages"] and res["lost_messages"] == 0
    assert res["received_bytes"] == 64 * res["sent_messages"]
    assert res["rtt_us"]["count"] == 50
    assert 0 < res["rtt_us"]["min"] <= res["rtt_us"]["p50"] <= res["rtt_us"]["p99"] <= res["rtt_us"]["max"]
    assert (res["size"], res["streams"], res["associations"]) == (64, 3, 2)


def test_perf_server_once_counts_client_runs_not_associations():
    srv, port = start("perf", "server", "127.0.0.1:0", "--once", "2")
    try:
        def client(associations):
            r = subprocess.run(CLI + ["perf", "client", f"127.0.0.1:{port}", "--duration", "0.3", "--rtt-count", "5",
                                      "--associations", str(associations), "--json"],
                               capture_output=True, timeout=120)
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["associations"] == associations

        client(3)                                   # three reports, one run
        time.sleep(0.5)
        assert srv.poll() is None, "perf server --once 2 exited after one client run"
        client(1)                                   # the second run
        srv.communicate(timeout=60)
        assert srv.returncode == 0
    finally:
        stop(srv)


@pytest.mark.nokernel
def test_perf_server_once_must_be_positive():
    r = subprocess.run(CLI + ["perf", "server", "127.0.0.1:0", "--once", "0"], capture_output=True, timeout=60)
    assert r.returncode == 2 and "--once" in r.stderr.decode()


def test_perf_shows_a_progress_bar_on_a_terminal_and_text_otherwise():
    srv, port = start("perf", "server", "127.0.0.1:0", "--once", "1")
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(CLI + ["perf", "client", f"127.0.0.1:{port}", "--duration", "1", "--rtt-count", "10"],
                             stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        tty_output = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 4096)
            except OSError:                          # EIO: the child closed the terminal
                break
            if not chunk:
                break
            tty_output += chunk
        out, _ = p.communicate(timeout=60)
    finally:
        os.close(master)
        stop(srv)
    assert p.returncode == 0
    assert b"[" in tty_output and b"msg/s" in tty_output and b"\r" in tty_output
    text = out.decode()
    assert "throughput:" in text and "0 lost" in text and "RTT over 10 pings" in text


@pytest.mark.nokernel
def test_check_udp_lines_show_the_sysctls_or_absent_and_how_to_enable(tmp_path):
    (tmp_path / "udp_port").write_text("9899\n")
    lines = cli.udp_encapsulation_lines(str(tmp_path))
    assert len(lines) == 3
    assert re.match(r"\s+net\.sctp\.udp_port\s+= 9899\s", lines[0])
    assert re.match(r"\s+net\.sctp\.encap_port\s+= absent\s", lines[1])
    assert "sysctl -w net.sctp.udp_port=9899 net.sctp.encap_port=9899" in lines[2]


def test_check_prints_the_udp_encapsulation_sysctls():
    r = subprocess.run(CLI + ["check"], capture_output=True, timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, out
    with open("/proc/sys/net/sctp/encap_port") as f:
        encap = f.read().strip()
    assert re.search(rf"net\.sctp\.encap_port\s+= {encap}\s", out), out
    assert re.search(r"net\.sctp\.udp_port\s+= \d+\s", out), out
    assert "sysctl -w net.sctp.udp_port=9899 net.sctp.encap_port=9899" in out
