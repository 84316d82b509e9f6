"""Run a command on a real Linux SCTP stack, whatever kernel this machine runs.

    python -m csctp.testing [options] -- CMD [ARGS...]

* If the running kernel can open an SCTP socket (after ``modprobe sctp``
  where permitted), CMD runs right here.
* Otherwise a throw-away VM boots a packaged distribution kernel with
  virtme-ng + QEMU, sharing this machine's filesystem (same checkout, same
  venv; read-only except /tmp and any ``--rwdir``), loads ``sctp`` and runs
  CMD there.  CMD's output streams to this terminal and its exit status is
  this command's exit status.

Either way the first line says which path was taken.  When neither is
possible it exits with status 2 and says what to install.  Environment:

``CSCTP_TEST_PATH``   ``auto`` (default), ``native`` or ``vm``: force a path
``CSCTP_VM_KERNEL``   the kernel image to boot (default: newest /boot/vmlinuz-* with sctp.ko)
``CSCTP_VM_KVM=1``    use KVM (off by default: stock kernels have been seen to hang under it here)
``CSCTP_VM_MEMORY``   guest memory (default ``2G``); ``CSCTP_VM_CPUS`` (default 2)
``CSCTP_VM_TIMEOUT``  seconds before the VM is killed (default 3600)
``CSCTP_VM_BOOT_TIMEOUT`` seconds for the guest to reach CMD before the boot is retried (default 240)
``CSCTP_VM_BOOT_RETRIES`` boots to retry after a hung boot (default 2)

Inside, ``CSCTP_KERNEL_PATH`` is ``native`` or ``vm`` and ``CSCTP_REQUIRE_SCTP=1``.

No VM outlives this command.  vng and QEMU run in a process group of their
own; SIGTERM, SIGINT or SIGHUP here (``timeout``, Ctrl-C, a closed terminal)
kills that whole group, waits for it, and exits with 128 + the signal
number.  If this process is killed outright (SIGKILL), a small guard process
started next to the VM sees it go and kills the group.
"""

from __future__ import annotations

import argparse
import errno
import glob
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from types import FrameType
from typing import IO, List, Mapping, Optional, Sequence

IPPROTO_SCTP = 132
GUEST_UP = b"csctp.testing: guest up"

INSTALL_HINT = """\
No SCTP stack is reachable: this kernel ({kernel}) has no SCTP and no VM can be started ({why}).
To run on a VM (Debian/Ubuntu, as root):
    apt-get install qemu-system-x86 busybox-static linux-image-amd64   # Ubuntu: linux-image-generic
    pip install virtme-ng
or load SCTP into this kernel:  modprobe sctp   (package: linux-modules-extra-$(uname -r) on Ubuntu)
`make test` and `make demo` install all of this for you."""


