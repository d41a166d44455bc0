"""
Streaming write of one large body with its commit, against
C{dd bs=1M conv=fdatasync} writing as many bytes to the same file system
in the same run.

The engine side pays what the server pays for a PUT: the writer hashes
every byte (MD5 and per-chunk CRC32C), writes it to fresh extents, and the
commit syncs the data before switching the header. The source is a 64 MiB
random buffer made once and cut into 1 MiB C{bytes} slices (one copy per
slice, as the HTTP layer hands the engine fresh C{bytes}).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass

from engine_common import loadavg

from cartridge_d.engine import BucketRecord, Cartridge, ObjectRecord

SLICE = 1 << 20
BUFFER = 64 << 20


@dataclass(frozen=True)
class StreamRound:
    dd_s: float
    engine_s: float
    load: float


def dd_seconds(path: str, mib: int) -> float:
    """
    Wall time of C{dd if=/dev/zero of=path bs=1M count=mib conv=fdatasync}.
    """
    t = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M", "count=%d" % mib,
                    "conv=fdatasync"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600)
    return time.perf_counter() - t


def engine_seconds(path: str, mib: int, source: bytes) -> float:
    """
    Wall time to write C{mib} MiB through one engine writer and commit the
    object, from an existing empty cartridge (the file's growth included).
    """
    total = mib * SLICE
    cart = Cartridge.open(path, create=False)
    try:
        t = time.perf_counter()
        w = cart.writer(total)
        offset = 0
        for _ in range(mib):
            if offset + SLICE > len(source):
                offset = 0
            w.write(source[offset:offset + SLICE])
            offset += SLICE
        ref = w.finish()
        cart.put_object(ObjectRecord("bench", "big", total, ref.md5.hex(), time.time_ns(),
                                     segments=(ref,)))
        elapsed = time.perf_counter() - t
    finally:
        cart.close()
    return elapsed


def run_stream(directory: str, mib: int, rounds: int) -> list[StreamRound]:
    """
    C{rounds} pairs of (dd, engine) runs, each on a fresh file that is
    deleted afterwards (and synced away, so the next round starts even).
    """
    source = os.urandom(BUFFER)
    out = []
    for _ in range(rounds):
        load = loadavg()
        dd_path = os.path.join(directory, "dd.bin")
        dd_s = dd_seconds(dd_path, mib)
        os.unlink(dd_path)
        os.sync()
        cart_path = os.path.join(directory, "stream.cart")
        cart = Cartridge.open(cart_path)
        cart.put_bucket(BucketRecord("bench", "bench", time.time_ns()))
        cart.close()
        eng_s = engine_seconds(cart_path, mib, source)
        os.unlink(cart_path)
        os.sync()
        out.append(StreamRound(dd_s, eng_s, load))
    return out
