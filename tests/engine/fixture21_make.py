"""
Make tests/engine/fixture21.cart.gz: a small cartridge written by a format
2.1 build (before the CRC tables moved to their own catalog entries), for
tests/engine/test_engine_format22.py. Not a test; run it with a 2.1 build
of cartridge_d first on the path (for example a worktree at a29e5be):

    PYTHONPATH=/tmp/fmt22-base python3 tests/engine/fixture21_make.py OUT.cart

then gzip OUT.cart. The bodies are text patterns, so the file compresses
to a few KiB. What it holds is listed in FIXTURE below.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sys
import time

from cartridge_d.engine import BucketRecord, Cartridge, DataRef, ObjectRecord

#: key -> body size of each object the fixture holds after it is made; the
#: detached bodies are tagged b"up:1" (150 KiB) and b"up:2" (10 KiB); the
#: snapshot "s1" still sees "gone" (100 KiB), deleted after it.
FIXTURE = {"small": 100, "mid": 4096, "big": 300 * 1024, "copy": 300 * 1024,
           "mp": 200 * 1024 + 70 * 1024}


def pattern(name: str, size: int) -> bytes:
    """
    The body of C{name}, C{size} bytes: numbered 1 KiB blocks, so every
    chunk differs and the file still compresses well.
    """
    out = b"".join((b"%s %06d " % (name.encode(), i)).ljust(1024, b".")
                   for i in range(size // 1024 + 1))
    return out[:size]


def _store(cart: Cartridge, data: bytes) -> DataRef:
    w = cart.writer(len(data))
    w.write(data)
    return w.finish()


def _record(key: str, *refs: DataRef) -> ObjectRecord:
    etag = (refs[0].md5.hex() if len(refs) == 1
            else hashlib.md5(b"".join(r.md5 for r in refs)).hexdigest() + "-%d" % len(refs))
    return ObjectRecord(bucket="b", key=key, size=sum(r.size for r in refs), etag=etag,
                        mtime_ns=time.time_ns(), owner="owner", segments=refs)


def make(path: str) -> None:
    with Cartridge.open(path, blocks=256) as cart:
        cart.put_bucket(BucketRecord(name="b", owner="owner", created_ns=1))
        for key in ("small", "mid", "big", "gone"):
            size = FIXTURE.get(key, 100 * 1024)
            cart.put_object(_record(key, _store(cart, pattern(key, size))))
        with cart.view() as v:
            big = v.get_object("b", "big")
        assert big is not None
        cart.put_object(_record("copy", *big.segments))
        p1 = _store(cart, pattern("mp1", 200 * 1024))
        p2 = _store(cart, pattern("mp2", 70 * 1024))
        cart.keep_detached(p1, b"mp:1")
        cart.keep_detached(p2, b"mp:2")
        cart.put_object(_record("mp", p1, p2))
        cart.keep_detached(_store(cart, pattern("up1", 150 * 1024)), b"up:1")
        cart.keep_detached(_store(cart, pattern("up2", 10 * 1024)), b"up:2")
        cart.snapshot_create("s1")
        cart.delete_object("b", "gone")


if __name__ == "__main__":
    make(sys.argv[1])
    with open(sys.argv[1], "rb") as f, gzip.open(sys.argv[1] + ".gz", "wb", 9) as g:
        shutil.copyfileobj(f, g)
