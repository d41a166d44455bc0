"""
Fold measurements into one table: the median of each figure per server,
with the median one-minute load average of the runs it came from, and the
ratio ours / peer.  The same table is printed and written as markdown.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """
    One row of the table; C{higher} says which direction is better.
    """

    key: str
    label: str
    unit: str
    higher: bool
    #: False for figures about the client, where ours / peer means nothing.
    ratio: bool = True


METRICS = [
    Metric("put64_c1", "put 64 MiB, 1 conn", "MB/s", True),
    Metric("put64_c4", "put 64 MiB, 4 conns", "MB/s", True),
    Metric("get64_c1", "get 64 MiB, 1 conn", "MB/s", True),
    Metric("get64_c4", "get 64 MiB, 4 conns", "MB/s", True),
    Metric("put64_c1_cpu", "server CPU, put 64 MiB C1", "ms/MiB", False),
    Metric("put64_c4_cpu", "server CPU, put 64 MiB C4", "ms/MiB", False),
    Metric("get64_c1_cpu", "server CPU, get 64 MiB C1", "ms/MiB", False),
    Metric("get64_c4_cpu", "server CPU, get 64 MiB C4", "ms/MiB", False),
    Metric("get64_c1_client", "client CPU, get 64 MiB C1", "ms/MiB", False, False),
    Metric("get64_c4_client", "client CPU, get 64 MiB C4", "ms/MiB", False, False),
    Metric("rss_large", "server peak RSS, 64 MiB runs", "MiB", False),
    Metric("put4k", "put 4 KiB, 16 conns", "ops/s", True),
    Metric("put4k_p50", "put 4 KiB p50", "ms", False),
    Metric("put4k_p99", "put 4 KiB p99", "ms", False),
    Metric("put4k_cpu", "server CPU, put 4 KiB", "ms/op", False),
    Metric("put4k_client", "client CPU, put 4 KiB", "ms/op", False, False),
    Metric("get4k", "get 4 KiB, 16 conns", "ops/s", True),
    Metric("get4k_p50", "get 4 KiB p50", "ms", False),
    Metric("get4k_p99", "get 4 KiB p99", "ms", False),
    Metric("get4k_cpu", "server CPU, get 4 KiB", "ms/op", False),
    Metric("get4k_client", "client CPU, get 4 KiB", "ms/op", False, False),
    Metric("head4k", "head 4 KiB, 16 conns", "ops/s", True),
    Metric("head4k_p50", "head 4 KiB p50", "ms", False),
    Metric("head4k_p99", "head 4 KiB p99", "ms", False),
    Metric("head4k_cpu", "server CPU, head 4 KiB", "ms/op", False),
    Metric("head4k_client", "client CPU, head 4 KiB", "ms/op", False, False),
    Metric("rss_small", "server peak RSS, 4 KiB runs", "MiB", False),
    Metric("list1000", "list 1,000 keys", "ms", False),
    Metric("list1000_cpu", "server CPU, list 1,000", "ms/op", False),
    Metric("million_objects", "million group: objects", "objects", True, False),
    Metric("million_head_p50", "million group: HEAD p50, 1 conn", "ms", False),
    Metric("million_head_p99", "million group: HEAD p99, 1 conn", "ms", False),
    Metric("million_head_cpu", "million group: server CPU, HEAD", "ms/op", False),
    Metric("million_list_p50", "million group: list 1,000, median", "ms", False),
    Metric("million_list_p99", "million group: list 1,000, p99", "ms", False),
    Metric("million_list_cpu", "million group: server CPU, list", "ms/op", False),
    Metric("million_rss", "million group: server peak RSS", "MiB", False),
    Metric("million_fill_rate", "million group: offline fill", "objects/s", True),
    Metric("million_start", "million group: daemon start", "ms", False),
    Metric("mpu8x8", "multipart 8 x 8 MiB", "MB/s", True),
    Metric("mpu8x8_complete", "Complete 8 x 8 MiB", "ms", False),
    Metric("mpu64x16", "multipart 64 x 16 MiB", "MB/s", True),
    Metric("mpu64x16_complete", "Complete 64 x 16 MiB", "ms", False),
    Metric("rss_mpu", "server peak RSS, multipart", "MiB", False),
]


@dataclass(frozen=True)
class Record:
    """
    One figure from one repetition on one server.
    """

    peer: str
    rep: int
    metric: str
    value: float | None
    load: float
    #: the workload was not run on this server (the reason is in the notes)
    skipped: bool = False


def _fmt(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _ratio(r: float) -> str:
    """
    Two significant figures at least, so 0.004x does not print as 0.00x.
    """
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


def _median(records: list[Record], peer: str, metric: str) -> tuple[float | None, float | None, int]:
    got = [r for r in records if r.peer == peer and r.metric == metric and r.value is not None]
    if not got:
        skipped = any(r.skipped for r in records if r.peer == peer and r.metric == metric)
        return None, None, -1 if skipped else 0
    return (statistics.median(r.value for r in got if r.value is not None),
            statistics.median(r.load for r in got), len(got))


def table(records: list[Record], peers: list[str]) -> list[list[str]]:
    """
    Rows of cells: header first, then one row per metric that any server
    reported; a cell reads C{median (load L)}, n/a when nothing was measured,
    "not run" when the workload was skipped on that server.
    """
    others = [p for p in peers if p != "ours"] if "ours" in peers else []
    head = ["workload", "unit", "better"] + peers + [f"ours/{p}" for p in others]
    rows = [head]
    seen = {r.metric for r in records}
    for m in METRICS:
        if m.key not in seen:
            continue
        row = [m.label, m.unit, "higher" if m.higher else "lower"]
        medians: dict[str, float | None] = {}
        for p in peers:
            value, load, n = _median(records, p, m.key)
            medians[p] = value
            if value is None:
                row.append("not run" if n < 0 else "n/a")
            else:
                row.append(f"{_fmt(value)} (load {load:.1f})")
        ours = medians.get("ours")
        for p in others:
            theirs = medians.get(p)
            if not m.ratio:
                row.append("-")
            else:
                row.append("n/a" if ours is None or not theirs else _ratio(ours / theirs))
        rows.append(row)
    return rows


def render_text(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |",
           "|" + "|".join(["---"] + ["---"] * 2 + ["---:"] * (len(rows[0]) - 3)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)
