"""
The group-commit path's shortcuts: records encoded by the submitting
thread, a PUT's own body claimed without catalog lookups, a batch applied
under one undo mark, the header slot written and synced in one call, and
large bodies' writeback started early. Each must store exactly what the
plain path stores.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading

import pytest

from cartridge_d.engine import Cartridge, Fuses, PreconditionFailed, PutObject, check
from cartridge_d.engine import blockfile
from cartridge_d.engine.blockfile import OsFile, start_writeback, write_durably
from cartridge_d.engine.codec import encode_object
from cartridge_d.engine.commitqueue import Request
from cartridge_d.engine.operations import PreparedPut, prepare
from cartridge_d.engine.types import DataRef
from cartridge_d.engine.writer import WRITEBACK_AFTER_BYTES
from engine_faults import FaultyFile
from engine_helpers import body, make_bucket, put, record, store


def test_prepare_encodes_puts_and_leaves_the_rest() -> None:
    """
    A PutObject becomes a PreparedPut carrying its encoded record; other
    operations, and a record that cannot be encoded, pass through as they
    are (so the commit raises for them as it always did).
    """
    ref = DataRef(size=3, md5=hashlib.md5(b"abc").digest(), inline=b"abc")
    good = PutObject(record("b", "k", ref))
    bad = PutObject(record("b", "bad", DataRef(size=3, md5=b"short", inline=b"abc")))
    other = object()
    out = prepare([good, bad, other])
    assert isinstance(out[0], PreparedPut)
    assert out[0].op is good and out[0].encoded == encode_object(good.rec)
    assert out[1] is bad and out[2] is other


def test_record_that_fails_to_encode_fails_alone(cart_path: str) -> None:
    """
    A put whose record cannot be encoded raises to its caller; the
    cartridge goes on committing, and the checker is clean.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        bad = record("b", "bad", DataRef(size=3, md5=b"short", inline=b"abc"))
        with pytest.raises(ValueError):
            c.put_object(bad)
        put(c, "b", "good", b"fine")
        assert body(c, "b", "good") == b"fine"
        assert body(c, "b", "bad") is None
    assert check(cart_path, data=True).ok


