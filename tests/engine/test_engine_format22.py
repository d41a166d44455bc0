"""
Format 2.2: the CRC32C table of a body of more than one chunk lives in a
CRC entry of its own (docs/format.md, "CRC entry"), so records and
detached entries are small; a 2.1 file is still opened, served, completed
into and checked, and says 2.2 once a CRC entry is written.

test-case-name: tests.engine.test_engine_format22
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartridge_d.engine import Cartridge, DataRef, check
from cartridge_d.engine import attach
from cartridge_d.engine.codec import encode_detached, encode_object
from cartridge_d.engine.constants import VERSION_MAJOR, VERSION_MINOR

from engine_helpers import body, make_bucket, record, store
from fixture21_make import FIXTURE, pattern

_FIXTURE = os.path.join(os.path.dirname(__file__), "fixture21.cart.gz")


@pytest.fixture
def cart21(tmp_path: "os.PathLike[str]") -> str:
    """
    A copy of the committed 2.1 cartridge (tests/engine/fixture21_make.py).
    """
    path = os.path.join(str(tmp_path), "f21.cart")
    with gzip.open(_FIXTURE, "rb") as f, open(path, "wb") as out:
        shutil.copyfileobj(f, out)
    return path


def _version(path: str) -> tuple[int, int]:
    with Cartridge.open(path, create=False) as c:
        return c.info().version


def test_21_file_is_served_completed_into_and_becomes_22(cart21: str) -> None:
    """
    A cartridge a 2.1 build wrote opens without being changed, passes a
    full check, serves every body (tables in the records), lists its
    detached parts with their tables; a detached part then completes,
    a 2.1 body is copied and the original deleted, and the file says 2.2,
    passes a full check and serves the same bytes after a reopen.
    """
    with open(cart21, "rb") as f:
        before = f.read()
    assert _version(cart21) == (2, 1)
    report = check(cart21, data=True)
    assert report.ok, report
    with open(cart21, "rb") as f:
        assert f.read() == before  # opening and checking wrote nothing
    with Cartridge.open(cart21, create=False) as c:
        for key, size in FIXTURE.items():
            want = (pattern("mp1", 200 * 1024) + pattern("mp2", 70 * 1024) if key == "mp"
                    else pattern("big" if key == "copy" else key, size))
            assert body(c, "b", key) == want
        with c.snapshot_view("s1") as v:
            gone = v.get_object("b", "gone")
            assert gone is not None and v.read(gone, 0, gone.size) == pattern("gone", 102400)
        parts = dict(c.list_detached())
        assert set(parts) == {b"up:1", b"up:2"}
        assert len(parts[b"up:1"].crcs) == 3 and len(parts[b"up:2"].crcs) == 1
        c.put_object(record("b", "done", parts[b"up:1"], parts[b"up:2"]))
        assert c.info().version == (VERSION_MAJOR, VERSION_MINOR)
        with c.view() as v:
            big = v.get_object("b", "big")
        assert big is not None
        c.put_object(record("b", "big2", *big.segments))
        c.delete_object("b", "big")
        c.delete_object("b", "copy")
    report = check(cart21, data=True)
    assert report.ok, report
    assert report.counts["crc_tables"] == 2  # the completed part's and big's
    with Cartridge.open(cart21, create=False) as c:
        assert c.info().version == (2, 2)
        assert body(c, "b", "done") == pattern("up1", 150 * 1024) + pattern("up2", 10 * 1024)
        assert body(c, "b", "big2") == pattern("big", 300 * 1024)
        assert c.list_detached() == []
        c.delete_object("b", "big2")
        c.delete_object("b", "done")
    report = check(cart21, data=True)
    assert report.ok and report.counts["crc_tables"] == 0, report


def test_21_file_without_new_entries_stays_21(cart21: str) -> None:
    """
    Commits that write no CRC entry (a delete, a small PUT, releasing a
    2.1 part) leave a 2.1 file saying 2.1, so a 2.1 build still opens it.
    """
    with Cartridge.open(cart21, create=False) as c:
        c.delete_object("b", "small")
        c.put_object(record("b", "tiny", store(c, b"x" * 5000)))
        parts = dict(c.list_detached())
        c.release_detached(parts[b"up:1"])
    assert _version(cart21) == (2, 1)
    assert check(cart21, data=True).ok


def test_complete_copies_no_table(cart_path: str) -> None:
    """
    A record of 16 parts of 4 chunks each, and the parts' detached
    entries, hold no CRC tables: the record is about 30 bytes a part (in
    2.1 it carried 4 CRCs more per part), and reads verify every chunk
    against the CRC entries.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        datas = [os.urandom(4 * 65536 - i) for i in range(16)]
        refs = [store(c, d) for d in datas]
        for ref in refs:
            c.keep_detached(ref, b"up")
            assert len(encode_detached(1, b"up", ref)) < 60
        rec = c.put_object(record("b", "k", *refs))
        assert len(encode_object(rec)) < 16 * 35
        assert body(c, "b", "k") == b"".join(datas)
        with c.view() as v:
            got = v.get_object("b", "k")
            assert got is not None and all(not s.crcs for s in got.segments)
            assert v.read(got, 3 * 65536 + 5, 70_000) == b"".join(datas)[3 * 65536 + 5:][:70_000]
    report = check(cart_path, data=True)
    assert report.ok and report.counts["crc_tables"] == 16, report


