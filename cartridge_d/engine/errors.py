"""
Errors raised by the cartridge engine.

One class per condition a caller may want to handle differently, all
subclasses of L{EngineError} (the bbolt errors.go idea). The object store
turns them into S3 errors at its boundary.

test-case-name: tests.engine.test_engine_files
"""


class EngineError(Exception):
    """
    Base class of every error the engine raises on purpose.
    """


class NotACartridge(EngineError):
    """
    The file does not start with the cartridge magic; it was not modified.
    """


class UnsupportedVersion(EngineError):
    """
    The file is a cartridge of a format version this code does not read
    (the Rust original's 1.0, or a newer one); it was not modified.
    """


class CorruptCartridge(EngineError):
    """
    A header or metadata page failed its checksum or made no sense.
    """


class ChecksumMismatch(EngineError):
    """
    Object data read from disk does not match its stored CRC32C; the bytes
    were not returned.
    """


class CartridgeFull(EngineError):
    """
    The cartridge reached its maximum size; nothing was changed.
    """


class CartridgeLocked(EngineError):
    """
    Another process has the cartridge open for writing.
    """


class NoSuchBucket(EngineError):
    """
    The bucket named by an operation does not exist.
    """


class BucketExists(EngineError):
    """
    put_bucket without replace=True on an existing bucket.
    """


class BucketNotEmpty(EngineError):
    """
    delete_bucket on a bucket that still holds objects or versions.
    """


class PreconditionFailed(EngineError):
    """
    A conditional write (if_none_match, if_match_etag, in_place) did not hold.
    """


class NoSuchData(EngineError):
    """
    A record referenced extents that are neither a finished writer's, nor
    detached, nor live (for example the source of a copy was deleted first).
    """


class Closed(EngineError):
    """
    The cartridge was closed (or failed and closed itself).
    """


class WouldBlock(EngineError):
    """
    A read of a nowait view (L{cartridge_d.engine.Cartridge.nowait_view})
    would have waited for the disk; nothing was returned or changed, so
    the caller does the same work again in a pool thread.
    """
