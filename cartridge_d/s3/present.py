"""
How stored records are presented on the wire: object headers, owners,
and XML responses.

Stored headers and user metadata go back exactly as they were received
(they were decoded as ISO-8859-1 and are encoded back the same way), under
their canonical names, with C{x-amz-meta-} names lower-cased.  Times are
RFC 1123 in headers.  Checksums are echoed only when the client asks
(C{x-amz-checksum-mode: ENABLED}) and only for a whole-object read; stored
checksums were verified when the object was written, so an echoed value
is never wrong.

test-case-name: tests.s3.test_s3_objects
"""

from __future__ import annotations

from cartridge_d.engine.types import NULL_VERSION, ObjectRecord
from cartridge_d.objectstore.conditions import http_date
from cartridge_d.objectstore.model import STORED_HEADERS
from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.head import RequestHead
from cartridge_d.xmlcodec.model import Owner

#: The Content-Type S3 gives an object stored without one.
DEFAULT_CONTENT_TYPE = "binary/octet-stream"

#: response-* query parameters and the header each one overrides.
RESPONSE_OVERRIDES = (
    ("response-content-type", "Content-Type"),
    ("response-content-language", "Content-Language"),
    ("response-expires", "Expires"),
    ("response-cache-control", "Cache-Control"),
    ("response-content-disposition", "Content-Disposition"),
    ("response-content-encoding", "Content-Encoding"),
)


def xml_response(body: bytes, status: int = 200,
                 headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """
    A response carrying an XML document.
    """
    return Response(status, (("Content-Type", "application/xml"),) + headers, body)


def owner_of(call: Call) -> Owner:
    """
    The signer of C{call} as an S3 owner (the access key is the canonical id).
    """
    user = call.user
    if user is None:
        return Owner("anonymous", "anonymous")
    return Owner(user.access_key, user.display_name)


def record_owner(call: Call, owner_id: str) -> Owner:
    """
    The owner of a stored record, with its display name when known.
    """
    user = call.app.credentials.lookup(owner_id) if owner_id else None
    return Owner(owner_id, user.display_name if user is not None else owner_id)


def version_headers(version_id: str | None) -> tuple[tuple[str, str], ...]:
    """
    C{x-amz-version-id}, only for real versions: an unversioned bucket's
    objects get none (rclone would HEAD with it otherwise).
    """
    if version_id is None or version_id == NULL_VERSION:
        return ()
    return (("x-amz-version-id", version_id),)


def object_headers(head: RequestHead, record: ObjectRecord, whole: bool) -> list[tuple[str, str]]:
    """
    The headers describing C{record} on GET and HEAD.

    @param whole: the whole object is sent (checksums may be echoed).
    """
    stored = dict(record.headers)
    stored.setdefault("Content-Type", DEFAULT_CONTENT_TYPE)
    for param, name in RESPONSE_OVERRIDES:
        value = head.query.get(param)
        if value is not None:
            stored[name] = value
    headers = [
        ("ETag", f'"{record.etag}"'),
        ("Last-Modified", http_date(record.mtime_ns)),
        ("Accept-Ranges", "bytes"),
    ]
    headers.extend(stored.items())
    headers.extend(("x-amz-meta-" + name, value) for name, value in record.meta)
    headers.extend(version_headers(record.version_id))
    if whole and (head.header("x-amz-checksum-mode") or "").upper() == "ENABLED":
        headers.extend(
            ("x-amz-checksum-" + algorithm.lower(), value)
            for algorithm, value in record.checksums
            if "-" not in value
        )
    return headers


def stored_headers(head: RequestHead) -> tuple[tuple[str, str], ...]:
    """
    The standard headers of a PUT (or a REPLACE copy) that are stored.
    """
    found = []
    for name in STORED_HEADERS:
        value = head.header(name)
        if value is not None and name == "Content-Encoding":
            # aws-chunked is framing, not a property of the object.
            codings = [c.strip() for c in value.split(",")]
            value = ",".join(c for c in codings if c and c.lower() != "aws-chunked") or None
        if value is not None:
            found.append((name, value))
    return tuple(found)
