"""
Values S3 refuses are refused here too, with S3's code, and nothing is
stored or deleted: storage classes, version ids of an unversioned bucket,
empty keys in DeleteObjects, bucket names with a label ending in '-'.
"""

from __future__ import annotations

import base64
import hashlib
import re

from s3_harness import S3Harness


def _codes(body: bytes) -> list[str]:
    return [c.decode() for c in re.findall(rb"<Code>(.*?)</Code>", body)]


def _harness() -> S3Harness:
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.put("bkt", "obj", b"data").status == 200
    return h


def _delete(h: S3Harness, objects: str) -> bytes:
    body = f"<Delete>{objects}</Delete>".encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    reply = h.call("POST", "/bkt?delete", body, headers={"Content-MD5": md5})
    return reply.body if reply.status == 200 else b"status %d " % reply.status + reply.body


def test_unknown_storage_class_is_refused() -> None:
    """
    PutObject, CopyObject and CreateMultipartUpload with a storage class S3
    does not know are 400 InvalidStorageClass and store nothing; the ones
    S3 knows are accepted.
    """
    h = _harness()
    bogus = {"x-amz-storage-class": "BOGUS"}
    put = h.put("bkt", "new", b"data", headers=bogus)
    assert (put.status, _codes(put.body)) == (400, ["InvalidStorageClass"])
    copy = h.call("PUT", "/bkt/copy", headers={"x-amz-copy-source": "/bkt/obj", **bogus})
    assert (copy.status, _codes(copy.body)) == (400, ["InvalidStorageClass"])
    create = h.call("POST", "/bkt/mp?uploads", headers=bogus)
    assert (create.status, _codes(create.body)) == (400, ["InvalidStorageClass"])
    assert h.call("HEAD", "/bkt/new").status == 404
    assert h.call("HEAD", "/bkt/copy").status == 404
    for known in ("STANDARD", "STANDARD_IA", "GLACIER_IR", "EXPRESS_ONEZONE"):
        assert h.put("bkt", "new", b"data", headers={"x-amz-storage-class": known}).status == 200


def test_delete_with_a_version_id_the_bucket_cannot_have() -> None:
    """
    DeleteObject with a version id other than "null" in an unversioned
    bucket is InvalidArgument, as GET says, and deletes nothing; "null"
    deletes the object.
    """
    h = _harness()
    reply = h.call("DELETE", "/bkt/obj?versionId=abc")
    assert (reply.status, _codes(reply.body)) == (400, ["InvalidArgument"])
    assert b"Invalid version id specified" in reply.body
    assert reply.header("x-amz-version-id") is None
    assert h.call("HEAD", "/bkt/obj").status == 200
    assert h.call("DELETE", "/bkt/obj?versionId=null").status == 204
    assert h.call("HEAD", "/bkt/obj").status == 404


def test_delete_objects_with_a_version_id_the_bucket_cannot_have() -> None:
    """
    In DeleteObjects such a version id fails for its key alone
    (NoSuchVersion), which stays; the other keys are deleted.
    """
    h = _harness()
    assert h.put("bkt", "other", b"data").status == 200
    body = _delete(h, "<Object><Key>obj</Key><VersionId>abc</VersionId></Object>"
                      "<Object><Key>other</Key></Object>")
    assert _codes(body) == ["NoSuchVersion"]
    assert b"<Deleted><Key>other</Key>" in body
    assert h.call("HEAD", "/bkt/obj").status == 200
    assert h.call("HEAD", "/bkt/other").status == 404


def test_delete_objects_with_an_empty_key() -> None:
    """
    An empty <Key> in DeleteObjects is S3's UserKeyMustBeSpecified, and
    nothing is deleted.
    """
    h = _harness()
    body = _delete(h, "<Object><Key>obj</Key></Object><Object><Key></Key></Object>")
    assert body.startswith(b"status 400 ")
    assert _codes(body) == ["UserKeyMustBeSpecified"]
    assert h.call("HEAD", "/bkt/obj").status == 200


def test_bucket_name_with_a_label_ending_in_a_hyphen() -> None:
    """
    A bucket name with a dot next to a hyphen ("foo.-bar", "foo-.bar") is
    InvalidBucketName.
    """
    h = S3Harness()
    for name in ("foo.-bar", "foo-.bar"):
        reply = h.call("PUT", f"/{name}")
        assert (reply.status, _codes(reply.body)) == (400, ["InvalidBucketName"]), name
    assert h.call("PUT", "/foo-bar.baz").status == 200
