"""
The two header slots (docs/format.md, "Header slots").

The first 43 bytes keep the Rust original's layout (magic, version, block
size, total and free blocks, catalog root, fuse bytes 40-42). Our fields
follow; the last 4 bytes of the 256 are a CRC32C of the rest. Commit N
writes slot N % 2, so the previous commit's slot is never touched while a
new one is written.

test-case-name: tests.engine.test_engine_files
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crc32c import crc32c

from .constants import (
    HEADER_SIZE,
    MAGIC,
    MAX_BLOCK_SIZE,
    MIN_BLOCK_SIZE,
    OLDEST_MINOR,
    VERSION_MAJOR,
    VERSION_MINOR,
)
from .errors import NotACartridge, UnsupportedVersion
from .types import Fuses

if TYPE_CHECKING:
    from .blockfile import BlockFile

_LAYOUT = struct.Struct("<8sHHIQQQBBBBI" "QQQQQ16sQQQ")
_CRC_AT = HEADER_SIZE - 4


@dataclass(frozen=True)
class Header:
    """
    The decoded fields of one header slot.
    """

    block_size: int
    total_blocks: int
    free_blocks: int
    catalog_root: int
    fuses: Fuses
    txn: int
    freelist_start: int
    freelist_pages: int
    snaptab_start: int
    snaptab_pages: int
    uuid: bytes
    created_ns: int
    objects: int
    buckets: int
    version: tuple[int, int] = (VERSION_MAJOR, VERSION_MINOR)

    def evolve(self, **changes: object) -> "Header":
        """
        A copy with C{changes}. Filled in through its C{__dict__}: the
        frozen dataclass's own C{__init__} (which dataclasses.replace calls)
        sets each of the 15 fields through C{object.__setattr__}, several
        times the cost, and every commit's leader evolves the header.
        This relies on Header having a C{__dict__} and no C{__post_init__}:
        adding C{slots=True} or a C{__post_init__} must bring back
        dataclasses.replace (tests/engine/test_engine_group.py compares
        the two).
        """
        if not changes.keys() <= _FIELDS:
            raise TypeError("Header has no field %s" % sorted(changes.keys() - _FIELDS))
        new = object.__new__(Header)
        new.__dict__.update(self.__dict__, **changes)
        return new


_FIELDS = frozenset(Header.__dataclass_fields__)


def encode_header(h: Header) -> bytes:
    body = bytearray(HEADER_SIZE)
    _LAYOUT.pack_into(
        body, 0, MAGIC, h.version[0], h.version[1], h.block_size, h.total_blocks,
        h.free_blocks, h.catalog_root, h.fuses.versioning, h.fuses.acl, h.fuses.sse, 0, 0,
        h.txn, h.freelist_start, h.freelist_pages, h.snaptab_start, h.snaptab_pages,
        h.uuid, h.created_ns, h.objects, h.buckets)
    struct.pack_into("<I", body, _CRC_AT, crc32c(bytes(body[:_CRC_AT])))
    return bytes(body)


def check_identity(raw: bytes) -> None:
    """
    Raise NotACartridge or UnsupportedVersion unless C{raw} (the first bytes
    of the file) starts like a cartridge of the version this code reads.
    Checks only fields that do not depend on the checksum, so a damaged
    slot 0 of a real cartridge still passes and slot 1 can take over.
    """
    if len(raw) < 12 or raw[:8] != MAGIC:
        raise NotACartridge("not a cartridge file (bad magic)")
    major, minor = struct.unpack_from("<HH", raw, 8)
    if not readable(major, minor):
        newer = (major, minor) > (VERSION_MAJOR, VERSION_MINOR)
        raise UnsupportedVersion(
            "cartridge format %d.%d is %s than the %d.%d to %d.%d this program reads"
            % (major, minor, "newer" if newer else "older", VERSION_MAJOR, OLDEST_MINOR,
               VERSION_MAJOR, VERSION_MINOR))


def readable(major: int, minor: int) -> bool:
    """
    Whether this code reads format C{major}.C{minor}: 2.1 (every CRC table
    in its record) and 2.2.
    """
    return major == VERSION_MAJOR and OLDEST_MINOR <= minor <= VERSION_MINOR


def decode_header(raw: bytes) -> Header | None:
    """
    Decode one slot, or None if it fails its magic, version or checksum.
    """
    if len(raw) < HEADER_SIZE or raw[:8] != MAGIC:
        return None
    (crc,) = struct.unpack_from("<I", raw, _CRC_AT)
    if crc != crc32c(bytes(raw[:_CRC_AT])):
        return None
    (_m, major, minor, bs, total, free, root, fv, fa, fs, _r1, _r2, txn, fl_start, fl_pages,
     st_start, st_pages, uuid, created, objects, buckets) = _LAYOUT.unpack_from(raw, 0)
    if not readable(major, minor):
        return None
    if bs < MIN_BLOCK_SIZE or bs > MAX_BLOCK_SIZE or bs & (bs - 1):
        return None
    return Header(block_size=bs, total_blocks=total, free_blocks=free, catalog_root=root,
                  fuses=Fuses(fv, fa, fs), txn=txn, freelist_start=fl_start,
                  freelist_pages=fl_pages, snaptab_start=st_start, snaptab_pages=st_pages,
                  uuid=uuid, created_ns=created, objects=objects, buckets=buckets,
                  version=(major, minor))


def read_slots(file: "BlockFile") -> tuple[Header | None, Header | None]:
    """
    Both header slots, each None unless valid. Slot 1 sits at one block
    size from the start; if slot 0 is damaged its block size field is not
    trusted and every legal block size is tried.
    """
    raw0 = file.pread(HEADER_SIZE, 0)
    slot0 = decode_header(raw0)
    offsets = [slot0.block_size] if slot0 is not None else slot_offsets(raw0)
    for off in offsets:
        h = decode_header(file.pread(HEADER_SIZE, off))
        if h is not None and h.block_size == off:
            return slot0, h
    return slot0, None


def slot_offsets(raw0: bytes) -> list[int]:
    """
    Candidate offsets of slot 1: the block size slot 0 claims first, then
    every legal block size (slot 0 may be the damaged one).
    """
    out = []
    if len(raw0) >= 16:
        (bs,) = struct.unpack_from("<I", raw0, 12)
        if MIN_BLOCK_SIZE <= bs <= MAX_BLOCK_SIZE and not bs & (bs - 1):
            out.append(bs)
    bs = MIN_BLOCK_SIZE
    while bs <= MAX_BLOCK_SIZE:
        if bs not in out:
            out.append(bs)
        bs *= 2
    return out
