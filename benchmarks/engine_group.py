"""
Group commit: T threads each writing 4 KiB objects and committing them
one at a time, for a fixed time; commits per second with 16 threads
against 1 thread.

Every commit is a durable one (data synced, header written and synced), so
one thread is bound by the sync latency; many threads can only go faster
if their commits share syncs.

Besides the rate, each run reports the process's CPU time per commit (what
the commit path costs, whatever the disk does) and the median latency of a
4 KiB pwrite + fdatasync probe taken just before it: the ratio of 16 threads
to 1 depends on that latency (slow syncs make sharing them worth more), so
runs are comparable only at similar sync latencies.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from engine_common import loadavg, percentile

from cartridge_d.engine import BucketRecord, Cartridge, ObjectRecord

BODY = 4096
#: Per-thread bound on commits, beside the time bound.
MAX_COMMITS = 200_000


@dataclass(frozen=True)
class GroupResult:
    threads: int
    commits: int
    seconds: float
    p50_s: float
    p99_s: float
    load: float
    cpu_s: float
    sync_s: float

    @property
    def rate(self) -> float:
        return self.commits / self.seconds

    @property
    def cpu_per_commit_s(self) -> float:
        return self.cpu_s / max(1, self.commits)


def sync_probe(directory: str, rounds: int = 30) -> float:
    """
    Median seconds of a 4 KiB pwrite + fdatasync in C{directory}: the
    disk's sync latency at the moment (it varies with the other load on a
    shared machine).
    """
    path = os.path.join(directory, "sync-probe.bin")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        block = os.urandom(4096)
        times = []
        for i in range(rounds):
            t = time.perf_counter()
            os.pwrite(fd, block, 4096 * (i % 8))
            os.fdatasync(fd)
            times.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    return percentile(times, 50)


def run_group(path: str, threads: int, seconds: float) -> GroupResult:
    """
    C{threads} threads put distinct 4 KiB objects (writer, finish,
    C{put_object}) into a fresh cartridge at C{path} for C{seconds}.
    """
    load = loadavg()
    sync_s = sync_probe(os.path.dirname(path) or ".")
    body = os.urandom(BODY)
    cart = Cartridge.open(path, blocks=8192)
    cart.put_bucket(BucketRecord("bench", "bench", time.time_ns()))
    start = threading.Barrier(threads + 1)
    latencies: list[list[float]] = [[] for _ in range(threads)]
    failures: list[BaseException] = []
    end = [0.0]

    def work(t: int) -> None:
        mine = latencies[t]
        start.wait()
        try:
            for n in range(MAX_COMMITS):
                if time.monotonic() >= end[0]:
                    return
                t0 = time.perf_counter()
                w = cart.writer(BODY)
                w.write(body)
                ref = w.finish()
                cart.put_object(ObjectRecord("bench", "t%02d/%08d" % (t, n), BODY,
                                             ref.md5.hex(), time.time_ns(),
                                             segments=(ref,)))
                mine.append(time.perf_counter() - t0)
        except BaseException as e:  # reported after the run
            failures.append(e)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    t0 = time.monotonic()
    end[0] = t0 + seconds
    cpu0 = time.process_time()
    start.wait()
    for w in workers:
        w.join(seconds + 120)
    elapsed = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    cart.close()
    os.unlink(path)
    if failures:
        raise failures[0]
    every = [x for lat in latencies for x in lat]
    return GroupResult(threads, len(every), elapsed, percentile(every, 50),
                       percentile(every, 99), load, cpu, sync_s)
