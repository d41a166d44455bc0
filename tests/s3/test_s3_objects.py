"""
Object reads and writes over HTTP: ranges, conditions, overrides, stored
headers and metadata, conditional PUT, delete, and the GET producer.
"""

from __future__ import annotations

import hashlib

from s3_harness import S3Harness, SteppingPool

from cartridge_d.objectstore import objects as store_objects
from cartridge_d.s3 import producer

BODY = bytes(range(256)) * 4  # 1024 bytes


def _with_object(**headers: str) -> S3Harness:
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.put("bkt", "obj", BODY, headers=headers).status == 200
    return h


def test_ranges() -> None:
    """
    Closed, open and suffix ranges answer 206 with Content-Range; a range
    past the end is 416 InvalidRange; an unparsable one is ignored.
    """
    h = _with_object()
    cases = {
        "bytes=0-9": (BODY[:10], "bytes 0-9/1024"),
        "bytes=1000-": (BODY[1000:], "bytes 1000-1023/1024"),
        "bytes=-24": (BODY[-24:], "bytes 1000-1023/1024"),
        "bytes=1020-5000": (BODY[1020:], "bytes 1020-1023/1024"),
    }
    for header, (data, content_range) in cases.items():
        reply = h.call("GET", "/bkt/obj", headers={"Range": header})
        assert reply.status == 206, header
        assert reply.body == data
        assert reply.header("content-range") == content_range
        assert reply.header("content-length") == str(len(data))
    bad = h.call("GET", "/bkt/obj", headers={"Range": "bytes=2000-"})
    assert bad.status == 416 and b"<Code>InvalidRange</Code>" in bad.body
    ignored = h.call("GET", "/bkt/obj", headers={"Range": "bytes=0-1,5-6"})
    assert ignored.status == 200 and ignored.body == BODY


