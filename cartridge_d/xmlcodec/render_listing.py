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

import re
from collections.abc import Callable

from lxml import etree

from cartridge_d.xmlcodec._build import (
    _XML_ILLEGAL,
    Document,
    _escape,
    iso8601,
    quote_etag,
    url_encode,
)
from cartridge_d.xmlcodec.model import (
    ListingV1,
    ListingV2,
    ObjectEntry,
    Owner,
    PartsListing,
    UploadsListing,
    VersionsListing,
)

#: Text that needs escaping as element content, or cannot be XML 1.0 text.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _encoder(encoding_type: str | None) -> Callable[[str], str]:
    """
    The function applied to key-like fields for C{encoding_type}.
    """
    if encoding_type == "url":
        return url_encode
    return str


class _Entries:
    """
    Writes C{<Contents>} (or C{<Version>}) and C{<CommonPrefixes>} elements
    as text, byte for byte as lxml would serialise them.

    A listing has up to 1,000 entries, and building seven to ten lxml
    elements for each, then formatting its time through C{datetime}, was
    about half of the server's CPU for a full page. Here each entry is a
    few string joins: text is escaped as lxml escapes element content
    (C{&}, C{<}, C{>} and carriage return), text holding characters XML 1.0
    cannot carry is written as L{Document} writes it, and the parts that
    repeat across a page (the second of a timestamp, the Owner element)
    are formatted once per listing.
    """

    def __init__(self, encode: Callable[[str], str]) -> None:
        self._encode = encode
        self._seconds: dict[int, str] = {}
        self._owners: dict[Owner, str] = {}
        self.parts: list[str] = []

    def _stamp(self, ns: int) -> str:
        """
        L{iso8601} of C{ns}, the part up to the second cached.
        """
        seconds, rest = divmod(ns, 1_000_000_000)
        whole = self._seconds.get(seconds)
        if whole is None:
            # iso8601 of a whole second ends in ".000Z"
            whole = self._seconds[seconds] = iso8601(seconds * 1_000_000_000)[:-5]
        return f"{whole}.{rest // 1_000_000:03d}Z"

    def _owner(self, owner: Owner) -> str:
        text = self._owners.get(owner)
        if text is None:
            text = self._owners[owner] = (
                f"<Owner><ID>{_text(owner.id)}</ID>"
                f"<DisplayName>{_text(owner.display_name)}</DisplayName></Owner>"
            )
        return text

    def add(self, entry: ObjectEntry, tag: str = "Contents",
            version: tuple[str, bool] | None = None) -> None:
        """
        Append one entry (C{version}: its version id and whether it is the
        latest, for C{<Version>}).
        """
        parts = self.parts
        parts.append(f"<{tag}><Key>{_text(self._encode(entry.key))}</Key>")
        if version is not None:
            latest = "true" if version[1] else "false"
            parts.append(f"<VersionId>{_text(version[0])}</VersionId><IsLatest>{latest}</IsLatest>")
        parts.append(f"<LastModified>{self._stamp(entry.last_modified_ns)}</LastModified>"
                     f"<ETag>{_text(quote_etag(entry.etag))}</ETag>")
        for algorithm in entry.checksum_algorithms:
            parts.append(f"<ChecksumAlgorithm>{_text(algorithm)}</ChecksumAlgorithm>")
        parts.append(f"<Size>{entry.size}</Size>")
        if entry.owner is not None:
            parts.append(self._owner(entry.owner))
        parts.append(f"<StorageClass>{_text(entry.storage_class)}</StorageClass></{tag}>")

    def add_prefixes(self, prefixes: tuple[str, ...]) -> None:
        """
        Append one C{<CommonPrefixes>} element per prefix.
        """
        for prefix in prefixes:
            self.parts.append(
                f"<CommonPrefixes><Prefix>{_text(self._encode(prefix))}</Prefix></CommonPrefixes>"
            )

    def finish(self, doc: Document) -> bytes:
        """
        C{doc} serialised, with the entries appended to its root element.
        """
        data = doc.tobytes()
        close = data.rindex(b"</")
        return data[:close] + "".join(self.parts).encode("utf-8") + data[close:]


def _text(text: str) -> str:
    """
    C{text} escaped as element content: as lxml writes it, or, when it
    holds characters XML 1.0 cannot carry, as L{Document} writes those.
    """
    if _SPECIAL.search(text) is None:
        return text
    if _XML_ILLEGAL.search(text) is not None:
        return _escape(text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


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
    entries = _Entries(encode)
    for entry in listing.contents:
        entries.add(entry)
    entries.add_prefixes(listing.common_prefixes)
    return entries.finish(doc)


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
    entries = _Entries(encode)
    for entry in listing.contents:
        entries.add(entry)
    entries.add_prefixes(listing.common_prefixes)
    return entries.finish(doc)


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
    entries = _Entries(encode)
    for version in listing.versions:
        entries.add(version.entry, "Version", (version.version_id, version.is_latest))
    entries.add_prefixes(listing.common_prefixes)
    return entries.finish(doc)


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
    entries = _Entries(encode)
    entries.add_prefixes(listing.common_prefixes)
    return entries.finish(doc)
