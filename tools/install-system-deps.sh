#!/usr/bin/env bash
# Install the system packages csctp's build, tests and demo need, and only
# those that are missing (a second run installs nothing and is quick).
#
#   always:        libsctp-dev lksctp-tools gcc python3-dev python3-venv iproute2
#                  tshark nftables (tests/test_wire.py decodes captures; nft drops bare SCTP)
#   VM path only:  qemu-system-x86 busybox-static <distribution kernel> kmod iproute2
#                  (installed when this kernel cannot open an SCTP socket)
#   --interop:     the other SCTP implementations `make interop` runs csctp against
#                  (socat ncat osmo-stp, golang-go + golang-github-ishidawataru-sctp-dev
#                  for the Go peer, coreutils' stdbuf); never for `make test`
#
# Debian and Ubuntu (apt).  Runs apt as root, or through sudo.
set -euo pipefail

need=(libsctp-dev lksctp-tools gcc python3-dev python3-venv iproute2 tshark nftables)
case "${1:-}" in
    --interop) need+=(socat ncat osmo-stp golang-go golang-github-ishidawataru-sctp-dev coreutils) ;;
    "") ;;
    *) echo "usage: $0 [--interop]" >&2; exit 2 ;;
esac

kernel_has_sctp() {
    python3 - <<'PY' 2>/dev/null
import socket, subprocess, sys
for attempt in range(2):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
        sys.exit(0)
    except OSError:
        if attempt == 0:
            subprocess.run(["modprobe", "-q", "sctp"], stderr=subprocess.DEVNULL, check=False)
sys.exit(1)
PY
}

. /etc/os-release 2>/dev/null || true
if kernel_has_sctp; then
    echo "install-system-deps: kernel $(uname -r) has SCTP: the VM packages are not needed"
else
    case "${ID:-debian}" in
        ubuntu) kpkg=linux-image-generic ;;
        *)      kpkg=linux-image-amd64 ;;
    esac
    echo "install-system-deps: kernel $(uname -r) has no SCTP: the tests will run in a VM ($kpkg + QEMU)"
    need+=(qemu-system-x86 busybox-static kmod "$kpkg")
fi

missing=()
for p in "${need[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: all present (${need[*]})"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-system-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; the tests capture as root, so no setuid dumpcap
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
