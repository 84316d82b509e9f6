#!/bin/sh
# Test an installed csctp (a wheel) from a directory that holds tests/ and
# pyproject.toml but no csctp/ package, so only the installed one can be imported:
#
#     sh wheel-smoke.sh [PYTEST ARGS...]
#
# cibuildwheel runs it for every wheel with `-m nokernel` (see [tool.cibuildwheel]
# in pyproject.toml); `make test-wheel` runs it inside the SCTP harness with the
# whole suite.  POSIX sh: musllinux images have busybox ash, not bash.
#
#  1. the console script and the package agree on the version;
#  2. `csctp check` runs to its verdict.  It exits 1 when the kernel has no SCTP,
#     which is normal in the wheel-building containers (the runner's kernel, no
#     modprobe in a container), so 0 and 1 are both accepted, but only together
#     with the verdict line they must print; a crash (a traceback also exits 1)
#     prints no verdict.  Under csctp.testing (CSCTP_REQUIRE_SCTP=1) it must say yes;
#  3. pytest with the given arguments (CSCTP_EXPECT_INSTALLED=1 makes
#     tests/conftest.py refuse to run unless csctp and its bundled libsctp are
#     the installed wheel's).
set -eu

fail() { echo "wheel-smoke: FAIL: $*" >&2; exit 1; }

want=$(python -c 'import csctp; print("csctp", csctp.__version__)')
got=$(csctp --version)
[ "$got" = "$want" ] || fail "csctp --version says '$got', the package says '$want'"
echo "wheel-smoke: $got ($(command -v csctp)), package $(python -c 'import csctp; print(csctp.__file__)')"

rc=0
out=$(csctp check 2>&1) || rc=$?
printf '%s\n' "$out"
verdict=$(printf '%s\n' "$out" | sed -n -e 's/^kernel SCTP: yes .*/yes/p' -e 's/^kernel SCTP: NO .*/NO/p')
case "$rc:$verdict" in
    0:yes) ;;
    1:NO)  printf '%s\n' "$out" | grep -q '^    VM harness here: ' ||
               fail "csctp check stopped before its advice (exit 1)" ;;
    *)     fail "csctp check exited $rc with verdict '${verdict:-none}'" ;;
esac
if [ "${CSCTP_REQUIRE_SCTP:-0}" = 1 ] && [ "$verdict" != yes ]; then
    fail "csctp check finds no SCTP under the harness"
fi
echo "wheel-smoke: csctp check ran (exit $rc, kernel SCTP: $verdict)"

exec python -m pytest -p no:cacheprovider "$@"
