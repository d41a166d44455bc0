"""
Features this server does not have are refused as S3 refuses them, never
accepted and silently dropped: Object Lock, and configurations of
sub-resources it does not keep.
"""

from __future__ import annotations

import re

from s3_harness import BOB, S3Harness


def _code(body: bytes) -> str:
    found = re.search(rb"<Code>(.*?)</Code>", body)
    return found.group(1).decode() if found else ""


def _message(body: bytes) -> str:
    found = re.search(rb"<Message>(.*?)</Message>", body)
    return found.group(1).decode() if found else ""


def test_bucket_with_object_lock_is_not_created() -> None:
    """
    CreateBucket asking for Object Lock is 501 NotImplemented and makes no
    bucket; asking for it "false" is an ordinary bucket.
    """
    h = S3Harness()
    reply = h.call("PUT", "/locked", headers={"x-amz-bucket-object-lock-enabled": "true"})
    assert (reply.status, _code(reply.body)) == (501, "NotImplemented")
    assert h.call("HEAD", "/locked").status == 404
    plain = h.call("PUT", "/plain", headers={"x-amz-bucket-object-lock-enabled": "false"})
    assert plain.status == 200


def test_object_lock_settings_are_refused() -> None:
    """
    PutObject, CopyObject and CreateMultipartUpload with a retention mode,
    date or legal hold are S3's InvalidRequest for a bucket without an
    Object Lock configuration, and store nothing; a missing bucket is
    still NoSuchBucket.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.put("bkt", "src", b"data").status == 200
    settings = [
        {"x-amz-object-lock-mode": "GOVERNANCE",
         "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z"},
        {"x-amz-object-lock-legal-hold": "ON"},
    ]
    for headers in settings:
        put = h.put("bkt", "obj", b"data", headers=headers)
        assert (put.status, _code(put.body)) == (400, "InvalidRequest")
        assert _message(put.body) == "Bucket is missing ObjectLockConfiguration"
        copy = h.call("PUT", "/bkt/copy", headers={"x-amz-copy-source": "/bkt/src", **headers})
        assert (copy.status, _code(copy.body)) == (400, "InvalidRequest")
        create = h.call("POST", "/bkt/mp?uploads", headers=headers)
        assert (create.status, _code(create.body)) == (400, "InvalidRequest")
    assert h.call("HEAD", "/bkt/obj").status == 404
    assert h.call("HEAD", "/bkt/copy").status == 404
    missing = h.put("nobucket", "obj", b"data", headers=settings[1])
    assert _code(missing.body) == "NoSuchBucket"
    other = h.put("bkt", "obj", b"data", headers=settings[1], user=BOB)
    assert _code(other.body) == "AccessDenied"
