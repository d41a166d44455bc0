"""
DeleteObjects: C{POST /bucket?delete} with an XML list of keys.

S3 requires an integrity header on this request.  s3cmd sends
C{Content-MD5}; botocore since 1.36 sends only C{x-amz-checksum-crc32}.
Either is accepted (the HTTP layer has verified whichever was sent against
the body before this handler runs); only a request with neither gets
MissingContentMD5.

test-case-name: tests.s3.test_s3_delete
"""

from __future__ import annotations

from cartridge_d.s3.call import Call, Response
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.present import xml_response
from cartridge_d.xmlcodec import parse_delete, render_delete_result
from cartridge_d.xmlcodec.model import DeletedEntry, DeleteErrorEntry


def _has_integrity_header(call: Call) -> bool:
    headers = call.head.headers
    return "content-md5" in headers or any(
        name.startswith("x-amz-checksum-") and name not in ("x-amz-checksum-algorithm",
                                                            "x-amz-checksum-type")
        for name in headers
    ) or "x-amz-trailer" in headers


async def delete_objects(call: Call) -> Response:
    """
    DeleteObjects: per-key results (only errors in Quiet mode).
    """
    if not _has_integrity_header(call):
        raise s3_error("MissingContentMD5")
    request = parse_delete(call.body)
    if any(not o.key for o in request.objects):
        raise s3_error("UserKeyMustBeSpecified")
    deleted, failed = await call.app.store.delete_objects(
        call.head.bucket, call.owner_id, [(o.key, o.version_id) for o in request.objects]
    )
    return xml_response(
        render_delete_result(
            [DeletedEntry(d.key, d.version_id, d.delete_marker) for d in deleted],
            [DeleteErrorEntry(f.key, f.code, f.message, f.version_id) for f in failed],
            request.quiet,
        )
    )
