"""
The checksum headers of a request: which C{x-amz-checksum-*} value (or trailer)
the client sent, and Content-MD5. The checksums themselves are computed by
L{cartridge_d.checksums}; Content-MD5 is the base64 of the 16-byte MD5 digest.

test-case-name: tests.auth.test_auth_checksums
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cartridge_d.checksums import ALGORITHMS, DIGEST_SIZES, Checksum, new_checksum
from cartridge_d.auth.errors import AuthError

__all__ = [
    "ALGORITHMS",
    "Checksum",
    "new_checksum",
    "header_name",
    "ChecksumSpec",
    "checksum_spec",
    "parse_content_md5",
    "bad_digest",
]


def header_name(algorithm: str) -> str:
    """C{"CRC32"} -> C{"x-amz-checksum-crc32"}."""
    return "x-amz-checksum-" + algorithm.lower()


_BY_HEADER = {header_name(a): a for a in ALGORITHMS}


@dataclass(frozen=True)
class ChecksumSpec:
    """
    The flexible checksum a request asks the server to verify.

    @ivar algorithm: one of L{ALGORITHMS}.
    @ivar expected: the base64 value from the header, or None when it arrives in
        the aws-chunked trailer (C{x-amz-trailer: x-amz-checksum-crc32}).
    """

    algorithm: str
    expected: str | None


def _decode_b64(value: str, size: int) -> bytes | None:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def check_checksum_value(algorithm: str, value: str) -> None:
    """@raise AuthError: C{InvalidRequest} if C{value} is not base64 of the right length."""
    if _decode_b64(value, DIGEST_SIZES[algorithm]) is None:
        raise AuthError(
            "InvalidRequest", f"Value for {header_name(algorithm)} header is invalid."
        )


def checksum_spec(headers: "tuple[tuple[str, str], ...] | list[tuple[str, str]]") -> ChecksumSpec | None:
    """
    Find the C{x-amz-checksum-*} header (or trailer announcement) of a request.

    C{x-amz-checksum-algorithm}, C{x-amz-sdk-checksum-algorithm} and
    C{x-amz-checksum-type} are hints and are ignored; so is a request with none.

    @param headers: lower-case (name, value) pairs.
    @raise AuthError: C{InvalidRequest} for two different checksum headers or a
        value that is not base64 of the algorithm's size.
    """
    found: list[ChecksumSpec] = []
    for name, value in headers:
        if name in _BY_HEADER:
            algorithm = _BY_HEADER[name]
            check_checksum_value(algorithm, value)
            found.append(ChecksumSpec(algorithm, value.strip()))
        elif name == "x-amz-trailer":
            for item in value.split(","):
                announced = _BY_HEADER.get(item.strip().lower())
                if announced is not None:
                    found.append(ChecksumSpec(announced, None))
    if len({spec.algorithm for spec in found}) > 1:
        raise AuthError(
            "InvalidRequest",
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        )
    return found[0] if found else None


def bad_digest(algorithm: str) -> AuthError:
    """The C{BadDigest} error S3 gives when a flexible checksum does not match."""
    return AuthError(
        "BadDigest", f"The {algorithm} you specified did not match the calculated checksum."
    )


def parse_content_md5(value: str) -> bytes:
    """
    The 16-byte digest a C{Content-MD5} header announces.

    @raise AuthError: C{InvalidDigest} when it is not base64 of 16 bytes.
    """
    raw = _decode_b64(value, 16)
    if raw is None:
        raise AuthError("InvalidDigest", "The Content-MD5 you specified was invalid.")
    return raw
