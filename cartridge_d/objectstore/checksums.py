"""
Running checksums of PUT bodies for the x-amz-checksum-* algorithms.

The session feeds every chunk to a L{BodyChecksums} in the pool thread as
it is written; at finish the values are compared with what the client
sent (header or aws-chunked trailer). Values are base64 of the big-endian
digest, as S3 writes them.

test-case-name: tests.objectstore.test_objects
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable
from typing import Protocol

import crc32c as _crc32c

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


def _crc64_table() -> list[int]:
    poly = 0x9A6C9329AC4BC9B5  # 0xAD93D23594C93659 reflected
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC64_TABLE = _crc64_table()
_MASK64 = (1 << 64) - 1


class _Running(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    """
    A CRC with the hashlib update/digest shape.
    """

    def __init__(self, width: int, step: str) -> None:
        self._width = width
        self._step = step
        self._value = 0 if step != "crc64nvme" else _MASK64

    def update(self, data: bytes) -> None:
        if self._step == "crc32":
            self._value = zlib.crc32(data, self._value)
        elif self._step == "crc32c":
            self._value = _crc32c.crc32c(data, self._value)
        else:
            crc, table = self._value, _CRC64_TABLE
            for byte in data:
                crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
            self._value = crc

    def digest(self) -> bytes:
        value = self._value ^ _MASK64 if self._step == "crc64nvme" else self._value
        return value.to_bytes(self._width, "big")


def _new(algorithm: str) -> _Running:
    if algorithm == "CRC32":
        return _Crc(4, "crc32")
    if algorithm == "CRC32C":
        return _Crc(4, "crc32c")
    if algorithm == "CRC64NVME":
        return _Crc(8, "crc64nvme")
    return hashlib.new(algorithm.lower())


class BodyChecksums:
    """
    The running checksums of one body, for the algorithms asked for
    (unknown names are ignored).
    """

    def __init__(self, algorithms: Iterable[str]) -> None:
        wanted = {a.upper() for a in algorithms} & set(ALGORITHMS)
        self._running = {a: _new(a) for a in sorted(wanted)}

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
        return {a: base64.b64encode(r.digest()).decode("ascii") for a, r in self._running.items()}


def checksum(algorithm: str, data: bytes) -> str:
    """
    The base64 checksum of C{data} (for tests and small bodies).
    """
    body = BodyChecksums([algorithm])
    body.update(data)
    return body.values()[algorithm.upper()]


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
