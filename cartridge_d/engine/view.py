"""
Read-only views of one committed state, and range reads of object data.

A view pins the transaction it started from: no block that state can reach
is reused until the view is closed (docs/format.md, "Free space"). Views do
no locking while they read; pages they can reach are immutable.

test-case-name: tests.engine.test_engine_api
"""

from __future__ import annotations

from dataclasses import replace
from time import monotonic
from typing import TYPE_CHECKING, Callable, Dict, Iterator, Sequence

from crc32c import crc32c

from . import btree
from .codec import decode_bucket, decode_crcs, decode_object
from .constants import KIND_BUCKET, KIND_OBJECT, MAX_SEQ
from .errors import ChecksumMismatch, Closed
from .keys import bucket_key, crc_key, object_key, seq_for, seq_of
from .pages import Value
from .txn import object_versions
from .types import NULL_VERSION, BucketRecord, DataRef, ObjectRecord

if TYPE_CHECKING:
    from .blockfile import BlockFile
    from .store import NodeStore


#: Decoded bucket records of one run of committed states in which no bucket
#: record changed, by name. Every PUT, GET, HEAD and DELETE looks its bucket
#: up; buckets change rarely (create, delete, ACL, versioning), so after the
#: first lookup that is a dict lookup instead of a B+tree descent and a
#: decode. The cartridge starts a new, empty one with each commit that may
#: change a bucket (L{cartridge_d.engine.txn.Txn.buckets_changed}); a view
#: keeps the one that was current with its state. Only buckets that exist
#: are kept (a missing name is not remembered, so probes for random names
#: cannot grow it), and at most L{BUCKET_CACHE_MAX}.
BucketCache = Dict[str, BucketRecord]

BUCKET_CACHE_MAX = 4096

#: At most this many CRC tables a view remembers (L{View.crcs}); a 16 MiB
#: body's is 1 KiB.
TABLES_MAX = 256

#: At most this many decoded object records L{RECORDS} keeps (about 1.2
#: KiB each: the record, its data reference and their strings). Memory
#: the cache once held mostly stays with the process (CPython's allocator
#: returns little of it), so this bound is the daemon's lasting cost:
#: 5,000 entries held about 6 MiB and kept 4 MiB after they were dropped.
RECORDS_MAX = 2048

#: Seconds after which L{RECORDS} lets go of records nobody read: an entry
#: unread for between one and two of these is dropped at the next view.
RECORDS_AGE = 3.0


class RecordCache:
    """
    Decoded object records, by bucket and key, each kept with the catalog
    leaf value it was decoded from.

    A GET or HEAD of a hot object used to decode its record on every
    request, which cost about as much as finding it. Leaf values are
    immutable bytes held by immutable (copy-on-write) nodes, and
    L{decode_object} is a pure function of bucket, key and value; so a
    record decoded from the very value object the lookup found (tested
    with C{is}) is that value's record, in any view of any state of any
    cartridge, with nothing to invalidate. A key whose value changed
    simply misses and is decoded again; a value that was read from
    overflow pages is a new object each time, so it always misses.

    Bounded in size and in time: at most L{RECORDS_MAX} entries, and two
    generations, the young one becoming the old one (and the old one
    dropped) every L{RECORDS_AGE} seconds when L{tick} is called (each
    view does), so a burst of reads does not hold memory once it is over.
    A read of an old entry moves it to the young generation. An entry
    keeps its leaf value alive, so L{forget} lets a deleted key's go at
    once. Safe from any thread: each step is one dict operation or one
    attribute store, and a race can only drop an entry early or keep one
    a period longer.
    """

    __slots__ = ("_young", "_old", "_limit", "_age", "_clock", "_rotated")

    def __init__(self, limit: int = RECORDS_MAX, age: float = RECORDS_AGE,
                 clock: Callable[[], float] = monotonic) -> None:
        self._young: dict[tuple[str, str], tuple[Value, ObjectRecord]] = {}
        self._old: dict[tuple[str, str], tuple[Value, ObjectRecord]] = {}
        self._limit = limit
        self._age = age
        self._clock = clock
        self._rotated = clock()

    def __len__(self) -> int:
        return len(self._young) + len(self._old)

    def __contains__(self, name: tuple[str, str]) -> bool:
        return name in self._young or name in self._old

    def decoded(self, bucket: str, key: str, value: Value, data: Callable[[Value], bytes]
                ) -> ObjectRecord:
        """
        The record of C{key} in C{bucket} stored as the leaf value
        C{value}, whose bytes C{data} gives (read only on a miss).
        """
        name = (bucket, key)
        young = self._young
        hit = young.get(name)
        if hit is None:
            hit = self._old.pop(name, None)
            if hit is not None:
                young[name] = hit
        if hit is not None and hit[0] is value:
            return hit[1]
        rec = decode_object(bucket, key, data(value))
        if hit is not None or len(young) + len(self._old) < self._limit:
            young[name] = (value, rec)
        return rec

    def tick(self) -> None:
        """
        Age the entries if L{RECORDS_AGE} seconds passed since they last
        were: the old generation goes, the young one becomes old.
        """
        now = self._clock()
        if now - self._rotated >= self._age:
            self._rotated = now
            self._old = self._young
            self._young = {}

    def forget(self, bucket: str, key: str) -> None:
        """
        Drop C{key}'s entry, if any (it was deleted: only memory is at
        stake, never a wrong answer).
        """
        self._young.pop((bucket, key), None)
        self._old.pop((bucket, key), None)

    def clear(self) -> None:
        self._young = {}
        self._old = {}


