"""
Value types shared by the engine and the layers above it.

These are the contract between L{cartridge_d.engine} (which stores them) and
L{cartridge_d.objectstore} (which gives them S3 meaning). They are frozen so
that a record read by one thread can be handed to another without copying,
and plain so that the engine's record codec (docs/format.md, "Object
records") can encode every field without knowing what S3 makes of it.

test-case-name: tests.engine.test_engine_properties
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The version id of an object in a bucket that has never had versioning on.
NULL_VERSION = "null"


@dataclass(frozen=True)
class Fuses:
    """
    Behaviour switches fixed when a cartridge is created (header bytes 40-42).

    @ivar versioning: 0 none, 1 snapshot-backed.
    @ivar acl: 0 ignore, 1 record, 2 enforce.
    @ivar sse: 0 ignore, 1 record, 2 transparent.
    """

    versioning: int = 0
    acl: int = 0
    sse: int = 0


@dataclass(frozen=True)
class Extent:
    """
    A run of C{count} contiguous blocks starting at block number C{start}.
    """

    start: int
    count: int


@dataclass(frozen=True)
class DataRef:
    """
    Where the bytes of one stored body (a PUT body or one multipart part) are.

    Either C{inline} holds the bytes themselves (small bodies), or
    C{extents} lists the blocks holding them, in order; the last block may
    be partly used. C{md5} is the binary MD5 of the C{size} bytes, computed
    while they were written: the S3 ETag of a single-part object, and the
    input of a multipart ETag. C{crcs} holds the CRC32C of each
    C{chunk_size} chunk of the body, verified on every read (the engine may
    keep them elsewhere and leave this empty; it is engine-private).
    """

    size: int
    md5: bytes
    inline: bytes | None = None
    extents: tuple[Extent, ...] = ()
    chunk_size: int = 0
    crcs: tuple[int, ...] = ()


@dataclass(frozen=True)
class BucketRecord:
    """
    A bucket as the catalog stores it.

    @ivar versioning: "" (never enabled), "Enabled" or "Suspended".
    @ivar acl: an opaque encoded ACL (objectstore's business), or None.
    @ivar config: other per-bucket settings, name to opaque bytes.
    """

    name: str
    owner: str
    created_ns: int
    region: str = "us-east-1"
    versioning: str = ""
    acl: bytes | None = None
    config: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class ObjectRecord:
    """
    One version of one object, as the catalog stores it.

    The body is the concatenation of C{segments} (one for a PUT, one per
    part for a completed multipart upload), so completing an upload or
    copying an object links existing blocks instead of copying bytes.

    @ivar etag: the ETag without quotes ("<32 hex>" or "<32 hex>-N").
    @ivar headers: stored standard headers (Content-Type, Cache-Control,
        Content-Disposition, Content-Encoding, Content-Language, Expires),
        as (canonical name, value) pairs.
    @ivar meta: user metadata as (lower-cased name without x-amz-meta-,
        value) pairs, values byte for byte as received.
    @ivar checksums: (algorithm such as "CRC32", base64 value) pairs.
    """

    bucket: str
    key: str
    size: int
    etag: str
    mtime_ns: int
    owner: str = ""
    version_id: str = NULL_VERSION
    delete_marker: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    checksums: tuple[tuple[str, str], ...] = ()
    acl: bytes | None = None
    sse: bytes | None = None
    segments: tuple[DataRef, ...] = field(default=())


@dataclass(frozen=True)
class PutObject:
    """
    An operation for L{Cartridge.commit}: store C{rec} (see C{put_object}).

    @ivar in_place: replace exactly the existing version C{rec.version_id}
        (an ACL or metadata change) instead of writing a new version;
        PreconditionFailed if that version does not exist.
    """

    rec: ObjectRecord
    if_none_match: bool = False
    if_match_etag: str | None = None
    in_place: bool = False


@dataclass(frozen=True)
class DeleteObject:
    """
    An operation for L{Cartridge.commit}: remove one version of an object
    (C{version_id} None means the "null" version).
    """

    bucket: str
    key: str
    version_id: str | None = None


Op = PutObject | DeleteObject


@dataclass(frozen=True)
class SnapshotInfo:
    """
    One entry of the snapshot table (docs/format.md, "Snapshot table").
    """

    name: str
    txn: int
    created_ns: int
    objects: int
    buckets: int


@dataclass(frozen=True)
class CartridgeInfo:
    """
    What C{cartridge info} shows: header fields, sizes and counts.

    @ivar objects: catalog object records (every version and delete marker).
    @ivar free_blocks: blocks free at the last commit (including space a
        reader or snapshot still pins, which becomes free when released).
    """

    path: str
    version: tuple[int, int]
    block_size: int
    total_blocks: int
    free_blocks: int
    file_size: int
    txn: int
    uuid: str
    created_ns: int
    fuses: Fuses
    objects: int
    buckets: int
    snapshots: int
    max_size: int | None
