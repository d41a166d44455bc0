"""
Reading and deleting objects: GET and HEAD (with conditions and Range),
DeleteObject and DeleteObjects. The sync functions run in pool threads.

A GET returns an L{ObjectReader}: the record plus a pinned engine view, so
the bytes it streams stay readable even if the object is overwritten or
deleted meanwhile, until the reader is closed.

Thread hops are the main cost of serving a small object (each one passes
the GIL and a condition variable back and forth), so the pool call that
resolves a GET also reads its first L{FIRST_READ} bytes: an object that
fits is served in that one hop, its view already closed.  Closing a view
only drops a pin (a short lock, no I/O), so it happens in the reactor
thread rather than as a hop of its own.

A hot object needs no hop at all: L{head_object_nowait} and
L{open_object_nowait} do the same work in the reactor thread through the
engine's nowait view, whose reads never wait for the disk. When a read
would (L{WouldBlock}), or the engine has no nowait mode, they answer None
and the caller takes the pool as before; every other outcome (errors,
conditions) is the one the pool would have given.

test-case-name: tests.objectstore.test_objects
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from twisted.internet.defer import Deferred, succeed

from cartridge_d.engine.errors import WouldBlock
from cartridge_d.engine.types import NULL_VERSION, BucketRecord, DeleteObject, ObjectRecord
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import engine_errors, owned_bucket
from cartridge_d.objectstore.conditions import Conditions, check_conditions
from cartridge_d.objectstore.engine_api import Engine, View
from cartridge_d.objectstore.model import DeleteFailure, DeleteOutcome, ObjectQuery
from cartridge_d.objectstore.threads import BlockingFacade
from cartridge_d.objectstore.validation import MAX_KEY_BYTES, ByteRange, parse_range, part_range

#: Bytes read in the same pool call that opens a GET (the response
#: producer's slice, so its first read is already answered).
FIRST_READ = 1024 * 1024

#: The most bytes L{open_object_nowait} reads in the reactor thread:
#: reading and checking it costs less than a hop (the bound below which a
#: PUT body is held whole, too); larger ones stream from the pool.
NOWAIT_MAX = 64 * 1024


def _names_no_version(bucket: BucketRecord, version_id: str | None) -> bool:
    """
    Whether C{version_id} cannot name a version of C{bucket}: only "null"
    can in a bucket that never had versioning.
    """
    return version_id not in (None, NULL_VERSION) and not bucket.versioning


def check_version_id(bucket: BucketRecord, version_id: str | None) -> None:
    """
    Refuse a version id C{bucket} cannot have, as S3 does on GET, HEAD
    and DELETE.

    @raise InvalidArgument: "Invalid version id specified".
    """
    if version_id is not None and _names_no_version(bucket, version_id):
        raise errors.argument_error("versionId", version_id, "Invalid version id specified")


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
    check_version_id(bucket, version_id)
    record = view.get_object(bucket.name, key, version_id)
    if record is None and version_id not in (None, NULL_VERSION):
        raise errors.NoSuchVersion(extra=(("Key", key), ("VersionId", version_id or "")))
    if record is None or record.delete_marker:
        raise errors.NoSuchKey(extra=(("Key", key),))
    return record


class ObjectReader:
    """
    An object being read: its record, the range to send, its first bytes,
    and reads of the rest from the pinned view in the pool.

    Thread contract: call from the reactor thread; L{close} exactly once,
    after the last read has fired.

    @ivar record: the object's record (ETag, size, headers, metadata).
    @ivar byte_range: the satisfiable range asked for, or None for the
        whole body.
    """

    def __init__(
        self,
        facade: BlockingFacade,
        context: AbstractContextManager[View] | None,
        view: View | None,
        record: ObjectRecord,
        byte_range: ByteRange | None,
        head: bytes = b"",
    ) -> None:
        """
        @param context: the view's context, None if the view is already
            closed (C{head} then holds every byte to send).
        @param head: the first bytes of the range, read when it was opened.
        """
        self._facade = facade
        self._context = context
        self._view = view
        self._head = head
        self.record = record
        self.byte_range = byte_range

    @property
    def first(self) -> int:
        """
        The offset of the first byte to send.
        """
        return _span(self.record, self.byte_range)[0]

    @property
    def length(self) -> int:
        """
        The number of bytes to send.
        """
        return _span(self.record, self.byte_range)[1]

    def whole(self) -> bytes | None:
        """
        Every byte to send, if the call that opened the reader read them
        all (its view is then already closed, and L{close} is not needed);
        None if the rest must be read with L{read}.
        """
        if self._context is not None or len(self._head) != self.length:
            return None
        head, self._head = self._head, b""
        return head

    def read(self, offset: int, length: int) -> Deferred[bytes]:
        """
        Read C{length} bytes at object offset C{offset}.

        @raise InternalError: (in the Deferred) if the stored bytes fail
            their checksum; nothing wrong is ever returned.
        """
        head = self._head
        if head and offset == self.first and length <= len(head):
            self._head = b""
            return succeed(head if length == len(head) else head[:length])
        if self._view is None:
            return succeed(b"")
        return self._facade.run(self._read, self._view, offset, length)

    def _read(self, view: View, offset: int, length: int) -> bytes:
        with engine_errors(self.record.bucket, self.record.key):
            return view.read(self.record, offset, length)

    def close(self) -> Deferred[None]:
        """
        Release the view (its blocks may then be reused).
        """
        context, self._context, self._view, self._head = self._context, None, None, b""
        if context is not None:
            context.__exit__(None, None, None)
        return succeed(None)


def _resolve(view: View, query: ObjectQuery) -> tuple[ObjectRecord, ByteRange | None]:
    bucket = owned_bucket(view, query.bucket, query.requester)
    record = find_object(view, bucket, query.key, query.version_id)
    check_conditions(record, query.conditions)
    if query.part_number is not None:
        return record, part_range(record, query.part_number)
    return record, parse_range(query.range_header, record.size)


def _span(record: ObjectRecord, byte_range: ByteRange | None) -> tuple[int, int]:
    """
    The first byte to send and how many: the range's, or the whole body's.
    """
    if byte_range is None:
        return 0, record.size
    return byte_range.first, byte_range.length


def open_object(cart: Engine, facade: BlockingFacade, query: ObjectQuery) -> ObjectReader:
    """
    Resolve a GET and read its first bytes (pool thread): a reader over
    the record, the range (the Range header's, or the part the query
    names), up to L{FIRST_READ} bytes from the start of the range, and the
    view, left open only if more remains to read.

    The reader is built here, in the pool, so the reactor gets it ready
    to use from the one hop; it reads the rest through C{facade}.
    """
    context = cart.view()
    view = context.__enter__()
    try:
        record, byte_range = _resolve(view, query)
        first, length = _span(record, byte_range)
        with engine_errors(record.bucket, record.key):
            head = view.read(record, first, min(length, FIRST_READ)) if length else b""
    except BaseException:
        context.__exit__(None, None, None)
        raise
    if len(head) >= length:
        context.__exit__(None, None, None)
        return ObjectReader(facade, None, None, record, byte_range, head)
    return ObjectReader(facade, context, view, record, byte_range, head)


def _nowait_view(cart: Engine) -> AbstractContextManager[View] | None:
    """
    A nowait view of C{cart}, or None if it has no such mode (the
    in-memory cartridge) or its file system refuses it.
    """
    opener = getattr(cart, "nowait_view", None)
    context: AbstractContextManager[View] | None = None if opener is None else opener()
    return context


def open_object_nowait(cart: Engine, facade: BlockingFacade, query: ObjectQuery
                       ) -> ObjectReader | None:
    """
    Resolve a GET and read all it asks for in the calling (reactor)
    thread, never waiting for the disk; None if that cannot be done (no
    nowait mode, a read that would wait, or more than L{NOWAIT_MAX} bytes
    to send): call L{open_object} in the pool then. Errors are those
    L{open_object} raises.
    """
    context = _nowait_view(cart)
    if context is None:
        return None
    try:
        with context as view:
            record, byte_range = _resolve(view, query)
            first, length = _span(record, byte_range)
            if length > NOWAIT_MAX:
                return None
            with engine_errors(record.bucket, record.key):
                body = view.read(record, first, length) if length else b""
    except WouldBlock:
        return None
    return ObjectReader(facade, None, None, record, byte_range, body)


def head_object_nowait(cart: Engine, query: ObjectQuery
                       ) -> tuple[ObjectRecord, ByteRange | None] | None:
    """
    L{head_object} in the calling (reactor) thread, never waiting for the
    disk; None if that cannot be done: call L{head_object} in the pool.
    """
    context = _nowait_view(cart)
    if context is None:
        return None
    try:
        with context as view:
            return _resolve(view, query)
    except WouldBlock:
        return None


def head_object(cart: Engine, query: ObjectQuery) -> tuple[ObjectRecord, ByteRange | None]:
    """
    Resolve a HEAD (pool thread): the record and the range, no view kept.
    """
    with cart.view() as view:
        return _resolve(view, query)


def delete_object(
    cart: Engine, bucket: str, key: str, requester: str, version_id: str | None
) -> DeleteOutcome:
    """
    Delete one key (pool thread). Deleting a missing key succeeds, as in S3.
    """
    check_version_id(owned_bucket(cart, bucket, requester), version_id)
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
    reported as deleted too, since there is nothing to delete.  A version
    id the bucket cannot have fails for its key alone (NoSuchVersion, as
    S3 answers it here).
    """
    with cart.view() as view:
        record = owned_bucket(view, bucket, requester)
        failed = [
            DeleteFailure(key, "NoSuchVersion", "The specified version does not exist.", version)
            for key, version in objects
            if _names_no_version(record, version)
        ]
        objects = [(k, v) for k, v in objects if not _names_no_version(record, v)]
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
    return deleted, failed
