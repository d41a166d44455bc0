"""
Handlers for single objects: PUT (streamed), GET (streamed, with Range and
conditions), HEAD, DELETE, and the object ACL and tagging answers.

test-case-name: tests.s3.test_s3_objects
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from cartridge_d.objectstore.conditions import NO_CONDITIONS, Conditions
from cartridge_d.objectstore.model import ObjectQuery, PutOptions
from cartridge_d.objectstore.validation import parts_count
from cartridge_d.s3.buckets import check_acl
from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.checks import expected_checksums
from cartridge_d.s3.config import refuse_object_lock
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.limits import decoded_length, parse_part_number, user_metadata
from cartridge_d.s3.present import (
    object_headers,
    record_owner,
    stored_headers,
    version_headers,
    xml_response,
)
from cartridge_d.auth.checksums import checksum_spec
from cartridge_d.s3.head import RequestHead
from cartridge_d.xmlcodec import render_access_control_policy

_EMPTY_TAGGING = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet/></Tagging>'
)


def conditions(head: RequestHead) -> Conditions:
    """
    The If-* headers of a request (the one shared empty value when there
    are none, as for nearly every GET and HEAD).
    """
    headers = head.headers
    if not (
        "if-match" in headers or "if-none-match" in headers
        or "if-modified-since" in headers or "if-unmodified-since" in headers
    ):
        return NO_CONDITIONS
    return Conditions(
        if_match=head.header("if-match"),
        if_none_match=head.header("if-none-match"),
        if_modified_since=head.header("if-modified-since"),
        if_unmodified_since=head.header("if-unmodified-since"),
    )


def version_id(head: RequestHead) -> str | None:
    """
    The C{versionId} query parameter, if given.
    """
    return head.query.get("versionId")


def part_number(head: RequestHead) -> int | None:
    """
    The C{partNumber} of a GET or HEAD (1 to 10000), if given: it reads
    one part of a multipart object, as a Range would.

    @raise S3Error: InvalidArgument for a value out of range,
        InvalidRequest alongside a Range header.
    """
    text = head.query.get("partNumber")
    if text is None:
        return None
    number = parse_part_number(text)
    if head.header("range") is not None:
        raise s3_error("InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
    return number


def object_query(call: Call) -> ObjectQuery:
    """
    What a GET or HEAD of an object asks for: the version, the If-*
    conditions, and the Range or the part.
    """
    head = call.head
    return ObjectQuery(
        head.bucket, head.key, call.owner_id, version_id(head), conditions(head),
        head.header("range"), part_number(head),
    )


def plain_query(call: Call) -> ObjectQuery:
    """
    The object (and version) a sub-resource request names, nothing more.
    """
    head = call.head
    return ObjectQuery(head.bucket, head.key, call.owner_id, version_id(head))


class ReaderSource:
    """
    An object store reader as a L{BodySource}: offsets are relative to the
    range being sent.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.length: int = reader.length

    def read(self, offset: int, length: int) -> Deferred[bytes]:
        """Read from the pinned view, in the pool."""
        d: Deferred[bytes] = self._reader.read(self._reader.first + offset, length)
        return d

    def close(self) -> None:
        """Release the pinned view."""
        self._reader.close().addErrback(lambda f: None)


# -- PUT ---------------------------------------------------------------------


async def open_put(call: Call) -> Any:
    """
    Before the body: check bucket, permission, key and size, and open the
    put session the body will stream into.
    """
    head = call.head
    await refuse_object_lock(call)
    check_acl(call)
    length = head.header("content-length")
    size = decoded_length(head, int(length) if length and length.isdigit() else None)
    return await call.app.store.begin_put(
        head.bucket, head.key, call.owner_id, size, _checksum_algorithms(head)
    )


def _checksum_algorithms(head: RequestHead) -> tuple[str, ...]:
    """
    The x-amz-checksum-* algorithm the body's value will be given for.
    """
    spec = checksum_spec([(n, v) for n, vs in head.headers.items() for v in vs])
    return (spec.algorithm,) if spec is not None else ()


def put_options(call: Call) -> PutOptions:
    """
    What the put session needs to verify and store the object.
    """
    head = call.head
    trailers = call.upload.trailers if call.upload is not None else {}
    return PutOptions(
        headers=stored_headers(head),
        meta=user_metadata(head),
        content_md5=head.header("content-md5"),
        checksums=expected_checksums(head, trailers),
        conditions=Conditions(
            if_match=head.header("if-match"), if_none_match=head.header("if-none-match")
        ),
    )


