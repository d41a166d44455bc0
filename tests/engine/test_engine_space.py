"""
Space: growth up to a maximum, full, vacuum, snapshots and reader pins.
"""

from __future__ import annotations

import os

import pytest

from cartridge_d.engine import Cartridge, CartridgeFull, check
from engine_helpers import body, make_bucket, put, store


def test_full_is_clean(cart_path: str) -> None:
    """
    A body that does not fit raises CartridgeFull; everything committed
    before stays intact, the checker is clean, and smaller writes still work.
    """
    with Cartridge.open(cart_path, blocks=64, max_size=2 << 20) as c:
        make_bucket(c)
        small = os.urandom(500_000)
        put(c, "b", "small", small)
        w = c.writer()
        with pytest.raises(CartridgeFull):
            for _ in range(40):
                w.write(os.urandom(100_000))
        w.abort()
        put(c, "b", "after", b"z" * 10_000)
        assert body(c, "b", "small") == small
        assert os.path.getsize(cart_path) <= 2 << 20
    report = check(cart_path, data=True)
    assert report.ok, str(report)


def test_growth_in_large_steps(cart_path: str) -> None:
    """
    The file starts at the given size and grows in large steps, not per block.
    """
    with Cartridge.open(cart_path, blocks=16) as c:
        assert os.path.getsize(cart_path) == 16 * 4096
        make_bucket(c)
        put(c, "b", "k", os.urandom(100_000))
        grown = os.path.getsize(cart_path)
        assert grown >= 8 << 20
        for i in range(20):
            put(c, "b", "k%d" % i, os.urandom(100_000))
        assert os.path.getsize(cart_path) == grown


def test_vacuum_gives_tail_back(cart_path: str) -> None:
    """
    After deleting a large object at the end, vacuum shrinks the file; the
    cartridge stays consistent and readable.
    """
    with Cartridge.open(cart_path, blocks=64) as c:
        make_bucket(c)
        put(c, "b", "keep", b"k" * 50_000)
        put(c, "b", "big", os.urandom(20 << 20))
        c.delete_object("b", "big")
        before = os.path.getsize(cart_path)
        released = c.vacuum()
        assert released >= 4 << 20
        assert os.path.getsize(cart_path) == before - released
        put(c, "b", "more", b"m" * 50_000)
    assert check(cart_path, data=True).ok
    with Cartridge.open(cart_path) as c:
        assert body(c, "b", "keep") == b"k" * 50_000


def test_snapshots(cart_path: str, tmp_path: "os.PathLike[str]") -> None:
    """
    A snapshot keeps showing the state it pinned across overwrites, deletes
    and reopening; it can be exported; deleting it frees what it pinned.
    """
    old = os.urandom(400_000)
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        put(c, "b", "k", old)
        put(c, "b", "gone", b"g")
        info = c.snapshot_create("before")
        assert info.objects == 2
        put(c, "b", "k", b"new")
        c.delete_object("b", "gone")
        put(c, "b", "later", b"l")
    assert check(cart_path, data=True).ok
    exported = os.path.join(str(tmp_path), "export.cart")
    with Cartridge.open(cart_path) as c:
        assert [s.name for s in c.snapshot_list()] == ["before"]
        with c.snapshot_view("before") as v:
            assert [r.key for r in v.list_objects("b")] == ["gone", "k"]
            rec = v.get_object("b", "k")
            assert rec is not None and v.read(rec, 0, rec.size) == old
        c.snapshot_export("before", exported)
        c.snapshot_delete("before")
        put(c, "b", "x", b"x")
        assert c.snapshot_list() == []
        assert body(c, "b", "k") == b"new"
    report = check(cart_path, data=True)
    assert report.ok and report.counts["pinned_blocks"] == 0
    with Cartridge.open(exported) as e:
        assert body(e, "b", "k") == old
        assert body(e, "b", "later") is None
    assert check(exported, data=True).ok


def test_view_pins_blocks(cart: Cartridge) -> None:
    """
    Blocks an open view can read are not reused by later writes, however
    many; after the view closes they are.
    """
    make_bucket(cart)
    old = os.urandom(200_000)
    put(cart, "b", "k", old)
    with cart.view() as v:
        rec = v.get_object("b", "k")
        cart.delete_object("b", "k")
        for i in range(30):
            put(cart, "b", "n%d" % i, os.urandom(200_000))
        assert rec is not None and v.read(rec, 0, rec.size) == old
    size = os.path.getsize(cart.path)
    for i in range(30):
        cart.delete_object("b", "n%d" % i)
    for i in range(30):
        put(cart, "b", "m%d" % i, os.urandom(200_000))
    assert os.path.getsize(cart.path) == size


def test_writer_memory_is_bounded(cart: Cartridge) -> None:
    """
    A writer holds at most about one flush unit, however much is written.
    """
    w = cart.writer()
    for _ in range(64):
        w.write(b"\x07" * 100_000)
        assert w._held < 2 << 20
    ref = w.finish()
    assert ref.size == 6_400_000
    assert len(ref.extents) < 10
    w2 = store(cart, b"a" * 10)
    assert w2.inline == b"a" * 10


