"""
Requests without a body (GET, HEAD, DELETE with Content-Length: 0) skip
the upload pipe; what a client sees must not change: the signed payload
hash is still checked, Expect: 100-continue is still answered, and
Last-Modified (formatted once per second) still names the object's second.
"""

from __future__ import annotations

import hashlib
from email.utils import formatdate

from s3_harness import S3Harness, parse_replies

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _with_object() -> S3Harness:
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.put("bkt", "obj", b"data").status == 200
    return h


def test_bodyless_get_checks_the_signed_payload_hash() -> None:
    """
    A GET signed with the hash of the empty payload is answered; one signed
    with the hash of some other payload is 400 XAmzContentSHA256Mismatch
    (with both hashes in the error), as S3 answers it.
    """
    h = _with_object()
    ok = h.send(h.sign("GET", "/bkt/obj", payload=EMPTY_SHA256))
    assert ok.status == 200 and ok.body == b"data"
    other = hashlib.sha256(b"something").hexdigest()
    bad = h.send(h.sign("GET", "/bkt/obj", payload=other))
    assert bad.status == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in bad.body
    assert other.encode() in bad.body and EMPTY_SHA256.encode() in bad.body


def test_bodyless_head_and_delete_with_a_wrong_payload_hash() -> None:
    """
    HEAD and DELETE signed over another payload's hash are refused with 400
    (HEAD without a body) and the object stays.
    """
    h = _with_object()
    other = hashlib.sha256(b"x").hexdigest()
    head = h.send(h.sign("HEAD", "/bkt/obj", payload=other), head_request=True)
    assert head.status == 400 and head.body == b""
    delete = h.send(h.sign("DELETE", "/bkt/obj", payload=other))
    assert delete.status == 400 and b"XAmzContentSHA256Mismatch" in delete.body
    assert h.call("GET", "/bkt/obj").body == b"data"
    assert h.call("DELETE", "/bkt/obj").status == 204
    assert h.call("HEAD", "/bkt/obj").status == 404


def test_bodyless_get_with_expect_continue() -> None:
    """
    A GET with C{Expect: 100-continue} and no body gets C{100 Continue}
    and then the object, on a connection that stays usable.
    """
    h = _with_object()
    raw = h.sign("GET", "/bkt/obj", headers={"Expect": "100-continue", "Content-Length": "0"})
    channel, transport = h.connect()
    channel.dataReceived(raw)
    channel.dataReceived(h.sign("GET", "/bkt/obj"))
    replies = parse_replies(transport.value())
    assert [r.status for r in replies] == [200, 200]
    assert replies[0].interim == [100]
    assert [r.body for r in replies] == [b"data", b"data"]


def test_last_modified_names_the_second_of_each_write() -> None:
    """
    Last-Modified on GET and HEAD is the RFC 1123 date of the second the
    object was written, and moves on when it is written again later.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    first = int(h.clock.seconds())
    h.put("bkt", "obj", b"one")
    for method in ("GET", "HEAD"):
        reply = h.call(method, "/bkt/obj")
        assert reply.header("last-modified") == formatdate(first, usegmt=True)
    h.clock.advance(2.5)  # within the signature clock skew allowance
    later = int(h.clock.seconds())
    h.put("bkt", "obj", b"two")
    for method in ("GET", "HEAD"):
        reply = h.call(method, "/bkt/obj")
        assert reply.header("last-modified") == formatdate(later, usegmt=True)
