"""
Which checks a request body goes through on its way in, and its framing.

The HTTP layer owns the checks that belong to the request as a whole: the
signed payload hash (C{x-amz-content-sha256} hex: XAmzContentSHA256Mismatch)
and, for bodies it buffers itself (XML: DeleteObjects, Complete...),
C{Content-MD5} and C{x-amz-checksum-*}.  A streamed body's Content-MD5 and
flexible checksums are verified by the object store's put session, in the
thread pool, before it commits (L{expected_checksums} collects what the
client announced, from the headers or the aws-chunked trailer).

test-case-name: tests.s3.test_s3_streaming
"""

from __future__ import annotations

import hashlib

from cartridge_d.auth import checksums
from cartridge_d.auth.chunked import ChunkedDecoder, decoded_content_length
from cartridge_d.auth.errors import AuthError
from cartridge_d.auth.result import AuthResult
from cartridge_d.s3.errors import s3_error
from cartridge_d.s3.head import RequestHead
from cartridge_d.s3.upload import Check, Decoder, Identity


def _checksum_headers(head: RequestHead) -> list[tuple[str, str]]:
    """
    The C{x-amz-checksum-*} and C{x-amz-trailer} (name, value) pairs, in
    order: all that L{checksums.checksum_spec} looks at, without copying
    every other header of every request (most requests have none).
    """
    return [
        (name, value)
        for name, values in head.headers.items()
        if name.startswith("x-amz-checksum-") or name == "x-amz-trailer"
        for value in values
    ]


class PayloadSha256:
    """
    The signed payload hash: the body must hash to the hex the client signed.
    """

    def __init__(self, expected_hex: str) -> None:
        self._expected = expected_hex.lower()
        self._hash = hashlib.sha256()

    def update(self, data: bytes) -> None:
        """Hash the next payload bytes."""
        self._hash.update(data)

    def verify(self, trailers: dict[str, str]) -> tuple[str, str] | None:
        """XAmzContentSHA256Mismatch unless the hashes agree."""
        if self._hash.hexdigest() != self._expected:
            raise s3_error(
                "XAmzContentSHA256Mismatch",
                extra=(
                    ("ClientComputedContentSHA256", self._expected),
                    ("S3ComputedContentSHA256", self._hash.hexdigest()),
                ),
            )
        return None


class ContentMd5:
    """
    The C{Content-MD5} of a buffered body.
    """

    def __init__(self, expected: bytes) -> None:
        self._expected = expected
        self._hash = hashlib.md5()

    def update(self, data: bytes) -> None:
        """Hash the next payload bytes."""
        self._hash.update(data)

    def verify(self, trailers: dict[str, str]) -> tuple[str, str] | None:
        """BadDigest unless the digests agree."""
        if self._hash.digest() != self._expected:
            raise s3_error("BadDigest")
        return None


class FlexibleChecksum:
    """
    An C{x-amz-checksum-*} value of a buffered body, from a header or the
    trailer.
    """

    def __init__(self, spec: checksums.ChecksumSpec) -> None:
        self._spec = spec
        self._running = checksums.new_checksum(spec.algorithm)

    def update(self, data: bytes) -> None:
        """Checksum the next payload bytes."""
        self._running.update(data)

    def verify(self, trailers: dict[str, str]) -> tuple[str, str] | None:
        """BadDigest unless the values agree; returns the verified value."""
        expected = self._spec.expected
        if expected is None:
            expected = trailers.get(checksums.header_name(self._spec.algorithm))
        if expected is None:
            raise s3_error(
                "InvalidRequest", "The trailer announced in x-amz-trailer was not sent."
            )
        if self._running.b64() != expected.strip():
            raise checksums.bad_digest(self._spec.algorithm)
        return (self._spec.algorithm, expected.strip())


class AwsChunked:
    """
    The aws-chunked decoder of L{cartridge_d.auth.chunked} (which verifies
    chunk signatures) in the shape the pipe takes.
    """

    def __init__(self, decoder: ChunkedDecoder) -> None:
        self._decoder = decoder

    def feed(self, data: bytes) -> list[bytes]:
        """Decode the next framed bytes."""
        return [self._decoder.feed(data)]

    def close(self) -> dict[str, str]:
        """Check the final chunk arrived; the trailers."""
        return self._decoder.finish()


def body_decoder(head: RequestHead, auth: AuthResult) -> Decoder:
    """
    The framing decoder for the body: aws-chunked when the payload mode
    says so, else none.
    """
    if auth.aws_chunked:
        expected = decoded_content_length(head.header("x-amz-decoded-content-length"))
        return AwsChunked(ChunkedDecoder(auth.payload, auth.streaming, expected))
    return Identity()


def body_checks(head: RequestHead, auth: AuthResult, streamed: bool) -> list[Check]:
    """
    The checks the HTTP layer runs on this request's payload.

    @param streamed: the body goes to an object-store sink, which verifies
        Content-MD5 and flexible checksums itself.
    @raise S3Error: InvalidDigest/InvalidRequest for malformed values.
    """
    found: list[Check] = []
    if auth.payload_sha256 is not None:
        found.append(PayloadSha256(auth.payload_sha256))
    if streamed:
        return found
    md5 = head.header("content-md5")
    if md5 is not None:
        found.append(ContentMd5(checksums.parse_content_md5(md5)))
    spec = checksums.checksum_spec(_checksum_headers(head))
    if spec is not None:
        found.append(FlexibleChecksum(spec))
    return found


def expected_checksums(head: RequestHead, trailers: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """
    The flexible checksum a streamed body announced: (algorithm, base64),
    from its header or, for aws-chunked bodies, its trailer.

    @raise AuthError: InvalidRequest for a malformed or missing value.
    """
    spec = checksums.checksum_spec(_checksum_headers(head))
    if spec is None:
        return ()
    value = spec.expected
    if value is None:
        value = trailers.get(checksums.header_name(spec.algorithm))
        if value is None:
            raise AuthError("InvalidRequest", "The trailer announced in x-amz-trailer was not sent.")
        checksums.check_checksum_value(spec.algorithm, value)
    return ((spec.algorithm, value.strip()),)

