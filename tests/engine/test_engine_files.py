"""
Files that are not ours, other versions, and damage: refused or detected,
never modified, never read as wrong bytes.
"""

from __future__ import annotations

import hashlib
import os
import random
import struct

import pytest
from crc32c import crc32c

from cartridge_d.engine import (
    Cartridge,
    ChecksumMismatch,
    CorruptCartridge,
    NotACartridge,
    UnsupportedVersion,
    check,
)
from cartridge_d.engine.header import decode_header
from cartridge_d.engine.pages import page_checksum
from engine_helpers import body, make_bucket, put


def fingerprint(path: str) -> tuple[str, int]:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns


def rust_file(path: str, major: int, minor: int) -> None:
    """
    A file laid out like the Rust original's header with the given version.
    """
    head = b"CART\0\x01\0\0" + struct.pack("<HHIQQQ", major, minor, 4096, 6, 3, 1) + b"\0\0\0"
    with open(path, "wb") as f:
        f.write(head.ljust(4096, b"\0") + b"{\"catalog\": {}}".ljust(4096 * 5, b"\0"))


@pytest.mark.parametrize("version,error", [((1, 0), UnsupportedVersion),
                                           ((2, 0), UnsupportedVersion),
                                           ((3, 0), UnsupportedVersion),
                                           ((2, 3), UnsupportedVersion)])
def test_other_versions_refused_unmodified(cart_path: str, version: tuple[int, int],
                                           error: type) -> None:
    """
    Version 1.0 (the Rust original), 2.0 (before prefix-compressed leaves)
    and newer versions are refused, by open and by the checker, and the
    file is not changed.
    """
    rust_file(cart_path, *version)
    before = fingerprint(cart_path)
    with pytest.raises(error, match="%d.%d" % version):
        Cartridge.open(cart_path)
    with pytest.raises(error):
        check(cart_path)
    assert fingerprint(cart_path) == before


def test_version_2_0_cartridge_refused_as_older(cart_path: str) -> None:
    """
    A complete cartridge whose valid header slots say 2.0 (the layout before
    prefix-compressed leaves) is refused as older, naming both versions,
    by open and by the checker, and is not changed.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        put(c, "b", "k", b"body")
    with open(cart_path, "r+b") as f:
        for slot in (0, 1):
            f.seek(slot * 4096)
            raw = bytearray(f.read(256))
            struct.pack_into("<H", raw, 10, 0)
            struct.pack_into("<I", raw, 252, crc32c(bytes(raw[:252])))
            f.seek(slot * 4096)
            f.write(raw)
    before = fingerprint(cart_path)
    with pytest.raises(UnsupportedVersion, match="2.0 is older than the 2.1"):
        Cartridge.open(cart_path)
    with pytest.raises(UnsupportedVersion):
        check(cart_path)
    assert fingerprint(cart_path) == before


@pytest.mark.parametrize("content", [b"hello world\n" * 1000, b"\0" * 8192, b"CART"])
def test_not_a_cartridge_refused_unmodified(cart_path: str, content: bytes) -> None:
    """
    A file without the magic is NotACartridge and stays as it was.
    """
    with open(cart_path, "wb") as f:
        f.write(content)
    before = fingerprint(cart_path)
    with pytest.raises(NotACartridge):
        Cartridge.open(cart_path)
    assert fingerprint(cart_path) == before


def test_missing_file_without_create(cart_path: str) -> None:
    """
    create=False does not make a file.
    """
    with pytest.raises(FileNotFoundError):
        Cartridge.open(cart_path, create=False)
    assert not os.path.exists(cart_path)


def test_open_does_not_modify(cart_path: str) -> None:
    """
    Opening, reading and closing a cartridge leaves the file byte for byte.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        put(c, "b", "k", b"v" * 5000)
    before = fingerprint(cart_path)
    with Cartridge.open(cart_path) as c:
        assert body(c, "b", "k") == b"v" * 5000
    assert fingerprint(cart_path) == before


