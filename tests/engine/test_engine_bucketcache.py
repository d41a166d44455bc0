"""
The engine's bucket cache (view.py, L{BucketCache}) never shows a bucket
state other than the one a caller is entitled to: the last committed one
for C{Cartridge.get_bucket} and views of it, its own for an older view or a
snapshot, and nothing from a commit that failed.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from cartridge_d.engine import (
    BucketExists,
    BucketNotEmpty,
    Cartridge,
    CartridgeFull,
    Closed,
    NoSuchBucket,
)
from cartridge_d.engine.types import BucketRecord
from engine_helpers import make_bucket, put


def _bucket(name: str = "b", **kw: object) -> BucketRecord:
    return BucketRecord(name=name, owner="alice", created_ns=1, **kw)  # type: ignore[arg-type]


def test_created_bucket_is_seen_at_once(cart: Cartridge) -> None:
    """
    A bucket looked up while missing is found as soon as its create
    returns, through the cartridge and through a new view.
    """
    assert cart.get_bucket("b") is None
    cart.put_bucket(_bucket())
    assert cart.get_bucket("b") == _bucket()
    with cart.view() as v:
        assert v.get_bucket("b") == _bucket()


def test_deleted_bucket_is_gone_at_once(cart: Cartridge) -> None:
    """
    A bucket read (and so remembered) before its DeleteBucket is not
    found after the delete returns, by the cartridge or a new view; a
    PutObject into it is NoSuchBucket.
    """
    cart.put_bucket(_bucket())
    for _ in range(2):
        assert cart.get_bucket("b") is not None
    cart.delete_bucket("b")
    assert cart.get_bucket("b") is None
    with cart.view() as v:
        assert v.get_bucket("b") is None
    with pytest.raises(NoSuchBucket):
        put(cart, "b", "k", b"x")


def test_replaced_bucket_record_is_seen_at_once(cart: Cartridge) -> None:
    """
    Turning versioning on or changing the ACL (a replacing PutBucket) is
    seen by the next lookup, not the remembered record.
    """
    cart.put_bucket(_bucket())
    assert cart.get_bucket("b") == _bucket()
    cart.put_bucket(_bucket(versioning="Enabled"), replace=True)
    got = cart.get_bucket("b")
    assert got is not None and got.versioning == "Enabled"
    cart.put_bucket(_bucket(versioning="Enabled", acl=b"acl"), replace=True)
    with cart.view() as v:
        got = v.get_bucket("b")
    assert got is not None and got.acl == b"acl"


def test_object_commits_keep_buckets_visible(cart: Cartridge) -> None:
    """
    Object writes and deletes between lookups leave every bucket as it
    was, and a second bucket created meanwhile is found.
    """
    make_bucket(cart, "b")
    assert cart.get_bucket("b") is not None
    put(cart, "b", "k", b"x")
    cart.delete_object("b", "k")
    assert cart.get_bucket("b") is not None
    assert cart.get_bucket("c") is None
    make_bucket(cart, "c")
    assert cart.get_bucket("c") is not None
    assert [b.name for b in cart.list_buckets()] == ["b", "c"]


def test_older_view_keeps_its_own_state(cart: Cartridge) -> None:
    """
    A view opened before a bucket is changed, deleted or created keeps
    answering for its own state, even after newer lookups filled the
    cartridge's cache; a view opened after answers for the new one.
    """
    cart.put_bucket(_bucket("b"))
    cart.put_bucket(_bucket("gone"))
    old = cart.view()
    try:
        cart.put_bucket(_bucket("b", versioning="Enabled"), replace=True)
        cart.delete_bucket("gone")
        cart.put_bucket(_bucket("new"))
        assert cart.get_bucket("b") == _bucket("b", versioning="Enabled")
        assert cart.get_bucket("new") is not None
        assert old.get_bucket("b") == _bucket("b")
        assert old.get_bucket("gone") == _bucket("gone")
        assert old.get_bucket("new") is None
    finally:
        old.close()
    with cart.view() as v:
        assert v.get_bucket("gone") is None
        assert v.get_bucket("b") == _bucket("b", versioning="Enabled")


def test_snapshot_keeps_its_buckets(cart: Cartridge) -> None:
    """
    A snapshot's view shows the bucket as it was when the snapshot was
    taken, after the bucket was changed and deleted.
    """
    cart.put_bucket(_bucket())
    assert cart.get_bucket("b") is not None
    cart.snapshot_create("s")
    cart.put_bucket(_bucket(versioning="Enabled"), replace=True)
    assert cart.get_bucket("b") == _bucket(versioning="Enabled")
    cart.delete_bucket("b")
    with cart.snapshot_view("s") as v:
        assert v.get_bucket("b") == _bucket()
    assert cart.get_bucket("b") is None


def test_failed_commits_change_nothing(cart: Cartridge) -> None:
    """
    A create of an existing bucket and a delete of a non-empty one fail
    and leave the bucket exactly as it was.
    """
    cart.put_bucket(_bucket())
    put(cart, "b", "k", b"x")
    assert cart.get_bucket("b") == _bucket()
    with pytest.raises(BucketExists):
        cart.put_bucket(_bucket(versioning="Enabled"))
    assert cart.get_bucket("b") == _bucket()
    with pytest.raises(BucketNotEmpty):
        cart.delete_bucket("b")
    assert cart.get_bucket("b") == _bucket()
    with cart.view() as v:
        assert v.get_bucket("b") == _bucket()


def test_full_cartridge_refuses_bucket_change(cart_path: str) -> None:
    """
    A replacing PutBucket refused because the cartridge is full changes
    nothing: the old record is still the one found.
    """
    with Cartridge.open(cart_path, blocks=32, max_size=32 * 4096) as c:
        c.put_bucket(_bucket())
        assert c.get_bucket("b") == _bucket()
        big = _bucket(acl=b"a" * 3000)
        with pytest.raises(CartridgeFull):
            for i in range(400):
                c.put_bucket(replace(big, name="f%03d" % i))
        with pytest.raises(CartridgeFull):
            c.put_bucket(_bucket(versioning="Enabled", acl=b"z" * 3000), replace=True)
        assert c.get_bucket("b") == _bucket()


def test_closed_cartridge_refuses_lookups(cart_path: str) -> None:
    """
    After close, a bucket read before is not answered from memory: the
    lookup fails as every other call does.
    """
    c = Cartridge.open(cart_path, blocks=64)
    c.put_bucket(_bucket())
    assert c.get_bucket("b") is not None
    c.close()
    with pytest.raises(Closed):
        c.get_bucket("b")


def test_reopen_finds_buckets(cart_path: str) -> None:
    """
    A reopened cartridge finds the buckets last committed, and not one
    deleted before the close.
    """
    with Cartridge.open(cart_path, blocks=64) as c:
        c.put_bucket(_bucket("b"))
        c.put_bucket(_bucket("gone"))
        assert c.get_bucket("gone") is not None
        c.delete_bucket("gone")
    with Cartridge.open(cart_path, create=False) as c:
        assert c.get_bucket("b") == _bucket("b")
        assert c.get_bucket("gone") is None


def test_lookups_racing_creates_and_deletes(cart: Cartridge) -> None:
    """
    While other threads look buckets up as fast as they can, each create
    is seen and each delete is not, by the thread that made it, as soon
    as it returns (100 rounds).
    """
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                cart.get_bucket("b")
                with cart.view() as v:
                    v.get_bucket("b")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(100):
            rec = replace(_bucket(), created_ns=i)
            cart.put_bucket(rec)
            assert cart.get_bucket("b") == rec
            cart.delete_bucket("b")
            assert cart.get_bucket("b") is None
            with cart.view() as v:
                assert v.get_bucket("b") is None
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors
