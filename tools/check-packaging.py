#!/usr/bin/env python3
"""Check csctp's distributions and its cibuildwheel matrix against what they must hold.

    python tools/check-packaging.py sdist  dist/csctp-X.tar.gz
    python tools/check-packaging.py wheel  wheelhouse/csctp-X-...whl
    python tools/check-packaging.py matrix [cibuildwheel ARGS...]

sdist   the sources a build needs (every csctp/*.pyx, *.pxd, include/*.h, setup.py,
        pyproject.toml), LICENSE, the tests and the examples, but no generated C, no
        built objects: a build from it runs Cython itself, so it never depends on a stale .c.
wheel   a compiled module for every csctp/*.pyx, libsctp bundled under csctp.libs/
        (auditwheel repair) and nothing of the build (no .pyx, no .c), no requirement
        on Cython, numpy required (the batch API), the version of csctp/_version.py,
        and the licence as PEP 639 has it: `License-Expression: MIT`, LICENSE in the
        .dist-info, no `License ::` classifier.
matrix  `cibuildwheel --print-build-identifiers` on the [tool.cibuildwheel] settings
        gives exactly CPython 3.9-3.14 x manylinux/musllinux x x86_64/aarch64, no
        free-threaded build.

Lists what it checked and exits 1 with every problem it found.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import subprocess
import sys
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PYTHONS = ["cp39", "cp310", "cp311", "cp312", "cp313", "cp314"]
PLATFORMS = ["manylinux_x86_64", "manylinux_aarch64", "musllinux_x86_64", "musllinux_aarch64"]


def version() -> str:
    with open(os.path.join(ROOT, "csctp", "_version.py")) as f:
        m = re.search(r'^__version__\s*=\s*"([^"]+)"', f.read(), re.M)
    if not m:
        raise SystemExit("check-packaging: no __version__ in csctp/_version.py")
    return m.group(1)


def pyx_modules() -> list[str]:
    return sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(ROOT, "csctp", "*.pyx")))


def check_sdist(path: str) -> list[str]:
    ver = version()
    with tarfile.open(path) as tar:
        names = tar.getnames()
    top = f"csctp-{ver}/"
    if not all(n == top.rstrip("/") or n.startswith(top) for n in names):
        return [f"{path}: not everything is under {top}"]
    rel = {n[len(top):] for n in names if n.startswith(top)}
    print(f"sdist {os.path.basename(path)}: {len(rel)} entries")
    problems = []
    must = ["setup.py", "pyproject.toml", "README.md", "MANIFEST.in", "PKG-INFO", "LICENSE",
            "csctp/_version.py", "tests/conftest.py"]
    for pattern in ("csctp/*.pyx", "csctp/*.pxd", "csctp/*.py", "csctp/includes/*.pxd",
                    "include/*.h", "tests/*.py", "examples/*.py"):
        found = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, pattern)))
        if not found and pattern != "csctp/includes/*.pxd":
            problems.append(f"the checkout has no {pattern}")
        must += found
    for name in must:
        if name not in rel:
            problems.append(f"sdist lacks {name}")
    generated = sorted(n for n in rel if fnmatch.fnmatch(n, "csctp/*.c") or n.endswith((".so", ".o", ".html", ".pyc"))
                       or n.startswith(("build/", ".venv/", "wheelhouse/", "dist/")))
    problems += [f"sdist carries a generated or built file: {n}" for n in generated]
    print(f"  sources present: {len(must)} checked (.pyx {sum(n.endswith('.pyx') for n in must)}, "
          f".pxd {sum(n.endswith('.pxd') for n in must)}, include/*.h {sum(n.startswith('include/') for n in must)}); "
          f"generated/built files: {len(generated)}")
    return problems


def check_wheel(path: str) -> list[str]:
    ver = version()
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta_name = f"csctp-{ver}.dist-info/METADATA"
        meta = zf.read(meta_name).decode() if meta_name in names else ""
        wheel_name = f"csctp-{ver}.dist-info/WHEEL"
        tags = zf.read(wheel_name).decode() if wheel_name in names else ""
    print(f"wheel {os.path.basename(path)}: {len(names)} entries")
    problems = []
    if not meta:
        problems.append(f"wheel lacks {meta_name} (version {ver} of csctp/_version.py)")
    elif not re.search(rf"^Version: {re.escape(ver)}$", meta, re.M):
        problems.append(f"METADATA version is not {ver}")
    requires = re.findall(r"^Requires-Dist: (.*)$", meta, re.M)
    runtime = [r for r in requires if "extra ==" not in r]
    if any(r.lower().startswith("cython") for r in runtime):
        problems.append(f"the wheel requires Cython at run time: {runtime}")
    if not any(re.match(r"numpy\b", r, re.I) for r in runtime):
        problems.append(f"the wheel does not require numpy (the batch API needs it): {runtime}")
    if meta and not re.search(r"^License-Expression: MIT$", meta, re.M):
        problems.append("METADATA has no `License-Expression: MIT` (PEP 639)")
    if re.search(r"^Classifier: License ::", meta, re.M):
        problems.append("METADATA still has a `License ::` classifier next to the SPDX expression")
    licence = f"csctp-{ver}.dist-info/licenses/LICENSE"
    if not re.search(r"^License-File: LICENSE$", meta, re.M) or licence not in names:
        problems.append(f"the wheel lacks {licence} or its License-File entry")
    for mod in pyx_modules():
        if not any(re.fullmatch(rf"csctp/{re.escape(mod)}\.cpython-[^/]*\.so|csctp/{re.escape(mod)}\.abi3\.so", n)
                   for n in names):
            problems.append(f"wheel lacks the compiled module csctp/{mod}.*.so")
    libs = [n for n in names if re.fullmatch(r"csctp\.libs/libsctp[^/]*\.so[.0-9]*", n)]
    if not libs:
        problems.append("wheel does not bundle libsctp under csctp.libs/ (run auditwheel repair)")
    build_sources = [n for n in names if n.endswith((".pyx", ".c", ".o"))]
    problems += [f"wheel carries a build source: {n}" for n in build_sources]
    plat = [t.split(": ", 1)[1] for t in tags.splitlines() if t.startswith("Tag: ")]
    if not plat or not all(re.search(r"-(many|musl)linux_\d+_\d+_[a-z0-9_]+$", t) for t in plat):
        problems.append(f"wheel tags are not manylinux/musllinux: {plat}")
    print(f"  tags {plat}; compiled modules for {len(pyx_modules())} .pyx; bundled {libs}; "
          f"run-time requirements {runtime or 'none'}; "
          f"licence {', '.join(re.findall(r'^License-(?:Expression|File): (.*)$', meta, re.M)) or 'none'}")
    return problems


def check_matrix(extra: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", "linux",
           "--archs", "x86_64,aarch64", *extra, ROOT]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        return [f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}"]
    got = set(out.stdout.split())
    want = {f"{py}-{plat}" for py in PYTHONS for plat in PLATFORMS}
    print(f"cibuildwheel matrix: {len(got)} builds: {' '.join(sorted(got))}")
    problems = [f"cibuildwheel would not build {i}" for i in sorted(want - got)]
    problems += [f"cibuildwheel would also build {i}" for i in sorted(got - want)]
    return problems


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("sdist", "wheel", "matrix"):
        print(__doc__, file=sys.stderr)
        return 2
    what, args = argv[0], argv[1:]
    if what == "matrix":
        problems = check_matrix(args)
    else:
        if len(args) != 1:
            print(f"check-packaging {what}: give exactly one file, got {args}", file=sys.stderr)
            return 2
        problems = check_sdist(args[0]) if what == "sdist" else check_wheel(args[0])
    for p in problems:
        print(f"check-packaging {what}: FAIL: {p}", file=sys.stderr)
    if not problems:
        print(f"check-packaging {what}: OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
