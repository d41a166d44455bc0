"""
Fill a fresh cartridge with many small objects offline, through the engine
API, for the C{million} workload group (L{million}).

    python benchmarks/million_fill.py CARTRIDGE N SECONDS

Run with the checkout on C{PYTHONPATH} (it imports C{cartridge_d}), while
no daemon has the cartridge open. It writes C{CARTRIDGE.credentials} first
(as the daemon would on first start) so that the bucket and every object
belong to the key the benchmark signs with, then commits the objects in
key order in big batches: one commit per L{FILL_BATCH} objects, not one
sync per object as PUTs over HTTP would cost, which is what makes a
million objects take about a minute instead of half an hour. Bodies are
{BODY_SIZE} bytes, small enough to be stored inline in the record, so a
data reference is made directly instead of through a writer.

Stops early, keeping what is committed, after C{SECONDS}. Prints one JSON
object on stdout: C{objects} (committed, the first C{objects} keys of
L{key_of}), C{seconds}, C{file_size}, C{access_key}.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

from cartridge_d.auth.credentials import CredentialStore
from cartridge_d.engine import BucketRecord, Cartridge, DataRef, ObjectRecord, PutObject

BUCKET = "million"
BODY_SIZE = 100
#: Objects per commit: keys arrive in order, so a commit rewrites a run of
#: neighbouring leaves and a few branches, and bigger batches mean fewer syncs.
FILL_BATCH = 20000


def key_of(i: int) -> str:
    """
    The key of object C{i}: 1,000 keys per "directory", sorting in the order
    of C{i} (the benchmark side has the same function; it must not import
    this module, which imports the engine).
    """
    return "dir%04d/file%07d" % (i // 1000, i)


def body_of(i: int) -> bytes:
    """
    A L{BODY_SIZE}-byte body unique to object C{i}, so ETags differ.
    """
    return (b"%010d" % i) * (BODY_SIZE // 10)


def fill(path: str, n: int, seconds: float) -> dict[str, object]:
    """
    Create C{path} with its credentials file and commit up to C{n} objects.
    """
    access = next(iter(CredentialStore.generate(path + ".credentials"))).access_key
    deadline = time.monotonic() + seconds
    t0 = time.monotonic()
    done = 0
    cart = Cartridge.open(path, blocks=8192)
    try:
        cart.put_bucket(BucketRecord(BUCKET, access, time.time_ns()))
        for start in range(0, n, FILL_BATCH):
            if time.monotonic() >= deadline:
                break
            now = time.time_ns()
            ops = []
            for i in range(start, min(n, start + FILL_BATCH)):
                body = body_of(i)
                md5 = hashlib.md5(body).digest()
                ref = DataRef(size=BODY_SIZE, md5=md5, inline=body)
                ops.append(PutObject(ObjectRecord(BUCKET, key_of(i), BODY_SIZE, md5.hex(), now,
                                                  owner=access, segments=(ref,))))
            cart.commit(ops)
            done += len(ops)
    finally:
        cart.close()
    return {"objects": done, "seconds": time.monotonic() - t0,
            "file_size": os.path.getsize(path), "access_key": access}


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit("usage: million_fill.py CARTRIDGE N SECONDS")
    print(json.dumps(fill(argv[0], int(argv[1]), float(argv[2]))))


if __name__ == "__main__":
    main(sys.argv[1:])
