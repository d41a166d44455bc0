"""
The cartridge engine: one crash-safe file holding buckets, objects,
versions, detached multipart data and snapshots (docs/format.md), used
synchronously from many threads (docs/internals.md, "engine").
"""

from .cartridge import Cartridge
from .check import CheckReport, Finding, check
from .codec import decode_dataref, encode_dataref
from .errors import (
    BucketExists,
    BucketNotEmpty,
    CartridgeFull,
    CartridgeLocked,
    ChecksumMismatch,
    Closed,
    CorruptCartridge,
    EngineError,
    NoSuchBucket,
    NoSuchData,
    NotACartridge,
    PreconditionFailed,
    UnsupportedVersion,
    WouldBlock,
)
from .types import (
    NULL_VERSION,
    BucketRecord,
    CartridgeInfo,
    DataRef,
    DeleteObject,
    Extent,
    Fuses,
    ObjectRecord,
    Op,
    PutObject,
    SnapshotInfo,
)
from .view import View
from .writer import Writer

__all__ = [
    "Cartridge", "CheckReport", "Finding", "check", "decode_dataref", "encode_dataref",
    "BucketExists", "BucketNotEmpty", "CartridgeFull", "CartridgeLocked", "ChecksumMismatch",
    "Closed", "CorruptCartridge", "EngineError", "NoSuchBucket", "NoSuchData",
    "NotACartridge", "PreconditionFailed", "UnsupportedVersion", "WouldBlock",
    "NULL_VERSION", "BucketRecord", "CartridgeInfo", "DataRef", "DeleteObject", "Extent",
    "Fuses", "ObjectRecord", "Op", "PutObject", "SnapshotInfo", "View", "Writer",
]
