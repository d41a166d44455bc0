"""
An in-memory stand-in for L{cartridge_d.engine.Cartridge}: the same method
names, value types and errors (docs/internals.md, "engine"), kept in
dicts behind one lock.

Object-store tests run against it without a file; tests/conformance runs
one suite against it and the real engine, so it provably behaves alike.
Like the engine, small bodies (up to a quarter block, at most 2048 bytes)
are inline in their L{DataRef} and so need no tracking; larger ones get a
one-extent DataRef whose bytes are kept in a dict, and only those are
reserved or checked by L{MemoryCartridge.put_object}. A view
copies the catalog when it starts, which pins exactly the state it began
from.

Thread contract: every method may be called from any thread.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from types import TracebackType

from cartridge_d.engine import errors
from cartridge_d.engine.types import (
    NULL_VERSION,
    BucketRecord,
    DataRef,
    DeleteObject,
    Extent,
    Fuses,
    ObjectRecord,
    Op,
    PutObject,
)

_Catalog = dict[tuple[str, str], list[ObjectRecord]]


class MemoryWriter:
    """
    Collects one body; L{finish} returns its L{DataRef}.
    """

    def __init__(self, cartridge: MemoryCartridge) -> None:
        self._cartridge = cartridge
        self._chunks: list[bytes] = []
        self._ref: DataRef | None = None

    def write(self, data: bytes) -> None:
        """
        Append C{data} to the body.
        """
        if self._ref is not None:
            raise ValueError("writer already finished")
        self._chunks.append(bytes(data))

    def finish(self) -> DataRef:
        """
        The body as a DataRef, reserved until attached or aborted.
        """
        self._ref = self._cartridge._store(b"".join(self._chunks))
        return self._ref

    def abort(self) -> None:
        """
        Forget the body (also after L{finish}, if it was not attached).
        """
        self._chunks = []
        if self._ref is not None:
            self._cartridge._unreserve(self._ref)


class MemoryView:
    """
    A read-only copy of the catalog as it was when the view began.
    """

    def __init__(self, buckets: dict[str, BucketRecord], objects: _Catalog, data: dict[int, bytes]) -> None:
        self._buckets = buckets
        self._objects = objects
        self._data = data

    def __enter__(self) -> MemoryView:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._objects = {}

    def get_bucket(self, name: str) -> BucketRecord | None:
        """
        The bucket record, or None.
        """
        return self._buckets.get(name)

    def get_object(self, bucket: str, key: str, version_id: str | None = None) -> ObjectRecord | None:
        """
        The latest version (delete markers included) or the named one.
        """
        versions = self._objects.get((bucket, key), [])
        if version_id is None:
            return versions[0] if versions else None
        return next((r for r in versions if r.version_id == version_id), None)

    def list_objects(
        self, bucket: str, *, prefix: str = "", start_after: str = "", versions: bool = False
    ) -> Iterator[ObjectRecord]:
        """
        Objects of C{bucket} whose key starts with C{prefix} and sorts after
        C{start_after}, ascending by UTF-8 bytes.
        """
        after = start_after.encode("utf-8")
        keys = sorted(
            (k.encode("utf-8"), k) for (b, k) in self._objects if b == bucket and k.startswith(prefix)
        )
        for encoded, key in keys:
            if encoded <= after:
                continue
            records = self._objects[(bucket, key)]
            if versions:
                yield from records
            elif not records[0].delete_marker:
                yield records[0]

    def read(self, rec: ObjectRecord, offset: int, length: int) -> bytes:
        """
        C{length} bytes of C{rec}'s body from C{offset}.
        """
        body = b"".join(
            seg.inline if seg.inline is not None else self._data[seg.extents[0].start]
            for seg in rec.segments
        )
        return body[offset : offset + length]


class MemoryCartridge:
    """
    The engine API over dicts. See the module docstring.
    """

    def __init__(self, fuses: Fuses = Fuses(), block_size: int = 4096) -> None:
        self.fuses = fuses
        self._inline_max = min(2048, block_size // 4)
        self._data: dict[int, bytes] = {}
        self._extent_ids = itertools.count(2)
        self._lock = threading.RLock()
        self._buckets: dict[str, BucketRecord] = {}
        self._objects: _Catalog = {}
        self._reserved: list[DataRef] = []
        self._detached: list[tuple[bytes, DataRef]] = []
        self._versions = itertools.count(1)
        self._closed = False

    def close(self) -> None:
        """
        Refuse further calls. Idempotent.
        """
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise errors.Closed("cartridge is closed")

    def _store(self, body: bytes) -> DataRef:
        """
        A finished body as a DataRef: inline if small, else reserved blocks.
        """
        md5 = hashlib.md5(body).digest()
        if len(body) <= self._inline_max:
            return DataRef(len(body), md5, inline=body)
        with self._lock:
            start = next(self._extent_ids)
            self._data[start] = body
            ref = DataRef(len(body), md5, extents=(Extent(start, 1),))
            self._reserved.append(ref)
            return ref

    def _unreserve(self, ref: DataRef) -> None:
        with self._lock:
            if any(r is ref for r in self._reserved):
                self._reserved = [r for r in self._reserved if r is not ref]

    # buckets

    def put_bucket(self, rec: BucketRecord, *, replace: bool = False) -> None:
        """
        Create (or with C{replace} overwrite) a bucket.
        """
        with self._lock:
            self._check_open()
            if rec.name in self._buckets and not replace:
                raise errors.BucketExists(rec.name)
            self._buckets[rec.name] = rec

    def delete_bucket(self, name: str) -> None:
        """
        Remove an empty bucket.
        """
        with self._lock:
            self._check_open()
            if name not in self._buckets:
                raise errors.NoSuchBucket(name)
            if any(b == name for (b, _) in self._objects):
                raise errors.BucketNotEmpty(name)
            del self._buckets[name]

    def get_bucket(self, name: str) -> BucketRecord | None:
        """
        The bucket record, or None.
        """
        with self._lock:
            return self._buckets.get(name)

    def list_buckets(self) -> list[BucketRecord]:
        """
        Every bucket, sorted by name.
        """
        with self._lock:
            return [self._buckets[n] for n in sorted(self._buckets)]

    # bodies

    def writer(self, size_hint: int | None = None) -> MemoryWriter:
        """
        A writer for one body.
        """
        self._check_open()
        return MemoryWriter(self)

    def keep_detached(self, ref: DataRef, owner_tag: bytes) -> None:
        """
        Keep a finished body that no record references yet.
        """
        with self._lock:
            self._unreserve(ref)
            self._detached.append((owner_tag, ref))

    def release_detached(self, ref: DataRef) -> None:
        """
        Give a detached body back.
        """
        with self._lock:
            self._detached = [(t, r) for (t, r) in self._detached if r != ref]

    def list_detached(self) -> list[tuple[bytes, DataRef]]:
        """
        Every detached body with its owner tag.
        """
        with self._lock:
            return list(self._detached)

    # objects

    def put_object(
        self, rec: ObjectRecord, *, if_none_match: bool = False, if_match_etag: str | None = None
    ) -> ObjectRecord:
        """
        Store C{rec} as the current (or a new) version; one commit.
        """
        [stored] = self._commit([PutObject(rec, if_none_match, if_match_etag)])
        assert stored is not None
        return stored

    def delete_object(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> ObjectRecord | None:
        """
        Remove one version (the null one by default); None if absent.
        """
        [removed] = self._commit([DeleteObject(bucket, key, version_id)])
        return removed

    def commit(self, ops: list[Op]) -> None:
        """
        Apply several puts and deletes atomically.
        """
        self._commit(ops)

    def _commit(self, ops: list[Op]) -> list[ObjectRecord | None]:
        with self._lock:
            self._check_open()
            objects = {k: list(v) for k, v in self._objects.items()}
            results = [self._apply(objects, op) for op in ops]
            attached = [seg for op in ops if isinstance(op, PutObject) for seg in op.rec.segments]
            self._objects = {k: v for k, v in objects.items() if v}
            for seg in attached:
                self._unreserve(seg)
            self._detached = [(t, r) for (t, r) in self._detached if r not in attached]
            return results

    def _apply(self, objects: _Catalog, op: Op) -> ObjectRecord | None:
        if isinstance(op, DeleteObject):
            versions = objects.get((op.bucket, op.key), [])
            wanted = op.version_id or NULL_VERSION
            for i, rec in enumerate(versions):
                if rec.version_id == wanted:
                    return versions.pop(i)
            return None
        rec = op.rec
        bucket = self._buckets.get(rec.bucket)
        if bucket is None:
            raise errors.NoSuchBucket(rec.bucket)
        versions = objects.setdefault((rec.bucket, rec.key), [])
        current = versions[0] if versions and not versions[0].delete_marker else None
        if op.if_none_match and current is not None:
            raise errors.PreconditionFailed(rec.key)
        if op.if_match_etag is not None and (current is None or current.etag != op.if_match_etag):
            raise errors.PreconditionFailed(rec.key)
        self._check_data(objects, rec)
        if op.in_place:
            for i, old in enumerate(versions):
                if old.version_id == rec.version_id:
                    versions[i] = rec
                    return rec
            raise errors.PreconditionFailed(rec.key)
        if self.fuses.versioning and bucket.versioning == "Enabled":
            rec = replace(rec, version_id=f"{next(self._versions):020d}")
        else:
            rec = replace(rec, version_id=NULL_VERSION)
            versions[:] = [v for v in versions if v.version_id != NULL_VERSION]
        versions.insert(0, rec)
        return rec

    def _check_data(self, objects: _Catalog, rec: ObjectRecord) -> None:
        """
        Every segment must be a reserved, detached or live body.
        """
        live = [seg for recs in objects.values() for r in recs for seg in r.segments]
        known = live + self._reserved + [r for (_, r) in self._detached]
        for seg in rec.segments:
            if seg.inline is not None:
                continue
            if not any(seg is k or seg == k for k in known):
                raise errors.NoSuchData(rec.key)

    def view(self) -> MemoryView:
        """
        A read-only view of the state committed now.
        """
        with self._lock:
            self._check_open()
            objects = {k: list(v) for k, v in self._objects.items()}
            return MemoryView(dict(self._buckets), objects, self._data)
