"""
Request limits checked from the head alone, before any body byte is read.

The object store checks the same rules again when it writes (it is the
authority); checking them here as well means an oversized PUT or a key too
long is refused before the client sends gigabytes.  The numbers are S3's:
keys up to 1024 bytes of UTF-8, user metadata up to 2 KB, a single PUT up
to 5 GiB.  The header block itself is limited by twisted.web's
C{HTTPChannel} (16 KiB of request line and headers, at most 500 headers),
which answers a bare 400 and closes past it; one line over 16 KiB gets
S3's RequestHeaderSectionTooLarge (L{cartridge_d.s3.site.S3Channel}).

test-case-name: tests.s3.test_s3_streaming
"""

from __future__ import annotations

from cartridge_d.objectstore.validation import (
    MAX_PUT_BYTES,
    check_key,
    check_metadata,
)
from cartridge_d.s3.call import ReceivedBody
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.head import Kind, RequestHead
from cartridge_d.s3.upload import UploadPipe

__all__ = ["MAX_PUT_BYTES", "SMALL_BODY", "XML_BODY_LIMIT", "check_head", "decoded_length", "parse_part_number",
           "user_metadata"]

_META = "x-amz-meta-"

#: Largest buffered (XML) request body; past it the request fails with
#: MalformedXML.  The XML codec refuses larger documents anyway.
XML_BODY_LIMIT = 4 * 1024 * 1024

#: The largest Content-Length a streaming route may take whole, in memory,
#: and store in one thread hop (L{cartridge_d.s3.routing.Route.small}).
SMALL_BODY = 64 * 1024


def parse_part_number(text: str | None) -> int:
    """
    A C{partNumber} query value (UploadPart, or a GET/HEAD of one part).

    @raise S3Error: InvalidArgument when it is missing or not a number in
        1-10000.
    """
    if text is None or not text.strip().isdigit() or not 1 <= int(text) <= 10000:
        raise s3_error(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            extra=(("ArgumentName", "partNumber"), ("ArgumentValue", text or "")),
        )
    return int(text)


def user_metadata(head: RequestHead) -> tuple[tuple[str, str], ...]:
    """
    The C{x-amz-meta-*} headers: (lower-case name without the prefix,
    value byte for byte), several values of one name joined by commas.
    """
    return tuple(
        (name[len(_META):], ",".join(values))
        for name, values in head.headers.items()
        if name.startswith(_META)
    )


def _is_aws_chunked(head: RequestHead) -> bool:
    encoding = head.header("content-encoding") or ""
    return "aws-chunked" in encoding.lower() or (
        (head.header("x-amz-content-sha256") or "").startswith("STREAMING-")
    )


def decoded_length(head: RequestHead, length: int | None) -> int | None:
    """
    How many payload bytes the body must carry, if known: the
    C{x-amz-decoded-content-length} of an aws-chunked body, else the
    Content-Length (None for an HTTP-chunked body).
    """
    if _is_aws_chunked(head):
        value = head.header("x-amz-decoded-content-length")
        if value is None:
            return None
        if not value.strip().isdigit():
            raise s3_error("InvalidArgument", "x-amz-decoded-content-length is not a number.")
        return int(value)
    return length


#: The x-amz-storage-class values S3 knows.  Every object here is stored
#: the same way (and listed STANDARD), but a value S3 would refuse is
#: refused, not stored as if it meant something.
STORAGE_CLASSES = frozenset({
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
})


def check_storage_class(head: RequestHead) -> None:
    """
    @raise S3Error: InvalidStorageClass for an C{x-amz-storage-class}
        S3 does not know.
    """
    value = head.header("x-amz-storage-class")
    if value is not None and value.strip() not in STORAGE_CLASSES:
        raise s3_error("InvalidStorageClass", extra=(("StorageClassRequested", value),))


def check_head(head: RequestHead, streamed: bool, length: int | None) -> None:
    """
    Refuse what the head alone shows to be too large or missing.

    @param streamed: the body streams into the object store (PUT, part).
    @param length: the Content-Length, or None for an HTTP-chunked body.
    @raise S3DomainError or S3Error: KeyTooLongError, MetadataTooLarge,
        InvalidStorageClass, EntityTooLarge, MissingContentLength.
    """
    if head.kind is Kind.OBJECT:
        check_key(head.key)
    if head.method in ("PUT", "POST") and head.kind is Kind.OBJECT:
        check_metadata(user_metadata(head))
        check_storage_class(head)
    if streamed:
        if length == 0 and head.header("content-length") is None:
            raise s3_error("MissingContentLength")
        size = decoded_length(head, length)
        if size is not None and size > MAX_PUT_BYTES:
            raise s3_error(
                "EntityTooLarge",
                extra=(("ProposedSize", str(size)), ("MaxSizeAllowed", str(MAX_PUT_BYTES))),
            )


def received(pipe: UploadPipe) -> ReceivedBody:
    """
    What a streaming handler learns about its body once it is complete.
    """
    return ReceivedBody(pipe.size, dict(pipe.trailers))
