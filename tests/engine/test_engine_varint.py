"""
The bytes of binary.varint: plain unsigned LEB128 for every value, on both
sides of each length boundary. Records and journal frames hold these bytes,
so the shortcut for two- to four-byte values must write exactly what the
general loop writes (docs/format.md).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartridge_d.engine.binary import Reader, varint


def leb128(n: int) -> bytes:
    """
    The reference encoding: seven bits a byte, low first, high bit set on
    every byte but the last.
    """
    out = []
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


BOUNDARIES = [v for k in range(1, 10) for v in (2 ** (7 * k) - 1, 2 ** (7 * k))]


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 16383, 16384, 5 * 2**20, *BOUNDARIES])
def test_varint_matches_leb128_at_each_length_boundary(n: int) -> None:
    """
    The last value of each length and the first of the next encode as LEB128
    and in the expected number of bytes.
    """
    assert varint(n) == leb128(n)
    assert len(varint(n)) == max(1, -(-n.bit_length() // 7))


@given(st.integers(0, 2**64 - 1))
def test_varint_matches_leb128_and_reads_back(n: int) -> None:
    """
    Any 64-bit value encodes as LEB128 and the reader gives it back.
    """
    data = varint(n)
    assert data == leb128(n)
    inp = Reader(data, ValueError)
    assert inp.uint() == n
    inp.end()


def test_varint_refuses_a_negative_value() -> None:
    """
    A negative number cannot be written.
    """
    with pytest.raises(ValueError):
        varint(-1)