async def finish_upload(call: Call) -> Any:
    """
    Finish the session a streamed body went into (a PutObject's or an
    UploadPart's), verifying it against the request's options; the session
    is aborted if the options themselves are bad.
    """
    session = call.sink
    try:
        options = put_options(call)
    except BaseException:
        await session.abort()
        raise
    return await session.finish(options)


async def put_object(call: Call) -> Response:
    """
    PutObject: the body is in the session; verify and commit it.
    """
    return _stored(await finish_upload(call))


async def put_small_object(call: Call) -> Response:
    """
    PutObject of a small body, received whole (C{call.body}) with no
    session opened: L{open_put}'s checks, then one hop in which the store
    checks the bucket, writes, verifies and commits.
    """
    head = call.head
    await refuse_object_lock(call)
    check_acl(call)
    options = put_options(call)
    # The options hold the checksum the body announced (from a header or
    # the trailer), so they name the algorithm to compute: no second
    # search of the headers.
    algorithms = tuple(algorithm for algorithm, _ in options.checksums)
    record = await call.app.store.put_object(
        head.bucket, head.key, call.owner_id, call.body, options, algorithms,
    )
    return _stored(record)


def _stored(record: Any) -> Response:
    """
    The answer to a stored PutObject: ETag, version, verified checksums.
    """
    headers = [("ETag", f'"{record.etag}"')]
    headers.extend(version_headers(record.version_id))
    headers.extend(("x-amz-checksum-" + a.lower(), v) for a, v in record.checksums)
    return Response(200, tuple(headers))


# -- GET, HEAD, DELETE -------------------------------------------------------


async def get_object(call: Call) -> Response:
    """
    GetObject: 200 or 206 with the body streamed from a pinned view, or,
    when the store read it all while opening the object (a small one),
    sent whole without a producer.
    """
    query = object_query(call)
    reader = await call.app.store.get_object(query)
    status, headers = _describe(call.head, reader.record, reader.byte_range, query.part_number)
    body = reader.whole()
    if body is not None:
        return Response(status, headers, body=body)
    return Response(status, headers, stream=ReaderSource(reader))


async def head_object(call: Call) -> Response:
    """
    HeadObject: GetObject's status and headers, no body.
    """
    query = object_query(call)
    record, byte_range = await call.app.store.head_object(query)
    status, headers = _describe(call.head, record, byte_range, query.part_number)
    length = record.size if byte_range is None else byte_range.length
    return Response(status, headers + (("Content-Length", str(length)),))


def _describe(
    head: RequestHead, record: Any, byte_range: Any, part: int | None = None
) -> tuple[int, tuple[tuple[str, str], ...]]:
    headers = object_headers(head, record, whole=byte_range is None)
    count = parts_count(record) if part is not None else None
    if count is not None:
        # Only for a multipart object, as S3 sends it.
        headers.append(("x-amz-mp-parts-count", str(count)))
    if byte_range is None:
        return 200, tuple(headers)
    headers.append(("Content-Range", byte_range.content_range()))
    return 206, tuple(headers)


async def delete_object(call: Call) -> Response:
    """
    DeleteObject: 204, also for a key that does not exist.
    """
    head = call.head
    outcome = await call.app.store.delete_object(
        head.bucket, head.key, call.owner_id, version_id(head)
    )
    headers = version_headers(outcome.version_id)
    if outcome.delete_marker:
        headers += (("x-amz-delete-marker", "true"),)
    return Response(204, headers)


# -- ACL and tagging ---------------------------------------------------------


async def get_acl(call: Call) -> Response:
    """
    GetObjectAcl: the object's owner with FULL_CONTROL.
    """
    record, _ = await call.app.store.head_object(plain_query(call))
    return xml_response(render_access_control_policy(record_owner(call, record.owner)))


async def put_acl(call: Call) -> Response:
    """
    PutObjectAcl: as L{check_acl} says.
    """
    await call.app.store.head_object(plain_query(call))
    check_acl(call, acl_body=True)
    return Response(200)


async def get_tagging(call: Call) -> Response:
    """
    GetObjectTagging: objects carry no tags here, so an empty TagSet.
    """
    await call.app.store.head_object(plain_query(call))
    return xml_response(_EMPTY_TAGGING)
