"""
What a server process costs, read from /proc: CPU time and peak RSS.

CPU is utime+stime of the process and every live descendant, plus the
cutime+cstime of children already reaped, so servers that fork workers
are charged in full.  Peak RSS is VmHWM summed over the same tree; it is
reset before each workload (writing 5 to /proc/PID/clear_refs) so each
figure is the peak of that workload alone where the kernel allows it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        raw = f.read()
    # The command name is in parentheses and may hold spaces.
    return raw[raw.rindex(")") + 2:].split()


def descendants(pid: int) -> list[int]:
    """
    C{pid} and every live process below it.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(_stat_fields(int(entry))[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """
    CPU seconds (user+system, children included) of C{pid}'s tree.
    """
    total = 0
    for p in descendants(pid):
        try:
            f = _stat_fields(p)
        except OSError:
            continue
        # Fields after the name: state=0 ... utime=11 stime=12 cutime=13 cstime=14
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / _TICK


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mib(pid: int) -> float:
    """
    VmHWM of C{pid}'s tree, in MiB.
    """
    return sum(_status_kib(p, "VmHWM") for p in descendants(pid)) / 1024


def reset_peak(pid: int) -> bool:
    """
    Reset VmHWM to the current RSS for C{pid}'s tree; False if refused.
    """
    ok = True
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


def loadavg() -> float:
    """
    The one-minute load average.
    """
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


@dataclass
class Meter:
    """
    Brackets one workload: CPU used and peak RSS of the server's tree.
    """

    pid: int
    cpu0: float = 0.0
    load: float = 0.0

    def start(self) -> "Meter":
        reset_peak(self.pid)
        self.load = loadavg()
        self.cpu0 = cpu_seconds(self.pid)
        return self

    def cpu(self) -> float:
        return cpu_seconds(self.pid) - self.cpu0

    def rss(self) -> float:
        return peak_rss_mib(self.pid)
