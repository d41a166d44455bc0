"""
boto3 against the real daemon on the behaviours a review found differing
from S3: GET of one part, ListObjectVersions, Object Lock and storage
class refusals, If-Match on a missing key.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness import Daemon

MIB = 1024 * 1024


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.fixture(scope="module")
def s3(daemon: Daemon) -> Any:
    client = daemon.boto3()
    client.create_bucket(Bucket="semantics")
    return client


def test_get_one_part(s3: Any) -> None:
    """
    get_object/head_object with PartNumber give that part's bytes and the
    object's PartsCount; a part past the last is 416 InvalidPartNumber.
    """
    first, second = os.urandom(5 * MIB), os.urandom(1000)
    upload = s3.create_multipart_upload(Bucket="semantics", Key="mp")["UploadId"]
    parts = [
        {"PartNumber": n, "ETag": s3.upload_part(Bucket="semantics", Key="mp", UploadId=upload,
                                                 PartNumber=n, Body=body)["ETag"]}
        for n, body in ((1, first), (2, second))
    ]
    s3.complete_multipart_upload(Bucket="semantics", Key="mp", UploadId=upload,
                                 MultipartUpload={"Parts": parts})
    got = s3.get_object(Bucket="semantics", Key="mp", PartNumber=2)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == second
    assert got["PartsCount"] == 2
    assert s3.head_object(Bucket="semantics", Key="mp", PartNumber=1)["ContentLength"] == len(first)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="semantics", Key="mp", PartNumber=3)
    assert _code(e.value) == "InvalidPartNumber"


def test_list_object_versions(s3: Any) -> None:
    """
    list_object_versions (and its paginator) lists each object once, as
    version "null", the latest.
    """
    for key in ("v/a", "v/b", "v/c"):
        s3.put_object(Bucket="semantics", Key=key, Body=key.encode())
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket="semantics", Prefix="v/", PaginationConfig={"PageSize": 2}
    )
    versions = [v for page in pages for v in page.get("Versions", [])]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions] == [
        ("v/a", "null", True), ("v/b", "null", True), ("v/c", "null", True)
    ]


def test_refusals(s3: Any) -> None:
    """
    Object Lock, an unknown storage class and If-Match on a missing key
    are refused with S3's codes, and nothing is stored.
    """
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    assert _code(e.value) == "NotImplemented"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="semantics", Key="held", Body=b"x", ObjectLockLegalHoldStatus="ON")
    assert _code(e.value) == "InvalidRequest"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="semantics", Key="odd", Body=b"x", StorageClass="GLACIER_IRX")
    assert _code(e.value) == "InvalidStorageClass"
    # Sent as a raw header: Debian's botocore has no IfMatch on PutObject.
    def if_match(request: Any, **_: Any) -> None:
        request.headers["If-Match"] = '"0123"'

    s3.meta.events.register("before-sign.s3.PutObject", if_match)
    try:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket="semantics", Key="absent", Body=b"x")
        assert _code(e.value) == "NoSuchKey"
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", if_match)
    listed = s3.list_objects_v2(Bucket="semantics", Prefix="h").get("Contents", [])
    assert listed == []
