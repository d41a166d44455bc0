"""
CRC-64/NVME in pure Python (the checksum aws-cli v2 sends by default).

Parameters: polynomial 0xAD93D23594C93659 (reflected 0x9A6C9329AC4BC9B5), input and
output reflected, init and xorout all ones; the check value for C{b"123456789"} is
0xAE8B14860A799888.

Speed: the message is read as little-endian 64-bit words and each word is folded
in with four lookups into 16-bit "slicing" tables (4 x 65536 entries, held in
C{array('Q')}: 2 MiB, built on first use in about 60 ms). That costs roughly
100-140 ms of CPU per MiB on a 2020s x86 core, about twice as fast as the
byte-at-a-time table and still some 200 times slower than C. Callers that verify
large bodies with it should do so off the reactor thread.

test-case-name: tests.auth.test_auth_checksums, tests.multipart.test_multipart_parts
"""

from __future__ import annotations

import sys
from array import array

__all__ = ["crc64nvme_update", "INIT", "XOROUT"]

_POLY_REFLECTED = 0x9A6C9329AC4BC9B5
INIT = 0xFFFFFFFFFFFFFFFF
XOROUT = 0xFFFFFFFFFFFFFFFF


def _byte_table() -> list[int]:
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ (_POLY_REFLECTED if c & 1 else 0)
        table.append(c)
    return table


_T8 = _byte_table()
_SLICES: list["array[int]"] = []


def _slices() -> list["array[int]"]:
    """Build (once) the four 16-bit tables; entry j folds bits 16j..16j+15 of a word."""
    if not _SLICES:
        # by_byte[k][b]: the CRC contribution of byte b followed by k zero bytes.
        by_byte = [_T8]
        for _ in range(7):
            prev = by_byte[-1]
            by_byte.append([(v >> 8) ^ _T8[v & 0xFF] for v in prev])
        tables = []
        for j in range(4):
            low, high = by_byte[7 - 2 * j], by_byte[6 - 2 * j]
            tables.append(array("Q", [low[w & 0xFF] ^ high[w >> 8] for w in range(65536)]))
        _SLICES.extend(tables)
    return _SLICES


def crc64nvme_update(crc: int, data: bytes | bytearray | memoryview) -> int:
    """
    Fold C{data} into the running (not yet finalised) register C{crc}.

    Start from L{INIT}; the final value is C{crc ^ XOROUT}.
    """
    view = memoryview(data).cast("B")
    n = len(view) & ~7
    t8 = _T8
    if n >= 64:
        v0, v1, v2, v3 = _slices()
        words = view[:n].cast("Q")
        if sys.byteorder == "big":  # pragma: no cover - no big-endian CI
            words = array("Q", words)  # type: ignore[assignment]
            words.byteswap()  # type: ignore[attr-defined]
        for w in words:
            x = crc ^ w
            crc = v0[x & 0xFFFF] ^ v1[(x >> 16) & 0xFFFF] ^ v2[(x >> 32) & 0xFFFF] ^ v3[x >> 48]
        view = view[n:]
    for b in view:
        crc = t8[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc
