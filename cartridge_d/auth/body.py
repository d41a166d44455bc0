"""
Checks on a request body, chosen from the request's headers and its AuthResult.

Each check sees the payload (aws-chunked framing already removed) as it streams
past and gives its verdict at the end, so nothing is buffered:

  - L{Sha256Check}: the signed C{x-amz-content-sha256} (C{XAmzContentSHA256Mismatch});
  - L{ContentMd5Check}: C{Content-MD5} (C{BadDigest});
  - L{FlexibleChecksumCheck}: C{x-amz-checksum-*}, from a header or the aws-chunked
    trailer (C{BadDigest}); its verdict is the (algorithm, base64) to store.

L{body_checks} and L{body_decoder} build them; both raise before any body byte is
read when a header is malformed (C{InvalidDigest}, C{InvalidRequest}), so the
HTTP layer can refuse the request before answering C{100 Continue}.

test-case-name: tests.auth.test_auth_checksums
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

from cartridge_d.auth.checksums import (
    ChecksumSpec,
    bad_digest,
    check_checksum_value,
    checksum_spec,
    header_name,
    new_checksum,
    parse_content_md5,
)
from cartridge_d.auth.chunked import ChunkedDecoder, decoded_content_length
from cartridge_d.auth.errors import AuthError
from cartridge_d.auth.request import AuthRequest
from cartridge_d.auth.result import AuthResult

__all__ = [
    "Check",
    "Sha256Check",
    "ContentMd5Check",
    "FlexibleChecksumCheck",
    "body_checks",
    "body_decoder",
]


class Check(Protocol):
    """One verification of the payload."""

    def update(self, data: bytes) -> None:
        """Account for the next payload bytes."""

    def verify(self, trailers: dict[str, str]) -> tuple[str, str] | None:
        """Raise L{AuthError} if the payload is wrong; else the checksum to store, or None."""


class Sha256Check:
    """The body must hash to the signed C{x-amz-content-sha256}."""

    def __init__(self, expected_hex: str) -> None:
        self._expected = expected_hex.lower()
        self._hash = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def verify(self, trailers: dict[str, str]) -> None:
        got = self._hash.hexdigest()
        if not hmac.compare_digest(got, self._expected):
            raise AuthError(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                (
                    ("ClientComputedContentSHA256", self._expected),
                    ("S3ComputedContentSHA256", got),
                ),
            )
        return None


class ContentMd5Check:
    """The body must have the MD5 announced by C{Content-MD5} (base64)."""

    def __init__(self, header_value: str) -> None:
        self._expected = parse_content_md5(header_value)
        self._hash = hashlib.md5()

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def verify(self, trailers: dict[str, str]) -> None:
        got = self._hash.digest()
        if not hmac.compare_digest(got, self._expected):
            raise AuthError(
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
                (
                    ("ExpectedDigest", base64.b64encode(self._expected).decode("ascii")),
                    ("CalculatedDigest", base64.b64encode(got).decode("ascii")),
                ),
            )
        return None


class FlexibleChecksumCheck:
    """The body must match its C{x-amz-checksum-<alg>} header or trailer."""

    def __init__(self, spec: ChecksumSpec) -> None:
        self._spec = spec
        self._sum = new_checksum(spec.algorithm)

    def update(self, data: bytes) -> None:
        self._sum.update(data)

    def verify(self, trailers: dict[str, str]) -> tuple[str, str]:
        algorithm = self._spec.algorithm
        expected = self._spec.expected
        if expected is None:
            expected = trailers.get(header_name(algorithm))
            if expected is None:
                raise AuthError(
                    "MalformedTrailerError",
                    "The request contained trailing data that was not well-formed or did "
                    "not conform to our published schema.",
                )
            check_checksum_value(algorithm, expected)
        got = self._sum.b64()
        if not hmac.compare_digest(got, expected):
            raise bad_digest(algorithm)
        return (algorithm, got)


def body_checks(result: AuthResult, req: AuthRequest) -> list[Check]:
    """
    The checks C{req}'s body must pass: signed sha256, Content-MD5, flexible checksum.

    @raise AuthError: C{InvalidDigest} (bad Content-MD5), C{InvalidRequest} (bad or
        several x-amz-checksum-* headers).
    """
    checks: list[Check] = []
    sha = result.payload_sha256
    if sha is not None:
        checks.append(Sha256Check(sha))
    md5 = req.header("content-md5")
    if md5 is not None:
        checks.append(ContentMd5Check(md5))
    spec = checksum_spec(req.headers)
    if spec is not None:
        checks.append(FlexibleChecksumCheck(spec))
    return checks


def body_decoder(result: AuthResult, req: AuthRequest) -> ChunkedDecoder | None:
    """
    The aws-chunked decoder for C{req}'s body, or None when the body is plain.

    @raise AuthError: C{InvalidArgument} for a bad x-amz-decoded-content-length.
    """
    if not result.aws_chunked:
        return None
    expected = decoded_content_length(req.header("x-amz-decoded-content-length"))
    return ChunkedDecoder(result.payload, result.streaming, expected)
