"""
The lookup of one object's latest record (a descent to one leaf and the
process's cache of decoded records, engine/view.py) answers exactly what
a scan of the catalog answers, however the keys fall across leaves and
whatever was put or deleted since the record was last decoded.
"""

from __future__ import annotations

import os
from dataclasses import replace

from cartridge_d.engine import NULL_VERSION, Cartridge, Fuses, PutObject
from cartridge_d.engine.types import DeleteObject, ObjectRecord
from cartridge_d.engine.view import RECORDS, RecordCache
from engine_helpers import body, make_bucket, put, record, store


def _latest_by_scan(cart: Cartridge, bucket: str) -> dict[str, ObjectRecord]:
    """
    Each key's newest version (delete markers included), read by a
    listing of every version: the generic scan.
    """
    out: dict[str, ObjectRecord] = {}
    with cart.view() as v:
        for rec in v.list_objects(bucket, versions=True):
            out.setdefault(rec.key, rec)
    return out


def test_lookup_matches_scan_across_leaves(cart_path: str) -> None:
    """
    In a catalog of many leaves, with several versions per key and delete
    markers, every key's latest record is the one a full listing finds
    first, and names just before, between and after the keys (which fall
    at the ends of leaves) find nothing.
    """
    with Cartridge.open(cart_path, blocks=4096, fuses=Fuses(versioning=1)) as c:
        make_bucket(c, "v", versioning="Enabled")
        make_bucket(c, "w")
        ref = store(c, b"data")
        names = ["k%05d" % i for i in range(0, 3000, 3)]
        c.commit([PutObject(record("v", n, ref)) for n in names])
        c.commit([PutObject(record("v", n, ref, meta=(("m", "2"),))) for n in names[::2]])
        c.commit([PutObject(record("w", n, ref)) for n in names[:50]])
        for n in names[::7]:
            c.delete_object("v", n)
        want = _latest_by_scan(c, "v")
        assert len(want) == len(names)
        with c.view() as v:
            for n in names:
                got = v.get_object("v", n)
                assert got == want[n]
            for i in range(-1, 3001, 3):
                for probe in ("k%05d" % (i + 1), "k%05d" % (i + 2), "k%05d~" % i):
                    if probe not in want:
                        assert v.get_object("v", probe) is None
            assert v.get_object("v", "") is None
            assert v.get_object("v", "zzz") is None
            assert v.get_object("nobucket", names[0]) is None
            assert v.get_object("w", names[60]) is None


def test_overwrite_and_delete_seen_after_cached_read(cart: Cartridge) -> None:
    """
    A record read (and so cached) is not answered again once the key is
    overwritten or deleted: the next read sees the new record, or none.
    """
    make_bucket(cart)
    put(cart, "b", "k", b"first")
    with cart.view() as v:
        first = v.get_object("b", "k")
        assert v.get_object("b", "k") is first
    put(cart, "b", "k", b"second, longer")
    with cart.view() as v:
        second = v.get_object("b", "k")
    assert second is not None and second.size == len(b"second, longer")
    assert body(cart, "b", "k") == b"second, longer"
    cart.delete_object("b", "k")
    with cart.view() as v:
        assert v.get_object("b", "k") is None


def test_older_view_keeps_its_own_record(cart: Cartridge) -> None:
    """
    A view opened before an overwrite still answers the record of its
    state, even after a newer view read (and cached) the new one.
    """
    make_bucket(cart)
    put(cart, "b", "k", b"old")
    with cart.view() as old:
        put(cart, "b", "k", b"newer")
        with cart.view() as new:
            assert new.get_object("b", "k").size == 5  # type: ignore[union-attr]
        rec = old.get_object("b", "k")
        assert rec is not None and rec.size == 3
        assert old.read(rec, 0, 10) == b"old"