def test_failing_request_in_a_batch_is_undone_alone(cart_path: str) -> None:
    """
    A batch whose fourth request fails (If-None-Match on a key that
    exists) and whose sixth fails in its second operation: the failing
    requests change nothing, not even their first operation, while every
    other request of the batch, before and after them, is stored with the
    result it would have had alone; the checker is clean.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        put(c, "b", "taken", b"old")

        def op(key: str, data: bytes, if_none_match: bool = False) -> PutObject:
            return PutObject(record("b", key, store(c, data)), if_none_match)
        batch = [Request(prepare(ops)) for ops in (
            [op("k1", b"one")],
            [op("k2", b"two")],
            [op("k3", b"three")],
            [op("taken", b"new", if_none_match=True)],
            [op("k4", b"four")],
            [op("k5", b"five"), op("k1", b"again", if_none_match=True)],
            [op("k6", b"six")],
        )]
        c._run_batch(batch)
        assert [type(r.error) for r in batch] == [
            type(None)] * 3 + [PreconditionFailed, type(None), PreconditionFailed, type(None)]
        for r in batch:
            assert len(r.results) == (0 if r.error else 1)
        for key, data in (("k1", b"one"), ("k2", b"two"), ("k3", b"three"), ("taken", b"old"),
                          ("k4", b"four"), ("k5", None), ("k6", b"six")):
            assert body(c, "b", key) == data
        assert c.info().objects == 6
    assert check(cart_path, data=True).ok


def test_versioned_put_gets_its_version_id(cart_path: str) -> None:
    """
    In a versioned bucket the engine gives each put a version id, so the
    record stored is not the one the caller encoded: each version still
    reads back with its own id and body.
    """
    with Cartridge.open(cart_path, fuses=Fuses(versioning=1)) as c:
        make_bucket(c, "v", versioning="Enabled")
        first = put(c, "v", "k", b"one")
        second = put(c, "v", "k", b"two")
        assert first.version_id != second.version_id
        assert body(c, "v", "k", first.version_id) == b"one"
        assert body(c, "v", "k", second.version_id) == b"two"
        with c.view() as v:
            got = v.get_object("v", "k", first.version_id)
            assert got is not None and got.version_id == first.version_id
    assert check(cart_path, data=True).ok


def test_one_body_under_two_keys_in_one_commit(cart_path: str) -> None:
    """
    A finished writer's body linked by two records of one commit is
    claimed once and referenced twice: deleting one key leaves the other
    readable, deleting both frees the blocks, and the checker agrees.
    """
    data = os.urandom(50_000)
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        ref = store(c, data)
        c.commit([PutObject(record("b", "one", ref)), PutObject(record("b", "two", ref))])
        c.delete_object("b", "one")
        assert body(c, "b", "two") == data
        assert check(cart_path, data=True).ok
        free_before = c.info().free_blocks
        c.delete_object("b", "two")
        put(c, "b", "tick", b"x")  # lets the freed blocks be recycled
        assert c.info().free_blocks > free_before
    assert check(cart_path, data=True).ok


def test_many_threads_each_body_exactly_once(cart_path: str) -> None:
    """
    Sixteen threads committing their own small bodies at once (batches of
    prepared puts, bodies claimed without lookups): every object reads
    back as written and the checker is clean.
    """
    bodies = {"t%02d/%03d" % (t, n): os.urandom(4096 + t * 7 + n)
              for t in range(16) for n in range(12)}
    errors: list[BaseException] = []
    with Cartridge.open(cart_path) as c:
        make_bucket(c)

        def work(t: int) -> None:
            try:
                for n in range(12):
                    key = "t%02d/%03d" % (t, n)
                    put(c, "b", key, bodies[key])
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert not errors
        for key, data in bodies.items():
            assert body(c, "b", key) == data
    assert check(cart_path, data=True).ok


def test_durable_write_writes(tmp_path: "os.PathLike[str]") -> None:
    """
    write_durably puts the bytes where asked on an OS file, and on any
    other file (pwrite then sync: an in-memory file keeps them through a
    power loss).
    """
    path = os.path.join(str(tmp_path), "f")
    f = OsFile.open(path, create=True)
    try:
        f.grow(16384)
        write_durably(f, b"h" * 4096, 4096)
        assert f.pread(4096, 4096) == b"h" * 4096
    finally:
        f.close()
    mem = FaultyFile(bytes(16384))
    write_durably(mem, b"m" * 100, 8192)
    assert mem.after_power_loss()[8192:8292] == b"m" * 100


def test_durable_write_falls_back_when_refused(tmp_path: "os.PathLike[str]",
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Where the kernel refuses pwritev with RWF_DSYNC, the write still
    happens, followed by a sync, and later writes skip the refused call.
    """
    calls: list[int] = []

    def refuse(*args: object) -> int:
        calls.append(1)
        raise OSError(errno.EOPNOTSUPP, "not here")

    monkeypatch.setattr(os, "pwritev", refuse)
    monkeypatch.setattr(blockfile, "_dsync_writes", True)
    synced: list[int] = []
    path = os.path.join(str(tmp_path), "f")
    f = OsFile.open(path, create=True)
    monkeypatch.setattr(f, "sync", lambda: synced.append(1))
    try:
        f.grow(8192)
        f.pwrite_sync(b"a" * 4096, 0)
        f.pwrite_sync(b"b" * 4096, 4096)
        assert f.pread(8192, 0) == b"a" * 4096 + b"b" * 4096
        assert calls == [1] and synced == [1, 1]
    finally:
        f.close()


def test_writeback_hint_changes_nothing(tmp_path: "os.PathLike[str]") -> None:
    """
    Starting writeback is only a hint: the bytes read back unchanged, and
    a file that is not an OS file ignores it.
    """
    path = os.path.join(str(tmp_path), "f")
    f = OsFile.open(path, create=True)
    try:
        data = os.urandom(1 << 20)
        f.pwrite(data, 0)
        start_writeback(f, 0, len(data))
        f.sync()
        assert f.pread(len(data), 0) == data
    finally:
        f.close()
    start_writeback(FaultyFile(b""), 0, 4096)


def test_large_body_with_early_writeback(cart_path: str) -> None:
    """
    A body large enough to have its writeback started as it is written
    (and its MD5 computed in the helper thread), fed in uneven pieces,
    reads back whole with the right MD5, and the checker verifies every
    chunk.
    """
    data = os.urandom(WRITEBACK_AFTER_BYTES + (3 << 20) + 12345)
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        ref = store(c, data, piece=700_001, hint=False)
        assert ref.md5 == hashlib.md5(data).digest()
        c.put_object(record("b", "big", ref))
        assert body(c, "b", "big") == data
    assert check(cart_path, data=True).ok
