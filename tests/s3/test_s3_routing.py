"""
The routing table: every operation reaches its handler, unimplemented
sub-resources get S3's "none configured" answers or 501, and nothing
falls through to GET or LIST.
"""

from __future__ import annotations

import pytest
from s3_harness import S3Harness

from cartridge_d.engine.types import Fuses
from cartridge_d.s3.head import parse_head
from cartridge_d.s3.routing import find_route
from cartridge_d.testing.memory import MemoryCartridge


def _route(method: str, uri: str, headers: list[tuple[bytes, list[bytes]]] | None = None) -> str:
    return find_route(parse_head(method.encode(), uri.encode(), headers or [])).name


def test_route_names() -> None:
    """
    (kind, method, sub-resource, copy header) pick the operation.
    """
    copy = [(b"x-amz-copy-source", [b"/src/key"])]
    assert _route("GET", "/") == "ListBuckets"
    assert _route("GET", "/b") == "ListObjects"
    assert _route("GET", "/b/?list-type=2") == "ListObjects"
    assert _route("GET", "/b?location") == "GetBucketLocation"
    assert _route("POST", "/b?delete") == "DeleteObjects"
    assert _route("PUT", "/b/k") == "PutObject"
    assert _route("PUT", "/b/k", copy) == "CopyObject"
    assert _route("PUT", "/b/k?partNumber=1&uploadId=x") == "UploadPart"
    assert _route("PUT", "/b/k?partNumber=1&uploadId=x", copy) == "UploadPartCopy"
    assert _route("GET", "/b/k?x-id=GetObject") == "GetObject"
    assert _route("GET", "/b/k?acl") == "GetObjectAcl"
    assert _route("PUT", "/") == "MethodNotAllowed"
    assert _route("GET", "/b/k?torrent") == "NotImplemented"
    assert _route("POST", "/b") == "NotImplemented"


NONE_CONFIGURED = {
    "policy": "NoSuchBucketPolicy",
    "cors": "NoSuchCORSConfiguration",
    "lifecycle": "NoSuchLifecycleConfiguration",
    "website": "NoSuchWebsiteConfiguration",
    "tagging": "NoSuchTagSet",
    "replication": "ReplicationConfigurationNotFoundError",
    "encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "object-lock": "ObjectLockConfigurationNotFoundError",
}


@pytest.mark.parametrize("sub, code", sorted(NONE_CONFIGURED.items()))
def test_unconfigured_bucket_subresources(sub: str, code: str) -> None:
    """
    GET of a configuration the bucket does not have is S3's 404 code for
    it, PUT is 501 NotImplemented; neither lists the bucket.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    reply = h.call("GET", f"/bkt?{sub}")
    assert reply.status == 404
    assert f"<Code>{code}</Code>".encode() in reply.body
    put = h.call("PUT", f"/bkt?{sub}", b"<x/>")
    assert put.status == 501 and b"NotImplemented" in put.body


def test_empty_configuration_documents() -> None:
    """
    requestPayment says BucketOwner; versioning is an empty
    VersioningConfiguration; the bucket ACL is the owner with FULL_CONTROL;
    an object's tagging is an empty TagSet.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    h.put("bkt", "k", b"x")
    assert b"<Payer>BucketOwner</Payer>" in h.call("GET", "/bkt?requestPayment").body
    versioning = h.call("GET", "/bkt?versioning")
    assert versioning.status == 200 and b"<Status>" not in versioning.body
    assert b"VersioningConfiguration" in versioning.body
    for path in ("/bkt?acl", "/bkt/k?acl"):
        acl = h.call("GET", path)
        assert acl.status == 200
        assert b"<Permission>FULL_CONTROL</Permission>" in acl.body
        assert b"<ID>AKIDALICE00000000000</ID>" in acl.body
    assert b"<TagSet/>" in h.call("GET", "/bkt/k?tagging").body


def test_acls_are_ignored_under_the_default_fuse() -> None:
    """
    With the ACL fuse "ignore" (the default) a canned ACL is accepted, and
    not kept, wherever a request sets one: CreateBucket, PutObject,
    PUT ?acl of a bucket and of an object; an unknown one is
    InvalidArgument everywhere.
    """
    h = S3Harness()
    public = {"x-amz-acl": "public-read"}
    assert h.call("PUT", "/bkt", headers=public).status == 200
    assert h.put("bkt", "k", b"x", headers=public).status == 200
    assert h.call("PUT", "/bkt?acl", headers=public).status == 200
    assert h.call("PUT", "/bkt/k?acl", headers=public).status == 200
    assert h.call("PUT", "/bkt?acl", headers={"x-amz-acl": "private"}).status == 200
    assert b"<Permission>READ</Permission>" not in h.call("GET", "/bkt/k?acl").body
    bogus = {"x-amz-acl": "bogus"}
    for reply in (h.call("PUT", "/other", headers=bogus), h.put("bkt", "j", b"x", headers=bogus),
                  h.call("PUT", "/bkt?acl", headers=bogus)):
        assert reply.status == 400 and b"InvalidArgument" in reply.body
    assert h.call("HEAD", "/other").status == 404
    assert h.call("HEAD", "/bkt/j").status == 404


def test_acls_other_than_private_are_refused_under_other_fuses() -> None:
    """
    With an ACL fuse this server does not implement yet ("record"), only
    the canned ACL private is accepted; any other ACL is 501 wherever it
    is set, the same for CreateBucket, PutObject and PUT ?acl.
    """
    h = S3Harness(cartridge=MemoryCartridge(fuses=Fuses(acl=1)))
    public = {"x-amz-acl": "public-read"}
    assert h.call("PUT", "/bkt", headers={"x-amz-acl": "private"}).status == 200
    assert h.call("PUT", "/other", headers=public).status == 501
    assert h.put("bkt", "k", b"x", headers=public).status == 501
    assert h.put("bkt", "k", b"x", headers={"x-amz-acl": "private"}).status == 200
    assert h.call("PUT", "/bkt?acl", headers=public).status == 501
    assert h.call("PUT", "/bkt/k?acl", headers={"x-amz-acl": "private"}).status == 200


def test_unconfigured_on_missing_bucket_is_no_such_bucket() -> None:
    """
    Asking a missing bucket for its policy is NoSuchBucket, as S3 answers.
    """
    h = S3Harness()
    reply = h.call("GET", "/ghost?policy")
    assert reply.status == 404 and b"<Code>NoSuchBucket</Code>" in reply.body


def test_method_not_allowed_and_multipart_not_implemented() -> None:
    """
    PUT on the service is 405 MethodNotAllowed; multipart operations are
    501 until the object store offers uploads.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.call("PUT", "/", b"").status == 405
    assert h.call("POST", "/bkt/k?uploads").status == 501
