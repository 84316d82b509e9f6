"""csctp.testing (the real-kernel harness) and `csctp check`.

The VM path itself cannot be exercised from inside the VM the suite runs in;
it is checked by every `make test` run on a machine without SCTP (the first
line of output names the path) and by its exit status reaching CI.
"""

import os
import subprocess
import sys

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
