"""
What every operation does first: find the bucket, check that the requester
owns it, and turn engine errors into S3 errors at one boundary.

These run in pool threads, inside the work the facade hands over.

test-case-name: tests.objectstore.test_buckets
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from cartridge_d.engine import errors as engine
from cartridge_d.engine.types import BucketRecord
from cartridge_d.objectstore import errors


class BucketReader(Protocol):
    """
    Anything with the engine's C{get_bucket} (a Cartridge or a view).
    """

    def get_bucket(self, name: str) -> BucketRecord | None: ...


def owned_bucket(reader: BucketReader, name: str, requester: str) -> BucketRecord:
    """
    The bucket C{name}, which C{requester} must own.

    @raise NoSuchBucket: if it does not exist.
    @raise AccessDenied: if another user owns it.
    """
    bucket = reader.get_bucket(name)
    if bucket is None:
        raise errors.NoSuchBucket(extra=(("BucketName", name),))
    if bucket.owner != requester:
        raise errors.AccessDenied("Access Denied")
    return bucket


class engine_errors:
    """
    Translate the engine errors a caller can meet into S3 errors:
    C{with engine_errors(bucket, key): ...}.

    NoSuchData means the bytes a record was to share (a copy source) were
    deleted meanwhile, which the client sees as a missing key.

    (A class, not a C{@contextmanager} generator: a small PUT enters it
    three or four times, and the generator machinery cost about a
    microsecond and a half each time.)
    """

    __slots__ = ("_bucket", "_key")

    def __init__(self, bucket: str = "", key: str = "") -> None:
        self._bucket = bucket
        self._key = key

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if value is None or not isinstance(value, engine.EngineError):
            return
        bucket, key = self._bucket, self._key
        if isinstance(value, engine.NoSuchBucket):
            raise errors.NoSuchBucket(extra=(("BucketName", bucket),)) from None
        if isinstance(value, engine.BucketNotEmpty):
            raise errors.BucketNotEmpty(extra=(("BucketName", bucket),)) from None
        if isinstance(value, engine.PreconditionFailed):
            raise errors.PreconditionFailed(extra=(("Condition", "If-None-Match"),)) from None
        if isinstance(value, engine.NoSuchData):
            raise errors.NoSuchKey(extra=(("Key", key),)) from None
        if isinstance(value, engine.CartridgeFull):
            raise errors.InsufficientStorage("The cartridge is full.") from None
        if isinstance(value, engine.ChecksumMismatch):
            raise errors.InternalError("Stored data failed its checksum.") from None
