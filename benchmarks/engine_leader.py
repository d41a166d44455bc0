"""
The group commit leader's CPU per object: the serial part of a group
commit, measured without the threads, the GIL hand-offs or the disk.

    python benchmarks/engine_leader.py [--batches N] [--batch B] [--profile]

One thread writes B 4 KiB bodies, then runs them as one batch of B
requests (one PutObject each, prepared as a follower would) through the
cartridge's batch runner, like a leader that found B requests queued; it
reports the thread CPU time of the batch runner per object (the apply,
the flush, the syncs' system time) as a median over the batches. With 16
threads a batch holds about 14 requests (docs/perf-commit.md), so B is 14
by default. The cartridge lives in /dev/shm where there is one, so syncs
are nearly free and the figure is mostly CPU.

With --profile it prints the top of a cProfile of the batch runner.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time

from engine_common import loadavg, percentile

from cartridge_d.engine import BucketRecord, Cartridge, ObjectRecord, PutObject
from cartridge_d.engine.commitqueue import Request
from cartridge_d.engine.operations import prepare

BODY = 4096


def run(directory: str, batches: int, batch: int, profile: cProfile.Profile | None
        ) -> list[float]:
    """
    Thread CPU seconds per object of each of C{batches} batches.
    """
    path = os.path.join(directory, "leader.cart")
    body = os.urandom(BODY)
    cart = Cartridge.open(path, blocks=8192)
    out = []
    try:
        cart.put_bucket(BucketRecord("bench", "bench", time.time_ns()))
        n = 0
        for _ in range(batches):
            reqs = []
            for t in range(batch):
                w = cart.writer(BODY)
                w.write(body)
                ref = w.finish()
                rec = ObjectRecord("bench", "t%02d/%08d" % (t, n), BODY, ref.md5.hex(),
                                   time.time_ns(), segments=(ref,))
                reqs.append(Request(prepare([PutObject(rec)])))
            n += 1
            if profile is not None:
                profile.enable()
            t0 = time.thread_time()
            cart._run_batch(reqs)  # the leader's whole serial part
            cpu = time.thread_time() - t0
            if profile is not None:
                profile.disable()
            for r in reqs:
                if r.error is not None:
                    raise r.error
            out.append(cpu / batch)
    finally:
        cart.close()
        os.unlink(path)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batches", type=int, default=1500)
    p.add_argument("--batch", type=int, default=14)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    args = p.parse_args()
    prof = cProfile.Profile() if args.profile else None
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=args.dir) as d:
            load = loadavg()
            per = run(d, args.batches, args.batch, prof)
        print("round %d: %d batches of %d: leader CPU per object p50 %.1f us, "
              "p90 %.1f us (load %.2f)" % (r, args.batches, args.batch,
                                            percentile(per, 50) * 1e6,
                                            percentile(per, 90) * 1e6, load))
    if prof is not None:
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
