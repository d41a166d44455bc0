"""
The engine benchmarks of issue 3, in one run, as one table of figures next
to their targets.

    python benchmarks/engine_bench.py [--objects N] [--quick] [--dir DIR]

1. Many small objects: fill a cartridge with N objects of 100 bytes (keys
   "dir%04d/file%07d", random order, 5,000 puts per commit) and report the
   fill rate; then, in a fresh process each time, open it warm (page cache
   as the fill left it) and cold (page cache dropped, when allowed), list
   1,000 keys from random starts, look up random keys, and read the
   process's peak RSS; and compare the file size with payload plus keys.
2. Streaming write of one large body with its commit against
   C{dd bs=1M conv=fdatasync} of the same size, alternated.
3. Group commit: commits/s of 16 threads against 1 thread, 4 KiB objects.

The engine is called directly (no HTTP). Every loop is bounded in count
and time; files go to a temporary directory (under /tmp unless told)
that is removed at the end. The machine is shared: every row carries the
one-minute load average at the start of its measurement.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_common import Row, drop_page_cache, loadavg, render  # noqa: E402
from engine_group import run_group  # noqa: E402
from engine_small import fill, run_reader  # noqa: E402
from engine_stream import run_stream  # noqa: E402


def log(msg: str) -> None:
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def small_rows(directory: str, n: int, fill_limit: float, listings: int,
               lookups: int, cold: bool) -> tuple[list[Row], list[str]]:
    path = os.path.join(directory, "small.cart")
    log("filling %d objects (at most %.0f s)" % (n, fill_limit))
    f = fill(path, n, fill_limit)
    notes = []
    if not f.complete:
        notes.append("fill cut short by its time limit: %d of %d objects" % (f.objects, n))
    rows = [
        Row("fill rate (%d objects, 5,000 per commit)" % f.objects,
            "%.0f objects/s (%.0f s)" % (f.objects / f.seconds, f.seconds), "", None, f.load),
        Row("file size / (payload + keys)",
            "%.2fx (%.1f MiB / %.1f MiB; blocks in use %.2fx)"
            % (f.file_size / f.payload_and_keys, f.file_size / 2**20,
               f.payload_and_keys / 2**20, f.used_bytes / f.payload_and_keys),
            "<= 1.5x", f.file_size <= 1.5 * f.payload_and_keys, f.load),
    ]
    runs = [("warm", False)] + ([("cold", True)] if cold else [])
    for label, drop in runs:
        if drop and not drop_page_cache():
            notes.append("cold open skipped: dropping the page cache was refused")
            continue
        log("reader (%s)" % label)
        r = run_reader(path, n, f.objects, listings, lookups, 600)
        ld = r["load"]

        def ms(k: str, r: dict[str, float] = r) -> float:
            return 1000 * r[k]
        if r["errors"]:
            notes.append("%s reader: %d wrong answers" % (label, r["errors"]))
        rows += [
            Row("open, %s (fresh process)" % label, "%.0f ms" % ms("open_s"), "<= 1000 ms",
                ms("open_s") <= 1000, ld),
            Row("first lookup after open, %s" % label, "%.1f ms" % ms("first_get_s"), "",
                None, ld),
            Row("list 1,000 keys, %s: median (p99), %d listings" % (label, r["listings"]),
                "%.1f ms (%.1f ms); CPU median %.1f ms"
                % (ms("list_p50_s"), ms("list_p99_s"), ms("list_cpu_p50_s")), "<= 50 ms",
                ms("list_p50_s") <= 50, ld),
            Row("lookup, %s: p99 (median), %d lookups" % (label, r["lookups"]),
                "%.2f ms (%.2f ms); CPU p99 %.2f ms"
                % (ms("get_p99_s"), ms("get_p50_s"), ms("get_cpu_p99_s")), "<= 5 ms",
                ms("get_p99_s") <= 5, ld),
            Row("reader peak RSS (VmHWM), %s" % label,
                "%.0f MiB (%.0f MiB before open)" % (r["vm_hwm_mib"],
                                                   r["vm_hwm_before_open_mib"]),
                "<= 200 MB", r["vm_hwm_mib"] * 2**20 <= 200e6, ld),
        ]
    os.unlink(path)
    return rows, notes


def stream_rows(directory: str, mib: int, rounds: int) -> list[Row]:
    log("streaming %d MiB, %d rounds against dd" % (mib, rounds))
    got = run_stream(directory, mib, rounds)
    dd = statistics.median(r.dd_s for r in got)
    eng = statistics.median(r.engine_s for r in got)
    ld = statistics.median(r.load for r in got)
    size = mib * 2**20 / 1e6
    bare = statistics.median(r.engine_no_md5_s for r in got)
    md5 = statistics.median(r.md5_s for r in got)
    each = ", ".join("%.0f%%" % (100 * r.dd_s / r.engine_s) for r in got)
    return [
        Row("dd bs=1M conv=fdatasync, %d MiB (median of %d)" % (mib, rounds),
            "%.0f MB/s" % (size / dd), "", None, ld),
        Row("engine writer + commit, %d MiB (median of %d)" % (mib, rounds),
            "%.0f MB/s" % (size / eng), "", None, ld),
        Row("engine / dd (each round: %s)" % each, "%.0f%%" % (100 * dd / eng), ">= 70%",
            dd / eng >= 0.7, ld),
        Row("diagnosis: MD5 alone, one core, same bytes", "%.0f MB/s (%.0f%% of dd)"
            % (size / md5, 100 * dd / md5), "", None, ld),
        Row("diagnosis: engine with MD5 stubbed out", "%.0f MB/s (%.0f%% of dd)"
            % (size / bare, 100 * dd / bare), "", None, ld),
    ]


def group_rows(directory: str, seconds: float, rounds: int) -> list[Row]:
    """
    Rounds of (1 thread, 16 threads), alternated so that the shared
    machine's changing load hits both; the ratio is taken per round and
    the median quoted.
    """
    path = os.path.join(directory, "group.cart")
    log("group commit: %d rounds of 1 thread then 16, %.0f s each" % (rounds, seconds))
    pairs = [(run_group(path, 1, seconds), run_group(path, 16, seconds))
             for _ in range(rounds)]
    ratios = [many.rate / one.rate for one, many in pairs]
    rows = []
    for which in (0, 1):
        runs = [p[which] for p in pairs]
        mid = sorted(runs, key=lambda g: g.rate)[len(runs) // 2]
        rows.append(Row("commits/s, %d thread%s, 4 KiB, median of %d (its p50 / p99 latency; "
                        "CPU per commit; disk sync probe)"
                        % (mid.threads, "s" if mid.threads > 1 else "", rounds),
                        "%.0f (%.1f / %.1f ms; %.0f us; %.2f ms)"
                        % (mid.rate, 1000 * mid.p50_s, 1000 * mid.p99_s,
                           1e6 * mid.cpu_per_commit_s, 1000 * mid.sync_s),
                        "", None, mid.load))
    ratio = statistics.median(ratios)
    rows.append(Row("16 threads / 1 thread (each round, with the 1-thread run's sync probe: %s)"
                    % ", ".join("%.1fx at %.2f ms" % (r, 1000 * p[0].sync_s)
                                for r, p in zip(ratios, pairs)), "%.1fx" % ratio, ">= 4x",
                    ratio >= 4, statistics.median(p[1].load for p in pairs)))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--objects", type=int, default=None,
                   help="small objects to fill (default 1,000,000; 50,000 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="50,000 objects, 256 MiB stream, 1 round of each, 3 s group runs")
    p.add_argument("--stream-mib", type=int, default=None, help="default 1024 (256 quick)")
    p.add_argument("--fill-limit", type=float, default=900,
                   help="seconds the fill may take before it stops (default 900)")
    p.add_argument("--dir", default=None, help="where the temporary directory goes")
    p.add_argument("--no-cold", action="store_true", help="do not drop the page cache")
    p.add_argument("--only", default="small,stream,group",
                   help="comma-separated subset of small,stream,group")
    args = p.parse_args()
    n = args.objects or (50_000 if args.quick else 1_000_000)
    mib = args.stream_mib or (256 if args.quick else 1024)
    rounds = 1 if args.quick else 3
    group_s = 3.0 if args.quick else 5.0
    only = set(args.only.split(","))

    directory = tempfile.mkdtemp(prefix="cartridge-engine-bench-", dir=args.dir)
    free = shutil.disk_usage(directory).free
    need = 2 * mib * 2**20 + n * 400
    if free < need:
        raise SystemExit("%s has %.1f GiB free, needs about %.1f GiB"
                         % (directory, free / 2**30, need / 2**30))
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    t0 = time.monotonic()
    rows: list[Row] = []
    notes: list[str] = []
    try:
        if "small" in only:
            r, notes = small_rows(directory, n, args.fill_limit, 200 if not args.quick else 100,
                                  10_000 if not args.quick else 2_000, not args.no_cold)
            rows += r
        if "stream" in only:
            rows += stream_rows(directory, mib, rounds)
        if "group" in only:
            rows += group_rows(directory, group_s, rounds)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print("engine benchmark, %s, %s, %d cores, Python %s, load at end %.2f, %.0f s"
          % (started, platform.node(), os.cpu_count() or 0, platform.python_version(),
             loadavg(), time.monotonic() - t0))
    print("command: %s" % " ".join([os.path.basename(sys.executable)] + sys.argv))
    print()
    print(render(rows))
    for note in notes:
        print("\nnote: " + note)


if __name__ == "__main__":
    main()
