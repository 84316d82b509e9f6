"""csctp.testing (the real-kernel harness) and `csctp check`.

The VM path itself cannot be exercised from inside the VM the suite runs in;
it is checked by every `make test` run on a machine without SCTP (the first
line of output names the path) and by its exit status reaching CI.  That no
VM outlives a stopped harness is checked twice: with a shell standing in for
vng (anywhere), and with a real vng and QEMU on a host that boots VMs
(`pytest -m nokernel tests/test_testing.py` there).
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from csctp import testing


def test_this_kernel_has_sctp_when_the_suite_runs():
    # conftest stops the session otherwise; this states the invariant explicitly
    assert testing.kernel_has_sctp(try_modprobe=False)


def test_native_path_is_chosen_when_the_kernel_has_sctp(monkeypatch):
    monkeypatch.setenv("CSCTP_TEST_PATH", "auto")
    assert testing.choose_path() == "native"


def test_exit_status_of_the_command_comes_back(capfd):
    rc = testing.run_native([sys.executable, "-c", "import sys; print('inner'); sys.exit(7)"])
    out, err = capfd.readouterr()
    assert rc == 7
    assert "inner" in out and "path=native" in err


def test_which_prints_the_path(capsys):
    assert testing.main(["--which"]) == 0
    assert capsys.readouterr().out.strip() == "native"


@pytest.mark.nokernel
def test_bad_forced_path_is_refused(monkeypatch):
    monkeypatch.setenv("CSCTP_TEST_PATH", "sideways")
    with pytest.raises(SystemExit, match="auto, native or vm"):
        testing.choose_path()


@pytest.mark.nokernel
def test_vm_kernel_discovery_prefers_an_explicit_choice(monkeypatch):
    monkeypatch.setenv("CSCTP_VM_KERNEL", "/boot/vmlinuz-custom")
    assert testing.find_vm_kernel() == "/boot/vmlinuz-custom"


def test_csctp_check_reports_sctp_and_the_sysctls():
    p = subprocess.run([sys.executable, "-m", "csctp", "check"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "kernel SCTP: yes" in p.stdout
    for knob in ("addip_enable", "auth_enable", "prsctp_enable", "reconf_enable", "intl_enable"):
        assert f"net.sctp.{knob}" in p.stdout


@pytest.mark.nokernel
def test_csctp_version_flag():
    import csctp
    p = subprocess.run([sys.executable, "-m", "csctp", "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == f"csctp {csctp.__version__}"


@pytest.mark.nokernel
def test_vm_run_relays_output_and_returns_the_status(capfd):
    # a shell stands in for vng: it prints the guest's first line, output, and exits
    argv = ["sh", "-c", f"echo '{testing.GUEST_UP.decode()}: kernel x'; echo out; echo err >&2; exit 4"]
    rc = testing._boot_once(argv, dict(os.environ), boot_timeout=30, timeout=60)
    out, err = capfd.readouterr()
    assert rc == 4
    assert "out" in out and "err" in err


@pytest.mark.nokernel
def test_a_boot_that_never_reaches_the_command_is_abandoned():
    import time
    t0 = time.monotonic()
    rc = testing._boot_once(["sleep", "30"], dict(os.environ), boot_timeout=0.5, timeout=60)
    assert rc is None
    assert time.monotonic() - t0 < 10


@pytest.mark.nokernel
def test_a_vm_that_fails_before_booting_reports_its_status(capfd):
    rc = testing._boot_once(["sh", "-c", "echo 'qemu: bad kernel' >&2; exit 3"], dict(os.environ),
                            boot_timeout=30, timeout=60)
    assert rc == 3
    assert "before the guest came up" in capfd.readouterr().err


# ---- no VM outlives the harness -----------------------------------------------
# Every process of a run is found by a marker in its environment: vng, QEMU and
# the guard inherit the harness's environment, nothing else on the machine has it.

def processes_with(marker):
    """{pid: command name} of the live processes whose environment holds *marker*."""
    found = {}
    needle = marker.encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle not in f.read():
                    continue
            with open(f"/proc/{pid}/comm") as f:
                found[int(pid)] = f.read().strip()
        except OSError:                      # gone meanwhile, or a kernel thread
            continue
    return found


def wait_for(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def kill_leftovers(marker):
    for pid in processes_with(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_fake_vm(marker):
    """A harness whose "vng" is a shell that prints the guest's first line and then waits on two sleeps."""
    fake_vng = ["sh", "-c", f"echo '{testing.GUEST_UP.decode()}: kernel x'; sleep 300 & sleep 300; wait"]
    code = ("import os, sys; from csctp import testing; "
            f"sys.exit(testing._boot_once({fake_vng!r}, dict(os.environ), boot_timeout=60, timeout=120))")
    env = dict(os.environ, CSCTP_STOP_TEST=marker)
    harness = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # up: both sleeps (the "QEMU" of this run) and the guard are there
    wait_for("the fake VM is up", lambda: sum(c == "sleep" for c in processes_with(marker).values()) == 2, 60)
    return harness


