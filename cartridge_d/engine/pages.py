"""
Page framing and B+tree node encoding (docs/format.md, "Pages" and
"B+tree nodes").

A page is one block: a 16-byte frame (CRC32C, type, level, entry count,
birth txn) and a payload. The CRC covers the page number too, so a page
written to the wrong place fails its check.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Union

from crc32c import crc32c

from .codec import KEY_HEAD_SIZE, Key, decode_key, encode_key
from .constants import (
    PAGE_BRANCH,
    PAGE_HEADER_SIZE,
    PAGE_LEAF,
)
from .errors import CorruptCartridge

_FRAME = struct.Struct("<IBBHQ")
_PAGENO = struct.Struct("<Q")
_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")
_OVERFLOW = struct.Struct("<QQQQ")
#: Leaf entry: key length prefix, value flag, then u16 length + bytes or an
#: overflow reference.
OVERFLOW_REF_SIZE = 1 + _OVERFLOW.size


@dataclass(frozen=True)
class Overflow:
    """
    A leaf value too large for the leaf: C{length} bytes in a run of
    C{count} overflow pages from C{start}, written in txn C{birth}.
    """

    start: int
    count: int
    length: int
    birth: int


#: A leaf value: bytes inline, or a reference to overflow pages.
Value = Union[bytes, Overflow]


def page_checksum(pageno: int, page: bytes | bytearray | memoryview) -> int:
    return crc32c(memoryview(page)[4:], crc32c(_PAGENO.pack(pageno)))


def frame(pageno: int, ptype: int, level: int, count: int, birth: int,
          payload: bytes, block_size: int) -> bytes:
    """
    Build the bytes of page C{pageno}: frame, payload, zero padding.
    """
    if len(payload) > block_size - PAGE_HEADER_SIZE:
        raise ValueError("payload too large for page")
    body = bytearray(block_size)
    _FRAME.pack_into(body, 0, 0, ptype, level, count, birth)
    body[PAGE_HEADER_SIZE:PAGE_HEADER_SIZE + len(payload)] = payload
    struct.pack_into("<I", body, 0, page_checksum(pageno, body))
    return bytes(body)


def unframe(pageno: int, page: bytes) -> tuple[int, int, int, int]:
    """
    Verify page C{pageno}; return (type, level, count, birth).
    """
    crc, ptype, level, count, birth = _FRAME.unpack_from(page, 0)
    if crc != page_checksum(pageno, page):
        raise CorruptCartridge("page %d fails its checksum" % pageno)
    return ptype, level, count, birth


def fits_inline(key: Key, value: bytes, max_entry: int) -> bool:
    """
    Whether C{value} stays in the leaf: the entry (key length, key, flag,
    value length, value) must be at most C{max_entry} bytes.
    """
    return 5 + KEY_HEAD_SIZE + len(key[1]) + len(key[2]) + len(value) <= max_entry


def leaf_entry_size(key: Key, value: Value, max_entry: int) -> int:
    """
    Bytes the entry takes in a leaf page; values that would make the entry
    larger than C{max_entry} go to overflow pages.
    """
    ks = 2 + KEY_HEAD_SIZE + len(key[1]) + len(key[2])
    if isinstance(value, bytes) and ks + 3 + len(value) <= max_entry:
        return ks + 3 + len(value)
    return ks + OVERFLOW_REF_SIZE


def branch_entry_size(key: Key) -> int:
    return 2 + KEY_HEAD_SIZE + len(key[1]) + len(key[2]) + 8


def encode_leaf_entry(key: Key, value: Value) -> bytes:
    """
    One leaf entry; C{value} must be inline-sized bytes or an Overflow.
    """
    k = encode_key(key)
    if isinstance(value, Overflow):
        return b"".join((_U16.pack(len(k)), k, b"\x01",
                         _OVERFLOW.pack(value.start, value.count, value.length, value.birth)))
    return b"".join((_U16.pack(len(k)), k, b"\x00", _U16.pack(len(value)), value))


def encode_leaf(keys: list[Key], values: list[Value]) -> bytes:
    """
    Encode a leaf payload (the caller moves big values out first).
    """
    return b"".join(encode_leaf_entry(k, v) for k, v in zip(keys, values))


def decode_leaf(payload: bytes, count: int) -> tuple[list[Key], list[Value], list[bytes | None]]:
    """
    Decode a leaf payload into keys, values and each entry's bytes (kept so
    an unchanged entry is not encoded again when the leaf is rewritten).
    """
    keys: list[Key] = []
    values: list[Value] = []
    entries: list[bytes | None] = []
    off = 0
    for _ in range(count):
        (klen,) = _U16.unpack_from(payload, off)
        key, end = decode_key(payload, off + 2)
        if end != off + 2 + klen:
            raise CorruptCartridge("bad key length in leaf")
        flag = payload[end]
        start = off
        if flag == 0:
            (vlen,) = _U16.unpack_from(payload, end + 1)
            values.append(payload[end + 3:end + 3 + vlen])
            off = end + 3 + vlen
        elif flag == 1:
            values.append(Overflow(*_OVERFLOW.unpack_from(payload, end + 1)))
            off = end + OVERFLOW_REF_SIZE
        else:
            raise CorruptCartridge("bad value flag in leaf")
        keys.append(key)
        entries.append(payload[start:off])
    if off > len(payload):
        raise CorruptCartridge("leaf entries overrun the page")
    return keys, values, entries


def encode_branch(keys: list[Key], children: list[int]) -> bytes:
    parts = [_U64.pack(children[0])]
    for key, child in zip(keys, children[1:]):
        k = encode_key(key)
        parts.append(_U16.pack(len(k)))
        parts.append(k)
        parts.append(_U64.pack(child))
    return b"".join(parts)


def decode_branch(payload: bytes, count: int) -> tuple[list[Key], list[int]]:
    (first,) = _U64.unpack_from(payload, 0)
    keys: list[Key] = []
    children = [first]
    off = 8
    for _ in range(count):
        (klen,) = _U16.unpack_from(payload, off)
        key, end = decode_key(payload, off + 2)
        if end != off + 2 + klen:
            raise CorruptCartridge("bad key length in branch")
        keys.append(key)
        (child,) = _U64.unpack_from(payload, end)
        children.append(child)
        off = end + 8
    if off > len(payload):
        raise CorruptCartridge("branch entries overrun the page")
    return keys, children


def blob_pages(length: int, block_size: int) -> int:
    """
    Pages needed for a blob of C{length} bytes (plus its u64 length).
    """
    per = block_size - PAGE_HEADER_SIZE
    return max(1, -(-(length + 8) // per))


def encode_blob(start: int, ptype: int, birth: int, data: bytes, block_size: int,
                pages: int | None = None) -> bytes:
    """
    Frame C{data} as a run of pages from C{start} (overflow values, the free
    list, the snapshot table): a u64 length, then the bytes, page by page,
    padded to C{pages} pages if given.
    """
    per = block_size - PAGE_HEADER_SIZE
    stream = _U64.pack(len(data)) + data
    n = blob_pages(len(data), block_size)
    if pages is not None:
        if pages < n:
            raise ValueError("blob needs %d pages, has %d" % (n, pages))
        n = pages
    return b"".join(
        frame(start + i, ptype, 0, 0, birth, stream[i * per:(i + 1) * per], block_size)
        for i in range(n))


def decode_blob(start: int, ptype: int, raw: bytes, block_size: int) -> tuple[bytes, int]:
    """
    Verify and unframe a blob read from C{start}; return (data, birth).
    """
    per = block_size - PAGE_HEADER_SIZE
    n = len(raw) // block_size
    if n == 0:
        raise CorruptCartridge("empty blob at page %d" % start)
    chunks = []
    birth = 0
    for i in range(n):
        page = raw[i * block_size:(i + 1) * block_size]
        got, _level, _count, b = unframe(start + i, page)
        if got != ptype:
            raise CorruptCartridge("page %d has type %d, expected %d" % (start + i, got, ptype))
        if i == 0:
            birth = b
        chunks.append(page[PAGE_HEADER_SIZE:PAGE_HEADER_SIZE + per])
    stream = b"".join(chunks)
    (length,) = _U64.unpack_from(stream, 0)
    if length + 8 > len(stream):
        raise CorruptCartridge("blob at page %d is truncated" % start)
    return stream[8:8 + length], birth


NODE_TYPES = (PAGE_LEAF, PAGE_BRANCH)