def kernel_has_sctp(try_modprobe: bool = True) -> bool:
    """True if this kernel can create an SCTP socket (loading the module if permitted)."""
    for attempt in range(2):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
        except OSError as e:
            if e.errno not in (errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT, errno.EAFNOSUPPORT):
                raise
            if attempt == 0 and try_modprobe and shutil.which("modprobe"):
                subprocess.run(["modprobe", "-q", "sctp"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
                continue
            return False
        else:
            s.close()
            return True
    return False


def _kernel_version(path: str) -> str:
    return os.path.basename(path)[len("vmlinuz-"):]


def find_vm_kernel() -> Optional[str]:
    """The newest readable /boot/vmlinuz-* whose modules include sctp."""
    forced = os.environ.get("CSCTP_VM_KERNEL")
    if forced:
        return forced
    cands = []
    for path in glob.glob("/boot/vmlinuz-*"):
        ver = _kernel_version(path)
        if not os.access(path, os.R_OK):
            continue
        if glob.glob(f"/lib/modules/{ver}/kernel/net/sctp/sctp.ko*"):
            cands.append(path)

    def key(p: str) -> List[object]:
        return [int(x) if x.isdigit() else x for x in re.split(r"[.-]", _kernel_version(p))]

    cands.sort(key=key)
    return cands[-1] if cands else None


def find_vng() -> Optional[str]:
    here = os.path.join(os.path.dirname(sys.executable), "vng")
    if os.access(here, os.X_OK):
        return here
    return shutil.which("vng")


def vm_problem() -> Optional[str]:
    """Why a VM cannot be started, or None if it can."""
    if platform.machine() not in ("x86_64", "amd64"):
        return f"the VM path supports x86_64 hosts, this is {platform.machine()}"
    if not find_vng():
        return "virtme-ng (vng) is not installed"
    if not shutil.which("qemu-system-x86_64"):
        return "qemu-system-x86_64 is not installed"
    if not find_vm_kernel():
        return "no readable /boot/vmlinuz-* with an sctp module"
    if not (shutil.which("busybox") or os.path.exists("/bin/busybox") or os.path.exists("/usr/bin/busybox")):
        return "busybox (busybox-static) is not installed"
    return None


def _say(msg: str) -> None:
    print(f"csctp.testing: {msg}", file=sys.stderr, flush=True)


def run_native(cmd: Sequence[str]) -> int:
    _say(f"path=native kernel {platform.release()} has SCTP; running natively")
    env = dict(os.environ, CSCTP_KERNEL_PATH="native", CSCTP_REQUIRE_SCTP="1")
    return subprocess.call(list(cmd), env=env)


def run_vm(cmd: Sequence[str], rwdirs: Sequence[str] = ()) -> int:
    kernel = find_vm_kernel()
    vng = find_vng()
    assert kernel and vng
    ver = _kernel_version(kernel)
    kvm = os.environ.get("CSCTP_VM_KVM") == "1"
    _say(f"path=vm this kernel {platform.release()} has no SCTP; booting VM with kernel {ver} "
         f"({'KVM' if kvm else 'software emulation'}, one boot for the whole command)")
    # The guest sees this filesystem read-only; /tmp is a private overlay.
    # Everything a command writes goes to /tmp or an --rwdir.
    passthrough = {k: v for k, v in os.environ.items()
                   if k.startswith(("CSCTP_", "PYTEST_", "CI", "HYPOTHESIS"))}
    passthrough.update({
        "CSCTP_KERNEL_PATH": "vm",
        "CSCTP_REQUIRE_SCTP": "1",
        "CSCTP_VM_KERNEL_VERSION": ver,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "TMPDIR": "/tmp",
        "HOME": "/tmp",
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
    })
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(passthrough.items()))
    inner = (
        f"echo '{GUEST_UP.decode()}: kernel '$(uname -r); "
        "modprobe sctp || { echo 'csctp.testing: modprobe sctp failed in the VM' >&2; exit 97; }; "
        "ip link set lo up 2>/dev/null; "
        f"cd {shlex.quote(os.getcwd())} && exec env {exports} {shlex.join(cmd)}"
    )
    # The command reaches the guest as a script file on the shared filesystem, not on the
    # kernel command line: that line has a fixed size (2048 bytes on x86), and a longer
    # command (a long argument list) was cut there and the guest never started it.
    fd, script = tempfile.mkstemp(prefix="csctp-vm-", suffix=".sh")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(inner + "\n")
        return _run_vm_script(vng, kernel, kvm, rwdirs, script)
    finally:
        os.unlink(script)


def _run_vm_script(vng: str, kernel: str, kvm: bool, rwdirs: Sequence[str], script: str) -> int:
    argv = [vng, "-r", kernel, "--memory", os.environ.get("CSCTP_VM_MEMORY", "2G"),
            "--cpus", os.environ.get("CSCTP_VM_CPUS", "2")]
    if not kvm:
        argv.append("--disable-kvm")
    for d in rwdirs:
        argv += ["--rwdir", os.path.abspath(d)]
    argv += ["--exec", f"exec sh {shlex.quote(script)}"]
    # vng runs its helpers (virtme-run, ...) from PATH: put its own directory first.
    host_env = dict(os.environ)
    host_env["PATH"] = os.path.dirname(vng) + os.pathsep + host_env.get("PATH", "")
    timeout = float(os.environ.get("CSCTP_VM_TIMEOUT", "3600"))
    boot_timeout = float(os.environ.get("CSCTP_VM_BOOT_TIMEOUT", "240"))
    retries = int(os.environ.get("CSCTP_VM_BOOT_RETRIES", "2"))
    for attempt in range(retries + 1):
        rc = _boot_once(argv, host_env, boot_timeout, timeout)
        if rc is not None:
            return rc
        _say(f"the guest did not reach the command within {boot_timeout:g} s (a hung boot, seen under "
             f"heavy host load): killed it; {'booting again' if attempt < retries else 'giving up'}")
    return 125


def _kill(proc: "subprocess.Popen[bytes]") -> None:
    """Kill the VM's whole process group (vng, its helpers, QEMU) and reap vng."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


# Run by the guard process: it waits on a pipe only this harness holds open.  The
# harness writes "done" once the VM is gone; end of file without it means the
# harness died without cleaning up (SIGKILL, a crash), and the VM goes with it.
_GUARD = """\
import os, signal, sys
pgid = int(sys.argv[1])
if sys.stdin.buffer.read() != b"done":
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class _Stop(Exception):
    """A stop signal arrived while a VM was running."""

    def __init__(self, signo: int) -> None:
        super().__init__(signo)
        self.signo = signo


def _start_guard(pgid: int) -> int:
    """Start the guard for process group *pgid*; return the pipe end that keeps it waiting."""
    r, w = os.pipe()
    try:
        # a session of its own: a signal to this harness's group (timeout, Ctrl-C) does not reach it
        subprocess.Popen([sys.executable, "-c", _GUARD, str(pgid)], stdin=r, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except BaseException:
        os.close(w)
        raise
    finally:
        os.close(r)
    return w


def _dismiss_guard(w: int) -> None:
    try:
        os.write(w, b"done")
    except OSError:           # the guard is gone already
        pass
    os.close(w)


def _boot_once(argv: List[str], env: Mapping[str, str], boot_timeout: float, timeout: float) -> Optional[int]:
    """One VM run: the command's exit status, or None if the guest never came up.

    The guest's stdout and stderr are relayed through pipes (chunk by chunk,
    so output streams as it is written).  They are never handed to vng
    directly: QEMU reopens /proc/self/fd/1 and 2, which truncates a log file
    they point to and wipes what was written before the VM started.  Stdout
    is watched for the line the guest prints before anything else.

    A stop signal (SIGTERM, SIGINT, SIGHUP) kills the VM's process group and
    raises ``SystemExit(128 + signo)``.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    caught: List[int] = []
    running = False

    def on_signal(signo: int, frame: Optional[FrameType]) -> None:
        caught.append(signo)
        if running:
            raise _Stop(signo)
        # before vng is started, or while Popen is starting it: acted on right after

    saved = {}
    if main_thread:        # signal handlers can only be set there (not when called from a worker thread)
        saved = {sig: signal.signal(sig, on_signal) for sig in _STOP_SIGNALS}
    proc: "Optional[subprocess.Popen[bytes]]" = None
    guard = -1
    threads: List[threading.Thread] = []
    try:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True, env=env)
            guard = _start_guard(proc.pid)
            running = True
            if caught:
                raise _Stop(caught[0])
            return _watch(proc, threads, boot_timeout, timeout)
        except _Stop as stop:
            running = False
            if proc is not None:
                _say(f"{signal.Signals(stop.signo).name}: stopping the VM")
                _kill(proc)
                for t in threads:
                    t.join(5)
            raise SystemExit(128 + stop.signo) from None
        except BaseException:
            running = False
            if proc is not None and proc.poll() is None:
                _kill(proc)
            raise
    finally:
        running = False
        if guard >= 0:
            _dismiss_guard(guard)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        if caught:             # one that came while the VM was ending anyway: still a stop
            raise SystemExit(128 + caught[0])


def _watch(proc: "subprocess.Popen[bytes]", threads: List[threading.Thread], boot_timeout: float,
           timeout: float) -> Optional[int]:
    """Relay the VM's output until it exits: its status, None for a hung boot, 124 for a timeout."""
    up = threading.Event()

    def relay(src: "IO[bytes]", out: "IO[bytes]", watch: bool) -> None:
        tail = b""
        fd = src.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            if watch and not up.is_set():
                tail = (tail + chunk)[-256:]
                if GUEST_UP in tail:
                    up.set()
            out.write(chunk)
            out.flush()

    assert proc.stdout is not None and proc.stderr is not None
    for src, out, watch in ((proc.stdout, sys.stdout.buffer, True), (proc.stderr, sys.stderr.buffer, False)):
        t = threading.Thread(target=relay, args=(src, out, watch), daemon=True)
        t.start()
        threads.append(t)      # only started threads: a stop signal may come between the two lines
    start = time.monotonic()
    while proc.poll() is None:
        now = time.monotonic()
        if not up.is_set() and now - start > boot_timeout:
            _kill(proc)
            for t in threads:
                t.join(5)
            return None
        if now - start > timeout:
            _say(f"VM still running after {timeout:g} s: killing it")
            _kill(proc)
            for t in threads:
                t.join(5)
            return 124
        time.sleep(0.2)
    for t in threads:
        t.join(10)
    if not up.is_set():
        # vng itself failed before booting (bad kernel path, qemu error): report, don't retry
        _say(f"the VM exited with status {proc.returncode} before the guest came up")
        return proc.returncode or 125
    return proc.returncode


def choose_path() -> str:
    """'native', 'vm', or raise SystemExit(2) with what to install."""
    forced = os.environ.get("CSCTP_TEST_PATH", "auto")
    if forced not in ("auto", "native", "vm"):
        raise SystemExit(f"csctp.testing: CSCTP_TEST_PATH must be auto, native or vm, not {forced!r}")
    if forced in ("auto", "native") and kernel_has_sctp():
        return "native"
    if forced == "native":
        raise SystemExit(f"csctp.testing: CSCTP_TEST_PATH=native but kernel {platform.release()} has no SCTP")
    why = vm_problem()
    if why is None:
        return "vm"
    _say(INSTALL_HINT.format(kernel=platform.release(), why=why))
    raise SystemExit(2)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m csctp.testing",
        description="Run CMD on a real Linux SCTP stack: natively if this kernel has SCTP, else in a VM.")
    ap.add_argument("--rwdir", action="append", default=[],
                    help="directory the VM may write to (repeatable); everything else but /tmp is read-only there")
    ap.add_argument("--which", action="store_true", help="only print which path would be taken")
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    path = choose_path()
    if args.which:
        print(path)
        return 0
    if not cmd:
        ap.error("no command given (python -m csctp.testing -- CMD ...)")
    return run_native(cmd) if path == "native" else run_vm(cmd, args.rwdir)


if __name__ == "__main__":
    sys.exit(main())