def test_checker_finds_orphan_and_missing_tables(cart_path: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """
    The checker reports a CRC entry no body uses (orphan) and a body whose
    CRC entry is missing, made here by a writer that forgets one.
    """
    with Cartridge.open(cart_path) as c:
        make_bucket(c)
        kept = store(c, os.urandom(200_000))
        c.keep_detached(kept, b"up")
        with monkeypatch.context() as m:
            m.setattr(attach, "crc_key", lambda start: (9, b"", b"", start))
            c.release_detached(kept)  # deletes a key that is not its table
            c.put_object(record("b", "k", store(c, os.urandom(150_000))))
    report = check(cart_path)
    text = str(report)
    assert not report.ok
    assert "orphan" in text and "missing" in text


#: What the differential test does: (operation, size index, which).
_SIZES = (100, 3000, 70_000, 200_000)
_steps = st.lists(st.tuples(st.sampled_from(["put", "keep", "complete", "delete", "abort",
                                             "copy", "reopen"]),
                            st.integers(0, len(_SIZES) - 1), st.integers(0, 7)),
                  max_size=20)


@settings(deadline=None, max_examples=25)
@given(_steps)
def test_random_sequences_keep_tables_accounted(steps: list[tuple[str, int, int]]) -> None:
    """
    Any sequence of PUTs, kept parts, completes, copies, deletes, aborted
    parts and reopens leaves a cartridge that a full check finds clean
    (no orphan and no missing CRC entry, every byte verified) and whose
    objects and parts read back byte for byte as a model says.
    """
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "p.cart")
        objects: dict[str, bytes] = {}
        parts: list[tuple[DataRef, bytes]] = []
        c = Cartridge.open(path, blocks=64)
        try:
            make_bucket(c)
            for n, (op, size, which) in enumerate(steps):
                data = hashlib.sha256(b"%d" % n).digest() * (_SIZES[size] // 32 + 1)
                data = data[:_SIZES[size]]
                if op == "put":
                    c.put_object(record("b", "k%d" % which, store(c, data)))
                    objects["k%d" % which] = data
                elif op == "keep":
                    ref = store(c, data)
                    c.keep_detached(ref, b"up")
                    parts.append((ref, data))
                elif op == "complete" and parts:
                    take, parts = parts[:which % 3 + 1], parts[which % 3 + 1:]
                    c.put_object(record("b", "k%d" % which, *(r for r, _ in take)))
                    objects["k%d" % which] = b"".join(d for _, d in take)
                elif op == "delete":
                    c.delete_object("b", "k%d" % which)
                    objects.pop("k%d" % which, None)
                elif op == "abort" and parts:
                    ref, _ = parts.pop(which % len(parts))
                    c.release_detached(ref)
                elif op == "copy" and objects:
                    src = sorted(objects)[which % len(objects)]
                    with c.view() as v:
                        rec = v.get_object("b", src)
                    assert rec is not None
                    c.put_object(record("b", "c%d" % which, *rec.segments))
                    objects["c%d" % which] = objects[src]
                elif op == "reopen":
                    c.close()
                    c = Cartridge.open(path, create=False)
            for key, want in objects.items():
                assert body(c, "b", key) == want
            listed = c.list_detached()
            assert sorted(r.extents[0].start for _, r in listed) == sorted(
                r.extents[0].start for r, _ in parts if r.extents)
            assert all(r in [p for p, _ in parts] for _, r in listed)
        finally:
            c.close()
        report = check(path, data=True)
        assert report.ok, report
