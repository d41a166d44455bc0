"""
A page's frame is the bytes docs/format.md ("Pages") describes, whatever
way the encoder builds them (cartridge_d/engine/pages.py, L{frame}).
"""

from __future__ import annotations

import struct

import pytest
from crc32c import crc32c
from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.engine.errors import CorruptCartridge
from cartridge_d.engine.pages import frame, unframe


def _documented(pageno: int, ptype: int, level: int, count: int, birth: int,
                payload: bytes, block_size: int) -> bytes:
    """
    The page as the format table spells it out, field by field.
    """
    rest = (struct.pack("<BBHQ", ptype, level, count, birth) + payload
            + bytes(block_size - 16 - len(payload)))
    crc = crc32c(struct.pack("<Q", pageno) + rest)
    return struct.pack("<I", crc) + rest


@settings(max_examples=200, deadline=None)
@given(
    pageno=st.integers(0, 2**40),
    ptype=st.integers(1, 5),
    count=st.integers(0, 0xFFFF),
    birth=st.integers(0, 2**63),
    block_size=st.sampled_from([512, 4096, 65536]),
    data=st.data(),
)
def test_a_page_is_the_documented_bytes(pageno: int, ptype: int, count: int, birth: int,
                                        block_size: int, data: st.DataObject) -> None:
    """
    Any payload that fits frames to exactly the documented page (CRC over
    the page number and the rest, the fields, the payload, zeros), and
    the page reads back with its fields.
    """
    payload = data.draw(st.binary(max_size=block_size - 16))
    page = frame(pageno, ptype, 0, count, birth, payload, block_size)
    assert page == _documented(pageno, ptype, 0, count, birth, payload, block_size)
    assert unframe(pageno, page) == (ptype, 0, count, birth)


def test_a_page_read_at_another_number_fails_its_check() -> None:
    """
    The page number is in the checksum: the same bytes read as another
    page are refused.
    """
    page = frame(7, 1, 0, 3, 99, b"payload", 4096)
    with pytest.raises(CorruptCartridge):
        unframe(8, page)


def test_a_payload_too_large_is_refused() -> None:
    """
    A payload longer than the page leaves room for is refused, not cut.
    """
    with pytest.raises(ValueError):
        frame(1, 1, 0, 0, 1, bytes(4096 - 15), 4096)
