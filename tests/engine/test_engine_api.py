"""
The engine API as the object store uses it: buckets, streaming bodies,
records, versions, detached data, views, snapshots and reopening.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import replace

import pytest

from cartridge_d.engine import (
    NULL_VERSION,
    BucketNotEmpty,
    Cartridge,
    CartridgeLocked,
    Fuses,
    NoSuchBucket,
    NoSuchData,
    PreconditionFailed,
    PutObject,
    check,
)
from engine_helpers import body, make_bucket, put, record, store


def test_reopen_keeps_everything(cart_path: str) -> None:
    """
    Buckets, small and large objects and their fields survive close and reopen.
    """
    big = os.urandom(3 << 20)
    with Cartridge.open(cart_path, blocks=64) as c:
        make_bucket(c)
        put(c, "b", "small", b"hello")
        put(c, "b", "big", big, )
        rec = replace(record("b", "meta", store(c, b"x")), headers=(("Content-Type", "a/b"),),
                      meta=(("k", "v" * 2000),), checksums=(("CRC32", "AAAA"),), acl=b"acl",
                      sse=b"sse")
        c.put_object(rec)
    with Cartridge.open(cart_path, create=False) as c:
        assert body(c, "b", "small") == b"hello"
        assert body(c, "b", "big") == big
        with c.view() as v:
            got = v.get_object("b", "meta")
        assert got is not None
        assert (got.headers, got.meta, got.acl, got.sse) == (rec.headers, rec.meta, b"acl", b"sse")
        assert c.info().objects == 3 and c.info().buckets == 1
    assert check(cart_path, data=True).ok


def test_range_reads(cart: Cartridge) -> None:
    """
    Any range of a multi-chunk, multi-segment object reads back exactly.
    """
    make_bucket(cart)
    parts = [os.urandom(n) for n in (70_000, 1, 200_000, 5)]
    refs = [store(cart, p, piece=7777, hint=False) for p in parts]
    cart.put_object(record("b", "k", *refs))
    whole = b"".join(parts)
    with cart.view() as v:
        rec = v.get_object("b", "k")
        assert rec is not None
        for off, n in [(0, len(whole)), (65535, 3), (69_999, 2), (70_000, 1), (1, 270_004),
                       (len(whole) - 1, 10), (len(whole), 5)]:
            assert v.read(rec, off, n) == whole[off:off + n]


def test_large_keys_and_many_segments(cart: Cartridge) -> None:
    """
    A 1024-byte key and a record of 10,000 segments are stored and listed.
    """
    make_bucket(cart)
    key = "k" * 1024
    put(cart, "b", key, b"data")
    refs = [store(cart, b"%05d" % i) for i in range(10_000)]
    cart.put_object(record("b", "many", *refs))
    with cart.view() as v:
        assert [r.key for r in v.list_objects("b")] == [key, "many"]
        rec = v.get_object("b", "many")
        assert rec is not None and len(rec.segments) == 10_000
        assert v.read(rec, 5 * 9_998, 10) == b"0999809999"


def test_bucket_rules(cart: Cartridge) -> None:
    """
    Objects need their bucket; a bucket with objects cannot be deleted.
    """
    with pytest.raises(NoSuchBucket):
        put(cart, "nope", "k", b"v")
    make_bucket(cart)
    put(cart, "b", "k", b"v")
    with pytest.raises(BucketNotEmpty):
        cart.delete_bucket("b")
    cart.delete_object("b", "k")
    cart.delete_bucket("b")
    assert cart.list_buckets() == []


def test_versioning(cart_path: str) -> None:
    """
    With the versioning fuse and an Enabled bucket, every put keeps a new
    version, newest first; the null version is replaced in place of order.
    """
    with Cartridge.open(cart_path, fuses=Fuses(versioning=1)) as c:
        make_bucket(c, "plain")
        make_bucket(c, "v", versioning="Enabled")
        a = put(c, "v", "k", b"one")
        b = put(c, "v", "k", b"two")
        assert a.version_id != b.version_id != NULL_VERSION
        put(c, "plain", "k", b"x")
        assert put(c, "plain", "k", b"y").version_id == NULL_VERSION
        with c.view() as v:
            assert [r.version_id for r in v.list_objects("v", versions=True)] == \
                [b.version_id, a.version_id]
            assert [r.key for r in v.list_objects("plain", versions=True)] == ["k"]
            after = list(v.list_objects("v", versions=True, start_after="k",
                                        version_id_marker=b.version_id))
            assert [r.version_id for r in after] == [a.version_id]
        assert body(c, "v", "k", a.version_id) == b"one"
        assert body(c, "v", "k") == b"two"
        c.delete_object("v", "k", b.version_id)
        assert body(c, "v", "k") == b"one"
    assert check(cart_path, data=True).ok


def test_in_place_update(cart: Cartridge) -> None:
    """
    in_place replaces an existing version's record without a new version,
    and needs that version to exist.
    """
    make_bucket(cart)
    rec = put(cart, "b", "k", b"body")
    cart.put_object(replace(rec, acl=b"new acl"), in_place=True)
    assert body(cart, "b", "k") == b"body"
    with cart.view() as v:
        got = v.get_object("b", "k")
        assert got is not None and got.acl == b"new acl"
    with pytest.raises(PreconditionFailed):
        cart.put_object(replace(rec, key="other"), in_place=True)


def test_copy_shares_extents(cart_path: str) -> None:
    """
    A copy links the source's extents; deleting either leaves the other
    intact, and deleting both frees the blocks (the checker finds no leak).
    """
    data = os.urandom(300_000)
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        src = put(c, "b", "src", data)
        c.put_object(replace(src, key="copy"))
        c.delete_object("b", "src")
        assert body(c, "b", "copy") == data
        assert check(cart_path).ok
        c.delete_object("b", "copy")
        with pytest.raises(NoSuchData):
            c.put_object(replace(src, key="again"))
    report = check(cart_path)
    assert report.ok and report.counts["data_extents"] == 0


def test_detached_survive_restart(cart_path: str) -> None:
    """
    Detached bodies survive a restart, can then be attached to a record
    without copying, or released.
    """
    one, two = os.urandom(100_000), os.urandom(50_000)
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        r1, r2 = store(c, one), store(c, two)
        c.keep_detached(r1, b"upload-1")
        c.keep_detached(r2, b"upload-2")
    assert check(cart_path).ok
    with Cartridge.open(cart_path) as c:
        got = dict((tag, ref) for tag, ref in c.list_detached())
        assert got == {b"upload-1": r1, b"upload-2": r2}
        c.put_object(record("b", "k", r1))
        c.release_detached(r2)
        assert c.list_detached() == []
        assert body(c, "b", "k") == one
    report = check(cart_path, data=True)
    assert report.ok and report.counts["detached"] == 0


def test_aborted_and_unused_writers_leave_no_trace(cart_path: str) -> None:
    """
    Blocks of an aborted writer, or of a finished body never committed, are
    free again after a restart.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        w = c.writer()
        w.write(os.urandom(500_000))
        w.abort()
        store(c, os.urandom(200_000))
        put(c, "b", "k", b"v" * 10_000)
    report = check(cart_path)
    assert report.ok and report.counts["leaked_blocks"] == 0


