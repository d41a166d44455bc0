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


def test_delete_object_tagging_checks_bucket_permission_and_key() -> None:
    """
    DeleteObjectTagging answers 204 only for an object that exists in a
    bucket of the requester's: NoSuchBucket, AccessDenied and NoSuchKey
    otherwise, like the other object sub-resources.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    h.mkbucket("bobs", user=BOB)
    assert h.put("bkt", "obj", b"data").status == 200
    assert h.call("DELETE", "/bkt/obj?tagging").status == 204
    assert _code(h.call("DELETE", "/nobucket/obj?tagging").body) == "NoSuchBucket"
    assert _code(h.call("DELETE", "/bobs/obj?tagging").body) == "AccessDenied"
    assert _code(h.call("DELETE", "/bkt/missing?tagging").body) == "NoSuchKey"


def test_unimplemented_sub_resources_check_the_bucket_first() -> None:
    """
    A sub-resource this server does not implement names the missing or
    foreign bucket first (NoSuchBucket, AccessDenied), then 501; an
    object's retention and legal hold are S3's answer for a bucket
    without Object Lock.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    h.mkbucket("bobs", user=BOB)
    assert h.put("bkt", "obj", b"data").status == 200
    assert _code(h.call("PUT", "/bobs?cors", b"<CORSConfiguration/>").body) == "AccessDenied"
    assert _code(h.call("PUT", "/nobucket?cors", b"<CORSConfiguration/>").body) == "NoSuchBucket"
    assert h.call("PUT", "/bkt?cors", b"<CORSConfiguration/>").status == 501
    assert _code(h.call("GET", "/bobs/obj?torrent").body) == "AccessDenied"
    assert _code(h.call("POST", "/nobucket/obj?restore").body) == "NoSuchBucket"
    assert h.call("GET", "/bkt/obj?torrent").status == 501
    for method, path in (("GET", "/bkt/obj?retention"), ("PUT", "/bkt/obj?legal-hold"),
                         ("GET", "/bkt/obj?legal-hold")):
        reply = h.call(method, path)
        assert (reply.status, _code(reply.body)) == (400, "InvalidRequest"), path
    assert _code(h.call("GET", "/bobs/obj?retention").body) == "AccessDenied"
