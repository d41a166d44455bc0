"""
The site as a whole: authentication outcomes, error documents, request
ids, addressing styles, unexpected exceptions, one log line per request.
"""

from __future__ import annotations

from lxml import etree
from s3_harness import ALICE, BOB, S3Harness, parse_replies

from cartridge_d.s3.accesslog import MAX_BATCH, MAX_DELAY
from cartridge_d.s3.head import parse_head


def _error(reply_body: bytes) -> dict[str, str]:
    root = etree.fromstring(reply_body)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def test_error_document_shape_and_request_ids() -> None:
    """
    An error has Code, Message, Resource and RequestId, and RequestId
    equals the x-amz-request-id header; every response has x-amz-id-2.
    """
    h = S3Harness()
    reply = h.call("GET", "/nobucket/some%20key")
    assert reply.status == 404
    fields = _error(reply.body)
    assert fields["Code"] == "NoSuchBucket"
    assert fields["Message"]
    assert fields["Resource"] == "/nobucket/some key"
    assert fields["RequestId"] == reply.header("x-amz-request-id")
    assert reply.header("x-amz-id-2")
    assert reply.header("content-type") == "application/xml"
    ok = h.call("GET", "/")
    assert ok.status == 200 and ok.header("x-amz-request-id") and ok.header("x-amz-id-2")


def test_head_errors_have_no_body() -> None:
    """
    HEAD of a missing bucket is 404 with an empty body.
    """
    h = S3Harness()
    reply = h.call("HEAD", "/nobucket")
    assert reply.status == 404 and reply.body == b""
    channel, transport = h.connect()
    channel.dataReceived(h.sign("HEAD", "/nobucket"))
    assert transport.value().endswith(b"\r\n\r\n")


def test_anonymous_and_bad_signatures() -> None:
    """
    An unsigned request is AccessDenied; an unknown key is
    InvalidAccessKeyId; a wrong secret SignatureDoesNotMatch.
    """
    h = S3Harness()
    anonymous = h.send(b"GET / HTTP/1.1\r\nHost: localhost:9000\r\n\r\n")
    assert anonymous.status == 403 and _error(anonymous.body)["Code"] == "AccessDenied"
    from cartridge_d.auth.credentials import Credentials

    stranger = Credentials("AKIDNOBODY0000000000", "x" * 40, "nobody")
    reply = h.call("GET", "/", user=stranger)
    assert _error(reply.body)["Code"] == "InvalidAccessKeyId"
    forged = Credentials(ALICE.access_key, "wrong" * 8, "alice")
    reply = h.call("GET", "/", user=forged)
    assert reply.status == 403 and _error(reply.body)["Code"] == "SignatureDoesNotMatch"


def test_sigv2_header_auth() -> None:
    """
    Requests signed with SigV2 (s3cmd signature_v2) work like SigV4 ones.
    """
    h = S3Harness()
    assert h.call("PUT", "/v2bucket", scheme="v2").status == 200
    assert h.call("PUT", "/v2bucket/k", b"abc", scheme="v2").status == 200
    assert h.call("GET", "/v2bucket/k", scheme="v2").body == b"abc"


def test_buckets_belong_to_their_creator() -> None:
    """
    Another user gets AccessDenied on a bucket, and does not see it in
    ListBuckets.
    """
    h = S3Harness()
    h.mkbucket("alices", user=ALICE)
    assert h.call("GET", "/alices", user=BOB).status == 403
    assert b"<Name>alices</Name>" in h.call("GET", "/", user=ALICE).body
    assert b"alices" not in h.call("GET", "/", user=BOB).body


