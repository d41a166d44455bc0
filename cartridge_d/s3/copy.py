"""
CopyObject: C{PUT} with C{x-amz-copy-source}.

The source header is URL-encoded (C{bucket/key}, optionally with a leading
slash and C{?versionId=}); it is split on the first C{?} before decoding,
so an encoded C{%3F} stays part of the key.  With the object store sharing
one cartridge, the copy links the source's extents: no bytes are copied.

test-case-name: tests.s3.test_s3_copy
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_to_bytes

from cartridge_d.engine.types import NULL_VERSION
from cartridge_d.objectstore.conditions import Conditions
from cartridge_d.objectstore.model import CopyOptions, CopySource
from cartridge_d.s3.buckets import check_acl
from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.config import refuse_object_lock
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.head import RequestHead
from cartridge_d.s3.limits import user_metadata
from cartridge_d.s3.present import stored_headers, version_headers, xml_response
from cartridge_d.xmlcodec import render_copy_result


def _bad_source(value: str) -> Exception:
    return s3_error(
        "InvalidArgument",
        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        extra=(("ArgumentName", "x-amz-copy-source"), ("ArgumentValue", value)),
    )


def parse_copy_source(head: RequestHead) -> CopySource:
    """
    The object C{x-amz-copy-source} names, with the copy-source-if-*
    conditions.

    @raise S3Error: InvalidArgument when it names no bucket and key.
    """
    value = head.header("x-amz-copy-source") or ""
    path, _, query = value.partition("?")
    try:
        decoded = unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_source(value) from None
    bucket, _, key = decoded.lstrip("/").partition("/")
    if not bucket or not key:
        raise _bad_source(value)
    version = dict(parse_qsl(query, keep_blank_values=True)).get("versionId")
    return CopySource(
        bucket,
        key,
        version,
        Conditions(
            if_match=head.header("x-amz-copy-source-if-match"),
            if_none_match=head.header("x-amz-copy-source-if-none-match"),
            if_modified_since=head.header("x-amz-copy-source-if-modified-since"),
            if_unmodified_since=head.header("x-amz-copy-source-if-unmodified-since"),
        ),
    )


def copy_options(head: RequestHead) -> CopyOptions:
    """
    The metadata directive: COPY keeps the source's, REPLACE takes the
    request's headers and metadata.
    """
    directive = (head.header("x-amz-metadata-directive") or "COPY").strip().upper()
    if directive not in ("COPY", "REPLACE"):
        raise s3_error(
            "InvalidArgument",
            "Unknown metadata directive.",
            extra=(("ArgumentName", "x-amz-metadata-directive"), ("ArgumentValue", directive)),
        )
    return CopyOptions(directive == "REPLACE", stored_headers(head), user_metadata(head))


async def copy_object(call: Call) -> Response:
    """
    CopyObject: a CopyObjectResult with the new ETag and time.
    """
    head = call.head
    source = parse_copy_source(head)
    await refuse_object_lock(call)
    check_acl(call)
    original, record = await call.app.store.copy_object(
        source, head.bucket, head.key, call.owner_id, copy_options(head)
    )
    headers = version_headers(record.version_id)
    if original.version_id != NULL_VERSION:
        headers += (("x-amz-copy-source-version-id", original.version_id),)
    return xml_response(render_copy_result(record.etag, record.mtime_ns), headers=headers)
