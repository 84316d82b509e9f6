"""Packaging: one version everywhere, and the csctp under test is the one the run means.

These need no kernel SCTP: cibuildwheel runs them against every wheel it builds
(`-m nokernel`), `make test` against the in-place build, `make test-wheel`
against the repaired wheel installed in a fresh venv.
"""

import os
import re
import subprocess
import sys

import pytest

import csctp
from csctp import _version, cli
from conftest import installed_wheel_problems

pytestmark = pytest.mark.nokernel

# PEP 440 public versions as csctp releases them: N.N.N[{a,b,rc}N][.postN][.devN]
PEP440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


def test_version_is_defined_once_in_csctp_version():
    assert csctp.__version__ is _version.__version__
    assert PEP440.fullmatch(csctp.__version__), csctp.__version__


def test_cli_version_flag_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"csctp {csctp.__version__}\n"


def test_python_m_csctp_version_agrees_in_a_fresh_interpreter():
    out = subprocess.run([sys.executable, "-m", "csctp", "--version"],
                         capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout == f"csctp {csctp.__version__}\n"


def test_installed_wheel_guard_tells_the_wheel_from_a_checkout():
    problems = installed_wheel_problems()
    if os.environ.get("CSCTP_EXPECT_INSTALLED") == "1":
        # make test-wheel / cibuildwheel: site-packages, metadata and the bundled libsctp agree
        assert problems == []
    else:
        # make test: the in-place build of this checkout is not mistaken for a wheel
        assert problems, f"csctp from {csctp.__file__} passes for an installed wheel"