def test_conditional_get() -> None:
    """
    If-None-Match with the ETag is 304 without a body, If-Match with
    another ETag is 412, If-Modified-Since in the future is 304.
    """
    h = _with_object()
    etag = '"%s"' % hashlib.md5(BODY).hexdigest()
    not_modified = h.call("GET", "/bkt/obj", headers={"If-None-Match": etag})
    assert not_modified.status == 304 and not_modified.body == b""
    assert not_modified.header("etag") == etag
    failed = h.call("GET", "/bkt/obj", headers={"If-Match": '"0000"'})
    assert failed.status == 412 and b"PreconditionFailed" in failed.body
    later = h.call("GET", "/bkt/obj", headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert later.status == 304
    ok = h.call("GET", "/bkt/obj", headers={"If-Match": etag})
    assert ok.status == 200 and ok.body == BODY


def test_stored_headers_and_metadata_round_trip() -> None:
    """
    Content-Type, Cache-Control, Content-Disposition and x-amz-meta-*
    (rclone's mtime, s3cmd's attrs) come back byte for
    byte on GET and HEAD, metadata names lower-cased; Last-Modified is
    RFC 1123.
    """
    attrs = "atime:1700000000/ctime:1700000000/gid:0/md5:abc/mode:33188/uid:0"
    h = _with_object(**{
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": "max-age=60",
        "Content-Disposition": 'attachment; filename="a b.txt"',
        "X-Amz-Meta-Mtime": "1700000000.123456789",
        "x-amz-meta-s3cmd-attrs": attrs,
    })
    for method in ("GET", "HEAD"):
        reply = h.call(method, "/bkt/obj")
        assert reply.header("content-type") == "text/plain; charset=utf-8"
        assert reply.header("cache-control") == "max-age=60"
        assert reply.header("content-disposition") == 'attachment; filename="a b.txt"'
        assert reply.header("x-amz-meta-mtime") == "1700000000.123456789"
        assert reply.header("x-amz-meta-s3cmd-attrs") == attrs
        assert reply.header("last-modified", ).endswith(" GMT")
        assert reply.header("accept-ranges") == "bytes"
        assert reply.header("content-length") == "1024"
        assert reply.header("x-amz-version-id") is None


def test_response_overrides() -> None:
    """
    response-content-type and response-content-disposition override the
    stored values on GET.
    """
    h = _with_object(**{"Content-Type": "text/plain"})
    reply = h.call(
        "GET",
        "/bkt/obj?response-content-type=application%2Fjson"
        "&response-content-disposition=inline",
    )
    assert reply.header("content-type") == "application/json"
    assert reply.header("content-disposition") == "inline"


def test_conditional_put_if_none_match() -> None:
    """
    PUT with If-None-Match: * succeeds for a new key and is 412 for an
    existing one, leaving it unchanged.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.put("bkt", "k", b"one", headers={"If-None-Match": "*"}).status == 200
    again = h.put("bkt", "k", b"two", headers={"If-None-Match": "*"})
    assert again.status == 412
    assert h.call("GET", "/bkt/k").body == b"one"


def test_conditional_put_if_match() -> None:
    """
    PUT with If-Match replaces an object whose ETag matches, is 412 for
    one whose ETag differs, and 404 NoSuchKey (as S3) when there is no
    object to match; nothing is stored by a refused write.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    etag = h.put("bkt", "k", b"one").header("etag")
    assert h.put("bkt", "k", b"two", headers={"If-Match": '"0000"'}).status == 412
    assert h.put("bkt", "k", b"two", headers={"If-Match": etag}).status == 200
    assert h.call("GET", "/bkt/k").body == b"two"
    missing = h.put("bkt", "absent", b"x", headers={"If-Match": etag})
    assert missing.status == 404
    assert b"<Code>NoSuchKey</Code>" in missing.body
    assert h.call("HEAD", "/bkt/absent").status == 404


def test_delete_object() -> None:
    """
    DeleteObject is 204 for an existing key and for a missing one; the
    key is gone afterwards.
    """
    h = _with_object()
    assert h.call("DELETE", "/bkt/obj").status == 204
    assert h.call("DELETE", "/bkt/obj").status == 204
    missing = h.call("GET", "/bkt/obj")
    assert missing.status == 404 and b"<Code>NoSuchKey</Code>" in missing.body
    assert b"<Key>obj</Key>" in missing.body


def test_head_range_and_missing() -> None:
    """
    HEAD with a Range is 206 with the range's length; HEAD of a missing
    key is 404 with no body.
    """
    h = _with_object()
    reply = h.call("HEAD", "/bkt/obj", headers={"Range": "bytes=0-99"})
    assert reply.status == 206 and reply.header("content-length") == "100"
    assert reply.header("content-range") == "bytes 0-99/1024"
    missing = h.call("HEAD", "/bkt/none")
    assert missing.status == 404 and missing.body == b""


def test_version_id_null_accepted() -> None:
    """
    GET with ?versionId=null reads the only version of an object in an
    unversioned bucket (rclone sends it).
    """
    h = _with_object()
    assert h.call("GET", "/bkt/obj?versionId=null").body == BODY


def test_get_streams_in_slices_and_pauses(monkeypatch: object) -> None:
    """
    A GET body is read a slice at a time in the pool (the first one in
    the same call that opens the object); while the transport has paused
    the producer no further read is queued, and reads resume when it
    resumes.
    """
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(producer, "SLICE", 100)
    mp.setattr(store_objects, "FIRST_READ", 100)
    try:
        pool = SteppingPool()
        h = S3Harness(pool=pool)
        for raw in (h.sign("PUT", "/bkt"), h.sign("PUT", "/bkt/obj", BODY)):
            channel, transport = h.connect()
            channel.dataReceived(raw)
            pool.run_all()
        channel, transport = h.connect()
        channel.dataReceived(h.sign("GET", "/bkt/obj"))
        pool.run_one()  # open the object, read the first slice
        assert len(pool.queue) == 1  # the second slice is being read
        req = channel.requests[0]
        req.producer.pauseProducing()
        pool.run_one()
        assert pool.queue == []  # paused: no read queued
        req.producer.resumeProducing()
        pool.run_all()
        assert transport.value().endswith(BODY)
        assert b"200 OK" in transport.value()
    finally:
        mp.undo()


def test_get_stops_on_disconnect() -> None:
    """
    When the client goes away mid-GET, no further reads are made and the
    pinned view is released.
    """
    pool = SteppingPool()
    h = S3Harness(pool=pool)
    for raw in (h.sign("PUT", "/bkt"), h.sign("PUT", "/bkt/obj", b"x" * (3 * producer.SLICE))):
        channel, transport = h.connect()
        channel.dataReceived(raw)
        pool.run_all()
    channel, transport = h.connect()
    channel.dataReceived(h.sign("GET", "/bkt/obj"))
    pool.run_one()  # open the object, read the first slice
    from twisted.internet.error import ConnectionLost
    from twisted.python.failure import Failure

    channel.connectionLost(Failure(ConnectionLost()))
    pool.run_all()  # the read in flight
    assert len(transport.value()) < 2 * producer.SLICE
    assert any(r.lost for r in h.access_records())


def test_small_put_takes_one_pool_hop() -> None:
    """
    A small PUT sent without Expect: 100-continue is stored in one thread
    hop (check, write and commit together); with Expect it still opens its
    session first (two hops), and both store the same object.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    before = h.pool.calls
    reply = h.put("bkt", "small", b"x" * 4096)
    assert reply.status == 200
    assert h.pool.calls - before == 1
    assert reply.header("etag") == '"%s"' % hashlib.md5(b"x" * 4096).hexdigest()
    before = h.pool.calls
    raw = h.sign("PUT", "/bkt/expect", b"x" * 4096, headers={"Expect": "100-continue"})
    reply = h.send(raw)
    assert reply.status == 200 and reply.interim == [100]
    assert h.pool.calls - before == 2
    assert h.call("GET", "/bkt/small").body == h.call("GET", "/bkt/expect").body


def test_small_put_refusals_store_nothing() -> None:
    """
    A small PUT into a missing bucket is NoSuchBucket, one with a wrong
    Content-MD5 is BadDigest, and neither leaves an object behind.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.put("nobkt", "k", b"data").status == 404
    bad_md5 = "1B2M2Y8AsgTpgAmY7PhCfg=="  # the MD5 of an empty body
    reply = h.put("bkt", "k", b"data", headers={"Content-MD5": bad_md5})
    assert reply.status == 400 and b"BadDigest" in reply.body
    assert h.call("HEAD", "/bkt/k").status == 404



def test_small_put_bucket_errors_come_before_body_errors() -> None:
    """
    A small PUT whose body does not hash to its signed
    x-amz-content-sha256, into a bucket that does not exist, is
    NoSuchBucket (as for a large body, whose bucket is checked before the
    body is read), not XAmzContentSHA256Mismatch; into an existing bucket
    it is XAmzContentSHA256Mismatch; nothing is stored either way.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    for bucket, status, code in (("nobkt", 404, b"NoSuchBucket"),
                                 ("bkt", 400, b"XAmzContentSHA256Mismatch")):
        raw = h.sign("PUT", f"/{bucket}/k", b"original")
        reply = h.send(raw[: -len(b"original")] + b"tampered")
        assert reply.status == status and code in reply.body, reply.body
    assert h.call("HEAD", "/bkt/k").status == 404
