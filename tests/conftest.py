"""Shared fixtures: real SCTP associations on loopback.

Every test that is not marked ``nokernel`` needs a kernel SCTP stack.  When
none is reachable the session stops with an error instead of skipping: run
the suite with ``make test`` (or ``python -m csctp.testing -- pytest``), which
boots a VM when this kernel has no SCTP.
"""

import os
import platform
import socket

import pytest

import csctp

try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:             # the installed-wheel runs may lack it; its tests then fail on import
    pass
else:
    # the VM sees the checkout read-only: no example database, so no warning about it
    _hypothesis_settings.register_profile("csctp", database=None)
    _hypothesis_settings.load_profile("csctp")
from csctp.testing import kernel_has_sctp

_SCTP = None


def sctp_available() -> bool:
    global _SCTP
    if _SCTP is None:
        _SCTP = kernel_has_sctp(try_modprobe=os.geteuid() == 0)
    return _SCTP


def pytest_report_header(config):
    path = os.environ.get("CSCTP_KERNEL_PATH", "direct (not under csctp.testing)")
    return (f"csctp {csctp.__version__} from {os.path.dirname(csctp.__file__)}: "
            f"kernel {platform.release()}, path={path}, "
            f"kernel SCTP {'available' if sctp_available() else 'NOT available'}")


# ---- installed-wheel runs (make test-wheel, cibuildwheel's test step) --------
def installed_wheel_problems():
    """Why the csctp under test is not an installed, repaired wheel ([] if it is).

    With CSCTP_EXPECT_INSTALLED=1 the run exists to test the wheel: a csctp
    imported from a checkout, or a libsctp loaded from the system instead of the
    copy auditwheel bundled, would make it test something else.
    """
    import sysconfig
    from importlib.metadata import PackageNotFoundError, version

    pkg = os.path.dirname(os.path.realpath(csctp.__file__))
    site = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
    if os.path.dirname(pkg) not in site:
        return [f"csctp is imported from {pkg}, not from this interpreter's site-packages {sorted(site)}"]
    problems = []
    try:
        if version("csctp") != csctp.__version__:
            problems.append(f"installed metadata says {version('csctp')}, csctp.__version__ {csctp.__version__}")
    except PackageNotFoundError:
        problems.append("csctp has no installed distribution metadata")
    with open("/proc/self/maps") as maps:
        loaded = {line.split()[-1] for line in maps if "/libsctp" in line}
    bundled = os.path.join(os.path.dirname(pkg), "csctp.libs")
    if not loaded or any(os.path.dirname(os.path.realpath(p)) != bundled for p in loaded):
        problems.append(f"libsctp is loaded from {sorted(loaded)}, not from the wheel's {bundled}/")
    return problems


def pytest_sessionstart(session):
    if os.environ.get("CSCTP_EXPECT_INSTALLED") == "1":
        problems = installed_wheel_problems()
        if problems:
            pytest.exit("CSCTP_EXPECT_INSTALLED=1 but this is not the installed wheel:\n  "
                        + "\n  ".join(problems), returncode=4)


# trylast: after pytest's own -m/-k deselection, so `-m nokernel` runs without SCTP
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # vmhost tests boot the VM themselves, on the host
    needs_kernel = [i for i in items
                    if i.get_closest_marker("nokernel") is None and i.get_closest_marker("vmhost") is None]
    if needs_kernel and not sctp_available():
        pytest.exit(
            f"{len(needs_kernel)} selected tests need kernel SCTP and kernel {platform.release()} has none.\n"
            "Run them on a real SCTP stack with `make test` or `python -m csctp.testing -- pytest ...`\n"
            "(or select only the kernel-free tests with `-m nokernel`).", returncode=3)


def _listener(family, host, type=socket.SOCK_STREAM, **kw):
    srv = csctp.Socket(family, type)
    srv.bind((host, 0))
    srv.listen(16)
    return srv


@pytest.fixture
def loopback_pair():
    """Factory: a connected one-to-one (client, server-side) pair over loopback."""
    made = []

    def make(family=socket.AF_INET, host=None):
        host = host or ("127.0.0.1" if family == socket.AF_INET else "::1")
        srv = _listener(family, host)
        port = srv.getsockname()[1]
        cli = csctp.Socket(family, socket.SOCK_STREAM)
        cli.settimeout(10)
        srv.settimeout(10)
        cli.connect((host, port))
        conn, _ = srv.accept()
        conn.settimeout(10)
        made.extend([srv, cli, conn])
        return cli, conn

    yield make
    for s in made:
        s.close()


@pytest.fixture
def pair(loopback_pair):
    """A connected one-to-one IPv4 loopback pair: (client, server-side)."""
    return loopback_pair()


@pytest.fixture
def one_to_many():
    """A one-to-many server socket bound to 127.0.0.1 and listening: (socket, port)."""
    srv = csctp.Socket(socket.AF_INET, socket.SOCK_SEQPACKET)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(10)
    yield srv, srv.getsockname()[1]
    srv.close()


@pytest.fixture
def sysctl():
    """Set ``net.sctp.*`` knobs for one test (root, as in the test VM); restored afterwards."""
    saved = {}

    def set_(name, value):
        path = f"/proc/sys/net/sctp/{name}"
        with open(path) as f:
            saved.setdefault(path, f.read())
        with open(path, "w") as f:
            f.write(str(value))
        with open(path) as f:      # the kernel may refuse a value silently: check it took
            assert f.read().strip() == str(value), f"net.sctp.{name} did not take {value!r}"

    yield set_
    for path, old in saved.items():
        with open(path, "w") as f:
            f.write(old)

# ---- reliability: the two-network topology and printed figures --------

@pytest.fixture
def two_networks():
    """Client and server network namespaces joined by two veth pairs (tests/netns.py).

    Needs root (tests run as root in the VM).  Without root it fails with
    instructions -- never a skip in CI; outside CI a skip says why.
    """
    from tests import netns
    why = netns.root_problem()
    if why:
        if os.environ.get("CI") or os.environ.get("CSCTP_REQUIRE_SCTP"):
            pytest.fail(f"two_networks: {why}")
        pytest.skip(f"two_networks: {why} (CI unset, so skipped rather than failed)")
    topo = netns.TwoNetworks()
    try:
        yield topo
    finally:
        topo.teardown()


def pytest_terminal_summary(terminalreporter):
    from tests import figures
    if figures.FIGURES:
        terminalreporter.section("csctp reliability figures")
        for line in figures.lines():
            terminalreporter.write_line(line)
