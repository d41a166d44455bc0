"""
ListParts and ListMultipartUploads: read the paging parameters, ask the
object store for one page, render it.

test-case-name: tests.multipart.test_multipart_listing
"""

from __future__ import annotations

from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.listing import encoding_type
from cartridge_d.s3.present import record_owner, xml_response
from cartridge_d.xmlcodec import render_list_parts, render_list_uploads
from cartridge_d.xmlcodec.model import PartEntry, PartsListing, UploadEntry, UploadsListing

#: The most parts or uploads one page holds.
MAX_PAGE = 1000


def _count(call: Call, name: str, default: int) -> int:
    """
    A non-negative integer query parameter (max-parts, part-number-marker,
    max-uploads); page sizes are capped at 1000.

    @raise S3Error: InvalidArgument for anything but digits.
    """
    text = call.head.query.get(name)
    if text is None:
        return default
    if not text.strip().isdigit() or len(text.strip()) > 10:
        raise s3_error(
            "InvalidArgument",
            f"Provided {name} not an integer or within integer range",
            extra=(("ArgumentName", name), ("ArgumentValue", text)),
        )
    return int(text)


async def list_parts(call: Call) -> Response:
    """
    ListParts: max-parts, part-number-marker, NextPartNumberMarker,
    IsTruncated.
    """
    head = call.head
    marker = _count(call, "part-number-marker", 0)
    max_parts = min(_count(call, "max-parts", MAX_PAGE), MAX_PAGE)
    info, page = await call.app.store.list_parts(
        head.bucket, head.key, head.query.get("uploadId", ""), call.owner_id, marker, max_parts
    )
    listing = PartsListing(
        bucket=head.bucket,
        key=head.key,
        upload_id=info.upload_id,
        owner=record_owner(call, info.owner),
        max_parts=max_parts,
        is_truncated=page.truncated,
        part_number_marker=marker,
        next_part_number_marker=page.next_part_number_marker if page.parts else None,
        parts=tuple(
            PartEntry(n, part.stored_ns, part.etag, part.size, part.checksums)
            for n, part in page.parts
        ),
        checksum_algorithm=info.checksum_algorithm or None,
    )
    return xml_response(render_list_parts(listing))


async def list_uploads(call: Call) -> Response:
    """
    ListMultipartUploads: prefix, delimiter, key-marker, upload-id-marker,
    max-uploads, encoding-type.
    """
    head = call.head
    query = head.query
    encoding = encoding_type(query)
    max_uploads = min(_count(call, "max-uploads", MAX_PAGE), MAX_PAGE)
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    key_marker = query.get("key-marker", "")
    upload_id_marker = query.get("upload-id-marker", "") if key_marker else ""
    page = await call.app.store.list_uploads(
        head.bucket, call.owner_id, prefix, delimiter, key_marker, upload_id_marker, max_uploads
    )
    listing = UploadsListing(
        bucket=head.bucket,
        max_uploads=max_uploads,
        is_truncated=page.truncated,
        key_marker=key_marker,
        upload_id_marker=upload_id_marker,
        next_key_marker=page.next_key_marker if page.truncated else None,
        next_upload_id_marker=page.next_upload_id_marker if page.truncated else None,
        prefix=prefix,
        delimiter=delimiter,
        uploads=tuple(
            UploadEntry(u.key, u.upload_id, record_owner(call, u.owner), u.created_ns)
            for u in page.uploads
        ),
        common_prefixes=page.common_prefixes,
        encoding_type=encoding,
    )
    return xml_response(render_list_uploads(listing))
