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
from typing import Any, Callable

from twisted.python.failure import Failure

from cartridge_d.s3.call import Response
from cartridge_d.s3.errors import S3Error, render_error

SERVER = b"CartridgeS3"


def _set(request: Any, name: str, value: str) -> None:
    request.responseHeaders.addRawHeader(name.encode("latin-1"), value.encode("latin-1"))


def host_id(request_id: str) -> str:
    """
    The C{x-amz-id-2} value for a request id (opaque to clients).
    """
    return base64.b64encode(request_id.encode("ascii") * 2).decode("ascii")


def start(request: Any, status: int, headers: tuple[tuple[str, str], ...], request_id: str,
          length: int, seconds: float) -> None:
    """
    Set the status and the headers every response carries.
    """
    request.setResponseCode(status)
    request.responseHeaders.setRawHeaders(b"server", [SERVER])
    request.responseHeaders.setRawHeaders(
        b"date", [formatdate(seconds, usegmt=True).encode("ascii")]
    )
    _set(request, "x-amz-request-id", request_id)
    _set(request, "x-amz-id-2", host_id(request_id))
    for name, value in headers:
        _set(request, name, value)
    if status != 304 and not any(n.lower() == "content-length" for n, _ in headers):
        request.responseHeaders.setRawHeaders(b"content-length", [str(length).encode()])


def write_response(
    request: Any,
    response: Response,
    request_id: str,
    seconds: float,
    start_stream: Callable[[Response], None],
) -> None:
    """
    Write a whole response, or its head and then hand over to a producer.
    """
    length = response.stream.length if response.stream is not None else len(response.body)
    start(request, response.status, response.headers, request_id, length, seconds)
    if response.stream is not None and request.method != b"HEAD":
        start_stream(response)
        return
    if response.stream is not None:
        response.stream.close()
    if response.body and request.method != b"HEAD":
        request.write(response.body)
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
    start(request, error.status, headers, request_id, len(body), seconds)
    request.write(body)
    if finish:
        request.finish()


def log_failure(log: Any, failure: Failure, request_id: str) -> None:
    """
    Log an unexpected exception with its traceback.
    """
    log.failure("Unexpected error in request {request_id}", failure, request_id=request_id)
