"""
What every operation does first: find the bucket, check that the requester
owns it, and turn engine errors into S3 errors at one boundary.

These run in pool threads, inside the work the facade hands over.

test-case-name: tests.objectstore.test_buckets
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def engine_errors(bucket: str = "", key: str = "") -> Iterator[None]:
    """
    Translate the engine errors a caller can meet into S3 errors.

    NoSuchData means the bytes a record was to share (a copy source) were
    deleted meanwhile, which the client sees as a missing key.
    """
    try:
        yield
    except engine.NoSuchBucket:
        raise errors.NoSuchBucket(extra=(("BucketName", bucket),)) from None
    except engine.BucketNotEmpty:
        raise errors.BucketNotEmpty(extra=(("BucketName", bucket),)) from None
    except engine.PreconditionFailed:
        raise errors.PreconditionFailed(extra=(("Condition", "If-None-Match"),)) from None
    except engine.NoSuchData:
        raise errors.NoSuchKey(extra=(("Key", key),)) from None
    except engine.CartridgeFull:
        raise errors.InsufficientStorage("The cartridge is full.") from None
    except engine.ChecksumMismatch:
        raise errors.InternalError("Stored data failed its checksum.") from None
