"""
Request bodies stream through the real HTTPChannel into the object store:
piecewise delivery, aws-chunked decoding, body verification, 100-continue,
early refusal and backpressure.
"""

from __future__ import annotations

import base64
import hashlib
import zlib

from s3_harness import ALICE, BOB, S3Harness, SteppingPool, parse_replies

from cartridge_d.s3 import upload


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _aws_chunked(payload: bytes, sizes: list[int], trailer: str) -> bytes:
    """
    An unsigned aws-chunked body with a trailer, built by hand as botocore
    sends it over https.
    """
    out = b""
    pos = 0
    for size in sizes:
        chunk = payload[pos:pos + size]
        pos += size
        out += b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    assert pos == len(payload)
    return out + b"0\r\n" + trailer.encode() + b"\r\n\r\n"


def test_put_fed_in_small_pieces() -> None:
    """
    A PUT whose request bytes arrive 7 at a time is stored intact, and its
    ETag is the MD5 of the body.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    body = bytes(range(256)) * 40
    reply = h.put("bkt", "k", body, piece=7)
    assert reply.status == 200
    assert reply.header("etag") == '"%s"' % hashlib.md5(body).hexdigest()
    assert h.call("GET", "/bkt/k").body == body


def test_aws_chunked_with_crc32_trailer() -> None:
    """
    An aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER body is de-framed
    before storing, its trailing CRC32 verified, and the ETag is the MD5
    of the payload, not of the framing.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    payload = b"0123456789abcdef" * 5000
    framed = _aws_chunked(payload, [65536, 14464], f"x-amz-checksum-crc32:{_crc32(payload)}")
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(payload)),
        "x-amz-trailer": "x-amz-checksum-crc32",
        "Content-Type": "text/plain",
    }
    raw = h.sign("PUT", "/bkt/chunked", framed, headers, payload="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    reply = h.send(raw, piece=1000)
    assert reply.status == 200, reply.body
    assert reply.header("etag") == '"%s"' % hashlib.md5(payload).hexdigest()
    got = h.call("GET", "/bkt/chunked")
    assert got.body == payload
    assert got.header("content-type") == "text/plain"
    assert got.header("content-encoding") is None


def test_aws_chunked_wrong_trailer_checksum() -> None:
    """
    A trailer checksum that does not match the payload is BadDigest and
    nothing is stored.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    payload = b"x" * 1000
    framed = _aws_chunked(payload, [1000], f"x-amz-checksum-crc32:{_crc32(b'other')}")
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": "1000",
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    raw = h.sign("PUT", "/bkt/k", framed, headers, payload="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    reply = h.send(raw)
    assert reply.status == 400
    assert b"<Code>BadDigest</Code>" in reply.body
    assert h.call("HEAD", "/bkt/k").status == 404


def test_content_md5_mismatch_stores_nothing() -> None:
    """
    A Content-MD5 that does not match the body is BadDigest; the key
    stays absent.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    reply = h.put("bkt", "k", b"body", headers={"Content-MD5": wrong})
    assert reply.status == 400 and b"<Code>BadDigest</Code>" in reply.body
    assert h.call("HEAD", "/bkt/k").status == 404


def test_checksum_header_verified_and_echoed() -> None:
    """
    A correct x-amz-checksum-crc32 header is accepted and echoed on PUT;
    a wrong one is BadDigest.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    good = h.put("bkt", "k", b"hello", headers={"x-amz-checksum-crc32": _crc32(b"hello")})
    assert good.status == 200
    assert good.header("x-amz-checksum-crc32") == _crc32(b"hello")
    bad = h.put("bkt", "k2", b"hello", headers={"x-amz-checksum-crc32": _crc32(b"nope")})
    assert bad.status == 400 and b"BadDigest" in bad.body


def test_signed_payload_hash_mismatch() -> None:
    """
    A body that does not hash to the signed x-amz-content-sha256 is
    refused with XAmzContentSHA256Mismatch and not stored.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = h.sign("PUT", "/bkt/k", b"original")
    tampered = raw[: -len(b"original")] + b"tampered"
    reply = h.send(tampered)
    assert reply.status == 400
    assert b"XAmzContentSHA256Mismatch" in reply.body
    assert h.call("HEAD", "/bkt/k").status == 404


def test_expect_100_continue_after_authentication() -> None:
    """
    With Expect: 100-continue, a valid PUT gets the interim 100 Continue
    before its final 200.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = h.sign("PUT", "/bkt/k", b"data", {"Expect": "100-continue"})
    channel, transport = h.connect()
    head, _, body = raw.partition(b"\r\n\r\n")
    channel.dataReceived(head + b"\r\n\r\n")
    assert transport.value() == b"HTTP/1.1 100 Continue\r\n\r\n"
    channel.dataReceived(body)
    replies = parse_replies(transport.value())
    assert [r.status for r in replies] == [200] and replies[0].interim == [100]


def test_refused_before_body_no_continue() -> None:
    """
    A PUT another user may not make is answered AccessDenied as soon as
    its headers arrive: no 100 Continue, the connection is marked for
    closing, and the body that follows is dropped.
    """
    h = S3Harness()
    h.mkbucket("bkt", user=ALICE)
    raw = h.sign("PUT", "/bkt/k", b"data" * 100, {"Expect": "100-continue"}, user=BOB)
    channel, transport = h.connect()
    head, _, body = raw.partition(b"\r\n\r\n")
    channel.dataReceived(head + b"\r\n\r\n")
    replies = parse_replies(transport.value())
    assert [r.status for r in replies] == [403]
    assert replies[0].interim == []
    assert replies[0].header("connection") == "close"
    assert b"<Code>AccessDenied</Code>" in replies[0].body
    channel.dataReceived(body)
    assert h.call("HEAD", "/bkt/k").status == 404


def test_bad_signature_refused_before_body() -> None:
    """
    A PUT with a wrong signature is SignatureDoesNotMatch before any body
    byte is read.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = h.sign("PUT", "/bkt/k", b"data")
    raw = raw.replace(b"Signature=", b"Signature=0", 1)
    channel, transport = h.connect()
    channel.dataReceived(raw.partition(b"\r\n\r\n")[0] + b"\r\n\r\n")
    replies = parse_replies(transport.value())
    assert replies[0].status == 403
    assert b"SignatureDoesNotMatch" in replies[0].body


def test_backpressure_pauses_transport() -> None:
    """
    While the pool-side write of a body slice is pending and another
    slice is buffered, the socket is paused; it resumes once the writes
    drain, and the object is complete.
    """
    pool = SteppingPool()
    h = S3Harness(pool=pool)
    raw = h.sign("PUT", "/bkt", b"")
    channel, transport = h.connect()
    channel.dataReceived(raw)
    pool.run_all()
    body = b"z" * (upload.SLICE * 4)
    raw = h.sign("PUT", "/bkt/big", body)
    channel, transport = h.connect()
    head, _, rest = raw.partition(b"\r\n\r\n")
    channel.dataReceived(head + b"\r\n\r\n")
    pool.run_all()  # the put session opens
    paused_seen = False
    for i in range(0, len(rest), 65536):
        channel.dataReceived(rest[i:i + 65536])
        if transport.producerState == "paused":
            paused_seen = True
            assert pool.queue, "paused with no write pending"
            pool.run_one()
    pool.run_all()
    assert paused_seen
    assert transport.producerState == "producing"
    replies = parse_replies(transport.value())
    assert [r.status for r in replies] == [200]
    assert replies[0].header("etag") == '"%s"' % hashlib.md5(body).hexdigest()


def test_xml_body_over_limit_is_malformed() -> None:
    """
    A buffered (XML) body larger than the limit is refused with
    MalformedXML instead of being collected.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    body = b"<Delete>" + b" " * (5 * 1024 * 1024) + b"</Delete>"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    reply = h.call("POST", "/bkt?delete", body, piece=1 << 20, headers={"Content-MD5": md5})
    assert reply.status == 400 and b"MalformedXML" in reply.body


def test_limits_checked_from_the_head() -> None:
    """
    An announced size over 5 GiB is EntityTooLarge, a key over 1024 bytes
    KeyTooLongError, and metadata over 2 KB MetadataTooLarge, all without
    any body sent.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = h.sign("PUT", "/bkt/k", b"", {"Content-Length": str(5 * 1024**3 + 1)})
    channel, transport = h.connect()
    channel.dataReceived(raw)
    assert b"EntityTooLarge" in transport.value()
    assert h.put("bkt", "k" * 1025, b"x").status == 400
    meta = {"x-amz-meta-big": "v" * 2100}
    reply = h.put("bkt", "k", b"x", headers=meta)
    assert reply.status == 400 and b"MetadataTooLarge" in reply.body


def test_client_disconnect_mid_body_stores_nothing() -> None:
    """
    A client that goes away in the middle of a PUT body leaves no object
    and the exchange logs the connection as lost.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = h.sign("PUT", "/bkt/k", b"q" * 100000)
    channel, transport = h.connect()
    channel.dataReceived(raw[: len(raw) - 50000])
    from twisted.internet.error import ConnectionLost
    from twisted.python.failure import Failure

    channel.connectionLost(Failure(ConnectionLost()))
    lines = [r.line() for r in h.access_records() if r.lost]
    assert h.call("HEAD", "/bkt/k").status == 404
    assert len(lines) == 1
    # No response was sent: the line says so instead of a status 200.
    assert lines[0].split()[3] == "-", lines[0]


def test_aws_chunked_inside_http_chunked_without_content_length() -> None:
    """
    botocore over https sends aws-chunked framing inside HTTP
    Transfer-Encoding: chunked with no Content-Length; both layers are
    removed and the object is stored (no MissingContentLength).
    """
    h = S3Harness()
    h.mkbucket("bkt")
    payload = b"streamed without length " * 3000
    framed = _aws_chunked(payload, [40000, len(payload) - 40000],
                          f"x-amz-checksum-crc32:{_crc32(payload)}")
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(payload)),
        "x-amz-trailer": "x-amz-checksum-crc32",
        "Transfer-Encoding": "chunked",
    }
    raw = h.sign("PUT", "/bkt/te", b"", headers, payload="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    body = b"".join(
        b"%x\r\n" % len(framed[i:i + 10000]) + framed[i:i + 10000] + b"\r\n"
        for i in range(0, len(framed), 10000)
    ) + b"0\r\n\r\n"
    reply = h.send(raw + body, piece=3333)
    assert reply.status == 200, reply.body
    assert h.call("GET", "/bkt/te").body == payload