def test_group_commit_many_threads(cart_path: str) -> None:
    """
    Sixteen threads committing at once all succeed and every object is there.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        errors = []

        def work(t: int) -> None:
            try:
                for i in range(20):
                    put(c, "b", "t%02d-%03d" % (t, i), b"%d/%d" % (t, i) * 1000)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
        threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        txns = c.info().txn
    with Cartridge.open(cart_path) as c:
        with c.view() as v:
            assert sum(1 for _ in v.list_objects("b")) == 320
        assert body(c, "b", "t07-013") == b"7/13" * 1000
    assert txns <= 322
    assert check(cart_path, data=True).ok


def test_commit_results_are_atomic(cart: Cartridge) -> None:
    """
    A commit whose second operation fails applies nothing.
    """
    make_bucket(cart)
    put(cart, "b", "exists", b"1")
    with pytest.raises(PreconditionFailed):
        cart.commit([PutObject(record("b", "new", store(cart, b"2"))),
                     PutObject(record("b", "exists", store(cart, b"3")), if_none_match=True)])
    assert body(cart, "b", "new") is None
    assert body(cart, "b", "exists") == b"1"


def test_second_process_is_refused(cart_path: str) -> None:
    """
    A cartridge open for writing cannot be opened again for writing.
    """
    with Cartridge.open(cart_path):
        with pytest.raises(CartridgeLocked):
            Cartridge.open(cart_path)


def test_etag_is_md5(cart: Cartridge) -> None:
    """
    The writer's MD5 is the MD5 of the bytes written, whatever the pieces.
    """
    data = os.urandom(3_000_001)
    ref = store(cart, data, piece=65_537, hint=False)
    assert ref.md5 == hashlib.md5(data).digest() and ref.size == len(data)


def test_too_long_names_refused_alone(cart: Cartridge) -> None:
    """
    A key longer than 1024 UTF-8 bytes is refused (ValueError) without
    harming the cartridge; 1024 bytes of multi-byte characters work.
    """
    make_bucket(cart)
    with pytest.raises(ValueError):
        put(cart, "b", "k" * 1025, b"v")
    key = "é" * 512
    put(cart, "b", key, b"ok")
    assert body(cart, "b", key) == b"ok"
    put(cart, "b", "after", b"still works")
    assert check(cart.path).ok


def test_closed_cartridge(cart_path: str) -> None:
    """
    After close, writers, views and commits raise Closed; close is idempotent.
    """
    from cartridge_d.engine import Closed
    c = Cartridge.open(cart_path)
    make_bucket(c)
    w = c.writer()
    v = c.view()
    c.close()
    c.close()
    with pytest.raises(Closed):
        w.write(b"late")
    with pytest.raises(Closed):
        v.get_bucket("b")
    with pytest.raises(Closed):
        c.view()
    with pytest.raises(Closed):
        make_bucket(c, "other")
