"""
S3Channel.headerReceived: a header name Twisted has accepted once is
stored without Twisted's checks afterwards; what is stored, what is
refused and the header limit must stay exactly Twisted's.
"""

from __future__ import annotations

from typing import Any

from s3_harness import S3Harness
from twisted.internet.testing import StringTransport
from twisted.web import http
from twisted.web.http_headers import Headers

from cartridge_d.s3 import site

LINES = [
    b"Host: example.com",
    b"X-Amz-Date: 20261125T000000Z",
    b"x-amz-meta-Color:  red \t",
    b"x-amz-meta-color: blue",
    b"Accept:",
    b"User-Agent: a:b:c",
]


class _Request:
    def __init__(self) -> None:
        self.requestHeaders = Headers()

    def handleContentChunk(self, data: bytes) -> None:
        pass


def _channel(kind: Any) -> Any:
    channel = kind()
    channel.timeOut = None
    channel.callLater = lambda *a: None
    channel.makeConnection(StringTransport())
    channel.requests = [_Request()]
    return channel


def _feed(channel: Any, lines: list[bytes]) -> list[bool]:
    return [channel.headerReceived(line) for line in lines]


def test_stored_headers_are_twisteds() -> None:
    """
    The same header lines, fed twice to our channel (the second time every
    name is remembered), leave the same headers, values and order as
    Twisted's own channel does.
    """
    twisted_channel = _channel(http.HTTPChannel)
    assert all(_feed(twisted_channel, LINES))
    expected = sorted(twisted_channel.requests[-1].requestHeaders.getAllRawHeaders())
    for _ in range(2):
        ours = _channel(site.S3Channel)
        assert all(_feed(ours, LINES))
        assert sorted(ours.requests[-1].requestHeaders.getAllRawHeaders()) == expected
    assert b"X-Amz-Date" in site._PLAIN_NAMES


def test_value_twisted_refuses_is_still_refused() -> None:
    """
    A value with NUL, CR or LF under a remembered name goes Twisted's way:
    our channel answers and returns exactly what Twisted's does.
    """
    for bad in (b"x-amz-meta-color: a\x00b", b"x-amz-meta-color: a\rb"):
        twisted_channel = _channel(http.HTTPChannel)
        ours = _channel(site.S3Channel)
        _feed(ours, [b"x-amz-meta-color: ok"])
        assert b"x-amz-meta-color" in site._PLAIN_NAMES
        assert ours.headerReceived(bad) == twisted_channel.headerReceived(bad)
        assert ours.transport.value() == twisted_channel.transport.value()


def test_header_limit_holds_for_remembered_names() -> None:
    """
    Remembered names still count against maxHeaders: one header too many
    is a 400 and the connection is closed.
    """
    ours = _channel(site.S3Channel)
    _feed(ours, [b"x-amz-meta-n: 0"])
    ours = _channel(site.S3Channel)
    ours.maxHeaders = 3
    assert _feed(ours, [b"x-amz-meta-n: %d" % i for i in range(4)]) == [True, True, True, False]
    assert ours.transport.value().startswith(b"HTTP/1.1 400 ")
    assert ours.transport.disconnecting


def test_framing_headers_are_never_remembered() -> None:
    """
    Content-Length and Transfer-Encoding always take Twisted's path (they
    choose how the body is read), so bodies still frame right on a
    connection after many requests.
    """
    h = S3Harness()
    h.mkbucket("bkt")
    for i in range(3):
        assert h.put("bkt", f"k{i}", b"x" * (i + 1)).status == 200
    assert not {name.lower() for name in site._PLAIN_NAMES} & {b"content-length",
                                                                b"transfer-encoding"}
    channel, transport = h.connect()
    channel.dataReceived(h.sign("PUT", "/bkt/k9", b"hello") + h.sign("GET", "/bkt/k9"))
    assert transport.value().count(b"HTTP/1.1 200 OK") == 2
    assert transport.value().endswith(b"\r\n\r\nhello")
