"""
Multipart upload handlers: create, upload a part (streamed exactly like
PutObject), copy a part, complete, abort. The listings are in
L{cartridge_d.s3.multipart_listing}.

Each handler reads its parameters from the request and makes one call to
the object store; every S3 rule (part sizes, order, ETags, checksums) is
the object store's.

test-case-name: tests.multipart.test_multipart_errors
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cartridge_d.auth.checksums import checksum_spec
from cartridge_d.objectstore.model import PartSpec, UploadOptions
from cartridge_d.s3.buckets import check_acl
from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.config import refuse_object_lock
from cartridge_d.s3.copy import parse_copy_source
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.head import RequestHead
from cartridge_d.s3.limits import decoded_length, parse_part_number, user_metadata
from cartridge_d.s3.multipart_listing import list_parts, list_uploads
from cartridge_d.s3.objects import finish_upload
from cartridge_d.s3.present import stored_headers, version_headers, xml_response
from cartridge_d.xmlcodec import (
    parse_complete_multipart_upload,
    render_complete_multipart,
    render_copy_result,
    render_initiate_multipart,
)

__all__ = [
    "abort_upload", "complete_upload", "create_upload", "list_parts", "list_uploads",
    "open_part", "upload_part", "upload_part_copy",
]


def upload_id(head: RequestHead) -> str:
    """
    The C{uploadId} query parameter.
    """
    return head.query.get("uploadId", "")


def part_number(head: RequestHead) -> int:
    """
    The C{partNumber} query parameter.

    @raise S3Error: InvalidArgument when it is missing or not a number in
        1-10000, before any body byte is accepted.
    """
    return parse_part_number(head.query.get("partNumber"))


def _checksum_headers(checksums: Any) -> list[tuple[str, str]]:
    return [("x-amz-checksum-" + algorithm.lower(), value) for algorithm, value in checksums]


async def create_upload(call: Call) -> Response:
    """
    CreateMultipartUpload: stored headers, user metadata and the checksum
    algorithm (and type) the object will have.
    """
    head = call.head
    await refuse_object_lock(call)
    check_acl(call)
    algorithm = (head.header("x-amz-checksum-algorithm") or "").strip().upper()
    kind = (head.header("x-amz-checksum-type") or "").strip().upper()
    options = UploadOptions(stored_headers(head), user_metadata(head), algorithm, kind)
    info = await call.app.store.create_upload(head.bucket, head.key, call.owner_id, options)
    headers: tuple[tuple[str, str], ...] = ()
    if algorithm:
        headers += (("x-amz-checksum-algorithm", algorithm),)
    if kind:
        headers += (("x-amz-checksum-type", kind),)
    body = render_initiate_multipart(head.bucket, head.key, info.upload_id)
    return xml_response(body, headers=headers)


async def open_part(call: Call) -> Any:
    """
    Before an UploadPart body: check the part number, the upload, the
    bucket and the size, and open the session the body streams into.
    """
    head = call.head
    number = part_number(head)
    length = head.header("content-length")
    size = decoded_length(head, int(length) if length and length.isdigit() else None)
    spec = checksum_spec([(n, v) for n, vs in head.headers.items() for v in vs])
    algorithms = (spec.algorithm,) if spec is not None else ()
    return await call.app.store.begin_part(
        head.bucket, head.key, upload_id(head), number, call.owner_id, size, algorithms
    )


async def upload_part(call: Call) -> Response:
    """
    UploadPart: the body is in the session; verify it and record the part.
    The answer comes once the part's data and journal record are durable.
    """
    part = await finish_upload(call)
    headers = [("ETag", f'"{part.etag}"'), *_checksum_headers(part.checksums)]
    return Response(200, tuple(headers))


async def upload_part_copy(call: Call) -> Response:
    """
    UploadPartCopy: a part made of a stored object's bytes (or a range of
    them), with the copy-source-if-* conditions.
    """
    head = call.head
    number = part_number(head)
    source = parse_copy_source(head)
    original, part = await call.app.store.copy_part(
        source, head.header("x-amz-copy-source-range"), head.bucket, head.key,
        upload_id(head), number, call.owner_id,
    )
    headers: tuple[tuple[str, str], ...] = ()
    if original.version_id != "null":
        headers += (("x-amz-copy-source-version-id", original.version_id),)
    body = render_copy_result(part.etag, part.stored_ns, part.checksums, part=True)
    return xml_response(body, headers=headers)


def _location(head: RequestHead) -> str:
    host = head.header("host") or "localhost"
    if head.virtual_host:
        return f"http://{host}/{quote(head.key)}"
    return f"http://{host}/{head.bucket}/{quote(head.key)}"


async def complete_upload(call: Call) -> Response:
    """
    CompleteMultipartUpload: the parts listed (ETags with or without
    quotes) become the object; on any error the upload stays as it was.
    """
    head = call.head
    listed = parse_complete_multipart_upload(call.body, PartSpec)
    record = await call.app.store.complete_upload(
        head.bucket, head.key, upload_id(head), call.owner_id, listed
    )
    body = render_complete_multipart(
        _location(head), head.bucket, head.key, record.etag, record.checksums
    )
    return xml_response(body, headers=version_headers(record.version_id))


async def abort_upload(call: Call) -> Response:
    """
    AbortMultipartUpload: 204; NoSuchUpload for an unknown id.
    """
    head = call.head
    await call.app.store.abort_upload(head.bucket, head.key, upload_id(head), call.owner_id)
    return Response(204)
