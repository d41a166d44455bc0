"""
The snapshot table (docs/format.md, "Snapshot table"): named catalog roots
of past commits, pinned until deleted.

test-case-name: tests.engine.test_engine_space
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import CorruptCartridge


@dataclass(frozen=True)
class SnapshotEntry:
    """
    A row of the snapshot table: the catalog root of commit C{txn}.
    """

    name: str
    txn: int
    root: int
    created_ns: int
    objects: int
    buckets: int


def encode_snapshots(entries: tuple[SnapshotEntry, ...]) -> bytes:
    parts = [struct.pack("<I", len(entries))]
    for e in entries:
        name = e.name.encode("utf-8")
        parts.append(struct.pack("<H", len(name)) + name)
        parts.append(struct.pack("<QQQQQ", e.txn, e.root, e.created_ns, e.objects, e.buckets))
    return b"".join(parts)


def decode_snapshots(data: bytes) -> tuple[SnapshotEntry, ...]:
    (n,) = struct.unpack_from("<I", data, 0)
    off = 4
    out = []
    for _ in range(n):
        (ln,) = struct.unpack_from("<H", data, off)
        name = data[off + 2:off + 2 + ln].decode("utf-8")
        off += 2 + ln
        out.append(SnapshotEntry(name, *struct.unpack_from("<QQQQQ", data, off)))
        off += 40
    if off != len(data):
        raise CorruptCartridge("snapshot table has trailing bytes")
    return tuple(out)
