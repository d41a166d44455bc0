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