def flip(path: str, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def current_header(path: str) -> tuple[int, object]:
    with open(path, "rb") as f:
        slots = [decode_header(f.read(4096)), decode_header(f.read(4096))]
    n = max((i for i in (0, 1) if slots[i] is not None), key=lambda i: slots[i].txn)  # type: ignore[union-attr]
    return n, slots[n]


def test_flipped_data_byte_detected(cart_path: str) -> None:
    """
    A flipped byte in a data chunk makes reads of that chunk fail with
    ChecksumMismatch (other chunks still read) and check(data=True) report it.
    """
    data = os.urandom(300_000)
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        rec = put(c, "b", "k", data)
    start = rec.segments[0].extents[0].start
    flip(cart_path, start * 4096 + 70_000)
    with Cartridge.open(cart_path) as c:
        with c.view() as v:
            got = v.get_object("b", "k")
            assert got is not None
            with pytest.raises(ChecksumMismatch):
                v.read(got, 0, got.size)
            with pytest.raises(ChecksumMismatch):
                v.read(got, 69_000, 10)
            assert v.read(got, 0, 1000) == data[:1000]
            assert v.read(got, 200_000, 1000) == data[200_000:201_000]
    assert check(cart_path).ok
    report = check(cart_path, data=True)
    assert not report.ok and "CRC32C" in str(report)


def test_flipped_catalog_byte_detected(cart_path: str) -> None:
    """
    A flipped byte in a catalog page is a CorruptCartridge on read and an
    error finding in the checker, which does not crash.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        for i in range(50):
            put(c, "b", "key%03d" % i, b"x" * 100)
    _, h = current_header(cart_path)
    flip(cart_path, h.catalog_root * 4096 + 100)  # type: ignore[attr-defined]
    with Cartridge.open(cart_path) as c:
        with pytest.raises(CorruptCartridge):
            body(c, "b", "key010")
    report = check(cart_path, data=True)
    assert not report.ok and "checksum" in str(report)


def test_bad_prefix_in_leaf_detected(cart_path: str) -> None:
    """
    A leaf whose checksum is right but whose second entry claims more
    shared key bytes than the first entry's key has (what a bug in the
    encoder could write) is an error finding in the checker and a
    CorruptCartridge when read, never a made-up key.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        for i in range(3):
            put(c, "b", "key%03d" % i, b"x" * 10)
    _, h = current_header(cart_path)
    page = h.catalog_root  # type: ignore[attr-defined]
    with open(cart_path, "r+b") as f:
        f.seek(page * 4096)
        raw = bytearray(f.read(4096))
        assert raw[4] == 1, "the root of so small a catalog is a leaf"
        first = 16
        p = first + 2 + raw[first + 1]  # past the first entry's key part
        p += raw[p]  # past its value (length + 1 in one byte)
        raw[p] = 0x7F
        struct.pack_into("<I", raw, 0, page_checksum(page, raw))
        f.seek(page * 4096)
        f.write(raw)
    report = check(cart_path)
    assert not report.ok and "shares more" in str(report)
    with Cartridge.open(cart_path) as c:
        with pytest.raises(CorruptCartridge):
            with c.view() as v:
                list(v.list_objects("b"))


def test_damaged_newest_header_falls_back(cart_path: str) -> None:
    """
    If the newest header slot is damaged (a torn header write), the cartridge
    opens at the commit before; if both are damaged, it is refused.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        put(c, "b", "first", b"1")
        put(c, "b", "second", b"2")
    n, _ = current_header(cart_path)
    flip(cart_path, n * 4096 + 60)
    with Cartridge.open(cart_path) as c:
        assert body(c, "b", "first") == b"1"
        assert body(c, "b", "second") is None
    flip(cart_path, (1 - n) * 4096 + 60)
    with pytest.raises(CorruptCartridge):
        Cartridge.open(cart_path)
    assert not check(cart_path).ok


def test_truncated_file_refused(cart_path: str) -> None:
    """
    A file shorter than its header says is refused, and the checker says so.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
    with open(cart_path, "r+b") as f:
        f.truncate(4096 * 4)
    with pytest.raises(CorruptCartridge):
        Cartridge.open(cart_path)
    assert not check(cart_path).ok


@pytest.mark.parametrize("seed", range(10))
def test_random_damage_never_returns_wrong_bytes(cart_path: str, seed: int) -> None:
    """
    Bytes flipped anywhere after the header slots: the checker reports
    without crashing, and every read returns the stored bytes or raises an
    engine error; a clean report means every object reads back.
    """
    rng = random.Random(seed)
    expected: dict[str, bytes] = {}
    with Cartridge.open(cart_path, blocks=64) as c:
        make_bucket(c)
        for i in range(40):
            data = rng.randbytes(rng.choice([5, 900, 5000, 150_000]))
            put(c, "b", "k%02d" % i, data)
            expected["k%02d" % i] = data
        c.snapshot_create("s")
        for i in range(0, 40, 3):
            data = rng.randbytes(3000)
            put(c, "b", "k%02d" % i, data)
            expected["k%02d" % i] = data
        total = c.info().total_blocks
    used = [b for b in range(2, total)]
    for _ in range(5):
        flip(cart_path, rng.choice(used[:400]) * 4096 + rng.randrange(4096))
    report = check(cart_path, data=True)
    try:
        c = Cartridge.open(cart_path)
    except CorruptCartridge:
        assert not report.ok
        return
    with c:
        failures = 0
        for key, data in expected.items():
            try:
                got = body(c, "b", key)
            except (CorruptCartridge, ChecksumMismatch):
                failures += 1
                continue
            assert got == data, key
    if report.ok:
        assert failures == 0
