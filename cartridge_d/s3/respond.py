"""
Writing a L{Response} or an error onto a twisted.web request.

This is the only code that sets statuses and headers on the wire: the
request id headers every S3 response carries, C{Content-Length} always (so
keep-alive works without chunking), no body on HEAD or 304, and S3 error
XML for every error.

test-case-name: tests.s3.test_s3_site
"""

from __future__ import annotations

import base64
from email.utils import formatdate
from functools import lru_cache
from typing import Any, Callable

from twisted.python.failure import Failure

from cartridge_d.s3.call import Response
from cartridge_d.s3.errors import S3Error, render_error

SERVER = b"CartridgeS3"


def host_id(request_id: str) -> str:
    """
    The C{x-amz-id-2} value for a request id (opaque to clients).
    """
    return base64.b64encode(request_id.encode("ascii") * 2).decode("ascii")


@lru_cache(maxsize=4)
def _date_line(second: int) -> bytes:
    """
    The C{Date} header line for a whole second (formatted once per second).
    """
    return b"Date: " + formatdate(second, usegmt=True).encode("ascii") + b"\r\n"


#: C{"Name: "} as written, by header name: a response writes the same
#: few names every time.  Bounded by L{_PREFIX_CACHE_SIZE}, since user
#: metadata names come from clients.
_PREFIXES: dict[str, str] = {}
_PREFIX_CACHE_SIZE = 512


def header_text(name: str, value: str) -> str:
    """
    One response header line, as text: C{x-amz-*} names in lower case as
    S3 sends them (botocore keeps the case of user metadata names it
    receives), line breaks in values flattened as twisted.web does.  The
    lines are encoded together, as ISO-8859-1 (stored metadata goes back
    byte for byte).
    """
    prefix = _PREFIXES.get(name)
    if prefix is None:
        prefix = (name.lower() if name[:6].lower() == "x-amz-" else name) + ": "
        if len(_PREFIXES) < _PREFIX_CACHE_SIZE:
            _PREFIXES[name] = prefix
    if "\r" in value or "\n" in value:
        value = value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return prefix + value + "\r\n"


def start(request: Any, status: int, headers: tuple[tuple[str, str], ...], request_id: str,
          length: int, seconds: float) -> bytes:
    """
    The status line and every header of a response, as the bytes to send.

    The head is built here, once, as bytes: twisted.web would keep it in a
    C{Headers} object (encoding and checking every name and value) and
    turn it into lines again when the first body byte is written.  Headers
    the channel already set (C{Connection: close}) are kept.  The request
    is marked as started, with its status, so twisted.web adds nothing and
    logs the right code; the caller sends the bytes with the body.
    """
    request.setResponseCode(status)
    request.startedWriting = 1
    lines = [
        b"%s %d %s\r\n" % (request.clientproto, status, request.code_message),
        b"Server: " + SERVER + b"\r\n",
        _date_line(int(seconds)),
        b"x-amz-request-id: " + request_id.encode("ascii") + b"\r\n",
        b"x-amz-id-2: " + host_id(request_id).encode("ascii") + b"\r\n",
    ]
    for name, values in request.responseHeaders.getAllRawHeaders():
        lines.extend(name + b": " + value + b"\r\n" for value in values)
    has_length = False
    text = []
    for name, value in headers:
        text.append(header_text(name, value))
        if not has_length and len(name) == 14 and name.lower() == "content-length":
            has_length = True
    if status != 304 and not has_length:
        text.append("Content-Length: %d\r\n" % length)
    text.append("\r\n")
    lines.append("".join(text).encode("latin-1"))
    return b"".join(lines)


def send(request: Any, data: bytes, body_length: int = 0) -> None:
    """
    Send the head (and a whole body) built by L{start}, unless the client
    has gone.
    """
    if request._disconnected or request.channel is None:
        return
    request.sentLength += body_length
    request.channel.write(data)


def write_response(
    request: Any,
    response: Response,
    request_id: str,
    seconds: float,
    start_stream: Callable[[Response], None],
) -> None:
    """
    Write a whole response (head and body in one write), or its head and
    then hand over to a producer.
    """
    length = response.stream.length if response.stream is not None else len(response.body)
    head = start(request, response.status, response.headers, request_id, length, seconds)
    if response.stream is not None and request.method != b"HEAD":
        send(request, head)
        start_stream(response)
        return
    if response.stream is not None:
        response.stream.close()
    if response.body and request.method != b"HEAD":
        send(request, head + response.body, len(response.body))
    else:
        send(request, head)
    request.finish()


def write_error(
    request: Any,
    error: S3Error,
    resource: str,
    request_id: str,
    seconds: float,
    finish: bool = True,
) -> None:
    """
    Write an S3 error response (no body for HEAD and 304).

    @param finish: whether to finish the request; an error answered while
        the body is still arriving is finished once the body is over.
    """
    body = b"" if request.method == b"HEAD" or error.status == 304 else render_error(
        error, resource, request_id, host_id(request_id)
    )
    headers = error.headers
    if body:
        headers = (("Content-Type", "application/xml"),) + headers
    head = start(request, error.status, headers, request_id, len(body), seconds)
    send(request, head + body, len(body))
    if finish:
        request.finish()


def log_failure(log: Any, failure: Failure, request_id: str) -> None:
    """
    Log an unexpected exception with its traceback.
    """
    log.failure("Unexpected error in request {request_id}", failure, request_id=request_id)