def test_path_style_trailing_slash_and_plus() -> None:
    """
    /bucket and /bucket/ are the same bucket; a + in a key path is a
    literal plus and %2B decodes to one too.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    assert h.call("GET", "/bkt/").status == 200
    assert h.call("PUT", "/bkt/a+b", b"plus").status == 200
    assert h.call("GET", "/bkt/a%2Bb").body == b"plus"
    head = parse_head(b"GET", b"/bkt/a+b%20c/%E2%82%AC", [])
    assert (head.bucket, head.key) == ("bkt", "a+b c/\u20ac")


def test_virtual_host_addressing() -> None:
    """
    With a domain configured, Host: bucket.domain[:port] names the bucket
    and the path is the key; path style keeps working.
    """
    h = S3Harness(domain="s3.test")
    host = "vbkt.s3.test:9000"
    assert h.call("PUT", "/", host=host).status == 200
    assert h.call("PUT", "/key", b"vhost", host=host).status == 200
    assert h.call("GET", "/vbkt/key", host="s3.test:9000").body == b"vhost"
    assert h.call("GET", "/key", host=host).body == b"vhost"


def test_unexpected_exception_is_internal_error() -> None:
    """
    A bug in a handler becomes a 500 InternalError S3 document (never a
    Twisted HTML page) and is logged with its traceback.
    """
    h = S3Harness()

    def broken(owner: str) -> object:
        raise ZeroDivisionError("boom")

    h.store.list_buckets = broken  # type: ignore[method-assign]
    reply = h.call("GET", "/")
    assert reply.status == 500
    assert _error(reply.body)["Code"] == "InternalError"
    assert b"boom" not in reply.body
    assert any(e.get("log_failure") is not None for e in h.events)


def test_one_log_line_per_request() -> None:
    """
    Each request logs one line with method, bucket, key, status, bytes,
    duration and request id.
    """
    h = S3Harness()
    reply = h.call("GET", "/nobucket/k")
    request_id = reply.header("x-amz-request-id")
    records = [r for r in h.access_records() if r.request_id == request_id]
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.bucket, record.key, record.status) == (
        "GET", "nobucket", "k", 404
    )
    assert record.sent == len(reply.body)
    assert record.line().split()[:5] == ["GET", "nobucket", "k", "404", str(len(reply.body))]
    assert record.line().endswith(f"s {request_id}")


def test_access_lines_ending_together_share_an_event() -> None:
    """
    The lines of requests that end within MAX_DELAY of each other are
    logged together once it has passed, one line per request in one
    event; nothing is logged before.
    """
    h = S3Harness()
    h.events.clear()
    replies = [h.call("GET", f"/nobucket/k{i}") for i in range(3)]
    h.clock.advance(0)
    h.clock.advance(MAX_DELAY / 2)
    assert not [e for e in h.events if "requests" in e]
    h.clock.advance(MAX_DELAY / 2)
    batches = [e for e in h.events if "requests" in e]
    assert len(batches) == 1
    ids = [r.header("x-amz-request-id") for r in replies]
    assert [r.request_id for r in batches[0]["requests"]] == ids
    lines = str(batches[0]["access"]).split("\n")
    assert [line.split()[-1] for line in lines] == ids


def test_full_access_batch_is_logged_at_once() -> None:
    """
    Once MAX_BATCH lines are waiting they are logged at once, without
    waiting for MAX_DELAY; the next line starts a new batch.
    """
    h = S3Harness()
    channel, transport = h.connect()
    h.events.clear()
    channel.dataReceived(b"".join(h.sign("GET", f"/nobucket/k{i}") for i in range(MAX_BATCH + 1)))
    batches = [e for e in h.events if "requests" in e]
    assert [len(e["requests"]) for e in batches] == [MAX_BATCH]
    h.clock.advance(MAX_DELAY)
    batches = [e for e in h.events if "requests" in e]
    assert [len(e["requests"]) for e in batches] == [MAX_BATCH, 1]


def test_site_stop_flushes_access_lines() -> None:
    """
    Stopping the site logs the lines still waiting: a clean stop loses none.
    """
    h = S3Harness()
    h.events.clear()
    reply = h.call("GET", "/nobucket/k")
    h.site.doStart()
    h.site.doStop()
    batches = [e for e in h.events if "requests" in e]
    assert [r.request_id for r in batches[0]["requests"]] == [reply.header("x-amz-request-id")]


def test_keep_alive_two_requests_one_connection() -> None:
    """
    Two requests on one connection are both answered (Content-Length
    framing keeps the connection reusable).
    """
    from s3_harness import parse_replies

    h = S3Harness()
    channel, transport = h.connect()
    channel.dataReceived(h.sign("PUT", "/kabkt") + h.sign("GET", "/"))
    replies = parse_replies(transport.value())
    assert [r.status for r in replies] == [200, 200]


def test_amz_header_names_are_lower_case() -> None:
    """
    x-amz-* response headers go out lower-case, as S3 sends them, so
    botocore reports user metadata names as they were stored.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    h.put("bkt", "k", b"x", headers={"X-Amz-Meta-Mtime": "1.5"})
    channel, transport = h.connect()
    channel.dataReceived(h.sign("HEAD", "/bkt/k"))
    raw = transport.value()
    assert b"\r\nx-amz-meta-mtime: 1.5\r\n" in raw
    assert b"\r\nx-amz-request-id: " in raw
    assert b"\r\nETag: " in raw


def test_idle_client_times_out() -> None:
    """
    A client that sends half a request and then nothing is disconnected
    after the site's idle timeout; another connection is unaffected.
    """
    h = S3Harness()
    idle, idle_transport = h.connect()
    idle.dataReceived(b"PUT /bkt/k HTTP/1.1\r\nHost: x\r\n")
    h.clock.advance(30)
    assert h.call("GET", "/").status == 200
    assert not idle_transport.disconnecting
    h.clock.advance(h.site.timeOut or 0)
    assert idle_transport.disconnecting or idle_transport.disconnected