#: The process's record cache: correct across cartridges and states, as
#: L{RecordCache} explains, so one is enough.
RECORDS = RecordCache()


def read_span(file: "BlockFile", block_size: int, ref: DataRef, lo: int, hi: int) -> bytes:
    """
    Bytes [lo, hi) of an extent-stored body, unverified.
    """
    parts = []
    base = 0
    for e in ref.extents:
        length = e.count * block_size
        if base + length > lo and base < hi:
            a = max(lo, base)
            b = min(hi, base + length)
            parts.append(file.pread(b - a, e.start * block_size + a - base))
        base += length
        if base >= hi:
            break
    data = b"".join(parts)
    if len(data) != hi - lo:
        raise ChecksumMismatch("object data is beyond the end of the file")
    return data


#: The CRC table of a body: C{ref.crcs}, or its CRC entry's (format 2.2).
Tables = Callable[[DataRef], Sequence[int]]


def _own_table(ref: DataRef) -> Sequence[int]:
    return ref.crcs


def read_segment(file: "BlockFile", block_size: int, ref: DataRef, lo: int, hi: int,
                 crcs: Sequence[int] | None = None) -> bytes:
    """
    Bytes [lo, hi) of one body, every chunk they touch verified against
    C{crcs} (default: C{ref.crcs}).
    """
    if ref.inline is not None:
        return ref.inline[lo:hi]
    if crcs is None:
        crcs = ref.crcs
    c = ref.chunk_size
    first = lo // c
    last = (hi - 1) // c
    start = first * c
    end = min((last + 1) * c, ref.size)
    extents = ref.extents
    if len(extents) == 1 and extents[0].count * block_size >= end:
        # One extent (every body up to its writer's first extent, so every
        # small one): one pread, without read_span's walk over extents.
        raw = file.pread(end - start, extents[0].start * block_size + start)
        if len(raw) != end - start:
            raise ChecksumMismatch("object data is beyond the end of the file")
    else:
        raw = read_span(file, block_size, ref, start, end)
    if first == last:
        if crc32c(raw) != crcs[first]:
            raise ChecksumMismatch("data chunk %d at block %d fails its CRC32C"
                                   % (first, extents[0].start))
        return raw[lo - start:hi - start]
    mv = memoryview(raw)
    for i in range(first, last + 1):
        if crc32c(mv[(i - first) * c:min((i - first + 1) * c, end - start)]) != crcs[i]:
            raise ChecksumMismatch("data chunk %d at block %d fails its CRC32C"
                                   % (i, extents[0].start))
    return raw[lo - start:hi - start]


def read_record(file: "BlockFile", block_size: int, rec: ObjectRecord, offset: int,
                length: int, tables: Tables = _own_table) -> bytes:
    """
    Bytes [offset, offset+length) of C{rec}'s body, each segment verified
    against the table C{tables} gives for it.
    """
    end = min(rec.size, offset + length)
    out = []
    base = 0
    for seg in rec.segments:
        seg_end = base + seg.size
        if seg_end > offset and base < end:
            out.append(read_segment(file, block_size, seg, max(offset, base) - base,
                                    min(end, seg_end) - base, tables(seg)))
        base = seg_end
        if base >= end:
            break
    return b"".join(out)


