"""
The frozen values the object store takes and returns, besides the engine's
own L{BucketRecord} and L{ObjectRecord} (which it returns as they are).

test-case-name: tests.objectstore.test_objects
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cartridge_d.engine.types import ObjectRecord
from cartridge_d.objectstore.conditions import NO_CONDITIONS, Conditions

#: The standard headers stored with an object and returned on GET/HEAD.
STORED_HEADERS = (
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Type",
    "Expires",
)


@dataclass(frozen=True)
class PutOptions:
    """
    What L{PutSession.finish} needs besides the body.

    @ivar headers: stored headers as (canonical name, value) pairs, names
        from L{STORED_HEADERS}.
    @ivar meta: user metadata (lower-cased name without x-amz-meta-, value).
    @ivar content_md5: the Content-MD5 header, if sent.
    @ivar checksums: expected x-amz-checksum-* values (algorithm such as
        "CRC32", base64 value), from headers or the aws-chunked trailer.
    @ivar conditions: If-None-Match: * and If-Match for conditional writes.
    """

    headers: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    content_md5: str | None = None
    checksums: tuple[tuple[str, str], ...] = ()
    conditions: Conditions = NO_CONDITIONS


@dataclass(frozen=True)
class ObjectQuery:
    """
    Which object a GET or HEAD reads, and which of its bytes: what
    L{ObjectStore.get_object} and L{ObjectStore.head_object} share.

    @ivar bucket: the bucket name.
    @ivar key: the object key.
    @ivar requester: the canonical id of the signer (permission checks).
    @ivar version_id: C{?versionId}, or None for the current version.
    @ivar conditions: the If-* headers, checked with S3's precedence.
    @ivar range_header: the Range header as sent, or None.
    @ivar part_number: C{?partNumber}: that part's bytes instead of a
        Range (InvalidPartNumber beyond the object's parts).
    """

    bucket: str
    key: str
    requester: str
    version_id: str | None = None
    conditions: Conditions = NO_CONDITIONS
    range_header: str | None = None
    part_number: int | None = None


@dataclass(frozen=True)
class DeleteOutcome:
    """
    The result of deleting one key: the version removed (None when the key
    was absent or unversioned) and whether a delete marker is involved.
    """

    key: str
    version_id: str | None = None
    delete_marker: bool = False


@dataclass(frozen=True)
class DeleteFailure:
    """
    A key DeleteObjects could not delete, with its S3 code.
    """

    key: str
    code: str
    message: str
    version_id: str | None = None


@dataclass(frozen=True)
class ListRequest:
    """
    The parameters of ListObjects (v1 or v2).

    @ivar start: where the listing resumes: the v1 marker, or for v2 the
        decoded continuation token, else start-after.
    @ivar max_keys: 0 to 1000 (the S3 layer clamps larger values).
    """

    prefix: str = ""
    delimiter: str = ""
    start: str = ""
    max_keys: int = 1000


@dataclass(frozen=True)
class ListPage:
    """
    One page of a listing.

    @ivar contents: the objects, in key order.
    @ivar common_prefixes: the rolled-up prefixes, in order.
    @ivar next_marker: when truncated, the last key or common prefix of
        this page (v1 NextMarker; the v2 token encodes it).
    """

    contents: tuple[ObjectRecord, ...] = ()
    common_prefixes: tuple[str, ...] = ()
    is_truncated: bool = False
    next_marker: str | None = None


@dataclass(frozen=True)
class CopySource:
    """
    The object a CopyObject reads, with its x-amz-copy-source-if-* headers.
    """

    bucket: str
    key: str
    version_id: str | None = None
    conditions: Conditions = NO_CONDITIONS


@dataclass(frozen=True)
class CopyOptions:
    """
    How the copy's record is built.

    @ivar replace_metadata: x-amz-metadata-directive REPLACE: take
        C{headers} and C{meta} from the request instead of the source.
    """

    replace_metadata: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class UploadOptions:
    """
    What CreateMultipartUpload stores for the object it will become.

    @ivar checksum_algorithm: x-amz-checksum-algorithm ("" for none).
    @ivar checksum_type: x-amz-checksum-type: "COMPOSITE", "FULL_OBJECT",
        or "" for the algorithm's default.
    """

    headers: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    checksum_algorithm: str = ""
    checksum_type: str = ""


@dataclass(frozen=True)
class PartSpec:
    """
    One part as a CompleteMultipartUpload body lists it.

    @ivar etag: without quotes.
    @ivar checksums: (algorithm, base64 value) pairs the client listed.
    """

    part_number: int
    etag: str
    checksums: tuple[tuple[str, str], ...] = ()
