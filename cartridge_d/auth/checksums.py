"""
Body checksums, computed exactly as S3 and botocore do.

C{x-amz-checksum-<alg>} carries the base64 of the big-endian checksum value (CRC32,
CRC32C: 4 bytes; CRC64NVME: 8 bytes) or of the digest (SHA1, SHA256). Content-MD5
is the base64 of the 16-byte MD5 digest.

test-case-name: tests.auth.test_auth_checksums
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from dataclasses import dataclass
from typing import Protocol

import crc32c as _crc32c

from cartridge_d.auth._crc64nvme import INIT as _CRC64_INIT
from cartridge_d.auth._crc64nvme import XOROUT as _CRC64_XOROUT
from cartridge_d.auth._crc64nvme import crc64nvme_update
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

#: Algorithm names as S3 spells them (C{x-amz-sdk-checksum-algorithm} values).
ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
_DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}


class Checksum(Protocol):
    """A running checksum."""

    algorithm: str

    def update(self, data: bytes) -> None:
        """Add C{data} to the checksum."""

    def digest(self) -> bytes:
        """The big-endian value (CRCs) or digest bytes (SHAs) so far."""

    def b64(self) -> str:
        """Base64 of L{digest}: the C{x-amz-checksum-*} header value."""


class _Crc:
    """CRC32 (zlib), CRC32C (crc32c package) or CRC64NVME (pure Python)."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._value = _CRC64_INIT if algorithm == "CRC64NVME" else 0

    def update(self, data: bytes) -> None:
        if self.algorithm == "CRC32":
            self._value = zlib.crc32(data, self._value)
        elif self.algorithm == "CRC32C":
            self._value = _crc32c.crc32c(data, self._value)
        else:
            self._value = crc64nvme_update(self._value, data)

    def digest(self) -> bytes:
        if self.algorithm == "CRC64NVME":
            return (self._value ^ _CRC64_XOROUT).to_bytes(8, "big")
        return self._value.to_bytes(4, "big")

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class _Sha:
    """SHA1 or SHA256 through hashlib."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._h = hashlib.new(algorithm.lower())

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest()

    def b64(self) -> str:
        return base64.b64encode(self._h.digest()).decode("ascii")


def new_checksum(algorithm: str) -> Checksum:
    """
    A fresh checksum for C{algorithm} (any case: C{"crc32"}, C{"CRC64NVME"}, ...).

    @raise ValueError: unknown algorithm.
    """
    name = algorithm.upper()
    if name in ("CRC32", "CRC32C", "CRC64NVME"):
        return _Crc(name)
    if name in ("SHA1", "SHA256"):
        return _Sha(name)
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


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
    if _decode_b64(value, _DIGEST_SIZES[algorithm]) is None:
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
