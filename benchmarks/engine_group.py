"""
Group commit: T threads each writing 4 KiB objects and committing them
one at a time, for a fixed time; commits per second with 16 threads
against 1 thread.

Every commit is a durable one (data synced, header written and synced), so
one thread is bound by the sync latency; many threads can only go faster
if their commits share syncs.
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

    @property
    def rate(self) -> float:
        return self.commits / self.seconds


def run_group(path: str, threads: int, seconds: float) -> GroupResult:
    """
    C{threads} threads put distinct 4 KiB objects (writer, finish,
    C{put_object}) into a fresh cartridge at C{path} for C{seconds}.
    """
    load = loadavg()
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
    start.wait()
    for w in workers:
        w.join(seconds + 120)
    elapsed = time.monotonic() - t0
    cart.close()
    os.unlink(path)
    if failures:
        raise failures[0]
    every = [x for lat in latencies for x in lat]
    return GroupResult(threads, len(every), elapsed, percentile(every, 50),
                       percentile(every, 99), load)
