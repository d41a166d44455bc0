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

import hashlib
import os
import subprocess
import time
from dataclasses import dataclass
from typing import Iterator

from engine_common import loadavg

from cartridge_d.engine import BucketRecord, Cartridge, ObjectRecord
from cartridge_d.engine import writer as engine_writer

SLICE = 1 << 20
BUFFER = 64 << 20


@dataclass(frozen=True)
class StreamRound:
    """
    One round: dd, the engine as the server uses it, the engine with its
    MD5 replaced by a no-op (a diagnosis, not a product figure: it shows
    what the engine's own I/O path costs), and MD5 alone over the same
    bytes on one core (the ceiling any single-stream PUT has here).
    """

    dd_s: float
    engine_s: float
    engine_no_md5_s: float
    md5_s: float
    load: float


class _NoMd5:
    """
    Stands in for the writer's MD5 in the diagnostic run only.
    """

    def update(self, data: bytes) -> None:
        pass

    def digest(self) -> bytes:
        return bytes(16)

    def stop(self) -> None:
        pass


def slice_offsets(mib: int, size: int) -> Iterator[int]:
    """
    Offsets of C{mib} 1 MiB slices in a buffer of C{size} bytes, wrapping
    around: a large body from a buffer made once.
    """
    offset = 0
    for _ in range(mib):
        if offset + SLICE > size:
            offset = 0
        yield offset
        offset += SLICE


def md5_seconds(mib: int, source: bytes) -> float:
    """
    Time to MD5 C{mib} MiB in 1 MiB slices of C{source} on one thread.
    """
    h = hashlib.md5()
    view = memoryview(source)
    t = time.perf_counter()
    for offset in slice_offsets(mib, len(source)):
        h.update(view[offset:offset + SLICE])
    h.digest()
    return time.perf_counter() - t


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
        for offset in slice_offsets(mib, len(source)):
            w.write(source[offset:offset + SLICE])
        ref = w.finish()
        cart.put_object(ObjectRecord("bench", "big", total, ref.md5.hex(), time.time_ns(),
                                     segments=(ref,)))
        elapsed = time.perf_counter() - t
    finally:
        cart.close()
    return elapsed


def _fresh_engine_seconds(directory: str, mib: int, source: bytes) -> float:
    cart_path = os.path.join(directory, "stream.cart")
    cart = Cartridge.open(cart_path)
    cart.put_bucket(BucketRecord("bench", "bench", time.time_ns()))
    cart.close()
    try:
        return engine_seconds(cart_path, mib, source)
    finally:
        os.unlink(cart_path)
        os.sync()


def run_stream(directory: str, mib: int, rounds: int) -> list[StreamRound]:
    """
    C{rounds} rounds of (dd, engine, engine without MD5, MD5 alone), each
    write on a fresh file that is deleted afterwards (and synced away, so
    the next one starts even).
    """
    source = os.urandom(BUFFER)
    out = []
    for _ in range(rounds):
        load = loadavg()
        dd_path = os.path.join(directory, "dd.bin")
        dd_s = dd_seconds(dd_path, mib)
        os.unlink(dd_path)
        os.sync()
        eng_s = _fresh_engine_seconds(directory, mib, source)
        real = engine_writer._Md5
        engine_writer._Md5 = _NoMd5  # type: ignore[assignment,misc]
        try:
            bare_s = _fresh_engine_seconds(directory, mib, source)
        finally:
            engine_writer._Md5 = real  # type: ignore[misc]
        out.append(StreamRound(dd_s, eng_s, bare_s, md5_seconds(mib, source), load))
    return out
