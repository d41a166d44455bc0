"""
Small helpers the engine benchmarks share: load average, percentiles,
peak RSS, deadlines, and the row type of the result table.

The engine benchmarks (C{engine_bench.py}) call the engine directly, not
through HTTP, so they import C{cartridge_d}: importing this module puts the
checkout's root on C{sys.path}.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def loadavg() -> float:
    """
    The one-minute load average: the machine is shared, so every figure
    carries the load it was measured under.
    """
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def percentile(values: list[float], p: float) -> float:
    """
    The C{p}-th percentile (0-100) of C{values}, nearest rank.
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def vm_hwm_mib(pid: int | str = "self") -> float:
    """
    Peak resident set size (VmHWM) of a process, in MiB.
    """
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def drop_page_cache() -> bool:
    """
    Write back and drop the kernel's page cache, so the next open reads
    from the disk; False when not allowed (not root, or a container that
    refuses).
    """
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


class Deadline:
    """
    A time budget: every benchmark loop is bounded by a count and by one
    of these.
    """

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.end


@dataclass(frozen=True)
class Row:
    """
    One line of the result table.

    @ivar ok: True or False when the figure has a target, None when it is
        informative only.
    @ivar load: the one-minute load average when the measurement started.
    """

    name: str
    value: str
    target: str
    ok: bool | None
    load: float


def verdict(ok: bool | None) -> str:
    if ok is None:
        return ""
    return "yes" if ok else "**NO**"


def render(rows: list[Row]) -> str:
    """
    The rows as a markdown table (readable as text too).
    """
    lines = ["| measure | result | target | holds | load |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s | %s | %s | %.2f |"
                     % (r.name, r.value, r.target, verdict(r.ok), r.load))
    return "\n".join(lines)