@pytest.mark.nokernel
@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_kills_the_vm_group_and_exits_128_plus_signo(signo):
    marker = f"csctp-stop-{uuid.uuid4().hex}"
    harness = start_fake_vm(marker)
    try:
        harness.send_signal(signo)
        _, err = harness.communicate(timeout=30)
        assert harness.returncode == 128 + signo, err
        assert f"{signal.Signals(signo).name}: stopping the VM" in err.decode()
        wait_for("no process of the run is left", lambda: not processes_with(marker), 10)
    finally:
        harness.kill()
        harness.communicate()
        kill_leftovers(marker)


@pytest.mark.nokernel
def test_a_killed_harness_takes_its_vm_with_it():
    # SIGKILL cannot be caught: the guard process sees the harness go and kills the VM's group
    marker = f"csctp-stop-{uuid.uuid4().hex}"
    harness = start_fake_vm(marker)
    try:
        harness.kill()
        harness.communicate(timeout=30)
        wait_for("no process of the run is left", lambda: not processes_with(marker), 10)
    finally:
        kill_leftovers(marker)


@pytest.mark.vmhost
@pytest.mark.skipif(bool(os.environ.get("CSCTP_KERNEL_PATH")) or testing.vm_problem() is not None,
                    reason="needs a host that boots the test VM (not the VM itself): "
                           "run `pytest -m vmhost tests/test_testing.py` there")
def test_sigterm_stops_vng_and_qemu():
    marker = f"csctp-stop-{uuid.uuid4().hex}"
    env = dict(os.environ, CSCTP_STOP_TEST=marker, CSCTP_TEST_PATH="vm")
    harness = subprocess.Popen([sys.executable, "-m", "csctp.testing", "--", "sleep", "600"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for("QEMU is running", lambda: any(c.startswith("qemu-system") for c in processes_with(marker).values()),
                 120)
        harness.send_signal(signal.SIGTERM)
        _, err = harness.communicate(timeout=60)
        assert harness.returncode == 128 + signal.SIGTERM, err
        wait_for("no vng, QEMU or guard of the run is left", lambda: not processes_with(marker), 30)
    finally:
        harness.kill()
        harness.communicate()
        kill_leftovers(marker)


@pytest.mark.vmhost
@pytest.mark.skipif(bool(os.environ.get("CSCTP_KERNEL_PATH")) or testing.vm_problem() is not None,
                    reason="needs a host that boots the test VM (not the VM itself): "
                           "run `pytest -m vmhost tests/test_testing.py` there")
def test_a_command_longer_than_the_kernel_command_line_runs_whole():
    # 600 arguments, ~6 KiB: past the guest kernel's 2048-byte command line
    args = [f"argument-{i:04d}" for i in range(600)]
    code = "import sys; print('got', len(sys.argv) - 1, sys.argv[-1])"
    p = subprocess.run([sys.executable, "-m", "csctp.testing", "--", sys.executable, "-c", code, *args],
                       capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, CSCTP_TEST_PATH="vm"))
    assert p.returncode == 0, p.stderr[-2000:]
    assert "got 600 argument-0599" in p.stdout