def test_fragmented_free_space_stays_cheap(cart_path: str) -> None:
    """
    After deleting every other object, commits write only their changes to
    the free list (a chain of deltas, compacted now and then); reopening
    replays it to the same free space and the checker agrees.
    """
    from cartridge_d.engine import DeleteObject, PutObject
    from engine_helpers import record
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        refs = [store(c, b"%06d" % i * 700) for i in range(3000)]
        c.commit([PutObject(record("b", "k%05d" % i, r)) for i, r in enumerate(refs)])
        c.commit([DeleteObject("b", "k%05d" % i) for i in range(0, 3000, 2)])
        for i in range(40):
            put(c, "b", "new%02d" % i, b"n" * 5000)
            report = check(cart_path)
            assert report.ok, str(report)
            assert report.counts["free_list_runs"] <= 32
        free = c.info().free_blocks
    with Cartridge.open(cart_path) as c:
        assert c.info().free_blocks == free
        assert body(c, "b", "k00001") == b"000001" * 700
        assert body(c, "b", "k00000") is None
    assert check(cart_path, data=True).ok


def test_growth_at_every_point_of_a_commit(tmp_path: "os.PathLike[str]") -> None:
    """
    Whichever allocation of a commit (writer blocks, tree pages, the free
    list itself) has to grow the file, the commit records the growth: the
    cartridge reopens with the same free space and checks clean.
    """
    from cartridge_d.engine import PutObject
    from engine_helpers import record
    for n in range(40, 64):
        path = os.path.join(str(tmp_path), "g%d.cart" % n)
        with Cartridge.open(path, blocks=64) as c:
            make_bucket(c)
            refs = [store(c, b"%04d" % i * 1024) for i in range(n)]
            c.commit([PutObject(record("b", "k%03d" % i, r)) for i, r in enumerate(refs)])
            free = c.info().free_blocks
        report = check(path, data=True)
        assert report.ok, str(report)
        with Cartridge.open(path) as c:
            assert c.info().free_blocks == free
            assert body(c, "b", "k%03d" % (n - 1)) == b"%04d" % (n - 1) * 1024


def test_vacuum_racing_growth(cart_path: str) -> None:
    """
    A writer that grows the file while a vacuum is between giving the tail
    back and committing (simulated by shrinking without committing), and a
    vacuum right after growth: both are recorded correctly, so the
    cartridge reopens with the same free space and checks clean.
    """
    from engine_helpers import record
    with Cartridge.open(cart_path, blocks=64) as c:
        make_bucket(c)
        put(c, "b", "big", os.urandom(5 << 20))
        c.delete_object("b", "big")
        c._recycle()
        c._alloc.shrink_tail()  # a vacuum, before its commit
        w = c.writer()
        w.write(os.urandom(40 << 20))  # grows the file into the removed tail and beyond
        w.abort()
        c._alloc.shrink_tail()  # and a vacuum after growth
        c.put_object(record("b", "after", store(c, os.urandom(3 << 20))))
        free = c.info().free_blocks
    report = check(cart_path, data=True)
    assert report.ok, str(report)
    with Cartridge.open(cart_path) as c:
        assert c.info().free_blocks == free


def _fragment(c: Cartridge, n: int, repeat: int, step: int) -> None:
    """
    Put C{n} objects "d%05d" of 7 * C{repeat} bytes into bucket "b", then
    delete every C{step}-th: free space in many small runs.
    """
    from cartridge_d.engine import DeleteObject, PutObject
    from engine_helpers import record
    make_bucket(c)
    refs = [store(c, b"%07d" % i * repeat) for i in range(n)]
    c.commit([PutObject(record("b", "d%05d" % i, r)) for i, r in enumerate(refs)])
    c.commit([DeleteObject("b", "d%05d" % i) for i in range(0, n, step)])
    c.commit([])


def test_commit_pages_reuse_scattered_free_blocks(cart_path: str) -> None:
    """
    A commit needing more pages than any one free run holds takes them
    from many runs instead of growing the file (issue 3's benchmark: the
    file grew to 30x its payload while most of it was free but scattered).
    """
    from cartridge_d.engine import PutObject
    from engine_helpers import record
    with Cartridge.open(cart_path, blocks=16) as c:
        _fragment(c, 3600, 1170, 2)
        size = os.path.getsize(cart_path)
        free = c.info().free_blocks
        assert free > 2000
        c.commit([PutObject(record("b", "s%06d" % i, store(c, b"%06d" % i)))
                  for i in range(20_000)])
        assert os.path.getsize(cart_path) == size
        assert body(c, "b", "d00001") == b"0000001" * 1170
    assert check(cart_path, data=True).ok


def test_small_commit_is_one_write(cart_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    A commit of a few puts, on a cartridge whose free space is fragmented,
    writes all its pages (tree nodes and free list run) with one pwrite, so
    a group-commit leader releases the GIL once for them instead of once per
    scattered page; the file does not grow for it and stays consistent.
    """
    from cartridge_d.engine import PutObject
    from cartridge_d.engine.blockfile import OsFile
    from engine_helpers import record
    with Cartridge.open(cart_path, blocks=16) as c:
        _fragment(c, 2000, 600, 3)
        size = os.path.getsize(cart_path)
        calls: list[int] = []
        real = OsFile.pwrite

        def counting(self: OsFile, data: bytes, offset: int) -> None:
            calls.append(offset)
            real(self, data, offset)

        for n in range(5):
            bodies = [store(c, b"new%d-%d" % (n, i)) for i in range(10)]
            monkeypatch.setattr(OsFile, "pwrite", counting)
            c.commit([PutObject(record("b", "d%05dx" % (i * 199 + n), r))
                      for i, r in enumerate(bodies)])
            monkeypatch.setattr(OsFile, "pwrite", real)
            assert len(calls) == 1
            calls.clear()
        assert os.path.getsize(cart_path) == size
        assert body(c, "b", "d00001") == b"0000001" * 600
    assert check(cart_path, data=True).ok
