"""
A large streamed body is read from the socket a slice (1 MiB) at a time;
the connection goes back to Twisted's read size once the body is in, so
later small requests on it do not each allocate a 1 MiB read buffer.
"""

from __future__ import annotations

from s3_harness import S3Harness, parse_replies

from cartridge_d.s3.exchange import STREAM_READ

DEFAULT = 65536


def test_read_size_widened_for_a_large_body_then_put_back() -> None:
    """
    While a 200 KiB PUT body arrives the transport reads STREAM_READ
    bytes at a time; once it is stored, DEFAULT again, and the next
    requests on the connection (a small PUT, a GET) leave it there.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    body = bytes(range(256)) * 800
    raw = h.sign("PUT", "/bkt/big", body)
    channel, transport = h.connect()
    transport.bufferSize = DEFAULT
    head_end = raw.index(b"\r\n\r\n") + 4
    channel.dataReceived(raw[:head_end + 1000])
    assert transport.bufferSize == STREAM_READ
    channel.dataReceived(raw[head_end + 1000:])
    assert transport.bufferSize == DEFAULT
    channel.dataReceived(h.sign("PUT", "/bkt/small", b"tiny"))
    assert transport.bufferSize == DEFAULT
    channel.dataReceived(h.sign("GET", "/bkt/big"))
    replies = parse_replies(transport.value())
    assert [r.status for r in replies] == [200, 200, 200]
    assert replies[2].body == body
    assert transport.bufferSize == DEFAULT


def test_read_size_put_back_when_the_client_goes_away() -> None:
    """
    A client that disconnects in the middle of a large body leaves the
    transport with its own read size again.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    raw = h.sign("PUT", "/bkt/big", b"x" * 200_000)
    channel, transport = h.connect()
    transport.bufferSize = DEFAULT
    channel.dataReceived(raw[:-50_000])
    assert transport.bufferSize == STREAM_READ
    channel.connectionLost(ConnectionError("gone"))
    assert transport.bufferSize == DEFAULT
