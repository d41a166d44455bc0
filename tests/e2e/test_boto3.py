"""
boto3 against the real daemon: every operation of the S3 API we serve,
compared byte for byte with what was sent.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import Daemon

AWKWARD_KEYS = [
    "plain.txt",
    "with space.txt",
    "plus+sign.txt",
    "percent%20literal.txt",
    "unicode/ünïcödé/日本語.txt",
    "deep/a/b/c/d.txt",
    "question?mark",
    "amp&and=equals",
    "tilde~star*",
    "trailing/",
]


def code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.fixture(scope="module")
def s3(daemon: Daemon) -> Any:
    return daemon.boto3()


@pytest.fixture(scope="module")
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket="boto")
    return "boto"


def test_buckets_lifecycle(s3: Any) -> None:
    """
    Create, head, list, locate and delete a bucket, with S3's errors for a
    duplicate, a bad name, a missing bucket and a bucket that is not empty.
    """
    s3.create_bucket(Bucket="life-cycle")
    s3.head_bucket(Bucket="life-cycle")
    assert "life-cycle" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_location(Bucket="life-cycle")["LocationConstraint"] in (None, "")
    # In us-east-1, S3 answers 200 to the owner re-creating a bucket (legacy
    # behaviour; other regions answer BucketAlreadyOwnedByYou).
    s3.create_bucket(Bucket="life-cycle")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Name")
    assert code_of(e.value) == "InvalidBucketName"
    s3.put_object(Bucket="life-cycle", Key="x", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="life-cycle")
    assert code_of(e.value) == "BucketNotEmpty"
    s3.delete_object(Bucket="life-cycle", Key="x")
    s3.delete_bucket(Bucket="life-cycle")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="life-cycle")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="life-cycle")
    assert code_of(e.value) == "NoSuchBucket"


def test_put_get_head_with_metadata(s3: Any, bucket: str) -> None:
    """
    Stored headers and user metadata come back byte for byte; the ETag is
    the quoted MD5 of the body on PUT, GET, HEAD and in listings.
    """
    body = os.urandom(100_000)
    md5 = hashlib.md5(body).hexdigest()
    meta = {"mtime": "1700000000.123456789", "s3cmd-attrs": "uid:0/gid:0/mode:33188", "x": "a b"}
    put = s3.put_object(Bucket=bucket, Key="meta.bin", Body=body, Metadata=meta,
                        ContentType="application/x-test", CacheControl="max-age=60",
                        ContentDisposition='attachment; filename="m.bin"',
                        ContentEncoding="identity", ContentLanguage="en")
    assert put["ETag"] == f'"{md5}"'
    got = s3.get_object(Bucket=bucket, Key="meta.bin")
    assert got["Body"].read() == body
    assert got["ETag"] == f'"{md5}"'
    assert got["Metadata"] == meta
    assert got["ContentType"] == "application/x-test"
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == 'attachment; filename="m.bin"'
    assert got["ContentLanguage"] == "en"
    head = s3.head_object(Bucket=bucket, Key="meta.bin")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == f'"{md5}"'
    assert head["Metadata"] == meta
    listed = [o for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if o["Key"] == "meta.bin"]
    assert listed[0]["ETag"] == f'"{md5}"'
    assert listed[0]["Size"] == len(body)


def test_missing_key_and_bucket(s3: Any, bucket: str) -> None:
    """
    GET of a missing key is NoSuchKey, of a missing bucket NoSuchBucket; HEAD
    of a missing key is a bare 404; DELETE of a missing key is a 204.
    """
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nope")
    assert code_of(e.value) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="no-such-bucket-here", Key="nope")
    assert code_of(e.value) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="nope")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert s3.delete_object(Bucket=bucket, Key="nope")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_ranges(s3: Any, bucket: str) -> None:
    """
    Range GETs (closed, open, suffix) return 206 with the right bytes and
    Content-Range; a range past the end is InvalidRange (416).
    """
    body = bytes(range(256)) * 4096
    s3.put_object(Bucket=bucket, Key="range.bin", Body=body)
    for header, want, content_range in [
        ("bytes=0-9", body[:10], f"bytes 0-9/{len(body)}"),
        ("bytes=1000-", body[1000:], f"bytes 1000-{len(body) - 1}/{len(body)}"),
        ("bytes=-300", body[-300:], f"bytes {len(body) - 300}-{len(body) - 1}/{len(body)}"),
        ("bytes=5-5000000", body[5:], f"bytes 5-{len(body) - 1}/{len(body)}"),
    ]:
        got = s3.get_object(Bucket=bucket, Key="range.bin", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["ContentRange"] == content_range
        assert got["Body"].read() == want
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="range.bin", Range=f"bytes={len(body)}-")
    assert code_of(e.value) == "InvalidRange"


def test_conditionals(s3: Any, bucket: str) -> None:
    """
    If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since give
    200, 304 and 412 as S3 does; If-None-Match: * on PUT refuses to overwrite.
    """
    etag = s3.put_object(Bucket=bucket, Key="cond", Body=b"v1")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfMatch='"0000"')
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    future = datetime.now(timezone.utc) + timedelta(days=1)
    past = datetime.now(timezone.utc) - timedelta(days=1)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfModifiedSince=future)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfUnmodifiedSince=past)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    # Sent as a raw header: older botocore (Debian's 1.29) has no IfNoneMatch
    # parameter on PutObject.
    def if_none_match(request: Any, **_: Any) -> None:
        request.headers["If-None-Match"] = "*"

    s3.meta.events.register("before-sign.s3.PutObject", if_none_match)
    try:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="cond", Body=b"v2")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", if_none_match)
    assert s3.get_object(Bucket=bucket, Key="cond")["Body"].read() == b"v1"


def test_response_overrides(s3: Any, bucket: str) -> None:
    """
    response-content-type and friends override the stored headers on GET.
    """
    s3.put_object(Bucket=bucket, Key="over", Body=b"o", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="over", ResponseContentType="image/png",
                        ResponseContentDisposition="inline", ResponseCacheControl="no-cache")
    assert got["ContentType"] == "image/png"
    assert got["ContentDisposition"] == "inline"
    assert got["CacheControl"] == "no-cache"


def test_paginated_listing_with_awkward_keys(s3: Any) -> None:
    """
    ListObjects v1 and v2 page through awkward keys (spaces, +, %, unicode)
    with max-keys 2, returning each key exactly once, in UTF-8 byte order,
    and common prefixes with a delimiter never repeated across pages.
    """
    s3.create_bucket(Bucket="awkward")
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket="awkward", Key=key, Body=key.encode())
    want = sorted(AWKWARD_KEYS, key=lambda k: k.encode())
    for method in ("list_objects", "list_objects_v2"):
        keys: list[str] = []
        for page in s3.get_paginator(method).paginate(Bucket="awkward",
                                                      PaginationConfig={"PageSize": 2}):
            keys += [o["Key"] for o in page.get("Contents", [])]
        assert keys == want, method
        prefixes: list[str] = []
        top: list[str] = []
        for page in s3.get_paginator(method).paginate(Bucket="awkward", Delimiter="/",
                                                      PaginationConfig={"PageSize": 1}):
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            top += [o["Key"] for o in page.get("Contents", [])]
        assert prefixes == ["deep/", "trailing/", "unicode/"], method
        assert top == [k for k in want if "/" not in k], method
    v2 = s3.list_objects_v2(Bucket="awkward", Prefix="unicode/ünïcödé/")
    assert v2["KeyCount"] == 1
    assert v2["Contents"][0]["Key"] == "unicode/ünïcödé/日本語.txt"
    after = s3.list_objects_v2(Bucket="awkward", StartAfter="plain.txt")
    assert [o["Key"] for o in after["Contents"]] == [k for k in want if k.encode() > b"plain.txt"]
    for key in AWKWARD_KEYS:
        assert s3.get_object(Bucket="awkward", Key=key)["Body"].read() == key.encode()


def test_copy_object(s3: Any, bucket: str) -> None:
    """
    CopyObject copies body and metadata (COPY) or replaces the metadata
    (REPLACE), including onto itself as rclone does to set an mtime.
    """
    s3.put_object(Bucket=bucket, Key="src ü+", Body=b"copy me", Metadata={"a": "1"},
                  ContentType="text/x-src")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src ü+"})
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copy me"
    assert got["Metadata"] == {"a": "1"}
    assert got["ContentType"] == "text/x-src"
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "dst"},
                   Metadata={"mtime": "42"}, MetadataDirective="REPLACE")
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"mtime": "42"}
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"copy me"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "gone"})
    assert code_of(e.value) == "NoSuchKey"
    s3.delete_object(Bucket=bucket, Key="src ü+")
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"copy me"


def test_delete_objects(s3: Any, bucket: str) -> None:
    """
    DeleteObjects (sent by botocore with a CRC32 checksum and no Content-MD5)
    deletes every key, counting a missing key as deleted; Quiet mode reports
    no successes.
    """
    for i in range(30):
        s3.put_object(Bucket=bucket, Key=f"bulk/{i}", Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": f"bulk/{i}"} for i in range(30)] + [{"Key": "bulk/missing"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == sorted(
        [f"bulk/{i}" for i in range(30)] + ["bulk/missing"])
    assert "Errors" not in result
    assert s3.list_objects_v2(Bucket=bucket, Prefix="bulk/")["KeyCount"] == 0
    s3.put_object(Bucket=bucket, Key="quiet", Body=b"q")
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "quiet"}], "Quiet": True})
    assert "Deleted" not in quiet


def test_acl_and_unsupported_subresources(s3: Any, bucket: str) -> None:
    """
    GET ?acl answers the owner with FULL_CONTROL; sub-resources we do not
    serve answer S3's "none configured" errors instead of a listing.
    """
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    s3.put_object(Bucket=bucket, Key="acl-obj", Body=b"a")
    assert s3.get_object_acl(Bucket=bucket, Key="acl-obj")["Grants"][0]["Permission"] == "FULL_CONTROL"
    for call, code in [(s3.get_bucket_policy, "NoSuchBucketPolicy"),
                       (s3.get_bucket_cors, "NoSuchCORSConfiguration"),
                       (s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration"),
                       (s3.get_bucket_website, "NoSuchWebsiteConfiguration")]:
        with pytest.raises(ClientError) as e:
            call(Bucket=bucket)
        assert code_of(e.value) == code


def test_presigned_urls(daemon: Daemon, s3: Any, bucket: str) -> None:
    """
    Presigned GET URLs work with SigV2 (boto3's default) and SigV4, and a
    SigV4 presigned PUT stores the body; an expired URL is refused.
    """
    s3.put_object(Bucket=bucket, Key="presigned", Body=b"signed body")
    v2_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "presigned"})
    assert urllib.request.urlopen(v2_url, timeout=30).read() == b"signed body"
    s3v4 = daemon.boto3(signature_version="s3v4")
    v4_url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "presigned"})
    assert "X-Amz-Signature" in v4_url
    assert urllib.request.urlopen(v4_url, timeout=30).read() == b"signed body"
    put_url = s3v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "via-url"})
    request = urllib.request.Request(put_url, data=b"put by url", method="PUT")
    assert urllib.request.urlopen(request, timeout=30).status == 200
    assert s3.get_object(Bucket=bucket, Key="via-url")["Body"].read() == b"put by url"
    expired = s3v4.generate_presigned_url("get_object", ExpiresIn=1,
                                          Params={"Bucket": bucket, "Key": "presigned"})
    time.sleep(2)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(expired, timeout=30)
    assert e.value.code == 403


def test_bad_signature_and_other_users(daemon: Daemon, s3: Any, bucket: str) -> None:
    """
    A wrong secret gets SignatureDoesNotMatch, an unknown key
    InvalidAccessKeyId, and nothing is stored.
    """
    import boto3

    for access, secret, code in [(daemon.keys.access_key, "wrong" * 8, "SignatureDoesNotMatch"),
                                 ("CKUNKNOWNUNKNOWN0000", "x" * 40, "InvalidAccessKeyId")]:
        bad = boto3.client("s3", endpoint_url=daemon.endpoint, aws_access_key_id=access,
                           aws_secret_access_key=secret, region_name="us-east-1",
                           config=Config(s3={"addressing_style": "path"},
                                         retries={"max_attempts": 1}))
        with pytest.raises(ClientError) as e:
            bad.put_object(Bucket=bucket, Key="forged", Body=b"evil")
        assert code_of(e.value) == code
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="forged")


def test_checksums_and_content_md5(s3: Any, bucket: str) -> None:
    """
    A PUT with a CRC32/SHA1/SHA256 checksum is verified and stored (CRC32C
    needs botocore's optional CRT on the client side); a wrong
    Content-MD5 is BadDigest and stores nothing.
    """
    import base64

    for algorithm in ("CRC32", "SHA1", "SHA256"):
        s3.put_object(Bucket=bucket, Key=f"sum-{algorithm}", Body=b"checked body",
                      ChecksumAlgorithm=algorithm)
        assert s3.get_object(Bucket=bucket, Key=f"sum-{algorithm}")["Body"].read() == b"checked body"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="bad-md5", Body=b"body", ContentMD5=wrong)
    assert code_of(e.value) == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="bad-md5")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
