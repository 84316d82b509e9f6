"""Figures the reliability tests measure (messages, fds, RSS), printed at the end of the run.

``record(name, **values)`` stores one line; conftest's terminal-summary hook
prints them under "csctp reliability figures", so they show in ``make test``
output without ``-s``.  They are also appended to ``$TMPDIR/csctp-figures.txt``.
"""

from __future__ import annotations

import os
import tempfile
from typing import Dict, List, Tuple

FIGURES: List[Tuple[str, Dict[str, object]]] = []


def record(name: str, **values) -> None:
    FIGURES.append((name, values))
    line = f"{name}: " + ", ".join(f"{k}={v}" for k, v in values.items())
    try:
        with open(os.path.join(tempfile.gettempdir(), "csctp-figures.txt"), "a") as f:
            f.write(line + "\n")
    except OSError:
        pass


def lines() -> List[str]:
    return [f"{name}: " + ", ".join(f"{k}={v}" for k, v in vals.items()) for name, vals in FIGURES]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def maxrss_kib() -> int:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1
