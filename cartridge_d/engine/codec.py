"""
Byte encodings of catalog values (docs/format.md, "Object records" and
the entries after it); the keys are in keys.py.

Records use a compact positional encoding: unsigned LEB128 varints for
integers and lengths, length-prefixed UTF-8 for strings. Bucket and key are
not repeated in the record (they are in the catalog key), so a small object's
record costs little more than its metadata.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

import functools
import hashlib
import struct
from sys import intern
from typing import Callable

from .binary import Reader, Writer, varint
from .constants import BUCKET_FORMAT
from .errors import CorruptCartridge
from .types import NULL_VERSION, BucketRecord, DataRef, Extent, ObjectRecord


def _safe(decode: Callable[[Reader], object], what: str, data: bytes) -> object:
    try:
        inp = Reader(data, CorruptCartridge)
        value = decode(inp)
        inp.end()
        return value
    except CorruptCartridge:
        raise
    except (IndexError, ValueError, UnicodeDecodeError, struct.error) as e:
        raise CorruptCartridge("bad %s encoding: %s" % (what, e)) from e


#: Data reference kinds (docs/format.md, "Data references"). Kind 3 is
#: kind 1 without its CRC32C table, which is in the CRC entry of its first
#: extent (format 2.2).
_INLINE, _EXTENTS, _INLINE_MD5, _EXTENTS_APART = 0, 1, 2, 3
_EXTENTS_BYTE = bytes((_EXTENTS,))
_APART_BYTE = bytes((_EXTENTS_APART,))


def chunk_count(ref: DataRef) -> int:
    """
    How many CRC32Cs C{ref}'s table holds (0 for an inline body).
    """
    return -(-ref.size // ref.chunk_size) if ref.chunk_size else 0


def table_apart(ref: DataRef) -> bool:
    """
    Whether C{ref}'s CRC32C table lives in a CRC entry of its own (format
    2.2): every body in extents of more than one chunk. A one-chunk body
    (up to 64 KiB, every small PUT) keeps its one CRC in the record, where
    it costs 4 bytes instead of a catalog entry.
    """
    return ref.inline is None and ref.size > ref.chunk_size > 0


def _put_body(out: Writer, ref: DataRef, apart: bool = True) -> None:
    """
    A data reference after its size. An inline body whose MD5 is the MD5 of
    its bytes (every plain PUT) stores neither the MD5 nor its length. A
    body of more than one chunk leaves its CRC table out (C{apart}; the
    catalog writes it in its own entry) and whatever C{ref.crcs} holds is
    not looked at.
    """
    if len(ref.md5) != 16:
        raise ValueError("DataRef.md5 must be 16 bytes")
    if ref.inline is not None:
        if len(ref.inline) == ref.size and hashlib.md5(ref.inline).digest() == ref.md5:
            out.uint(_INLINE_MD5)
            out.raw(ref.inline)
            return
        out.uint(_INLINE)
        out.raw(ref.md5)
        out.blob(ref.inline)
        return
    if apart and table_apart(ref):
        out.raw(_apart_body(ref))
        return
    out.raw(_extents_head(ref))
    out.raw(_shared_varint(ref.chunk_size) + encode_crcs(ref))


#: L{varint} of the numbers the parts of one upload share: their size,
#: block counts and chunk size. A Complete encodes each part twice (its
#: record segment, and the check against its detached entry), and a
#: varint of 2-4 bytes costs about 0.4 us where a cache hit costs 0.1;
#: extent starts, which never repeat, are not cached.
_shared_varint = functools.lru_cache(maxsize=256)(varint)


def _apart_body(ref: DataRef) -> bytes:
    """
    A kind 3 data reference after its size (kind, MD5, extents, chunk
    size; its table is in the CRC entry).
    """
    return _extents_head(ref, _APART_BYTE) + _shared_varint(ref.chunk_size)


def _apart_ref(ref: DataRef) -> bytes:
    """
    A whole kind 3 data reference, size first: a multipart record's
    segment, and what a part's detached entry holds after its owner tag.
    """
    return _shared_varint(ref.size) + _apart_body(ref)


def _extents_head(ref: DataRef, kind: bytes = _EXTENTS_BYTE) -> bytes:
    """
    The start of an extent reference after its size: kind, MD5 and
    extents, in one piece (a Complete encodes and compares 64 of them).
    """
    ext = ref.extents
    if len(ext) == 1:
        e = ext[0]
        return b"".join((kind, ref.md5, b"\x01", varint(e.start), _shared_varint(e.count)))
    return b"".join((kind, ref.md5, varint(len(ext)),
                     *(varint(e.start) + _shared_varint(e.count) for e in ext)))


def encode_crcs(ref: DataRef) -> bytes:
    """
    The CRC32C of each chunk of C{ref}, checked against its size: the
    table that ends a kind 1 reference, and the value of a CRC entry.
    """
    nchunks = chunk_count(ref)
    if len(ref.crcs) != nchunks:
        raise ValueError("DataRef has %d crcs, needs %d" % (len(ref.crcs), nchunks))
    return _crc_struct(nchunks).pack(*ref.crcs)


def decode_crcs(data: bytes, ref: DataRef) -> tuple[int, ...]:
    """
    The table of a CRC entry, which must have one CRC per chunk of C{ref}.
    """
    nchunks = chunk_count(ref)
    if len(data) != 4 * nchunks:
        raise CorruptCartridge("CRC table at block %d has %d bytes, its data needs %d CRCs"
                               % (ref.extents[0].start if ref.extents else 0, len(data),
                                  nchunks))
    return _crc_struct(nchunks).unpack(data)


@functools.lru_cache(maxsize=64)
def _crc_struct(nchunks: int) -> struct.Struct:
    """
    The packing of C{nchunks} CRCs (parts of one size share it).
    """
    return struct.Struct("<%dI" % nchunks)


def _dataref(size: int, md5: bytes, inline: bytes | None, extents: tuple[Extent, ...],
             chunk: int, crcs: tuple[int, ...]) -> DataRef:
    """
    A DataRef of just decoded fields, without the generated C{__init__}'s
    C{object.__setattr__} per field; filled in field order (shared keys).
    """
    ref = object.__new__(DataRef)
    d = ref.__dict__
    d["size"] = size
    d["md5"] = md5
    d["inline"] = inline
    d["extents"] = extents
    d["chunk_size"] = chunk
    d["crcs"] = crcs
    return ref


def _extent(start: int, count: int) -> Extent:
    """An Extent built as L{_dataref} builds a DataRef."""
    e = object.__new__(Extent)
    d = e.__dict__
    d["start"] = start
    d["count"] = count
    return e


def _get_body(inp: Reader, size: int) -> DataRef:
    kind = inp.uint()
    if kind == _INLINE_MD5:
        data = inp.raw(size)
        return _dataref(size, hashlib.md5(data).digest(), data, (), 0, ())
    md5 = inp.raw(16)
    if kind == _INLINE:
        return _dataref(size, md5, inp.blob(), (), 0, ())
    if kind != _EXTENTS and kind != _EXTENTS_APART:
        raise CorruptCartridge("unknown data kind %d" % kind)
    n = inp.uint()
    if n == 1:
        extents: tuple[Extent, ...] = (_extent(inp.uint(), inp.uint()),)
    else:
        extents = tuple(_extent(inp.uint(), inp.uint()) for _ in range(n))
    chunk = inp.uint()
    if chunk <= 0:
        raise CorruptCartridge("zero chunk size")
    if kind == _EXTENTS_APART:
        return _dataref(size, md5, None, extents, chunk, ())
    nchunks = -(-size // chunk)
    crcs = _crc_struct(nchunks).unpack(inp.raw(4 * nchunks))
    return _dataref(size, md5, None, extents, chunk, crcs)


def _put_dataref(out: Writer, ref: DataRef, apart: bool = True) -> None:
    if apart and table_apart(ref) and len(ref.md5) == 16:
        out.parts.append(_apart_ref(ref))  # a multipart record's segment
        return
    out.uint(ref.size)
    _put_body(out, ref, apart)


def _get_dataref(inp: Reader) -> DataRef:
    return _get_body(inp, inp.uint())


def encode_dataref(ref: DataRef) -> bytes:
    """
    Encode one DataRef on its own (size, then the reference), with its
    CRC table whatever its size: there is no catalog to hold it apart.
    """
    out = Writer()
    _put_dataref(out, ref, apart=False)
    return out.getvalue()


def decode_dataref(data: bytes) -> DataRef:
    return _safe(_get_dataref, "data reference", data)  # type: ignore[return-value]


#: Object record flags (docs/format.md, "Object record").
_DELETE_MARKER, _ACL, _SSE, _IMPLIED_ETAG, _NULL_VERSION, _PAIRS, _WHOLE = (
    1, 2, 4, 8, 16, 32, 64)
_KNOWN_FLAGS = 127


def encode_object(rec: ObjectRecord) -> bytes:
    """
    Encode everything of C{rec} except bucket and key (docs/format.md,
    "Object record"): a flags byte says which fields are absent because
    they are empty or follow from others.

    Every PUT's record is encoded here, by the submitting thread, whose
    work is the serial part of a busy group commit; so the three fixed
    fields go into the writer's list in one step instead of a call each.
    """
    segs = rec.segments
    implied_etag = len(segs) == 1 and rec.etag == segs[0].md5.hex()
    whole = len(segs) == 1 and segs[0].size == rec.size
    pairs = bool(rec.headers or rec.meta or rec.checksums)
    null = rec.version_id == NULL_VERSION
    flags = ((rec.delete_marker and _DELETE_MARKER) | (rec.acl is not None and _ACL)
             | (rec.sse is not None and _SSE) | (implied_etag and _IMPLIED_ETAG)
             | (null and _NULL_VERSION) | (pairs and _PAIRS) | (whole and _WHOLE))
    out = Writer()
    out.parts += (bytes((flags,)), varint(rec.size), varint(rec.mtime_ns))
    if not implied_etag:
        out.text(rec.etag)
    out.text(rec.owner)
    if not null:
        out.text(rec.version_id)
    if pairs:
        out.pairs(rec.headers)
        out.pairs(rec.meta)
        out.pairs(rec.checksums)
    if rec.acl is not None:
        out.blob(rec.acl)
    if rec.sse is not None:
        out.blob(rec.sse)
    if whole:
        _put_body(out, segs[0])
    else:
        out.uint(len(segs))
        for seg in segs:
            _put_dataref(out, seg)
    return out.getvalue()


def decode_object(bucket: str, key: str, data: bytes) -> ObjectRecord:
    """
    Decode a record written by L{encode_object}. Listings decode one record
    per key, so this avoids a call per field where it can.
    """
    try:
        inp = Reader(data, CorruptCartridge)
        flags = data[0]
        if flags & ~_KNOWN_FLAGS:
            raise CorruptCartridge("unknown object record flags %#x" % flags)
        inp.pos = 1
        size = inp.uint()
        mtime = inp.uint()
        etag = "" if flags & _IMPLIED_ETAG else inp.text()
        owner = inp.text()
        version = NULL_VERSION if flags & _NULL_VERSION else inp.text()
        headers = meta = checksums = _NO_PAIRS
        if flags & _PAIRS:
            headers, meta, checksums = inp.pairs(), inp.pairs(), inp.pairs()
        acl = inp.blob() if flags & _ACL else None
        sse = inp.blob() if flags & _SSE else None
        if flags & _WHOLE:
            segments: tuple[DataRef, ...] = (_get_body(inp, size),)
        else:
            segments = tuple(_get_dataref(inp) for _ in range(inp.uint()))
        inp.end()
    except CorruptCartridge:
        raise
    except (IndexError, ValueError, UnicodeDecodeError, struct.error) as e:
        raise CorruptCartridge("bad object record encoding: %s" % e) from e
    if flags & _IMPLIED_ETAG:
        if len(segments) != 1:
            raise CorruptCartridge("implied ETag needs exactly one segment")
        etag = segments[0].md5.hex()
    # Item by item in field order, as _dataref: the __dict__ then shares
    # the class's keys (184 bytes, not 464 with a dict update).
    rec = object.__new__(ObjectRecord)
    d = rec.__dict__
    d["bucket"] = bucket
    d["key"] = key
    d["size"] = size
    d["etag"] = etag
    d["mtime_ns"] = mtime
    d["owner"] = intern(owner)  # one user's objects share one string
    d["version_id"] = version
    d["delete_marker"] = bool(flags & _DELETE_MARKER)
    d["headers"] = headers
    d["meta"] = meta
    d["checksums"] = checksums
    d["acl"] = acl
    d["sse"] = sse
    d["segments"] = segments
    return rec


_NO_PAIRS: tuple[tuple[str, str], ...] = ()


def encode_bucket(rec: BucketRecord) -> bytes:
    out = Writer()
    out.raw(bytes((BUCKET_FORMAT, rec.acl is not None and 1 or 0)))
    out.text(rec.owner)
    out.uint(rec.created_ns)
    out.text(rec.region)
    out.text(rec.versioning)
    if rec.acl is not None:
        out.blob(rec.acl)
    out.uint(len(rec.config))
    for name, value in rec.config:
        out.text(name)
        out.blob(value)
    return out.getvalue()


def decode_bucket(name: str, data: bytes) -> BucketRecord:
    def get(inp: Reader) -> BucketRecord:
        fmt, flags = inp.raw(2)
        if fmt != BUCKET_FORMAT:
            raise CorruptCartridge("unknown bucket format %d" % fmt)
        owner = inp.text()
        created = inp.uint()
        region = inp.text()
        versioning = inp.text()
        acl = inp.blob() if flags & 1 else None
        config = tuple((inp.text(), inp.blob()) for _ in range(inp.uint()))
        return BucketRecord(name=name, owner=owner, created_ns=created, region=region,
                            versioning=versioning, acl=acl, config=config)
    return _safe(get, "bucket record", data)  # type: ignore[return-value]


_EXTENT_VALUE = struct.Struct("<QQQ")


def encode_extent(count: int, birth: int, refs: int) -> bytes:
    """
    The value of an extent-table entry: block count, birth txn, references.
    """
    return _EXTENT_VALUE.pack(count, birth, refs)


def decode_extent(data: bytes) -> tuple[int, int, int]:
    if len(data) != _EXTENT_VALUE.size:
        raise CorruptCartridge("bad extent entry")
    count, birth, refs = _EXTENT_VALUE.unpack(data)
    return count, birth, refs


def encode_detached(birth: int, owner_tag: bytes, ref: DataRef) -> bytes:
    out = Writer()
    out.uint(birth)
    out.blob(owner_tag)
    _put_dataref(out, ref)
    return out.getvalue()


def decode_detached(data: bytes) -> tuple[int, bytes, DataRef]:
    def get(inp: Reader) -> tuple[int, bytes, DataRef]:
        return inp.uint(), inp.blob(), _get_dataref(inp)
    return _safe(get, "detached entry", data)  # type: ignore[return-value]


def detached_match(data: bytes, ref: DataRef) -> tuple[int, bytes | None] | None:
    """
    The birth txn of a detached entry if it holds exactly C{ref}'s body
    (size, MD5, extents; and the chunk size of a table kept apart), else
    None; with it, the CRC table of a 2.1 entry (kind 1) that format 2.2
    keeps apart, which the caller moves into a CRC entry. The entry's
    bytes are compared with C{ref}'s encoding, so no table is decoded:
    completing a multipart upload checks every part so.
    """
    if ref.inline is not None or len(ref.md5) != 16:
        return None
    inp = Reader(data, CorruptCartridge)
    birth = inp.uint()
    tag_len = inp.uint()
    pos = inp.pos + tag_len
    size = _shared_varint(ref.size)
    if not table_apart(ref):
        return (birth, None) if data.startswith(size + _extents_head(ref), pos) else None
    head = _apart_ref(ref)
    if len(data) == pos + len(head) and data.startswith(head, pos):
        return birth, None
    head = size + _extents_head(ref) + _shared_varint(ref.chunk_size)
    if len(data) == pos + len(head) + 4 * chunk_count(ref) and data.startswith(head, pos):
        return birth, data[pos + len(head):]
    return None


def detached_birth(data: bytes, ref: DataRef) -> int | None:
    """
    The birth txn of a detached entry if it holds exactly C{ref}'s body
    (L{detached_match}), else None.
    """
    match = detached_match(data, ref)
    return None if match is None else match[0]


def detached_extents(data: bytes) -> tuple[int, tuple[Extent, ...]]:
    """
    The birth txn and extents of a detached entry, without decoding its
    CRC table (the tools' view; a Complete uses L{detached_birth}).
    """
    try:
        inp = Reader(data, CorruptCartridge)
        birth = inp.uint()
        inp.blob()
        inp.uint()
        kind = inp.uint()
        if kind in (_INLINE, _INLINE_MD5):
            return birth, ()
        if kind != _EXTENTS and kind != _EXTENTS_APART:
            raise CorruptCartridge("unknown data kind %d" % kind)
        inp.raw(16)
        return birth, tuple(Extent(inp.uint(), inp.uint()) for _ in range(inp.uint()))
    except (IndexError, ValueError) as e:
        raise CorruptCartridge("bad detached entry encoding: %s" % e) from e
