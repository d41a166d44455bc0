"""
Short bodies of known length (a small PutObject, an XML document) are
collected whole and checked at the end, without the upload pipe: what a
client sees must be what the pipe gave it, whichever way the bytes come.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from s3_harness import S3Harness, parse_replies
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure

from cartridge_d.s3.errors import S3Error
from cartridge_d.s3.upload import WholeBody


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_small_put_cut_short_stores_nothing() -> None:
    """
    A client that goes away in the middle of a small PUT body leaves no
    object, gets no answer, and its line in the access log says the
    connection was lost.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = h.sign("PUT", "/bkt/k", b"q" * 4096)
    channel, transport = h.connect()
    channel.dataReceived(raw[:-1000])
    channel.connectionLost(Failure(ConnectionLost()))
    assert transport.value() == b""
    assert h.call("HEAD", "/bkt/k").status == 404
    lost = [r for r in h.access_records() if r.lost]
    assert len(lost) == 1 and lost[0].status == "-"


def test_small_put_bad_hash_in_missing_bucket_is_no_such_bucket() -> None:
    """
    A small PUT whose body does not match its signed hash, into a bucket
    that does not exist, is answered NoSuchBucket (the bucket is checked
    first, as for a streamed body), not XAmzContentSHA256Mismatch.
    """
    h = S3Harness()
    raw = h.sign("PUT", "/nobucket/k", b"original")
    reply = h.send(raw[: -len(b"original")] + b"tampered")
    assert reply.status == 404 and b"NoSuchBucket" in reply.body


def test_small_puts_on_one_connection_in_pieces() -> None:
    """
    Several small PUTs on one keep-alive connection, their bytes arriving
    in 1000-byte pieces that straddle requests, are each stored byte for
    byte and answered in order.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    bodies = [bytes([i]) * (100 + 1500 * i) for i in range(5)]
    raw = b"".join(h.sign("PUT", f"/bkt/k{i}", body) for i, body in enumerate(bodies))
    channel, transport = h.connect()
    for i in range(0, len(raw), 1000):
        channel.dataReceived(raw[i:i + 1000])
    replies = parse_replies(transport.value())
    assert [r.status for r in replies] == [200] * 5
    for i, body in enumerate(bodies):
        assert replies[i].header("etag") == '"%s"' % hashlib.md5(body).hexdigest()
        assert h.call("GET", f"/bkt/k{i}").body == body


def test_xml_body_in_pieces_is_read_whole() -> None:
    """
    A DeleteObjects document that arrives 5 bytes at a time is read whole:
    its Content-MD5 is verified over all of it and the key is deleted.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    h.put("bkt", "gone", b"x")
    body = b"<Delete><Object><Key>gone</Key></Object></Delete>"
    reply = h.call("POST", "/bkt?delete", body, piece=5, headers={"Content-MD5": _md5(body)})
    assert reply.status == 200 and b"<Deleted><Key>gone</Key>" in reply.body
    assert h.call("HEAD", "/bkt/gone").status == 404


def test_whole_body_short_is_incomplete() -> None:
    """
    Fewer bytes than announced is IncompleteBody, and a check that fails
    raises its own error; a complete body comes back joined.
    """
    whole = WholeBody([], 10)
    whole.feed(b"12345")
    with pytest.raises(S3Error) as refused:
        whole.finish()
    assert refused.value.code == "IncompleteBody"
    whole.feed(b"67890")
    assert whole.finish() == b"1234567890"
