"""
One suite of engine-API behaviour run against both the in-memory
L{MemoryCartridge} and the real L{cartridge_d.engine.Cartridge}, so the
fake the object-store tests rely on provably behaves like the engine.

Only behaviour the object store depends on is checked here; the engine's
own tests cover the file format, durability and recovery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cartridge_d.engine import errors
from cartridge_d.engine.types import (
    NULL_VERSION,
    BucketRecord,
    DataRef,
    DeleteObject,
    Fuses,
    ObjectRecord,
    PutObject,
)
from cartridge_d.testing.memory import MemoryCartridge


def _memory(tmp_path: Path) -> Any:
    return MemoryCartridge(Fuses())


def _real(tmp_path: Path) -> Any:
    import cartridge_d.engine as engine

    cartridge = getattr(engine, "Cartridge", None)
    if cartridge is None:
        pytest.skip("the real engine has not landed yet")
    return cartridge.open(str(tmp_path / "c.cart"), create=True, blocks=256)


OPENERS: dict[str, Callable[[Path], Any]] = {"memory": _memory, "real": _real}


@pytest.fixture(params=sorted(OPENERS))
def cart(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """
    A fresh cartridge holding one bucket "bkt" owned by alice.
    """
    c = OPENERS[request.param](tmp_path)
    c.put_bucket(BucketRecord("bkt", "alice", 1))
    yield c
    c.close()


def body(cart: Any, data: bytes, size_hint: int | None = None) -> DataRef:
    """
    Write C{data} through a writer, in two chunks.
    """
    w = cart.writer(size_hint)
    w.write(data[:3])
    w.write(data[3:])
    ref: DataRef = w.finish()
    return ref


def record(key: str, ref: DataRef, bucket: str = "bkt") -> ObjectRecord:
    return ObjectRecord(bucket, key, ref.size, ref.md5.hex(), 5, owner="alice", segments=(ref,))


def put(cart: Any, key: str, data: bytes, **kw: Any) -> ObjectRecord:
    stored: ObjectRecord = cart.put_object(record(key, body(cart, data)), **kw)
    return stored


def read_all(cart: Any, bucket: str, key: str) -> bytes | None:
    with cart.view() as v:
        rec = v.get_object(bucket, key)
        return None if rec is None else bytes(v.read(rec, 0, rec.size))


def test_buckets(cart: Any) -> None:
    """
    Buckets are created once, read back, listed by name and deleted.
    """
    cart.put_bucket(BucketRecord("abc", "bob", 2, region="eu-west-1"))
    with pytest.raises(errors.BucketExists):
        cart.put_bucket(BucketRecord("abc", "carol", 3))
    cart.put_bucket(BucketRecord("abc", "bob", 2, versioning="Suspended"), replace=True)
    assert cart.get_bucket("abc").versioning == "Suspended"
    assert [b.name for b in cart.list_buckets()] == ["abc", "bkt"]
    assert cart.get_bucket("zzz") is None
    cart.delete_bucket("abc")
    with pytest.raises(errors.NoSuchBucket):
        cart.delete_bucket("abc")


def test_bucket_not_empty(cart: Any) -> None:
    """
    A bucket holding an object cannot be deleted.
    """
    put(cart, "k", b"v")
    with pytest.raises(errors.BucketNotEmpty):
        cart.delete_bucket("bkt")


@pytest.mark.parametrize("size", [0, 1, 10, 5000, 70_000])
def test_writer_and_read(cart: Any, size: int) -> None:
    """
    A written body has its size and MD5, and reads back whole and in ranges.
    """
    data = bytes(i % 251 for i in range(size))
    ref = body(cart, data, size)
    assert (ref.size, ref.md5) == (size, hashlib.md5(data).digest())
    stored = cart.put_object(record("k", ref))
    assert stored.version_id == NULL_VERSION
    with cart.view() as v:
        rec = v.get_object("bkt", "k")
        assert rec.etag == hashlib.md5(data).hexdigest()
        assert v.read(rec, 0, size) == data
        if size > 10:
            assert v.read(rec, 3, size - 5) == data[3:-2]


def test_record_fields_round_trip(cart: Any) -> None:
    """
    Every field the object store sets comes back as stored.
    """
    ref = body(cart, b"hello")
    rec = replace(
        record("dir/ké y+", ref),
        headers=(("Content-Type", "text/plain"), ("Cache-Control", "no-cache")),
        meta=(("mtime", "1.5"), ("s3cmd-attrs", "a:b/c:d")),
        checksums=(("CRC32", "NhCmhg=="),),
        mtime_ns=1_700_000_000_123_456_789,
    )
    cart.put_object(rec)
    with cart.view() as v:
        got = v.get_object("bkt", "dir/ké y+")
    for name in ("bucket", "key", "size", "etag", "mtime_ns", "owner", "headers", "meta", "checksums"):
        assert getattr(got, name) == getattr(rec, name), name


def test_put_missing_bucket(cart: Any) -> None:
    """
    Storing into a missing bucket is NoSuchBucket.
    """
    with pytest.raises(errors.NoSuchBucket):
        cart.put_object(record("k", body(cart, b"v"), bucket="nope"))


def test_conditional_puts(cart: Any) -> None:
    """
    if_none_match fails on an existing key; if_match_etag needs the current
    ETag; failed puts change nothing.
    """
    first = put(cart, "k", b"one", if_none_match=True)
    with pytest.raises(errors.PreconditionFailed):
        put(cart, "k", b"two", if_none_match=True)
    with pytest.raises(errors.PreconditionFailed):
        put(cart, "k", b"two", if_match_etag="0" * 32)
    assert read_all(cart, "bkt", "k") == b"one"
    put(cart, "k", b"three", if_match_etag=first.etag)
    assert read_all(cart, "bkt", "k") == b"three"


def test_delete_object(cart: Any) -> None:
    """
    delete_object returns the removed record, then None.
    """
    put(cart, "k", b"v")
    removed = cart.delete_object("bkt", "k")
    assert removed is not None and removed.key == "k"
    assert cart.delete_object("bkt", "k") is None
    assert read_all(cart, "bkt", "k") is None


def test_view_pins_state(cart: Any) -> None:
    """
    A view sees the state of its start: later overwrites and deletes do
    not change what it lists or reads.
    """
    put(cart, "k", b"before")
    with cart.view() as v:
        rec = v.get_object("bkt", "k")
        put(cart, "k", b"after!")
        put(cart, "new", b"x")
        cart.delete_object("bkt", "k")
        assert v.read(rec, 0, rec.size) == b"before"
        assert [r.key for r in v.list_objects("bkt")] == ["k"]
    assert read_all(cart, "bkt", "k") is None


def test_list_order_prefix_start_after(cart: Any) -> None:
    """
    Listing is ascending by UTF-8 bytes, filtered by prefix, and starts
    strictly after start_after (which need not exist).
    """
    keys = ["b", "a/2", "a/1", "é", "Z", "a b", "\U0001f600", "ab"]
    for k in keys:
        put(cart, k, k.encode())
    with cart.view() as v:
        assert [r.key for r in v.list_objects("bkt")] == sorted(keys, key=str.encode)
        assert [r.key for r in v.list_objects("bkt", prefix="a/")] == ["a/1", "a/2"]
        assert [r.key for r in v.list_objects("bkt", start_after="a/1")] == ["a/2", "ab", "b", "é", "\U0001f600"]
        assert [r.key for r in v.list_objects("bkt", prefix="a", start_after="a/15")] == ["a/2", "ab"]
        assert [r.key for r in v.list_objects("bkt", start_after="a/\U0010ffff" * 300)] == ["ab", "b", "é", "\U0001f600"]
        assert list(v.list_objects("bkt", prefix="zzz")) == []


def test_commit_is_atomic(cart: Any) -> None:
    """
    Several puts and deletes apply together; if one fails, none apply.
    """
    put(cart, "a", b"1")
    put(cart, "b", b"2")
    cart.commit([DeleteObject("bkt", "a"), PutObject(record("c", body(cart, b"3")))])
    with cart.view() as v:
        assert [r.key for r in v.list_objects("bkt")] == ["b", "c"]
    with pytest.raises(errors.PreconditionFailed):
        cart.commit([DeleteObject("bkt", "b"), PutObject(record("c", body(cart, b"4")), if_none_match=True)])
    assert read_all(cart, "bkt", "b") == b"2"


def test_shared_segments(cart: Any) -> None:
    """
    A record may reuse a live record's segments (a copy); the copy stays
    readable after the source is deleted, and a record cannot reuse the
    segments of one deleted before.
    """
    data = b"shared bytes" * 1000
    src = put(cart, "src", data)
    cart.put_object(replace(src, key="copy"))
    cart.delete_object("bkt", "src")
    assert read_all(cart, "bkt", "copy") == data
    cart.delete_object("bkt", "copy")
    with pytest.raises(errors.NoSuchData):
        cart.put_object(replace(src, key="again"))


def test_small_bodies_are_self_contained(cart: Any) -> None:
    """
    A body of a few bytes lives inline in its record: another record may
    reuse it even after the first is gone.
    """
    ref = body(cart, b"tiny")
    assert ref.inline == b"tiny"
    src = cart.put_object(record("src", ref))
    cart.delete_object("bkt", "src")
    cart.put_object(replace(src, key="again"))
    assert read_all(cart, "bkt", "again") == b"tiny"


def test_detached(cart: Any) -> None:
    """
    A detached (block-stored) body is listed with its tag until released, and can be
    attached to a record, which removes it from the detached list.
    """
    one, two = body(cart, b"part one" * 1000), body(cart, b"part two" * 1000)
    cart.keep_detached(one, b"upload-1")
    cart.keep_detached(two, b"upload-1")
    assert sorted(ref.size for _, ref in cart.list_detached()) == [8000, 8000]
    assert {tag for tag, _ in cart.list_detached()} == {b"upload-1"}
    cart.release_detached(two)
    assert [ref for _, ref in cart.list_detached()] == [one]
    cart.put_object(record("k", one))
    assert cart.list_detached() == []
    assert read_all(cart, "bkt", "k") == b"part one" * 1000


def test_writer_abort(cart: Any) -> None:
    """
    An aborted writer stores nothing and its body cannot be attached.
    """
    w = cart.writer()
    w.write(b"gone")
    w.abort()
    assert read_all(cart, "bkt", "k") is None


def test_closed(cart: Any) -> None:
    """
    Calls after close are Closed; close is idempotent.
    """
    cart.close()
    cart.close()
    with pytest.raises(errors.Closed):
        cart.put_bucket(BucketRecord("after", "a", 1))


def test_memory_cartridge_has_the_engine_shape() -> None:
    """
    MemoryCartridge provides every engine method the object store calls
    (checked by mypy against the Engine protocol, and here at run time).
    """
    from cartridge_d.objectstore.engine_api import Engine

    fake: Engine = MemoryCartridge()
    for name in ("put_bucket", "delete_bucket", "get_bucket", "list_buckets", "writer",
                 "put_object", "delete_object", "commit", "view"):
        assert callable(getattr(fake, name))


def test_copy_of_a_record_as_read(cart: Any) -> None:
    """
    A record as a view returns it (a body of several checksum chunks, whose
    segments may leave their CRC table to the engine) can be copied by
    reusing its segments, the copy reads back whole after the source is
    gone, and its segments cannot be reused once the copy is gone too.
    """
    data = bytes(i % 253 for i in range(200_000))
    put(cart, "src", data)
    with cart.view() as v:
        src = v.get_object("bkt", "src")
    cart.put_object(replace(src, key="copy"))
    cart.delete_object("bkt", "src")
    with cart.view() as v:
        copy = v.get_object("bkt", "copy")
        assert v.read(copy, 0, copy.size) == data
        assert v.read(copy, 65_530, 70_000) == data[65_530:135_530]
    cart.delete_object("bkt", "copy")
    with pytest.raises(errors.NoSuchData):
        cart.put_object(replace(src, key="again"))


def test_listed_part_completes(cart: Any) -> None:
    """
    A kept part of several checksum chunks is listed equal to the kept
    reference, and the listed reference completes into a readable object.
    """
    data = bytes(i % 241 for i in range(150_000))
    ref = body(cart, data, len(data))
    cart.keep_detached(ref, b"up")
    (listed,) = [r for tag, r in cart.list_detached() if tag == b"up"]
    assert listed == ref
    cart.put_object(record("done", listed))
    assert read_all(cart, "bkt", "done") == data
    assert cart.list_detached() == []
