"""
Why the small-object cartridge is larger than its contents: a fill like
C{engine_bench.py}'s, with the allocator watched.

    python benchmarks/engine_diag.py [--objects N] [--batch B] [--sorted]

It wraps (in this process only, the engine files are not changed) the
allocator's C{_grow} and C{_take}, and reports: how full the catalog's
leaves are and what an entry costs, how often the file grew,
how many blocks were free at that moment and how large the largest free
run was (growth while many blocks are free means the request wanted one
contiguous run the fragmented free space did not have), the commit-page
requests by size, and the time spent in the free map's first-fit scan.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_small import fill  # noqa: E402

from cartridge_d.engine import freespace  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--objects", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=5000)
    p.add_argument("--sorted", action="store_true", help="fill in key order")
    p.add_argument("--seconds", type=float, default=300)
    args = p.parse_args()

    import engine_small
    engine_small.FILL_BATCH = args.batch
    grows: list[tuple[int, int, int, int]] = []  # need, total, free, largest run
    takes: Counter[str] = Counter()
    scan = [0.0, 0]
    Alloc = freespace.Allocator
    real_grow, real_take = Alloc._grow, Alloc._take
    real_fit = freespace.FreeMap.first_fit

    def grow(self: freespace.Allocator, need: int) -> None:
        grows.append((need, self.total, self.free.total, self.free.largest()[1]))
        real_grow(self, need)

    def take(self: freespace.Allocator, want: int, minimum: int) -> object:
        bucket = "1" if want == 1 else "2-16" if want <= 16 else "17-256" if want <= 256 \
            else ">256"
        takes["%s blocks, %s" % (bucket, "exact" if want == minimum else "up to")] += 1
        return real_take(self, want, minimum)

    def first_fit(self: freespace.FreeMap, n: int) -> int | None:
        t = time.perf_counter()
        try:
            return real_fit(self, n)
        finally:
            scan[0] += time.perf_counter() - t
            scan[1] += 1

    Alloc._grow = grow  # type: ignore[method-assign]
    Alloc._take = take  # type: ignore[method-assign,assignment]
    freespace.FreeMap.first_fit = first_fit  # type: ignore[method-assign]

    with tempfile.TemporaryDirectory(prefix="cartridge-engine-diag-") as d:
        path = os.path.join(d, "diag.cart")
        f = fill(path, args.objects, args.seconds, shuffle=not args.sorted, progress=False)
        Alloc._grow, Alloc._take = real_grow, real_take  # type: ignore[method-assign]
        freespace.FreeMap.first_fit = real_fit  # type: ignore[method-assign]
        profiles = profile_reads(path, f.objects)
        shape = tree_shape(path)
    print("%d objects, %s order, %d per commit: %.0f objects/s"
          % (f.objects, "key" if args.sorted else "random", args.batch, f.objects / f.seconds))
    print("file %.1f MiB, blocks in use %.1f MiB, payload+keys %.1f MiB: %.2fx / %.2fx"
          % (f.file_size / 2**20, f.used_bytes / 2**20, f.payload_and_keys / 2**20,
             f.file_size / f.payload_and_keys, f.used_bytes / f.payload_and_keys))
    print("allocations: " + ", ".join("%s: %d" % kv for kv in sorted(takes.items())))
    print("first-fit scans: %d, %.2f s in all" % (scan[1], scan[0]))
    print("file grew %d times; at each growth (wanted, total, free, largest free run):"
          % len(grows))
    for g in grows[-8:]:
        print("  wanted %6d  total %8d  free %8d  largest free run %6d" % g)
    print(shape)
    print(profiles)


def tree_shape(path: str) -> str:
    """
    How full the catalog's pages are: leaves and branches, entries per leaf,
    bytes per leaf entry and the leaves' mean fill (docs/format.md, "Nodes").
    """
    from cartridge_d.engine.blockfile import OsFile
    from cartridge_d.engine.header import read_slots
    from cartridge_d.engine.store import NodeStore

    file = OsFile.open(path, writable=False, lock=False)
    try:
        slots = [h for h in read_slots(file) if h is not None]
        h = max(slots, key=lambda h: h.txn)
        store = NodeStore(file, h.block_size, 16)
        leaves = branches = entries = used = 0
        stack = [h.catalog_root] if h.catalog_root else []
        while stack:
            node = store.read_node(stack.pop())
            if node.leaf:
                leaves += 1
                entries += len(node.keys)
                used += node.size
            else:
                branches += 1
                stack.extend(node.vals)
    finally:
        file.close()
    if not leaves:
        return "catalog: empty"
    return ("catalog: %d leaves, %d branches; %.1f entries and %.1f bytes per entry a leaf;"
            " leaves %.1f%% full" % (leaves, branches, entries / leaves, used / max(1, entries),
                                      100 * used / (leaves * store.capacity)))


def profile_reads(path: str, n: int) -> str:
    """
    cProfile of one open of C{path} and of 20 listings of 1,000 keys, the
    top functions by own time.
    """
    import cProfile
    import io
    import itertools
    import pstats
    import random

    from engine_small import BUCKET, key_of

    from cartridge_d.engine import Cartridge
    out = io.StringIO()
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    cart = Cartridge.open(path, create=False)
    prof.disable()
    out.write("open: %.0f ms (under cProfile)\n" % (1000 * (time.perf_counter() - t)))
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(8)
    rnd = random.Random(4)
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for _ in range(20):
        with cart.view() as v:
            list(itertools.islice(v.list_objects(
                BUCKET, start_after=key_of(rnd.randrange(max(1, n - 1001)))), 1000))
    prof.disable()
    out.write("20 listings: %.0f ms each (under cProfile)\n"
              % (1000 * (time.perf_counter() - t) / 20))
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(10)
    cart.close()
    return out.getvalue()


if __name__ == "__main__":
    main()
