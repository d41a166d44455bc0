"""
How a commit links data to records and lets it go: the reference counts of
the extent table (key space KIND_EXTENT) and the detached entries
(KIND_DETACHED) of bodies that belong to no record yet.

A record that links blocks another record already uses (a copy) adds a
reference instead of copying bytes; a finished writer's reservation is
claimed; a detached body (a multipart part) is attached by turning its
detached entry into extent entries. Blocks are freed only when their last
reference goes. These are the L{Txn}'s data operations, kept apart from
its record and bucket logic (txn.py) because they are what a Complete
spends its time in, and what the format's data invariants rest on.

A body of more than one chunk has its CRC32C table in a CRC entry
(KIND_CRCS, format 2.2) keyed by its first extent, written when the body
is first kept or claimed and deleted when that extent is freed; records
and detached entries refer to it (data kind 3), so attaching a part
copies no table. A 2.1 file's bodies carry their tables in their records;
a table is moved into a CRC entry when a 2.2 record first refers to it.

test-case-name: tests.engine.test_engine_batch
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import btree
from .codec import (
    decode_detached,
    decode_extent,
    detached_match,
    encode_crcs,
    encode_detached,
    encode_extent,
    table_apart,
)
from .errors import CorruptCartridge, NoSuchData
from .freespace import Pending
from .keys import Key, crc_key, detached_key, extent_key
from .pages import Value
from .types import DataRef, ObjectRecord

if TYPE_CHECKING:
    from .txn import Txn


def release_record(tx: "Txn", rec: ObjectRecord) -> None:
    """
    Drop one reference to each extent of C{rec}; free those that had one.
    """
    for seg in rec.segments:
        if seg.inline is not None:
            continue
        for e in seg.extents:
            raw = tx.get(extent_key(e.start))
            if raw is None:
                raise CorruptCartridge("extent %d of %s/%s is not in the extent table"
                                       % (e.start, rec.bucket, rec.key))
            count, birth, refs = decode_extent(raw)
            if refs > 1:
                tx.put(extent_key(e.start), encode_extent(count, birth, refs - 1))
                continue
            tx.delete(extent_key(e.start))
            tx.freed.append(Pending(e.start, count, birth, tx.txn))
            if e is seg.extents[0] and table_apart(seg):
                tx.delete(crc_key(e.start))  # (none for a body only 2.1 records use)


def _put_table(tx: "Txn", ref: DataRef, table: bytes) -> None:
    """
    Write C{ref}'s CRC entry, C{table} (L{encode_crcs}).
    """
    tx.put(crc_key(ref.extents[0].start), table)
    tx.wrote_crcs = True


def _new_table(ref: DataRef) -> bytes:
    """
    The CRC entry of a body whose reference must carry its table (a
    writer's, or one read from a 2.1 record).
    """
    try:
        return encode_crcs(ref)
    except ValueError as e:
        raise NoSuchData("data at block %d: %s" % (ref.extents[0].start, e)) from e


def attach_many(tx: "Txn", refs: tuple[DataRef, ...]) -> None:
    """
    Make C{refs}' extents referenced by one more record each. A
    finished writer's reservation is claimed. Detached runs (the parts
    of a Complete) are taken in two ordered batches over the tree, one
    removing their detached entries and one adding their extent
    entries, instead of two descents from the root per part. The first
    part that does not match its detached entry raises NoSuchData
    with its entry already removed: the request's rollback puts every
    entry back. The rest (extents already live, a detached run named
    again) take one more reference in L{_attach_live}.
    """
    detached: dict[int, DataRef] = {}
    live: list[DataRef] = []
    again: list[DataRef] = []
    for ref in refs:
        if ref.inline is not None or not ref.extents or _claim_reserved(tx, ref):
            continue
        if ref.extents[0].start in detached:
            again.append(ref)  # live once its first mention is attached
        else:
            detached[ref.extents[0].start] = ref
    if detached:
        starts = sorted(detached)
        tx.root, olds = btree.apply_keys(
            tx, tx.root, [detached_key(start) for start in starts], [None] * len(starts))
        if any(old is not None for old in olds):
            tx.changed = True
        keys: list[Key] = []
        values: list[Value | None] = []
        value = tx.store.value
        for start, old in zip(starts, olds):
            ref = detached[start]
            if old is None:
                live.append(ref)
                continue
            match = detached_match(value(old), ref)
            if match is None:
                raise NoSuchData("reference does not match its detached data")
            birth, table = match
            for e in ref.extents:
                keys.append(extent_key(e.start))
                values.append(encode_extent(e.count, birth, 1))
            if table is not None:  # a 2.1 part: its table moves out now
                keys.append(crc_key(start))
                values.append(table)
                tx.wrote_crcs = True
        if keys:
            tx.root, _ = btree.apply_keys(tx, tx.root, *_sorted_apart(keys, values))
    for ref in live + again:
        _attach_live(tx, ref)


def _sorted_apart(keys: list[Key], values: list[Value | None]
                  ) -> tuple[list[Key], list[Value | None]]:
    """
    C{keys} and C{values} in key order. A Complete's extent keys come in
    order when each part is one extent (parts go by first block); only a
    part of several extents or a 2.1 part's CRC entry needs the sort.
    """
    if all(a < b for a, b in zip(keys, keys[1:])):
        return keys, values
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return [keys[i] for i in order], [values[i] for i in order]


def _attach_live(tx: "Txn", ref: DataRef) -> None:
    """
    One more reference to C{ref}'s extents, each live (a copy) or a
    writer's reservation; and its CRC entry if it has none yet (a copy
    of a body only 2.1 records used).
    """
    for e in ref.extents:
        raw = tx.get(extent_key(e.start))
        if raw is not None:
            count, birth, refs = decode_extent(raw)
            if count != e.count:
                raise NoSuchData("extent %d has %d blocks, not %d" % (e.start, count, e.count))
            tx.put(extent_key(e.start), encode_extent(count, birth, refs + 1))
        elif e.start not in tx.claimed and tx.alloc.is_reserved(e):
            tx.claimed[e.start] = e.count
            tx.put(extent_key(e.start), encode_extent(e.count, tx.txn, 1))
        else:
            raise NoSuchData("extent %d+%d is not live, detached or reserved"
                             % (e.start, e.count))
    _table_if_missing(tx, ref, ref)


def _table_if_missing(tx: "Txn", ref: DataRef, source: DataRef) -> None:
    """
    Write C{ref}'s CRC entry, from C{source}'s table, if its table belongs
    apart and it has none yet: a body only 2.1 records used kept its table
    in them (C{source} is then the reference that still carries it).
    """
    if table_apart(ref) and tx.get(crc_key(ref.extents[0].start)) is None:
        _put_table(tx, ref, _new_table(source))


def _claim_reserved(tx: "Txn", ref: DataRef) -> bool:
    """
    Claim C{ref}'s extents if every one is a writer's reservation not yet
    claimed (the common case: a PUT's own body), without looking them
    up: reserved blocks come from free space, so they are neither live
    nor detached, and they stop being reserved only when the commit
    that claims them is durable. False, claiming nothing, otherwise.
    """
    claimed = tx.claimed
    extents = ref.extents
    for e in extents:
        if e.start in claimed or not tx.alloc.is_reserved(e):
            return False
    if table_apart(ref):
        _put_table(tx, ref, _new_table(ref))
    for e in extents:
        claimed[e.start] = e.count
        tx.put(extent_key(e.start), encode_extent(e.count, tx.txn, 1))
    return True


def keep_detached(tx: "Txn", ref: DataRef, owner_tag: bytes) -> None:
    """
    Keep a finished writer's body as detached data tagged C{owner_tag}
    (or retag a body already kept).
    """
    if ref.inline is not None or not ref.extents:
        return  # an inline body holds its bytes; nothing to keep
    key = detached_key(ref.extents[0].start)
    raw = tx.get(key)
    if raw is not None:
        birth, _tag, old = decode_detached(raw)
        _table_if_missing(tx, ref, old if old.crcs else ref)
        tx.put(key, encode_detached(birth, owner_tag, ref))
        return
    for e in ref.extents:
        if e.start in tx.claimed or not tx.alloc.is_reserved(e):
            raise NoSuchData("extent %d+%d is not a finished writer's" % (e.start, e.count))
    if table_apart(ref):
        _put_table(tx, ref, _new_table(ref))
    for e in ref.extents:
        tx.claimed[e.start] = e.count
    tx.put(key, encode_detached(tx.txn, owner_tag, ref))


def release_detached(tx: "Txn", ref: DataRef) -> bool:
    """
    Free a detached body; False if it is not detached.
    """
    if ref.inline is not None or not ref.extents:
        return True
    raw = tx.delete(detached_key(ref.extents[0].start))
    if raw is None:
        return False
    birth, _tag, dref = decode_detached(raw)
    for e in dref.extents:
        tx.freed.append(Pending(e.start, e.count, birth, tx.txn))
    if table_apart(dref):
        tx.delete(crc_key(dref.extents[0].start))  # (none for a part kept by 2.1)
    return True
