"""
Completing from detached parts: each part's reference must match its
detached entry in size, MD5 and extents (L{codec.detached_birth}), and a
mismatch anywhere refuses the whole record with nothing changed.

test-case-name: tests.engine.test_engine_complete_check
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Callable

import pytest

from cartridge_d.engine import Cartridge, DataRef, Extent, NoSuchData, check
from cartridge_d.engine.codec import detached_birth, encode_detached

from engine_helpers import body, make_bucket, record, store


def _kept(c: Cartridge, n: int, size: int) -> tuple[list[bytes], list[DataRef]]:
    parts = [os.urandom(size + i) for i in range(n)]
    refs = [store(c, p) for p in parts]
    for ref in refs:
        c.keep_detached(ref, b"upload")
    return parts, refs


def _refused_then_completed(cart_path: str, n: int, size: int, spoil: int,
                            change: Callable[[DataRef], DataRef]) -> None:
    """
    Keep C{n} parts detached; a record whose part C{spoil} is C{change}d
    is refused with NoSuchData and every part stays detached; the correct
    record then takes them all, and a check that reads every byte is clean.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        parts, refs = _kept(c, n, size)
        bad = list(refs)
        bad[spoil] = change(bad[spoil])
        with pytest.raises(NoSuchData):
            c.put_object(record("b", "k", *bad))
        assert len(c.list_detached()) == n
        assert body(c, "b", "k") is None
        c.put_object(record("b", "k", *refs))
        assert c.list_detached() == []
        assert body(c, "b", "k") == b"".join(parts)
    report = check(cart_path, data=True)
    assert report.ok and report.counts["detached"] == 0, report


def test_complete_of_many_parts_is_all_or_nothing(cart_path: str) -> None:
    """
    Attaching 64 detached parts to one record takes all of them; when one
    part's extents do not match its detached entry, the record is refused
    with NoSuchData and every part stays detached, ready for a correct retry.
    """
    def longer(ref: DataRef) -> DataRef:
        first = ref.extents[0]
        return replace(ref, extents=(replace(first, count=first.count + 1),))
    _refused_then_completed(cart_path, 64, 5_000, 40, longer)


def test_part_with_another_md5_is_refused(cart_path: str) -> None:
    """
    A part whose extents match its detached entry but whose MD5 does not
    is not attached: the record is refused, nothing changes, and the
    correct references then complete.
    """
    _refused_then_completed(cart_path, 8, 70_000, 5, lambda r: replace(r, md5=bytes(16)))


def test_part_with_another_size_is_refused(cart_path: str) -> None:
    """
    Likewise for a part one byte shorter than its detached entry says.
    """
    _refused_then_completed(cart_path, 8, 70_000, 5, lambda r: replace(r, size=r.size - 1))


def test_detached_birth_reads_the_birth_of_a_matching_entry() -> None:
    """
    The check gives the entry's birth txn for the reference it was written
    with, whatever the owner tag's length and however many extents, and
    None for a reference that differs in any extent, the MD5 or the size.
    """
    ref = DataRef(size=300_000, md5=bytes(range(16)),
                  extents=(Extent(200, 40), Extent(9_000_000, 34)),
                  chunk_size=65536, crcs=(1, 2, 3, 4, 5))
    for tag in (b"", b"t", b"mpu/" + b"x" * 300):
        for birth in (1, 127, 128, 1 << 40):
            data = encode_detached(birth, tag, ref)
            assert detached_birth(data, ref) == birth
            assert detached_birth(data, replace(ref, md5=bytes(16))) is None
            assert detached_birth(data, replace(ref, size=299_999)) is None
            assert detached_birth(data, replace(ref, extents=ref.extents[:1])) is None
            assert detached_birth(
                data, replace(ref, extents=(Extent(200, 40), Extent(9_000_000, 35)))) is None
