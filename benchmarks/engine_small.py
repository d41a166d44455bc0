"""
The many-small-objects benchmark: fill a cartridge with N objects of about
100 bytes, then open it in a fresh process and measure open time, listings,
lookups and peak RSS there.

The reader runs as a subprocess (C{python engine_small.py read PATH N}) so
that nothing the filling process cached (its page cache of catalog nodes,
its allocator) helps it; with root the kernel's page cache can be dropped
too, for a cold open. It prints one JSON object on stdout.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Sequence

from engine_common import Deadline, loadavg, percentile, vm_hwm_mib

from cartridge_d.engine import BucketRecord, Cartridge, ObjectRecord, PutObject

BUCKET = "bench"
BODY_SIZE = 100
#: Objects per commit while filling: large enough that the fill is not a
#: million fsyncs, small enough that one commit's rewritten nodes stay modest.
FILL_BATCH = 5000


def key_of(i: int) -> str:
    """
    The key of object C{i}: 1,000 "directories" of 1,000 files each, so
    keys sort in the order of C{i}.
    """
    return "dir%04d/file%07d" % (i // 1000, i)


def body_of(i: int, noise: bytes) -> bytes:
    """
    A 100-byte body, different for every object (so MD5s differ) and not
    trivially compressible.
    """
    start = (i * 7919) % (len(noise) - BODY_SIZE)
    return b"%07d" % i + noise[start:start + BODY_SIZE - 7]


@dataclass(frozen=True)
class FillResult:
    objects: int
    seconds: float
    payload_and_keys: int
    file_size: int
    used_bytes: int
    load: float
    complete: bool


def fill(path: str, n: int, seconds: float, shuffle: bool = True,
         progress: bool = True) -> FillResult:
    """
    Create C{path} and put C{n} objects through the engine API (a writer
    per body, C{commit} of L{FILL_BATCH} puts), in random key order unless
    told otherwise; stop early, with what is committed, after C{seconds}.
    """
    load = loadavg()
    noise = random.Random(1).randbytes(1 << 20)
    order = list(range(n))
    if shuffle:
        random.Random(2).shuffle(order)
    cart = Cartridge.open(path, blocks=8192)
    deadline = Deadline(seconds)
    done = payload = 0
    t0 = time.monotonic()
    try:
        cart.put_bucket(BucketRecord(BUCKET, "bench", time.time_ns()))
        for start in range(0, n, FILL_BATCH):
            if deadline.passed():
                break
            ops = []
            for i in order[start:start + FILL_BATCH]:
                body = body_of(i, noise)
                w = cart.writer(len(body))
                w.write(body)
                ref = w.finish()
                key = key_of(i)
                payload += len(body) + len(key.encode())
                ops.append(PutObject(ObjectRecord(BUCKET, key, len(body), ref.md5.hex(),
                                                  time.time_ns(), segments=(ref,))))
            cart.commit(ops)
            done += len(ops)
            if progress and sys.stderr.isatty():
                rate = done / max(1e-9, time.monotonic() - t0)
                print("\r  fill %d/%d (%.0f objects/s)" % (done, n, rate),
                      end="", file=sys.stderr, flush=True)
        elapsed = time.monotonic() - t0
        info = cart.info()
    finally:
        cart.close()
        if progress and sys.stderr.isatty():
            print(file=sys.stderr)
    used = (info.total_blocks - info.free_blocks) * info.block_size
    return FillResult(done, elapsed, payload, os.path.getsize(path), used, load,
                      done == n)


def filled_order(n_requested: int, n_done: int) -> Sequence[int]:
    """
    The object numbers a (possibly cut short) fill committed, sorted. A
    complete fill is a C{range}, which costs the reader no memory; a cut
    short one is a list of ints (about 36 bytes each), which shows in its
    peak RSS.
    """
    if n_done == n_requested:
        return range(n_requested)
    order = list(range(n_requested))
    random.Random(2).shuffle(order)
    return sorted(order[:n_done])


def read_benchmark(path: str, present: Sequence[int], listings: int, lookups: int,
                   seconds: float) -> dict[str, object]:
    """
    In this (fresh) process: open C{path}, list 1,000 keys from random
    starts C{listings} times, look up C{lookups} random keys (one view
    each, as a server request would), and report wall times (and the
    thread's CPU time for the same calls) and VmHWM. Every
    answer is checked: a missing key or a short listing is counted.
    """
    rnd = random.Random(3)
    deadline = Deadline(seconds)
    rss_before = vm_hwm_mib()
    t = time.perf_counter()
    cart = Cartridge.open(path, create=False)
    open_s = time.perf_counter() - t
    errors = 0
    try:
        t = time.perf_counter()
        with cart.view() as v:
            first = v.get_object(BUCKET, key_of(present[len(present) // 2]))
        first_get_s = time.perf_counter() - t
        errors += first is None
        list_s: list[float] = []
        list_cpu: list[float] = []
        for _ in range(listings):
            if deadline.passed():
                break
            at = rnd.randrange(max(1, len(present) - 1001))
            t, c = time.perf_counter(), time.thread_time()
            with cart.view() as v:
                got = list(itertools.islice(
                    v.list_objects(BUCKET, start_after=key_of(present[at])), 1000))
            list_s.append(time.perf_counter() - t)
            list_cpu.append(time.thread_time() - c)
            want = min(1000, len(present) - at - 1)
            if len(got) != want or (got and got[0].key != key_of(present[at + 1])):
                errors += 1
        get_s: list[float] = []
        get_cpu: list[float] = []
        for _ in range(lookups):
            if deadline.passed():
                break
            i = present[rnd.randrange(len(present))]
            t, c = time.perf_counter(), time.thread_time()
            with cart.view() as v:
                rec = v.get_object(BUCKET, key_of(i))
            get_s.append(time.perf_counter() - t)
            get_cpu.append(time.thread_time() - c)
            if rec is None or rec.size != BODY_SIZE:
                errors += 1
    finally:
        cart.close()
    return {
        "open_s": open_s,
        "first_get_s": first_get_s,
        "listings": len(list_s),
        "list_p50_s": percentile(list_s, 50),
        "list_p99_s": percentile(list_s, 99),
        "lookups": len(get_s),
        "get_p50_s": percentile(get_s, 50),
        "get_p99_s": percentile(get_s, 99),
        # CPU time of the same calls: when wall p99 is far above it, the
        # tail is time spent waiting for a CPU or the disk, not work
        "list_cpu_p50_s": percentile(list_cpu, 50),
        "get_cpu_p99_s": percentile(get_cpu, 99),
        "vm_hwm_mib": vm_hwm_mib(),
        "vm_hwm_before_open_mib": rss_before,
        "errors": errors,
    }


def run_reader(path: str, n_requested: int, n_done: int, listings: int, lookups: int,
               seconds: float) -> dict[str, float]:
    """
    Run L{read_benchmark} in a fresh interpreter and return its figures
    (all numbers), with the load average at its start.
    """
    load = loadavg()
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "read", path, str(n_requested),
         str(n_done), str(listings), str(lookups), str(seconds)],
        check=True, stdout=subprocess.PIPE, timeout=seconds + 300).stdout
    result = {k: float(v) for k, v in json.loads(out).items()}
    result["load"] = load
    return result


def main(argv: list[str]) -> None:
    if len(argv) != 7 or argv[0] != "read":
        raise SystemExit("usage: engine_small.py read PATH N DONE LISTINGS LOOKUPS SECONDS")
    path, n, done, listings, lookups, seconds = argv[1:]
    present = filled_order(int(n), int(done))
    print(json.dumps(read_benchmark(path, present, int(listings), int(lookups),
                                    float(seconds))))


if __name__ == "__main__":
    main(sys.argv[1:])
