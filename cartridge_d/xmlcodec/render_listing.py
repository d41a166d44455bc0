"""
Renderers for the listing bodies: ListBucketResult (ListObjects v1 and
v2), ListVersionsResult, ListPartsResult and ListMultipartUploadsResult.

With encoding-type=url, S3 percent-encodes every key-like field (keys,
prefixes, delimiter, markers, start-after) and echoes
C{<EncodingType>url</EncodingType>}; botocore decodes only when it sees
the echo, so the two always go together here. Continuation tokens and
upload ids are opaque and never encoded.

test-case-name: tests.xmlcodec.test_xml_render
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from cartridge_d.xmlcodec._build import Document, iso8601, quote_etag, url_encode
from cartridge_d.xmlcodec.model import (
    ListingV1,
    ListingV2,
    ObjectEntry,
    PartsListing,
    UploadsListing,
    VersionsListing,
)


def _encoder(encoding_type: str | None) -> Callable[[str], str]:
    """
    The function applied to key-like fields for C{encoding_type}.
    """
    if encoding_type == "url":
        return url_encode
    return str


def _contents(
    doc: Document,
    entry: ObjectEntry,
    encode: Callable[[str], str],
    tag: str = "Contents",
    version: tuple[str, bool] | None = None,
) -> None:
    """
    Append one C{<Contents>} element (or C{<Version>}, with C{version}
    its id and whether it is the latest).
    """
    element = doc.element(doc.root, tag)
    doc.text(element, "Key", encode(entry.key))
    if version is not None:
        doc.text(element, "VersionId", version[0])
        doc.text(element, "IsLatest", version[1])
    doc.text(element, "LastModified", iso8601(entry.last_modified_ns))
    doc.text(element, "ETag", quote_etag(entry.etag))
    for algorithm in entry.checksum_algorithms:
        doc.text(element, "ChecksumAlgorithm", algorithm)
    doc.text(element, "Size", entry.size)
    if entry.owner is not None:
        doc.owner(element, "Owner", entry.owner.id, entry.owner.display_name)
    doc.text(element, "StorageClass", entry.storage_class)


def _common_prefixes(
    doc: Document, prefixes: tuple[str, ...], encode: Callable[[str], str]
) -> None:
    """
    Append one C{<CommonPrefixes>} element per prefix.
    """
    for prefix in prefixes:
        element = doc.element(doc.root, "CommonPrefixes")
        doc.text(element, "Prefix", encode(prefix))


def _delimiter_and_encoding(
    doc: Document, root: etree._Element, delimiter: str, encoding_type: str | None
) -> None:
    """
    Append Delimiter (when one was given) and the EncodingType echo.
    """
    encode = _encoder(encoding_type)
    if delimiter:
        doc.text(root, "Delimiter", encode(delimiter))
    doc.optional(root, "EncodingType", encoding_type)


def render_list_objects_v1(listing: ListingV1) -> bytes:
    """
    A ListObjects (v1) ListBucketResult.
    """
    encode = _encoder(listing.encoding_type)
    doc = Document("ListBucketResult")
    root = doc.root
    doc.text(root, "Name", listing.bucket)
    doc.text(root, "Prefix", encode(listing.prefix))
    doc.text(root, "Marker", encode(listing.marker))
    if listing.next_marker is not None:
        doc.text(root, "NextMarker", encode(listing.next_marker))
    doc.text(root, "MaxKeys", listing.max_keys)
    _delimiter_and_encoding(doc, root, listing.delimiter, listing.encoding_type)
    doc.text(root, "IsTruncated", listing.is_truncated)
    for entry in listing.contents:
        _contents(doc, entry, encode)
    _common_prefixes(doc, listing.common_prefixes, encode)
    return doc.tobytes()


def render_list_objects_v2(listing: ListingV2) -> bytes:
    """
    A ListObjectsV2 ListBucketResult, with KeyCount counting Contents and
    CommonPrefixes together.
    """
    encode = _encoder(listing.encoding_type)
    doc = Document("ListBucketResult")
    root = doc.root
    doc.text(root, "Name", listing.bucket)
    doc.text(root, "Prefix", encode(listing.prefix))
    doc.optional(root, "ContinuationToken", listing.continuation_token)
    doc.optional(root, "NextContinuationToken", listing.next_continuation_token)
    doc.text(root, "KeyCount", len(listing.contents) + len(listing.common_prefixes))
    doc.text(root, "MaxKeys", listing.max_keys)
    _delimiter_and_encoding(doc, root, listing.delimiter, listing.encoding_type)
    doc.text(root, "IsTruncated", listing.is_truncated)
    if listing.start_after is not None:
        doc.text(root, "StartAfter", encode(listing.start_after))
    for entry in listing.contents:
        _contents(doc, entry, encode)
    _common_prefixes(doc, listing.common_prefixes, encode)
    return doc.tobytes()


def render_list_versions(listing: VersionsListing) -> bytes:
    """
    A ListObjectVersions ListVersionsResult (object versions only: no
    delete markers are listed, as none is kept without versioning).
    """
    encode = _encoder(listing.encoding_type)
    doc = Document("ListVersionsResult")
    root = doc.root
    doc.text(root, "Name", listing.bucket)
    doc.text(root, "Prefix", encode(listing.prefix))
    doc.text(root, "KeyMarker", encode(listing.key_marker))
    doc.text(root, "VersionIdMarker", listing.version_id_marker)
    if listing.next_key_marker is not None:
        doc.text(root, "NextKeyMarker", encode(listing.next_key_marker))
    doc.optional(root, "NextVersionIdMarker", listing.next_version_id_marker)
    doc.text(root, "MaxKeys", listing.max_keys)
    _delimiter_and_encoding(doc, root, listing.delimiter, listing.encoding_type)
    doc.text(root, "IsTruncated", listing.is_truncated)
    for version in listing.versions:
        _contents(doc, version.entry, encode, "Version", (version.version_id, version.is_latest))
    _common_prefixes(doc, listing.common_prefixes, encode)
    return doc.tobytes()


def render_list_parts(listing: PartsListing) -> bytes:
    """
    A ListPartsResult.
    """
    doc = Document("ListPartsResult")
    root = doc.root
    doc.text(root, "Bucket", listing.bucket)
    doc.text(root, "Key", listing.key)
    doc.text(root, "UploadId", listing.upload_id)
    doc.owner(root, "Initiator", listing.owner.id, listing.owner.display_name)
    doc.owner(root, "Owner", listing.owner.id, listing.owner.display_name)
    doc.text(root, "StorageClass", listing.storage_class)
    doc.text(root, "PartNumberMarker", listing.part_number_marker)
    doc.optional(root, "NextPartNumberMarker", listing.next_part_number_marker)
    doc.text(root, "MaxParts", listing.max_parts)
    doc.text(root, "IsTruncated", listing.is_truncated)
    doc.optional(root, "ChecksumAlgorithm", listing.checksum_algorithm)
    for part in listing.parts:
        element = doc.element(root, "Part")
        doc.text(element, "PartNumber", part.part_number)
        doc.text(element, "LastModified", iso8601(part.last_modified_ns))
        doc.text(element, "ETag", quote_etag(part.etag))
        doc.text(element, "Size", part.size)
        for algorithm, value in part.checksums:
            doc.text(element, "Checksum" + algorithm.upper(), value)
    return doc.tobytes()


def render_list_uploads(listing: UploadsListing) -> bytes:
    """
    A ListMultipartUploadsResult.
    """
    encode = _encoder(listing.encoding_type)
    doc = Document("ListMultipartUploadsResult")
    root = doc.root
    doc.text(root, "Bucket", listing.bucket)
    doc.text(root, "KeyMarker", encode(listing.key_marker))
    doc.text(root, "UploadIdMarker", listing.upload_id_marker)
    if listing.next_key_marker is not None:
        doc.text(root, "NextKeyMarker", encode(listing.next_key_marker))
    doc.optional(root, "NextUploadIdMarker", listing.next_upload_id_marker)
    if listing.prefix:
        doc.text(root, "Prefix", encode(listing.prefix))
    _delimiter_and_encoding(doc, root, listing.delimiter, listing.encoding_type)
    doc.text(root, "MaxUploads", listing.max_uploads)
    doc.text(root, "IsTruncated", listing.is_truncated)
    for upload in listing.uploads:
        element = doc.element(root, "Upload")
        doc.text(element, "Key", encode(upload.key))
        doc.text(element, "UploadId", upload.upload_id)
        doc.owner(element, "Initiator", upload.owner.id, upload.owner.display_name)
        doc.owner(element, "Owner", upload.owner.id, upload.owner.display_name)
        doc.text(element, "StorageClass", upload.storage_class)
        doc.text(element, "Initiated", iso8601(upload.initiated_ns))
    _common_prefixes(doc, listing.common_prefixes, encode)
    return doc.tobytes()
