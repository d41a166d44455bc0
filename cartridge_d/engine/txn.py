"""
One commit's changes to the catalog: what each operation means.

A L{Txn} starts from the last committed root and applies operations one by
one. The tree is persistent, so L{Txn.mark} and L{Txn.rollback} undo a
failed request of a group commit without touching the others. Nothing here
does I/O except reading pages; the commit writes the result.

What a record's data references mean for the extent table and the
detached entries (claiming, attaching, reference counts, freeing) is in
L{cartridge_d.engine.attach}.

test-case-name: tests.engine.test_engine_api
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator

from . import btree
from .attach import attach_many, keep_detached, release_detached, release_record
from .btree import Node
from .codec import decode_bucket, decode_object, encode_bucket, encode_object
from .constants import KIND_OBJECT, MAX_BUCKET_BYTES, MAX_KEY_BYTES, SEQ_SHIFT
from .errors import (
    BucketExists,
    BucketNotEmpty,
    NoSuchBucket,
    PreconditionFailed,
)
from .freespace import Allocator, Pending
from .keys import Key, bucket_key, object_key, seq_for, seq_of, version_id_for
from .operations import (
    CreateSnapshot,
    DeleteBucket,
    DropSnapshot,
    ImportObject,
    KeepDetached,
    Operation,
    PreparedPut,
    PutBucket,
    ReleaseDetached,
    Touch,
)
from .pages import Overflow, Value
from .snapshots import SnapshotEntry
from .store import NodeStore
from .types import (
    NULL_VERSION,
    BucketRecord,
    DeleteObject,
    Fuses,
    ObjectRecord,
    PutObject,
)


def object_versions(load: Callable[[Node | int], Node], root: btree.Ref,
                    bucket: bytes, key: bytes) -> Iterator[tuple[Key, Value]]:
    """
    The catalog entries of every version of one key, newest first.
    """
    for k, v in btree.scan(load, root, (KIND_OBJECT, bucket, key, 0)):
        if k[0] != KIND_OBJECT or k[1] != bucket or k[2] != key:
            return
        yield k, v


def _check_names(bucket: str, key: str) -> None:
    """
    ValueError for names longer than the format allows (docs/format.md,
    "Catalog keys"); a catalog entry must fit a third of a page.
    """
    if len(bucket.encode("utf-8")) > MAX_BUCKET_BYTES:
        raise ValueError("bucket name longer than %d bytes" % MAX_BUCKET_BYTES)
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError("object key longer than %d bytes" % MAX_KEY_BYTES)


@dataclass(frozen=True)
class _Mark:
    """
    What L{Txn.rollback} restores.
    """

    root: btree.Ref
    objects: int
    buckets: int
    snapshots: tuple[SnapshotEntry, ...]
    snapshots_changed: bool
    nfreed: int
    claimed: dict[int, int]
    changed: bool
    seq_index: int


class Txn:
    """
    The catalog changes of commit C{txn}, built by one thread (the group
    commit leader) and thrown away or written as a whole.
    """

    def __init__(self, store: NodeStore, alloc: Allocator, txn: int, root: btree.Ref,
                 objects: int, buckets: int, snapshots: tuple[SnapshotEntry, ...],
                 fuses: Fuses) -> None:
        self.store = store
        self.alloc = alloc
        self.txn = txn
        self.capacity = store.capacity
        self.max_entry = store.max_entry
        self.root = root
        self.objects = objects
        self.buckets = buckets
        self.snapshots = snapshots
        self.snapshots_changed = False
        self.fuses = fuses
        self.freed: list[Pending] = []
        self.claimed: dict[int, int] = {}
        self.changed = False
        #: whether a bucket record may have changed (set by put_bucket and
        #: delete_bucket, the only writers of bucket keys, and never undone
        #: by a rollback: a needless reset of the cartridge's bucket cache
        #: costs one lookup per bucket, a missed one would serve a stale
        #: record)
        self.buckets_changed = False
        #: whether a CRC entry (format 2.2) was written: the header then
        #: says 2.2 (kept through a rollback; a 2.2 header over 2.1
        #: content is still right)
        self.wrote_crcs = False
        self._seq_index = 0
        self.gen = 0
        self._buckets: dict[str, BucketRecord] = {}

    # -- TreeContext ---------------------------------------------------------

    def load(self, ref: Node | int) -> Node:
        return self.store.load(ref)

    def retire(self, node: Node) -> None:
        if node.page is not None:
            self.freed.append(Pending(node.page, 1, node.birth, self.txn))

    def free_overflow(self, value: Overflow) -> None:
        self.freed.append(Pending(value.start, value.count, value.birth, self.txn))

    # -- undo ----------------------------------------------------------------

    def mark(self) -> "_Mark":
        self.gen += 1  # nodes made before now are shared with the mark
        return _Mark(self.root, self.objects, self.buckets, self.snapshots,
                     self.snapshots_changed, len(self.freed), dict(self.claimed), self.changed,
                     self._seq_index)

    def rollback(self, mark: "_Mark") -> None:
        self._buckets.clear()
        self.root = mark.root
        self.objects = mark.objects
        self.buckets = mark.buckets
        self.snapshots = mark.snapshots
        self.snapshots_changed = mark.snapshots_changed
        del self.freed[mark.nfreed:]
        self.claimed = mark.claimed
        self.changed = mark.changed
        self._seq_index = mark.seq_index

    # -- raw catalog access --------------------------------------------------

    def get(self, key: Key) -> bytes | None:
        v = btree.get(self.load, self.root, key)
        return None if v is None else self.store.value(v)

    def put(self, key: Key, value: bytes) -> None:
        self.root = btree.put(self, self.root, key, value)
        self.changed = True

    def delete(self, key: Key) -> bytes | None:
        # one descent: the removed value comes back from the delete. An
        # overflow run it frees is only pending, so it is still readable.
        self.root, old_v = btree.delete(self, self.root, key)
        if old_v is None:
            return None
        self.changed = True
        return self.store.value(old_v)

    def next_seq(self) -> int:
        self._seq_index += 1
        if self._seq_index >= 1 << SEQ_SHIFT:
            raise ValueError("too many versions in one commit")
        return (self.txn << SEQ_SHIFT) | self._seq_index

    # -- operations ----------------------------------------------------------

    def apply(self, op: Operation) -> object:
        """
        Apply one operation; return its result (a record, or None).
        """
        if isinstance(op, PreparedPut):
            return self.put_object(op.op, op.encoded)
        if isinstance(op, PutObject):
            return self.put_object(op)
        if isinstance(op, DeleteObject):
            return self.delete_object(op.bucket, op.key, op.version_id)
        if isinstance(op, ReleaseDetached):
            return release_detached(self, op.ref)
        if isinstance(op, PutBucket):
            self.put_bucket(op.rec, op.replace)
        elif isinstance(op, DeleteBucket):
            self.delete_bucket(op.name)
        elif isinstance(op, KeepDetached):
            keep_detached(self, op.ref, op.owner_tag)
        elif isinstance(op, CreateSnapshot):
            self.create_snapshot(op.name, op.created_ns)
        elif isinstance(op, DropSnapshot):
            self.drop_snapshot(op.name)
        elif isinstance(op, ImportObject):
            self.import_object(op.rec, op.seq)
        elif isinstance(op, Touch):
            self.changed = True
        else:
            raise TypeError("unknown operation %r" % (op,))
        return None

    def put_bucket(self, rec: BucketRecord, replace_: bool) -> None:
        _check_names(rec.name, "")
        self._buckets.clear()
        self.buckets_changed = True
        key = bucket_key(rec.name)
        exists = self.get(key) is not None
        if exists and not replace_:
            raise BucketExists(rec.name)
        self.put(key, encode_bucket(rec))
        if not exists:
            self.buckets += 1

    def delete_bucket(self, name: str) -> None:
        self._buckets.clear()
        self.buckets_changed = True
        key = bucket_key(name)
        if self.get(key) is None:
            raise NoSuchBucket(name)
        for k, _ in btree.scan(self.load, self.root, (KIND_OBJECT, key[1], b"", 0)):
            if k[0] == KIND_OBJECT and k[1] == key[1]:
                raise BucketNotEmpty(name)
            break
        self.delete(key)
        self.buckets -= 1

    def _bucket(self, name: str) -> BucketRecord:
        """
        The bucket record, read once per commit (bucket changes clear it).
        """
        rec = self._buckets.get(name)
        if rec is None:
            raw = self.get(bucket_key(name))
            if raw is None:
                raise NoSuchBucket(name)
            rec = self._buckets[name] = decode_bucket(name, raw)
        return rec

    def _find_version(self, bucket: str, key: str, version_id: str) -> Key | None:
        if version_id != NULL_VERSION:
            seq = seq_for(version_id)
            if seq is None:
                return None
            k = object_key(bucket, key, seq)
            return k if btree.get(self.load, self.root, k) is not None else None
        for k, v in object_versions(self.load, self.root, bucket.encode(), key.encode()):
            if decode_object(bucket, key, self.store.value(v)).version_id == NULL_VERSION:
                return k
            if not (self.fuses.versioning and self._bucket(bucket).versioning):
                return None  # a bucket never versioned has only null versions
        return None

    def _latest(self, bucket: str, key: str) -> ObjectRecord | None:
        for _k, v in object_versions(self.load, self.root, bucket.encode(), key.encode()):
            return decode_object(bucket, key, self.store.value(v))
        return None

    def put_object(self, op: PutObject, encoded: bytes | None = None) -> ObjectRecord:
        """
        Store C{op.rec} as a new version (or in place); C{encoded}, if
        given, is C{encode_object(op.rec)}.
        """
        rec = op.rec
        _check_names(rec.bucket, rec.key)
        brec = self._bucket(rec.bucket)
        if op.if_none_match or op.if_match_etag is not None:
            latest = self._latest(rec.bucket, rec.key)
            live = latest is not None and not latest.delete_marker
            if op.if_none_match and live:
                raise PreconditionFailed("object exists")
            if op.if_match_etag is not None and not (
                    live and op.if_match_etag in ("*", latest.etag)):  # type: ignore[union-attr]
                raise PreconditionFailed("ETag does not match")
        if op.in_place:
            old_key = self._find_version(rec.bucket, rec.key, rec.version_id)
            if old_key is None:
                raise PreconditionFailed("no version %s" % rec.version_id)
            seq = seq_of(old_key)
        else:
            seq = self.next_seq()
            if self.fuses.versioning and brec.versioning == "Enabled":
                rec = replace(rec, version_id=version_id_for(seq))
                old_key = None
            else:
                if rec.version_id != NULL_VERSION:
                    rec = replace(rec, version_id=NULL_VERSION)
                old_key = self._find_version(rec.bucket, rec.key, NULL_VERSION)
        attach_many(self, rec.segments)
        new_key = object_key(rec.bucket, rec.key, seq)
        if old_key is not None and old_key != new_key:
            self._remove(old_key, rec.bucket, rec.key)
        elif old_key is not None:
            old = self.get(old_key)
            assert old is not None
            release_record(self, decode_object(rec.bucket, rec.key, old))
            self.objects -= 1
        if encoded is None or rec is not op.rec:
            encoded = encode_object(rec)
        self.put(new_key, encoded)
        self.objects += 1
        return rec

    def import_object(self, rec: ObjectRecord, seq: int) -> None:
        _check_names(rec.bucket, rec.key)
        self._bucket(rec.bucket)
        attach_many(self, rec.segments)
        self.put(object_key(rec.bucket, rec.key, seq), encode_object(rec))
        self.objects += 1

    def delete_object(self, bucket: str, key: str, version_id: str | None) -> ObjectRecord | None:
        self._bucket(bucket)
        k = self._find_version(bucket, key, version_id or NULL_VERSION)
        if k is None:
            return None
        return self._remove(k, bucket, key)

    def _remove(self, k: Key, bucket: str, key: str) -> ObjectRecord:
        raw = self.delete(k)
        assert raw is not None
        rec = decode_object(bucket, key, raw)
        release_record(self, rec)
        self.objects -= 1
        return rec

    def create_snapshot(self, name: str, created_ns: int) -> None:
        if not name or len(name.encode("utf-8")) > 255:
            raise ValueError("a snapshot name is 1 to 255 UTF-8 bytes")
        if any(s.name == name for s in self.snapshots):
            raise ValueError("snapshot %r exists" % name)
        # root and counts are filled in when the commit is written
        self.snapshots = self.snapshots + (SnapshotEntry(name, self.txn, -1, created_ns, 0, 0),)
        self.snapshots_changed = True
        self.changed = True

    def drop_snapshot(self, name: str) -> None:
        kept = tuple(s for s in self.snapshots if s.name != name)
        if len(kept) == len(self.snapshots):
            raise KeyError(name)
        self.snapshots = kept
        self.snapshots_changed = True
        self.changed = True
