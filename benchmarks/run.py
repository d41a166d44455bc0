"""
Run every workload against ours and the peers, interleaved, and print one
table of medians and ratios.

    python benchmarks/run.py [--quick] [--peers ours,moto,s3rver,seaweedfs] [--reps N]
                             [--groups large,small,list,multipart,million]
                             [--million-objects N]

Peers are installed from their registries on first use into
C{~/.cache/cartridge-bench} (or C{$CARTRIDGE_BENCH_CACHE}), each started
once on 127.0.0.1 with a fresh data directory and stopped by its PID at the
end.  Within a repetition each workload group runs on every server in
turn, in an order rotated from one repetition to the next, so slow drift
in the machine's load spreads over all of them.  Before each server's turn
the page cache is flushed (C{sync}), untimed: a server that leaves its
writes dirty would otherwise make the next server's syncs wait for them.  The table (text on
stdout, markdown and JSON in the cache's results/ unless told otherwise)
quotes medians over the repetitions.

The C{million} group is different: it builds its own cartridge offline and
starts its own daemon on it (L{million.Million}); the peers cannot be
filled that way and are marked "not run".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import Target  # noqa: E402
from million import NOT_RUN, Million  # noqa: E402
from peers import CACHE, PEERS, Running, log, version_of  # noqa: E402
from procstat import loadavg  # noqa: E402
from report import METRICS, Record, render_markdown, render_text, table  # noqa: E402
from workloads import GROUPS, Plan  # noqa: E402

#: Every group: the shared-server ones, then the one with a server of its own.
ALL_GROUPS = [*GROUPS, "million"]


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke mode: fewer and shorter workloads, one repetition")
    ap.add_argument("--peers", default="ours,moto,s3rver,seaweedfs",
                    help="comma-separated servers (ours, moto, s3rver, seaweedfs)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3, quick 1)")
    ap.add_argument("--groups", default=",".join(GROUPS),
                    help=f"comma-separated workload groups ({', '.join(ALL_GROUPS)}; "
                         "default all but million)")
    ap.add_argument("--million-objects", type=int, default=None,
                    help="objects in the million group's cartridge (default 1,000,000, "
                         "quick 100,000)")
    ap.add_argument("--markdown", type=Path, default=None, help="where to write the table")
    args = ap.parse_args(argv)
    args.peers = [p for p in args.peers.split(",") if p]
    args.groups = [g for g in args.groups.split(",") if g]
    for p in args.peers:
        if p not in PEERS:
            ap.error(f"unknown peer {p!r}")
    for g in args.groups:
        if g not in ALL_GROUPS:
            ap.error(f"unknown group {g!r}")
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    args.reps = max(1, min(args.reps, 20))
    if args.million_objects is not None and args.million_objects < 2000:
        ap.error("--million-objects must be at least 2000")
    return args


def machine() -> str:
    """
    One paragraph on the machine, for the report.
    """
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip("\n")
    return (f"nproc {os.cpu_count()}, kernel {platform.release()}, "
            f"Python {platform.python_version()}, load average at start {loadavg():.2f}\n\n"
            f"```\n{mem}\n```")


def start_all(names: list[str], root: Path, notes: list[str]) -> dict[str, Running]:
    running: dict[str, Running] = {}
    for name in names:
        peer = PEERS[name]
        try:
            peer.setup()
            workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
            running[name] = peer.start(workdir)
            log(f"{name} on 127.0.0.1:{running[name].port}, pid {running[name].pid}")
        except Exception as e:  # noqa: BLE001 - a peer that cannot start is reported, not fatal
            notes.append(f"{name}: did not start ({type(e).__name__}: {e})")
            log(notes[-1])
    return running


def stop_all(running: dict[str, Running], notes: list[str]) -> None:
    """
    Stop every server by its PID, in parallel (SeaweedFS takes seconds).
    """
    def stop(r: Running) -> None:
        problem = r.stop()
        if problem:
            notes.append(problem)

    threads = [threading.Thread(target=stop, args=(r,)) for r in running.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def run_million(million: Million, order: list[str], rep: int, records: list[Record],
                notes: list[str]) -> None:
    """
    One repetition of the million group: ours on its own daemon; every
    other server marked "not run" (once), with the reason in the notes.
    """
    keys = [m.key for m in METRICS if m.key.startswith("million_")]
    for name in order:
        load = loadavg()
        if name != "ours":
            if rep == 0:
                records.extend(Record(name, rep, k, None, load, skipped=True) for k in keys)
                notes.append(f"{name}: million: {NOT_RUN}")
            continue
        log(f"rep {rep + 1} million on ours (load {load:.2f})")
        t0 = time.monotonic()
        try:
            res = million.run(rep)
        except Exception as e:  # noqa: BLE001 - reported, the other groups go on
            notes.append(f"ours million rep {rep}: {type(e).__name__}: {e}"[:400])
            log(notes[-1])
            continue
        notes.extend(f"ours: {n}" for n in res.notes if f"ours: {n}" not in notes)
        records.extend(Record(name, rep, k, v, load) for k, v in res.values.items())
        log(f"  {time.monotonic() - t0:.1f}s: " + ", ".join(
            f"{k}={v:.2f}" for k, v in res.values.items() if v is not None))


def main(argv: list[str]) -> int:
    args = parse(argv)
    plan = Plan.make(args.quick)
    if args.million_objects is not None:
        plan.million_objects = args.million_objects
    command = f"{Path(sys.executable).name} benchmarks/run.py {shlex.join(argv)}".rstrip()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    about = machine()
    notes: list[str] = []
    CACHE.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE))
    versions = {name: version_of(name) for name in args.peers}
    running = start_all(args.peers, root, notes)
    million = Million(root, plan)
    records: list[Record] = []
    t_start = time.monotonic()
    try:
        names = list(running)
        for rep in range(args.reps):
            for group in args.groups:
                order = names[rep % len(names):] + names[:rep % len(names)] if names else []
                if group == "million":
                    run_million(million, order, rep, records, notes)
                    continue
                for name in order:
                    server = running[name]
                    if not server.alive():
                        notes.append(f"{name}: died before {group} rep {rep}: {server.log_tail(5)}")
                        continue
                    target = Target(name, server.port, server.access_key, server.secret_key,
                                    server.list_v1)
                    os.sync()
                    load = loadavg()
                    t0 = time.monotonic()
                    log(f"rep {rep + 1}/{args.reps} {group} on {name} (load {load:.2f})")
                    try:
                        res = GROUPS[group](target, server.pid, plan, rep)
                    except Exception as e:  # noqa: BLE001 - one failing server must not stop the run
                        notes.append(f"{name} {group} rep {rep}: {type(e).__name__}: {e}"[:400])
                        log(notes[-1])
                        continue
                    for n in res.notes:
                        log(f"{name}: {n}")
                        if f"{name}: {n}" not in notes:
                            notes.append(f"{name}: {n}")
                    records += [Record(name, rep, k, v, load) for k, v in res.values.items()]
                    log(f"  {time.monotonic() - t0:.1f}s: " + ", ".join(
                        f"{k}={v:.1f}" for k, v in res.values.items() if v is not None))
    finally:
        problem = million.close()
        if problem:
            notes.append(problem)
        stop_all(running, notes)
    elapsed = time.monotonic() - t_start
    rows = table(records, [p for p in args.peers if p in running])
    print(render_text(rows))
    for n in notes:
        print("note:", n)
    md = "\n".join([
        f"Run of {started}, {elapsed:.0f} s of workloads, {args.reps} repetition(s)"
        f"{' (quick)' if args.quick else ''}.", "",
        f"Machine: {about}", "",
        f"Command: `{command}`", "",
        "Servers: " + ", ".join(f"{k} {v}" for k, v in versions.items()), "",
        render_markdown(rows), "",
        *([f"- {n}" for n in notes] or ["No errors."]), "",
    ])
    out = args.markdown or CACHE / "results" / time.strftime("%Y%m%d-%H%M%S.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md)
    out.with_suffix(".json").write_text(json.dumps([asdict(r) for r in records], indent=1))
    log(f"markdown: {out}")
    try:
        root.rmdir()
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
