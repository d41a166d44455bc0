"""
The checksums of S3 bodies, computed exactly as S3 and botocore do.

C{x-amz-checksum-<alg>} carries the base64 of the big-endian checksum value
(CRC32, CRC32C: 4 bytes; CRC64NVME: 8 bytes) or of the digest (SHA1,
SHA256). Both the request checks (L{cartridge_d.auth}) and the stored
objects and multipart uploads (L{cartridge_d.objectstore}) use this one
module, so a value computed on the way in always equals the one served.
It depends on nothing else of cartridge_d.

test-case-name: tests.auth.test_auth_checksums, tests.multipart.test_multipart_parts
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable
from typing import Protocol

import crc32c as _crc32c

from cartridge_d._crc64nvme import INIT as _CRC64_INIT
from cartridge_d._crc64nvme import XOROUT as _CRC64_XOROUT
from cartridge_d._crc64nvme import crc64nvme_update

__all__ = [
    "ALGORITHMS",
    "DIGEST_SIZES",
    "Checksum",
    "new_checksum",
    "checksum",
    "BodyChecksums",
    "can_combine",
    "full_object",
    "composite",
]

#: Algorithm names as S3 spells them (C{x-amz-sdk-checksum-algorithm} values).
ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}


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


def checksum(algorithm: str, data: bytes) -> str:
    """
    The base64 checksum of C{data} (for small bodies and tests).
    """
    running = new_checksum(algorithm)
    running.update(data)
    return running.b64()


class BodyChecksums:
    """
    The running checksums of one body, for the algorithms asked for
    (unknown names are ignored): fed chunk by chunk in a pool thread as a
    body is written, read once at the end.
    """

    def __init__(self, algorithms: Iterable[str]) -> None:
        wanted = {a.upper() for a in algorithms} & set(ALGORITHMS)
        self._running = {a: new_checksum(a) for a in sorted(wanted)}

    def update(self, data: bytes) -> None:
        """
        Feed the next bytes of the body.
        """
        for running in self._running.values():
            running.update(data)

    def values(self) -> dict[str, str]:
        """
        Algorithm name to base64 value, for the bytes fed so far.
        """
        return {a: r.b64() for a, r in self._running.items()}


# -- whole uploads from their parts --------------------------------------------

#: The reflected polynomial and width of each CRC that S3 can combine into
#: a FULL_OBJECT checksum (all three start from and end with all ones).
_CRC_POLYS = {"CRC32": (0xEDB88320, 32), "CRC32C": (0x82F63B78, 32), "CRC64NVME": (0x9A6C9329AC4BC9B5, 64)}


def _mult_mod(a: int, b: int, poly: int, width: int) -> int:
    """
    a * b modulo the polynomial, in the reflected bit order of the CRC
    (zlib's C{multmodp}).
    """
    m = 1 << (width - 1)
    product = 0
    while a:
        if a & m:
            product ^= b
            a ^= m
        m >>= 1
        b = (b >> 1) ^ poly if b & 1 else b >> 1
    return product


def _shift(crc: int, length: int, poly: int, width: int) -> int:
    """
    C{crc} multiplied by x^(8 * length): the effect of C{length} more bytes
    on a CRC register, before the next data is added (zlib's C{x2nmodp}).
    """
    power = 1 << (width - 2)  # x^1
    factor = 1 << (width - 1)  # x^0
    n = 8 * length
    while n:
        if n & 1:
            factor = _mult_mod(power, factor, poly, width)
        power = _mult_mod(power, power, poly, width)
        n >>= 1
    return _mult_mod(factor, crc, poly, width)


def can_combine(algorithm: str) -> bool:
    """
    Whether a FULL_OBJECT checksum can be built from part checksums of
    C{algorithm} (the CRCs can; the SHAs cannot).
    """
    return algorithm.upper() in _CRC_POLYS


def full_object(algorithm: str, parts: Iterable[tuple[str, int]]) -> str:
    """
    The checksum of the concatenation of bodies, from each body's base64
    CRC and size, without reading a byte: crc(A+B) is crc(A) shifted past
    len(B) zero bytes, xor crc(B) (zlib's C{crc32_combine}).
    """
    poly, width = _CRC_POLYS[algorithm.upper()]
    crc = 0
    for value, size in parts:
        part = int.from_bytes(base64.b64decode(value), "big")
        crc = _shift(crc, size, poly, width) ^ part
    return base64.b64encode(crc.to_bytes(width // 8, "big")).decode("ascii")


def composite(algorithm: str, values: Iterable[str]) -> str:
    """
    S3's COMPOSITE checksum of a multipart object: the checksum of the
    concatenated binary part checksums, then "-" and the number of parts.
    """
    raw = [base64.b64decode(v) for v in values]
    return f"{checksum(algorithm, b''.join(raw))}-{len(raw)}"
