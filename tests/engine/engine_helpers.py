"""
Shared helpers for the engine tests: build records and store bodies.
"""

from __future__ import annotations

import hashlib
import time

from cartridge_d.engine import BucketRecord, Cartridge, DataRef, ObjectRecord


def make_bucket(cart: Cartridge, name: str = "b", versioning: str = "") -> None:
    cart.put_bucket(BucketRecord(name=name, owner="owner", created_ns=1, versioning=versioning))


def store(cart: Cartridge, data: bytes, piece: int = 1 << 20, hint: bool = True) -> DataRef:
    """
    Stream C{data} through a writer in pieces of C{piece} bytes.
    """
    w = cart.writer(len(data) if hint else None)
    for i in range(0, len(data), piece):
        w.write(data[i:i + piece])
    return w.finish()


def record(bucket: str, key: str, *refs: DataRef, **kw: object) -> ObjectRecord:
    size = sum(r.size for r in refs)
    return ObjectRecord(bucket=bucket, key=key, size=size,
                        etag=hashlib.md5(b"".join(r.md5 for r in refs)).hexdigest(),
                        mtime_ns=time.time_ns(), segments=tuple(refs), **kw)  # type: ignore[arg-type]


def put(cart: Cartridge, bucket: str, key: str, data: bytes, **kw: object) -> ObjectRecord:
    return cart.put_object(record(bucket, key, store(cart, data)), **kw)  # type: ignore[arg-type]


def body(cart: Cartridge, bucket: str, key: str, version_id: str | None = None) -> bytes | None:
    with cart.view() as v:
        rec = v.get_object(bucket, key, version_id)
        if rec is None or rec.delete_marker:
            return None
        return v.read(rec, 0, rec.size)
