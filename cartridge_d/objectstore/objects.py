"""
Reading and deleting objects: GET and HEAD (with conditions and Range),
DeleteObject and DeleteObjects. The sync functions run in pool threads.

A GET returns an L{ObjectReader}: the record plus a pinned engine view, so
the bytes it streams stay readable even if the object is overwritten or
deleted meanwhile, until the reader is closed.

test-case-name: tests.objectstore.test_objects
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from twisted.internet.defer import Deferred

from cartridge_d.engine.types import NULL_VERSION, BucketRecord, DeleteObject, ObjectRecord
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import engine_errors, owned_bucket
from cartridge_d.objectstore.conditions import Conditions, check_conditions
from cartridge_d.objectstore.engine_api import Engine, View
from cartridge_d.objectstore.model import DeleteFailure, DeleteOutcome
from cartridge_d.objectstore.threads import BlockingFacade
from cartridge_d.objectstore.validation import MAX_KEY_BYTES, ByteRange, parse_range


def find_object(view: View, bucket: BucketRecord, key: str, version_id: str | None) -> ObjectRecord:
    """
    The current record of C{key}, or the version named.

    ?versionId=null names the only version of an object in an unversioned
    bucket (rclone asks for it when given one).

    @raise NoSuchKey: absent, or the current version is a delete marker.
    @raise NoSuchVersion: a named version that does not exist.
    @raise InvalidArgument: a version id other than "null" in a bucket
        that never had versioning.
    """
    if version_id is not None and version_id != NULL_VERSION and not bucket.versioning:
        raise errors.argument_error("versionId", version_id, "Invalid version id specified")
    record = view.get_object(bucket.name, key, version_id)
    if record is None and version_id not in (None, NULL_VERSION):
        raise errors.NoSuchVersion(extra=(("Key", key), ("VersionId", version_id or "")))
    if record is None or record.delete_marker:
        raise errors.NoSuchKey(extra=(("Key", key),))
    return record


class ObjectReader:
    """
    An object being read: its record, the range to send, and reads from
    the pinned view in the pool.

    Thread contract: call from the reactor thread; L{close} exactly once,
    after the last read has fired.

    @ivar record: the object's record (ETag, size, headers, metadata).
    @ivar byte_range: the satisfiable range asked for, or None for the
        whole body.
    """

    def __init__(
        self,
        facade: BlockingFacade,
        context: AbstractContextManager[View],
        view: View,
        record: ObjectRecord,
        byte_range: ByteRange | None,
    ) -> None:
        self._facade = facade
        self._context = context
        self._view = view
        self.record = record
        self.byte_range = byte_range

    @property
    def first(self) -> int:
        """
        The offset of the first byte to send.
        """
        return 0 if self.byte_range is None else self.byte_range.first

    @property
    def length(self) -> int:
        """
        The number of bytes to send.
        """
        return self.record.size if self.byte_range is None else self.byte_range.length

    def read(self, offset: int, length: int) -> Deferred[bytes]:
        """
        Read C{length} bytes at object offset C{offset}.

        @raise InternalError: (in the Deferred) if the stored bytes fail
            their checksum; nothing wrong is ever returned.
        """
        return self._facade.run(self._read, offset, length)

    def _read(self, offset: int, length: int) -> bytes:
        with engine_errors(self.record.bucket, self.record.key):
            return self._view.read(self.record, offset, length)

    def close(self) -> Deferred[None]:
        """
        Release the view (its blocks may then be reused).
        """
        return self._facade.run(self._close)

    def _close(self) -> None:
        self._context.__exit__(None, None, None)


def open_object(
    cart: Engine,
    bucket: str,
    key: str,
    requester: str,
    version_id: str | None,
    conditions: Conditions,
    range_header: str | None,
) -> tuple[AbstractContextManager[View], View, ObjectRecord, ByteRange | None]:
    """
    Resolve a GET or HEAD (pool thread): the view (left open on success),
    the record, and the range.
    """
    context = cart.view()
    view = context.__enter__()
    try:
        record = find_object(view, owned_bucket(view, bucket, requester), key, version_id)
        check_conditions(record, conditions)
        byte_range = parse_range(range_header, record.size)
    except BaseException:
        context.__exit__(None, None, None)
        raise
    return context, view, record, byte_range


def head_object(
    cart: Engine,
    bucket: str,
    key: str,
    requester: str,
    version_id: str | None,
    conditions: Conditions,
    range_header: str | None,
) -> tuple[ObjectRecord, ByteRange | None]:
    """
    Resolve a HEAD (pool thread): the record and the range, no view kept.
    """
    context, _, record, byte_range = open_object(
        cart, bucket, key, requester, version_id, conditions, range_header
    )
    context.__exit__(None, None, None)
    return record, byte_range


def delete_object(
    cart: Engine, bucket: str, key: str, requester: str, version_id: str | None
) -> DeleteOutcome:
    """
    Delete one key (pool thread). Deleting a missing key succeeds, as in S3.
    """
    with cart.view() as view:
        owned_bucket(view, bucket, requester)
    with engine_errors(bucket, key):
        removed = cart.delete_object(bucket, key, _engine_version(version_id))
    return _outcome(key, version_id, removed)


def _engine_version(version_id: str | None) -> str | None:
    """
    The version id to pass to the engine (None means the "null" version).
    """
    return None if version_id in (None, NULL_VERSION) else version_id


def _outcome(key: str, version_id: str | None, removed: ObjectRecord | None) -> DeleteOutcome:
    if removed is None:
        return DeleteOutcome(key, version_id)
    return DeleteOutcome(key, version_id, removed.delete_marker)


def delete_objects(
    cart: Engine, bucket: str, requester: str, objects: Sequence[tuple[str, str | None]]
) -> tuple[list[DeleteOutcome], list[DeleteFailure]]:
    """
    Delete up to 1000 keys in one engine commit (pool thread).

    Missing keys count as deleted; a key that cannot exist (too long) is
    reported as deleted too, since there is nothing to delete.
    """
    with cart.view() as view:
        owned_bucket(view, bucket, requester)
        present = {
            (key, version): view.get_object(bucket, key, version)
            for key, version in objects
            if len(key.encode("utf-8")) <= MAX_KEY_BYTES and key
        }
    ops: list[Any] = [
        DeleteObject(bucket, key, _engine_version(version))
        for (key, version), record in present.items()
        if record is not None
    ]
    if ops:
        with engine_errors(bucket):
            cart.commit(ops)
    deleted = [_outcome(key, version, present.get((key, version))) for key, version in objects]
    return deleted, []
