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

from .binary import varint
from .constants import (
    KIND_OBJECT,
    MAX_BLOCK_SIZE,
    MAX_SEQ,
    PAGE_BRANCH,
    PAGE_HEADER_SIZE,
    PAGE_LEAF,
)
from .errors import CorruptCartridge
from .keys import KEY_HEAD_SIZE, Key, decode_key, encode_key

_FRAME = struct.Struct("<IBBHQ")
#: the frame after its CRC
_FRAME_REST = struct.Struct("<BBHQ")
_U32 = struct.Struct("<I")
#: padding for any page (blocks are at most MAX_BLOCK_SIZE)
_ZEROS = memoryview(bytes(MAX_BLOCK_SIZE))
_PAGENO = struct.Struct("<Q")
_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")
_OVERFLOW = struct.Struct("<QQQQ")


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

    The CRC is taken piece by piece and the page joined once: a commit
    frames every page it writes (a 4 KiB PUT's group commit about 20), and
    filling a zeroed buffer, then copying it out, took half again as long.
    """
    pad = block_size - PAGE_HEADER_SIZE - len(payload)
    if pad < 0:
        raise ValueError("payload too large for page")
    head = _FRAME_REST.pack(ptype, level, count, birth)
    zeros = _ZEROS[:pad]
    crc = crc32c(zeros, crc32c(payload, crc32c(head, crc32c(_PAGENO.pack(pageno)))))
    return b"".join((_U32.pack(crc), head, payload, zeros))


def unframe(pageno: int, page: bytes) -> tuple[int, int, int, int]:
    """
    Verify page C{pageno}; return (type, level, count, birth).
    """
    crc, ptype, level, count, birth = _FRAME.unpack_from(page, 0)
    if crc != page_checksum(pageno, page):
        raise CorruptCartridge("page %d fails its checksum" % pageno)
    return ptype, level, count, birth


def _get_varint(buf: bytes, off: int) -> tuple[int, int]:
    """
    The varint at C{off} and the offset after it.
    """
    b = buf[off]
    if b < 0x80:
        return b, off + 1
    n, shift = b & 0x7F, 7
    while True:
        off += 1
        b = buf[off]
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, off + 1
        shift += 7
        if shift > 28:
            raise CorruptCartridge("varint too long in leaf")


def flat_key(key: Key) -> bytes:
    """
    The form a leaf stores a key in before prefix compression
    (docs/format.md, "Nodes"): kind, bucket length, bucket, object key, the
    number as minimal big-endian bytes, their count. Shared heads (kind,
    bucket, the start of the object key) come first, so neighbouring keys
    share long prefixes; object versions store their small sequence number
    rather than the large inverted one.
    """
    kind, a, b, n = key
    m = MAX_SEQ - n if kind == KIND_OBJECT else n
    mb = m.to_bytes((m.bit_length() + 7) >> 3, "big")
    return b"".join((bytes((kind, len(a))), a, b, mb, bytes((len(mb),))))


def parse_flat_key(flat: bytes) -> Key:
    end = len(flat) - 1
    if end < 2:
        raise CorruptCartridge("leaf key too short")
    la, ml = flat[1], flat[end]
    bend = end - ml
    if ml > 8 or 2 + la > bend:
        raise CorruptCartridge("bad leaf key lengths")
    kind = flat[0]
    m = int.from_bytes(flat[bend:end], "big")
    return (kind, flat[2:2 + la], flat[2 + la:bend], MAX_SEQ - m if kind == KIND_OBJECT else m)


def _shared(a: bytes, b: bytes) -> int:
    """
    The length of the longest common prefix of C{a} and C{b}: the two
    prefixes of equal length XORed as big-endian integers have their
    highest set bit in the first byte that differs (three C calls instead
    of a bisection over slices; this runs for every leaf insert).
    """
    n = min(len(a), len(b))
    x = int.from_bytes(a[:n], "big") ^ int.from_bytes(b[:n], "big")
    return n - ((x.bit_length() + 7) >> 3)


def key_part(prev: bytes, flat: bytes) -> bytes:
    """
    A leaf entry's key: bytes shared with the previous entry's flat key
    (C{prev}, empty for the first entry), then the rest.
    """
    s = _shared(prev, flat)
    r = len(flat) - s
    if s < 0x80 and r < 0x80:
        return bytes((s, r)) + flat[s:]
    return varint(s) + varint(r) + flat[s:]


#: The value part of an entry whose value goes to an overflow run at flush:
#: the same size as the reference that will replace it.
PENDING_OVERFLOW = b"\x00" + bytes(_OVERFLOW.size)


def fits_inline(key: Key, value: bytes, max_entry: int) -> bool:
    """
    Whether C{value} stays in the leaf: the entry with its key
    uncompressed (as the first entry of a leaf) must be at most
    C{max_entry} bytes, so an entry never outgrows that limit wherever it
    moves.
    """
    kind, a, b, n = key
    m = MAX_SEQ - n if kind == KIND_OBJECT else n
    return _fits(3 + len(a) + len(b) + ((m.bit_length() + 7) >> 3), len(value), max_entry)


def _fits(flat: int, value: int, max_entry: int) -> bool:
    """
    L{fits_inline} for a flat key of C{flat} bytes and a value of C{value}.
    """
    v = value + 1
    return 1 + _varint_size(flat) + flat + _varint_size(v) + v - 1 <= max_entry


def _varint_size(n: int) -> int:
    return 1 if n < 0x80 else (n.bit_length() + 6) // 7


def is_pending(entry: bytes) -> bool:
    """
    Whether C{entry}, whose value is bytes, holds L{PENDING_OVERFLOW}: its
    value part starts with 0, which no inline value's does.
    """
    _s, p = _get_varint(entry, 0)
    rest, p = _get_varint(entry, p)
    return entry[p + rest] == 0


def leaf_entry(prev: bytes, key: Key, value: Value, max_entry: int,
               flat: bytes | None = None) -> bytes:
    """
    One leaf entry after the entry whose flat key is C{prev} (C{flat} is
    C{key}'s, if the caller has it). A value too large to stay inline gets
    L{PENDING_OVERFLOW} until the flush places it.
    """
    if flat is None:
        flat = flat_key(key)
    kp = key_part(prev, flat)
    if isinstance(value, Overflow):
        return kp + b"\x00" + _OVERFLOW.pack(value.start, value.count, value.length, value.birth)
    if not _fits(len(flat), len(value), max_entry):
        return kp + PENDING_OVERFLOW
    return kp + varint(len(value) + 1) + value


def rehead(entry: bytes, prev: bytes, key: Key, old_prev: bytes | None = None) -> bytes:
    """
    C{entry} (of C{key}) re-encoded to follow the flat key C{prev}: its key
    part changes, its value part is kept as is. C{old_prev}, if given, is
    the flat key C{entry} follows now, from which its own flat key is
    rebuilt instead of encoded again from C{key}.
    """
    if entry[0] < 0x80 and entry[1] < 0x80:
        s, p, rest = entry[0], 2, entry[1]
    else:
        s, p = _get_varint(entry, 0)
        rest, p = _get_varint(entry, p)
    end = p + rest
    flat = flat_key(key) if old_prev is None else old_prev[:s] + entry[p:end]
    return key_part(prev, flat) + entry[end:]


def decode_leaf(payload: bytes, count: int) -> tuple[list[Key], list[Value], list[bytes]]:
    """
    Decode a leaf payload into keys, values and each entry's bytes (kept so
    an unchanged entry is not encoded again when the leaf is rewritten).
    Keys are rebuilt from their shared prefixes in one pass.
    """
    keys: list[Key] = []
    values: list[Value] = []
    entries: list[bytes] = []
    off = 0
    prev = b""
    end = len(payload)
    for _ in range(count):
        start = off
        shared = payload[off]
        rest = payload[off + 1]
        if shared < 0x80 and rest < 0x80:
            off += 2
        else:
            shared, off = _get_varint(payload, off)
            rest, off = _get_varint(payload, off)
        if shared > len(prev):
            raise CorruptCartridge("leaf key shares more than the previous key has")
        flat = prev[:shared] + payload[off:off + rest] if shared else payload[off:off + rest]
        off += rest
        if len(flat) != shared + rest:
            raise CorruptCartridge("leaf entries overrun the page")
        keys.append(parse_flat_key(flat))
        prev = flat
        v = payload[off]
        if v == 0:
            if off + 1 + _OVERFLOW.size > end:
                raise CorruptCartridge("leaf entries overrun the page")
            values.append(Overflow(*_OVERFLOW.unpack_from(payload, off + 1)))
            off += 1 + _OVERFLOW.size
        else:
            if v >= 0x80:
                v, off = _get_varint(payload, off)
            else:
                off += 1
            values.append(payload[off:off + v - 1])
            off += v - 1
        if off > end:
            raise CorruptCartridge("leaf entries overrun the page")
        entries.append(payload[start:off])
    return keys, values, entries


def branch_entry_size(key: Key) -> int:
    return 2 + KEY_HEAD_SIZE + len(key[1]) + len(key[2]) + 8


def branch_heads(keys: list[Key], memo: dict[Key, bytes] | None = None) -> list[bytes]:
    """
    The encoded head (length and key) of each separator of a branch.
    C{memo}, if given, maps keys to their heads and learns the ones it
    lacks: a commit rewrites the same few branches, whose keys rarely change.
    """
    heads = []
    for key in keys:
        head = memo.get(key) if memo is not None else None
        if head is None:
            k = encode_key(key)
            head = _U16.pack(len(k)) + k
            if memo is not None:
                memo[key] = head
        heads.append(head)
    return heads


def encode_branch(keys: list[Key], children: list[int],
                  heads: list[bytes] | None = None) -> bytes:
    """
    A branch payload; C{heads}, if given, are L{branch_heads}C{(keys)}.
    """
    if heads is None:
        heads = branch_heads(keys)
    kids = list(map(_U64.pack, children))
    parts = kids + heads
    parts[0::2] = kids
    parts[1::2] = heads
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
