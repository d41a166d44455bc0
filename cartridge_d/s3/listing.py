"""
ListObjects (v1), ListObjectsV2 and ListObjectVersions.

The object store pages the keys; this module reads the parameters and
renders the page.  Both versions resume from a key (v1 C{marker}; v2 the
continuation token, which wraps the last key or common prefix of the
previous page, else C{start-after}), so a common prefix never repeats
across pages and a deleted marker key is no problem.  A truncated v1 page
carries C{NextMarker} only with a delimiter, as S3's: without one, clients
resume from the last key (rclone and s3cmd do; a page without keys keeps
its NextMarker, since rclone fails on a truncated page with neither).

test-case-name: tests.s3.test_s3_listing
"""

from __future__ import annotations

from cartridge_d.engine.types import ObjectRecord
from cartridge_d.objectstore.listing import decode_token, encode_token, parse_max_keys
from cartridge_d.objectstore.model import ListRequest
from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.present import record_owner, xml_response
from cartridge_d.engine.types import NULL_VERSION
from cartridge_d.xmlcodec import (
    render_list_objects_v1,
    render_list_objects_v2,
    render_list_versions,
)
from cartridge_d.xmlcodec.model import (
    ListingV1,
    ListingV2,
    ObjectEntry,
    Owner,
    VersionEntry,
    VersionsListing,
)


def _entries(
    call: Call, records: tuple[ObjectRecord, ...], with_owner: bool
) -> tuple[ObjectEntry, ...]:
    """
    The listing entries of C{records}, with their owners when asked.

    A page has up to 1,000 records, usually of one owner: each distinct
    owner is looked up once per page, not once per key.
    """
    owners: dict[str, Owner] = {}
    entries = []
    for record in records:
        owner = None
        if with_owner:
            owner = owners.get(record.owner)
            if owner is None:
                owner = owners[record.owner] = record_owner(call, record.owner)
        checksums = record.checksums
        algorithms = tuple([algorithm for algorithm, _ in checksums]) if checksums else ()
        entries.append(ObjectEntry(record.key, record.mtime_ns, record.etag, record.size, owner,
                                   checksum_algorithms=algorithms))
    return tuple(entries)


def encoding_type(query: dict[str, str]) -> str | None:
    """
    The encoding-type parameter of a listing: "url" or None.

    @raise S3Error: InvalidArgument for any other value.
    """
    encoding = query.get("encoding-type")
    if encoding is not None and encoding.lower() != "url":
        raise s3_error(
            "InvalidArgument",
            "Invalid Encoding Method specified in Request",
            extra=(("ArgumentName", "encoding-type"), ("ArgumentValue", encoding)),
        )
    return "url" if encoding is not None else None


async def list_objects(call: Call) -> Response:
    """
    ListObjects, or ListObjectsV2 with C{list-type=2}.
    """
    query = call.head.query
    encoding = encoding_type(query)
    v2 = query.get("list-type") == "2"
    max_keys = parse_max_keys(query.get("max-keys"))
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    token = query.get("continuation-token") if v2 else None
    start_after = query.get("start-after") if v2 else None
    if v2:
        start = decode_token(token) if token is not None else (start_after or "")
    else:
        start = query.get("marker", "")
    page = await call.app.store.list_objects(
        call.head.bucket, call.owner_id, ListRequest(prefix, delimiter, start, max_keys)
    )
    if not v2:
        listing_v1 = ListingV1(
            bucket=call.head.bucket,
            prefix=prefix,
            marker=start,
            max_keys=max_keys,
            is_truncated=page.is_truncated,
            delimiter=delimiter,
            next_marker=page.next_marker
            if page.is_truncated and (delimiter or not page.contents)
            else None,
            contents=_entries(call, page.contents, True),
            common_prefixes=page.common_prefixes,
            encoding_type=encoding,
        )
        return xml_response(render_list_objects_v1(listing_v1))
    fetch_owner = query.get("fetch-owner", "").lower() == "true"
    next_token = (
        encode_token(page.next_marker)
        if page.is_truncated and page.next_marker is not None
        else None
    )
    listing_v2 = ListingV2(
        bucket=call.head.bucket,
        prefix=prefix,
        max_keys=max_keys,
        is_truncated=page.is_truncated,
        delimiter=delimiter,
        continuation_token=token,
        next_continuation_token=next_token,
        start_after=start_after,
        contents=_entries(call, page.contents, fetch_owner),
        common_prefixes=page.common_prefixes,
        encoding_type=encoding,
    )
    return xml_response(render_list_objects_v2(listing_v2))


async def list_versions(call: Call) -> Response:
    """
    ListObjectVersions of a bucket that never had versioning: each object
    is its only version, C{null}, the latest (aws-cli's
    C{list-object-versions} and rclone's C{--s3-versions} ask for it).
    A bucket with versioning is NotImplemented until the store lists its
    older versions.
    """
    query = call.head.query
    encoding = encoding_type(query)
    key_marker = query.get("key-marker", "")
    version_marker = query.get("version-id-marker", "")
    if version_marker and not key_marker:
        raise s3_error(
            "InvalidArgument", "A version-id marker cannot be specified without a key marker.",
            extra=(("ArgumentName", "version-id-marker"), ("ArgumentValue", version_marker)),
        )
    bucket = await call.app.store.head_bucket(call.head.bucket, call.owner_id)
    if bucket.versioning:
        raise s3_error("NotImplemented", "Listing the versions of a versioned bucket is not implemented.")
    if version_marker not in ("", NULL_VERSION):
        raise s3_error(
            "InvalidArgument", "Invalid version id specified",
            extra=(("ArgumentName", "version-id-marker"), ("ArgumentValue", version_marker)),
        )
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    max_keys = parse_max_keys(query.get("max-keys"))
    page = await call.app.store.list_objects(
        call.head.bucket, call.owner_id, ListRequest(prefix, delimiter, key_marker, max_keys)
    )
    next_key = page.next_marker if page.is_truncated else None
    listing = VersionsListing(
        bucket=call.head.bucket,
        prefix=prefix,
        key_marker=key_marker,
        version_id_marker=version_marker,
        max_keys=max_keys,
        is_truncated=page.is_truncated,
        delimiter=delimiter,
        next_key_marker=next_key,
        next_version_id_marker=(
            NULL_VERSION if next_key is not None and next_key not in page.common_prefixes else None
        ),
        versions=tuple(
            VersionEntry(entry, NULL_VERSION, True)
            for entry in _entries(call, page.contents, True)
        ),
        common_prefixes=page.common_prefixes,
        encoding_type=encoding,
    )
    return xml_response(render_list_versions(listing))
