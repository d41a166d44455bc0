"""
Plain frozen values the renderers take and the parsers return.

They belong to the XML codec alone (it depends on nothing but lxml), so
the S3 layer converts objectstore results into these before rendering.
Times are integer nanoseconds since the Unix epoch, as the engine stores
them; ETags are given without quotes and rendered quoted.

test-case-name: tests.xmlcodec.test_xml_render
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Owner:
    """
    A canonical user: the owner of a bucket, object or upload.
    """

    id: str
    display_name: str = ""


@dataclass(frozen=True)
class BucketEntry:
    """
    One bucket in a ListAllMyBucketsResult.
    """

    name: str
    created_ns: int
    region: str | None = None


@dataclass(frozen=True)
class ObjectEntry:
    """
    One C{<Contents>} element of a listing.

    @ivar owner: rendered only when not None (ListObjectsV2 shows the
        owner only with fetch-owner=true; v1 always).
    """

    key: str
    last_modified_ns: int
    etag: str
    size: int
    owner: Owner | None = None
    storage_class: str = "STANDARD"
    checksum_algorithms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListingV1:
    """
    Everything a ListObjects (version 1) response says.

    @ivar encoding_type: "url" when the request asked for it (then the
        key-like fields are percent-encoded and the type is echoed).
    """

    bucket: str
    prefix: str
    marker: str
    max_keys: int
    is_truncated: bool
    delimiter: str = ""
    next_marker: str | None = None
    contents: tuple[ObjectEntry, ...] = ()
    common_prefixes: tuple[str, ...] = ()
    encoding_type: str | None = None


@dataclass(frozen=True)
class ListingV2:
    """
    Everything a ListObjectsV2 response says.

    C{KeyCount} is computed from C{contents} and C{common_prefixes}.
    """

    bucket: str
    prefix: str
    max_keys: int
    is_truncated: bool
    delimiter: str = ""
    continuation_token: str | None = None
    next_continuation_token: str | None = None
    start_after: str | None = None
    contents: tuple[ObjectEntry, ...] = ()
    common_prefixes: tuple[str, ...] = ()
    encoding_type: str | None = None


@dataclass(frozen=True)
class VersionEntry:
    """
    One C{<Version>} of a ListVersionsResult: an object version.
    """

    entry: ObjectEntry
    version_id: str
    is_latest: bool


@dataclass(frozen=True)
class VersionsListing:
    """
    Everything a ListObjectVersions response says.

    @ivar next_key_marker: with C{next_version_id_marker}, where the next
        page resumes, when truncated.
    """

    bucket: str
    prefix: str
    key_marker: str
    version_id_marker: str
    max_keys: int
    is_truncated: bool
    delimiter: str = ""
    next_key_marker: str | None = None
    next_version_id_marker: str | None = None
    versions: tuple[VersionEntry, ...] = ()
    common_prefixes: tuple[str, ...] = ()
    encoding_type: str | None = None


@dataclass(frozen=True)
class DeletedEntry:
    """
    A key DeleteObjects removed (or found already absent).
    """

    key: str
    version_id: str | None = None
    delete_marker: bool = False
    delete_marker_version_id: str | None = None


@dataclass(frozen=True)
class DeleteErrorEntry:
    """
    A key DeleteObjects could not delete, with the S3 error code.
    """

    key: str
    code: str
    message: str
    version_id: str | None = None


@dataclass(frozen=True)
class Grant:
    """
    One ACL grant. C{grantee_type} is "CanonicalUser" (uses C{grantee}) or
    "Group" (uses C{uri}).
    """

    permission: str
    grantee: Owner | None = None
    grantee_type: str = "CanonicalUser"
    uri: str | None = None


@dataclass(frozen=True)
class PartEntry:
    """
    One part of an in-progress multipart upload, for ListPartsResult.
    """

    part_number: int
    last_modified_ns: int
    etag: str
    size: int
    checksums: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PartsListing:
    """
    Everything a ListPartsResult says.
    """

    bucket: str
    key: str
    upload_id: str
    owner: Owner
    max_parts: int
    is_truncated: bool
    part_number_marker: int = 0
    next_part_number_marker: int | None = None
    parts: tuple[PartEntry, ...] = ()
    storage_class: str = "STANDARD"
    checksum_algorithm: str | None = None


@dataclass(frozen=True)
class UploadEntry:
    """
    One in-progress upload, for ListMultipartUploadsResult.
    """

    key: str
    upload_id: str
    owner: Owner
    initiated_ns: int
    storage_class: str = "STANDARD"


@dataclass(frozen=True)
class UploadsListing:
    """
    Everything a ListMultipartUploadsResult says.
    """

    bucket: str
    max_uploads: int
    is_truncated: bool
    key_marker: str = ""
    upload_id_marker: str = ""
    next_key_marker: str | None = None
    next_upload_id_marker: str | None = None
    prefix: str = ""
    delimiter: str = ""
    uploads: tuple[UploadEntry, ...] = ()
    common_prefixes: tuple[str, ...] = ()
    encoding_type: str | None = None


@dataclass(frozen=True)
class ObjectIdentifier:
    """
    One C{<Object>} of a DeleteObjects request.
    """

    key: str
    version_id: str | None = None


@dataclass(frozen=True)
class DeleteRequest:
    """
    A parsed DeleteObjects body.
    """

    objects: tuple[ObjectIdentifier, ...]
    quiet: bool = False


@dataclass(frozen=True)
class CompletedPart:
    """
    One C{<Part>} of a CompleteMultipartUpload body.

    @ivar etag: without quotes, whether or not the client sent them.
    @ivar checksums: (algorithm such as "CRC32", value) pairs.
    """

    part_number: int
    etag: str
    checksums: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class VersioningRequest:
    """
    A parsed VersioningConfiguration body; None where an element is absent.
    """

    status: str | None
    mfa_delete: str | None = None
