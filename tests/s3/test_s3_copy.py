"""
CopyObject over HTTP: URL-encoded sources, metadata directives, copy onto
itself, copy-source conditions.
"""

from __future__ import annotations

from lxml import etree
from s3_harness import S3Harness

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _harness() -> S3Harness:
    h = S3Harness()
    h.mkbucket("src")
    h.mkbucket("dst")
    reply = h.put("src", "a b+c", b"payload", headers={
        "Content-Type": "text/plain", "x-amz-meta-color": "blue"})
    assert reply.status == 200
    return h


def test_copy_keeps_metadata_with_copy_directive() -> None:
    """
    A copy with an encoded source (space, plus) keeps the body, ETag,
    Content-Type and metadata, and answers a CopyObjectResult.
    """
    h = _harness()
    reply = h.call("PUT", "/dst/copy", headers={"x-amz-copy-source": "/src/a%20b%2Bc"})
    assert reply.status == 200, reply.body
    root = etree.fromstring(reply.body)
    assert root.tag == NS + "CopyObjectResult"
    got = h.call("GET", "/dst/copy")
    assert got.body == b"payload"
    assert root.findtext(NS + "ETag") == got.header("etag")
    assert got.header("content-type") == "text/plain"
    assert got.header("x-amz-meta-color") == "blue"


def test_copy_onto_itself_requires_replace() -> None:
    """
    Copying an object onto itself is refused with COPY and allowed with
    REPLACE, which sets the new metadata (rclone's mtime update).
    """
    h = _harness()
    source = {"x-amz-copy-source": "src/a%20b%2Bc"}
    assert h.call("PUT", "/src/a%20b%2Bc", headers=source).status == 400
    reply = h.call("PUT", "/src/a%20b%2Bc", headers={
        **source, "x-amz-metadata-directive": "REPLACE", "x-amz-meta-mtime": "1700000000.5"})
    assert reply.status == 200
    got = h.call("HEAD", "/src/a%20b%2Bc")
    assert got.header("x-amz-meta-mtime") == "1700000000.5"
    assert got.header("x-amz-meta-color") is None


def test_copy_source_version_null_and_conditions() -> None:
    """
    ?versionId=null on the source is accepted; a failing
    copy-source-if-match is 412; a missing source is NoSuchKey.
    """
    h = _harness()
    ok = h.call("PUT", "/dst/v", headers={"x-amz-copy-source": "src/a%20b%2Bc?versionId=null"})
    assert ok.status == 200
    failed = h.call("PUT", "/dst/v2", headers={
        "x-amz-copy-source": "src/a%20b%2Bc", "x-amz-copy-source-if-match": '"nope"'})
    assert failed.status == 412
    missing = h.call("PUT", "/dst/v3", headers={"x-amz-copy-source": "src/none"})
    assert missing.status == 404 and b"NoSuchKey" in missing.body
    bad = h.call("PUT", "/dst/v4", headers={"x-amz-copy-source": "nokey"})
    assert bad.status == 400 and b"InvalidArgument" in bad.body
