"""Packaging: one version everywhere, and the csctp under test is the one the run means.

These need no kernel SCTP: cibuildwheel runs them against every wheel it builds
(`-m nokernel`), `make test` against the in-place build, `make test-wheel`
against the repaired wheel installed in a fresh venv.
"""

import os
import re
import subprocess
import sys

import importlib.util

import pytest

import csctp
from csctp import _version, cli

# by path: tests/interop/ has a conftest of its own, so the bare name may be that one
_spec = importlib.util.spec_from_file_location("_tests_conftest",
                                               os.path.join(os.path.dirname(__file__), "conftest.py"))
assert _spec is not None and _spec.loader is not None
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
installed_wheel_problems = _conftest.installed_wheel_problems

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


def test_licence_is_an_spdx_expression_and_numpy_a_dependency():
    if os.environ.get("CSCTP_EXPECT_INSTALLED") == "1":
        # the installed wheel's metadata, as pip saw it
        from importlib.metadata import metadata, requires
        meta = metadata("csctp")
        assert meta["License-Expression"] == "MIT"
        assert "LICENSE" in (meta.get_all("License-File") or [])
        assert not [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
        runtime = [r for r in requires("csctp") or [] if "extra ==" not in r]
    else:
        # the checkout: what the build will write (PEP 639; setuptools >= 77 rejects a licence classifier with it)
        tomllib = pytest.importorskip("tomllib")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        with open(os.path.join(root, "pyproject.toml"), "rb") as f:
            pyproject = tomllib.load(f)
        project = pyproject["project"]
        assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
        assert os.path.isfile(os.path.join(root, "LICENSE"))
        assert not [c for c in project["classifiers"] if c.startswith("License ::")]
        build = pyproject["build-system"]["requires"]
        assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77 for r in build), build
        runtime = project["dependencies"]
    assert any(re.match(r"numpy\b", r) for r in runtime), runtime


def test_installed_wheel_guard_tells_the_wheel_from_a_checkout():
    problems = installed_wheel_problems()
    if os.environ.get("CSCTP_EXPECT_INSTALLED") == "1":
        # make test-wheel / cibuildwheel: site-packages, metadata and the bundled libsctp agree
        assert problems == []
    else:
        # make test: the in-place build of this checkout is not mistaken for a wheel
        assert problems, f"csctp from {csctp.__file__} passes for an installed wheel"


def _make_variable(name: str) -> str:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(root, "Makefile")) as f:
            text = f.read()
    except FileNotFoundError:
        pytest.skip("no Makefile: an installed wheel")
    m = re.search(rf'^{name} := -m "([^"]*)"$', text, re.M)
    assert m, f"Makefile: no {name} := -m \"...\""
    return m.group(1)


def test_make_test_tiers_split_the_default_selection_and_keep_out_the_other_tiers():
    # An explicit -m replaces the one in pyproject's addopts, so each tier of `make test`
    # must itself keep out what addopts keeps out (the long and interop tiers have
    # their own targets, and their peers exist only there).
    from _pytest.mark.expression import Expression
    tiers = {name: Expression.compile(_make_variable(name)) for name in ("HOST_TESTS", "KERNEL_TESTS")}

    def selected_by(markers: set[str]) -> list[str]:
        return [n for n, e in tiers.items() if e.evaluate(lambda m, *a, **k: m in markers)]

    for kind in ({"long"}, {"interop"}, {"long", "nokernel"}, {"interop", "nokernel"}, {"long", "vmhost"}):
        assert selected_by(kind) == [], (kind, selected_by(kind))
    assert selected_by(set()) == ["KERNEL_TESTS"]
    assert selected_by({"netns"}) == ["KERNEL_TESTS"]
    assert selected_by({"nokernel"}) == ["HOST_TESTS"]
    assert selected_by({"vmhost"}) == ["HOST_TESTS"]