def test_real_engine_streamed_put_get_list(tmp_path: object) -> None:
    """
    Against the real engine on a temporary cartridge file, a 3 MiB PUT
    fed in 64 KiB pieces reads back intact (whole and by range) and is
    listed with its size and ETag.
    """
    import hashlib
    import os

    from cartridge_d.engine import Cartridge

    cart = Cartridge.open(os.path.join(str(tmp_path), "t.cart"), create=True)
    try:
        h = S3Harness(cartridge=cart)
        h.mkbucket("bkt")
        body = os.urandom(3 * 1024 * 1024 + 17)
        reply = h.put("bkt", "big", body, piece=65536)
        assert reply.status == 200
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        assert reply.header("etag") == etag
        assert h.call("GET", "/bkt/big").body == body
        part = h.call("GET", "/bkt/big", headers={"Range": "bytes=1048570-1048590"})
        assert part.body == body[1048570:1048591]
        listing = h.call("GET", "/bkt?list-type=2").body
        assert f"<Size>{len(body)}</Size>".encode() in listing
        assert etag.replace('"', "&quot;").encode() in listing or etag.encode() in listing
    finally:
        cart.close()


def test_header_line_too_long_is_answered() -> None:
    """
    A header line longer than the channel's limit gets S3's 400
    RequestHeaderSectionTooLarge error document before the connection
    closes, instead of a silent close.
    """
    h = S3Harness()
    channel, transport = h.connect()
    raw = (b"GET /bkt/k HTTP/1.1\r\nHost: localhost:9000\r\nx-amz-meta-big: "
           + b"v" * 20000 + b"\r\n\r\n")
    channel.dataReceived(raw)
    replies = parse_replies(transport.value())
    assert len(replies) == 1
    assert replies[0].status == 400
    assert b"<Code>RequestHeaderSectionTooLarge</Code>" in replies[0].body
    assert transport.disconnecting


def test_header_section_too_large_is_answered() -> None:
    """
    Many header lines, each within the line limit but together past the
    channel's header-section limit (16 KiB), get the same S3 error
    document as one overlong line, not Twisted's bare 400.
    """
    h = S3Harness()
    channel, transport = h.connect()
    lines = b"".join(b"x-amz-meta-m%d: %s\r\n" % (i, b"v" * 1000) for i in range(20))
    channel.dataReceived(b"GET /bkt/k HTTP/1.1\r\nHost: localhost:9000\r\n" + lines + b"\r\n")
    replies = parse_replies(transport.value())
    assert len(replies) == 1
    assert replies[0].status == 400
    assert b"<Code>RequestHeaderSectionTooLarge</Code>" in replies[0].body
    assert transport.disconnecting


def test_malformed_header_keeps_twisteds_answer() -> None:
    """
    A header line without a colon is still refused with a plain 400 and a
    close (the size override leaves every other parse error to Twisted),
    and nothing is routed.
    """
    h = S3Harness()
    channel, transport = h.connect()
    channel.dataReceived(b"GET /bkt/k HTTP/1.1\r\nHost: localhost:9000\r\nno colon here\r\n\r\n")
    replies = parse_replies(transport.value())
    assert len(replies) == 1
    assert replies[0].status == 400
    assert b"RequestHeaderSectionTooLarge" not in replies[0].body
    assert transport.disconnecting


def test_requests_leave_no_reference_cycles() -> None:
    """
    Answered requests are freed by reference counting as soon as they end:
    GETs, HEADs and PUTs on a kept-alive connection, found or not, leave
    no request or exchange for the cycle collector (which would otherwise
    run every few dozen requests and walk each one's objects; a client's
    HEAD before an upload is usually a 404).
    """
    import gc
    import re

    h = S3Harness()
    h.mkbucket("bkt")
    h.put("bkt", "k", b"x" * 4096)
    channel, transport = h.connect()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for method, path in [("GET", "/bkt/k"), ("HEAD", "/bkt/k"), ("HEAD", "/bkt/nokey"),
                             ("GET", "/bkt/nokey"), ("GET", "/bkt/k")]:
            channel.dataReceived(h.sign(method, path))
        assert h.put("bkt", "k2", b"v" * 4096).status == 200
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage
                if type(o).__name__ in ("S3Request", "Exchange", "RequestHead")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    statuses = re.findall(rb"HTTP/1.1 (\d{3}) ", transport.value())
    assert statuses == [b"200", b"200", b"404", b"404", b"200"]
    assert left == []
