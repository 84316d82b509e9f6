"""The ``csctp`` command line: ``csctp check`` and friends.

Each sub-command is a function ``cmd_NAME(args) -> int`` registered in
:func:`build_parser`; ``main`` parses and dispatches.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import List, Optional

from csctp._version import __version__

SYSCTLS = [
    ("addip_enable", "dynamic address reconfiguration (RFC 5061)"),
    ("auth_enable", "SCTP-AUTH (RFC 4895)"),
    ("prsctp_enable", "partial reliability (RFC 3758)"),
    ("reconf_enable", "stream reconfiguration (RFC 6525)"),
    ("intl_enable", "message interleaving, I-DATA (RFC 8260)"),
    ("ecn_enable", "ECN"),
    ("sctp_mem", "memory limits (pages: min pressure max)"),
    ("sctp_rmem", "receive buffer (min default max)"),
    ("sctp_wmem", "send buffer (min default max)"),
    ("max_burst", "max burst"),
    ("association_max_retrans", "association max retransmissions"),
    ("path_max_retrans", "path max retransmissions"),
    ("hb_interval", "heartbeat interval (ms)"),
    ("rto_min", "RTO min (ms)"),
    ("rto_max", "RTO max (ms)"),
]


def _read(path: str) -> Optional[str]:
    try:
        with open(path) as f:
            return " ".join(f.read().split())
    except OSError:
        return None


def cmd_check(args: argparse.Namespace) -> int:
    """Say whether this kernel speaks SCTP, how it is configured, and what to do if not."""
    from csctp.testing import kernel_has_sctp, vm_problem

    print(f"csctp {__version__} on Linux {platform.release()} ({platform.machine()}), Python {platform.python_version()}")
    ok = kernel_has_sctp(try_modprobe=True)
    loaded = os.path.isdir("/sys/module/sctp")
    print(f"kernel SCTP: {'yes' if ok else 'NO'} (module {'loaded' if loaded else 'not loaded or built in'})")
    if ok:
        for name, what in SYSCTLS:
            val = _read(f"/proc/sys/net/sctp/{name}")
            print(f"  net.sctp.{name:<24} = {val if val is not None else '(absent)':<24} {what}")
        return 0
    print("To get SCTP:")
    print("  - load the module:      modprobe sctp   (Ubuntu: apt-get install linux-modules-extra-$(uname -r))")
    print("  - or, where the kernel cannot have it (WSL2, containers), run under the csctp VM harness:")
    print("        python -m csctp.testing -- CMD ...")
    why = vm_problem()
    print(f"    VM harness here: {'ready' if why is None else 'not ready: ' + why}")
    return 1


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="csctp", description="SCTP tools built on csctp.")
    ap.add_argument("--version", action="version", version=f"csctp {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("check", help="does this kernel support SCTP, and how is it configured")
    p.set_defaults(func=cmd_check)
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 2
    return int(args.func(args) or 0)