class View:
    """
    A consistent, read-only view of the catalog as of commit C{txn}. Use as
    a context manager; safe to use from one thread at a time, and many views
    run in parallel.
    """

    def __init__(self, store: "NodeStore", root: int, txn: int,
                 release: Callable[[], None], is_open: Callable[[], bool],
                 buckets: BucketCache | None = None) -> None:
        """
        @param buckets: the bucket cache current with this state, shared
            with the cartridge and its other views of the same run of
            states; None (a snapshot's view) to read every bucket record.
        """
        RECORDS.tick()
        self._buckets = buckets
        self._store = store
        self._root: btree.Ref = root or None
        self.txn = txn
        self._release = release
        self._is_open = is_open
        self._closed = False
        self._tables: dict[int, tuple[int, ...]] = {}

    def __enter__(self) -> "View":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._release()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()

    def _check(self) -> None:
        if self._closed or not self._is_open():
            raise Closed("view or cartridge is closed")

    def _load(self, ref: btree.Node | int) -> btree.Node:
        return self._store.load(ref)

    def get_bucket(self, name: str) -> BucketRecord | None:
        self._check()
        cache = self._buckets
        if cache is not None:
            rec = cache.get(name)
            if rec is not None:
                return rec
        v = btree.get(self._load, self._root, bucket_key(name))
        if v is None:
            return None
        rec = decode_bucket(name, self._store.value(v))
        if cache is not None and len(cache) < BUCKET_CACHE_MAX:
            cache[name] = rec
        return rec

    def list_buckets(self) -> list[BucketRecord]:
        self._check()
        out = []
        for k, v in btree.scan(self._load, self._root, (KIND_BUCKET, b"", b"", 0)):
            if k[0] != KIND_BUCKET:
                break
            out.append(decode_bucket(k[1].decode("utf-8"), self._store.value(v)))
        return out

    def get_object(self, bucket: str, key: str, version_id: str | None = None
                   ) -> ObjectRecord | None:
        """
        The latest version (C{version_id} None, delete markers included) or
        the named one, or None.
        """
        self._check()
        if version_id is None:
            b, kb = bucket.encode(), key.encode()
            entry = btree.seek(self._store.load, self._root, (KIND_OBJECT, b, kb, 0))
            if entry is None:
                return None
            k, v = entry
            if k[0] != KIND_OBJECT or k[1] != b or k[2] != kb:
                return None
            return RECORDS.decoded(bucket, key, v, self._store.value)
        if version_id != NULL_VERSION:
            seq = seq_for(version_id)
            if seq is None:
                return None
            named = btree.get(self._load, self._root, object_key(bucket, key, seq))
            return None if named is None else decode_object(bucket, key, self._store.value(named))
        for _k, value in object_versions(self._load, self._root, bucket.encode(), key.encode()):
            rec = decode_object(bucket, key, self._store.value(value))
            if rec.version_id == NULL_VERSION:
                return rec
        return None

    def list_objects(self, bucket: str, *, prefix: str = "", start_after: str = "",
                     versions: bool = False, version_id_marker: str = ""
                     ) -> Iterator[ObjectRecord]:
        """
        Records in S3 listing order: keys ascending by UTF-8 bytes, versions
        newest first. Without C{versions}, only the latest version of each
        key, skipping keys whose latest version is a delete marker. Starts
        after key C{start_after} (with C{versions} and C{version_id_marker},
        after that version of it).
        """
        self._check()
        b = bucket.encode("utf-8")
        p = prefix.encode("utf-8")
        after = start_after.encode("utf-8")
        start = (KIND_OBJECT, b, max(p, after), 0)
        skip_key = after if after >= p else None
        skip_through = None
        if versions and start_after and version_id_marker:
            if version_id_marker == NULL_VERSION:
                seq = self._seq_of_null(bucket, start_after)
            else:
                seq = seq_for(version_id_marker)
            if seq is not None:
                skip_key = None
                start = (KIND_OBJECT, b, after, MAX_SEQ - seq)
                skip_through = start
        last_key = None
        for k, v in btree.scan(self._load, self._root, start):
            if k[0] != KIND_OBJECT or k[1] != b or not k[2].startswith(p):
                return
            if k == skip_through or k[2] == skip_key:
                continue
            if not versions and k[2] == last_key:
                continue
            last_key = k[2]
            rec = decode_object(bucket, k[2].decode("utf-8"), self._store.value(v))
            if not versions and rec.delete_marker:
                continue
            yield rec

    def _seq_of_null(self, bucket: str, key: str) -> int | None:
        for k, v in object_versions(self._load, self._root, bucket.encode(), key.encode()):
            if decode_object(bucket, key, self._store.value(v)).version_id == NULL_VERSION:
                return seq_of(k)
        return None

    def read(self, rec: ObjectRecord, offset: int, length: int) -> bytes:
        """
        Bytes [offset, offset+length) of C{rec}'s body (shorter at the end),
        every chunk verified; ChecksumMismatch on damage.
        """
        self._check()
        return read_record(self._store.file, self._store.block_size, rec, offset, length,
                           self.crcs)

    def crcs(self, ref: DataRef) -> Sequence[int]:
        """
        C{ref}'s CRC32C table: its own, or (an empty C{ref.crcs} of a
        body in extents, format 2.2) its CRC entry's as of this view,
        remembered for the view's next reads (a GET reads a large object
        in many calls). ChecksumMismatch if the entry is missing: this
        state does not hold that body.
        """
        if ref.crcs or ref.inline is not None or not ref.extents:
            return ref.crcs
        start = ref.extents[0].start
        table = self._tables.get(start)
        if table is None:
            v = btree.get(self._load, self._root, crc_key(start))
            if v is None:
                raise ChecksumMismatch("data at block %d has no CRC table" % start)
            table = decode_crcs(self._store.value(v), ref)
            if len(self._tables) >= TABLES_MAX:
                self._tables.clear()
            self._tables[start] = table
        return table

    def filled(self, ref: DataRef) -> DataRef:
        """
        C{ref} with its CRC table in C{crcs} (L{crcs}), as the engine API
        hands data references out.
        """
        if ref.crcs or ref.inline is not None or not ref.extents:
            return ref
        return replace(ref, crcs=tuple(self.crcs(ref)))