def test_versioned_lookups_unchanged(cart_path: str) -> None:
    """
    With versions, no version id gives the newest (a delete marker too),
    a named version gives that one, "null" the null version.
    """
    with Cartridge.open(cart_path, fuses=Fuses(versioning=1)) as c:
        make_bucket(c, "v", versioning="Suspended")
        null = put(c, "v", "k", b"null one")
        assert null.version_id == NULL_VERSION
        bucket = c.get_bucket("v")
        assert bucket is not None
        c.put_bucket(replace(bucket, versioning="Enabled"), replace=True)
        a = put(c, "v", "k", b"a")
        with c.view() as v:
            assert v.get_object("v", "k") == a
            assert v.get_object("v", "k", NULL_VERSION) == null
        c.put_object(record("v", "k", delete_marker=True))
        with c.view() as v:
            latest = v.get_object("v", "k")
            assert latest is not None and latest.delete_marker
            assert v.get_object("v", "k", a.version_id) == a
            assert v.get_object("v", "k", NULL_VERSION) == null


def test_cache_is_bounded_and_forgets() -> None:
    """
    The cache never holds more than its bound, keeps the keys it already
    holds when full (a miss beyond the bound is answered, not kept),
    answers the record of the exact value object it is given (an
    overwritten key's new value replaces its entry), and forgets a key on
    request.
    """
    from cartridge_d.engine.codec import encode_object

    cache = RecordCache(limit=4)
    values = {}
    first = {}
    for i in range(10):
        rec = ObjectRecord(bucket="b", key="k%d" % i, size=0, etag="e%d" % i, mtime_ns=i)
        values[i] = encode_object(rec)
        first[i] = cache.decoded("b", "k%d" % i, values[i], bytes)
        assert first[i].etag == "e%d" % i
        assert len(cache) <= 4
    assert cache.decoded("b", "k0", values[0], bytes) is first[0]
    assert ("b", "k9") not in cache
    assert cache.decoded("b", "k9", values[9], bytes).etag == "e9"
    changed = encode_object(ObjectRecord(bucket="b", key="k0", size=0, etag="new", mtime_ns=1))
    again = cache.decoded("b", "k0", changed, bytes)
    assert again.etag == "new"
    assert cache.decoded("b", "k0", changed, bytes) is again
    assert len(cache) == 4
    cache.forget("b", "k0")
    cache.forget("b", "absent")
    assert ("b", "k0") not in cache
    assert len(cache) == 3


def test_forget_after_delete_leaves_no_entry(cart: Cartridge) -> None:
    """
    Reading an object fills the process cache; once the key is deleted,
    through delete_object or in a commit of several, its entry is gone.
    """
    make_bucket(cart)
    for key in ("gone", "gone2"):
        put(cart, "b", key, os.urandom(10))
        with cart.view() as v:
            v.get_object("b", key)
        assert ("b", key) in RECORDS
    cart.delete_object("b", "gone")
    cart.commit([DeleteObject("b", "gone2")])
    assert ("b", "gone") not in RECORDS
    assert ("b", "gone2") not in RECORDS


def test_unread_entries_age_out() -> None:
    """
    An entry read in every period stays (and is answered without a
    decode); one nobody reads is gone after two periods, so a burst of
    reads holds no memory once it is over.
    """
    from cartridge_d.engine.codec import encode_object

    now = [0.0]
    cache = RecordCache(limit=100, age=5.0, clock=lambda: now[0])
    hot = encode_object(ObjectRecord(bucket="b", key="hot", size=0, etag="h", mtime_ns=1))
    cold = encode_object(ObjectRecord(bucket="b", key="cold", size=0, etag="c", mtime_ns=1))
    first = cache.decoded("b", "hot", hot, bytes)
    cache.decoded("b", "cold", cold, bytes)
    for _ in range(4):
        now[0] += 5.0
        cache.tick()
        assert cache.decoded("b", "hot", hot, bytes) is first
    assert ("b", "hot") in cache
    assert ("b", "cold") not in cache
    assert len(cache) == 1
