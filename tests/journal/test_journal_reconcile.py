"""
Start-up reconciliation of the journal with the engine's detached data (docs/journal.md,
"Reconciliation at start-up"): after a crash at any step of UploadPart, replace, Complete or
Abort, neither side refers to something the other lost, no block leaks, and nothing a
client was told succeeded is lost.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cartridge_d.engine import Cartridge, check
from cartridge_d.engine.types import BucketRecord, DataRef, ObjectRecord
from cartridge_d.journal import Journal, PartInfo, part_owner_tag
from cartridge_d.journal.reconcile import reconcile

from journal_helpers import Events, extent_part, live, numbers

# pure cases


def test_unreferenced_detached_data_is_released() -> None:
    """
    Detached data of ours that no live part references is released; data
    a part references is kept.
    """
    live, orphan = extent_part(1), extent_part(2)
    out = reconcile([("u", 1, live)], [(part_owner_tag("u", 1), live.ref),
                                        (part_owner_tag("u", 9), orphan.ref)])
    assert out.release == (orphan.ref,) and out.drop == ()


def test_upload_that_lost_a_part_is_dropped_and_its_data_released() -> None:
    """
    An upload with a part the engine no longer holds is dropped, and its
    other parts' data released with it.
    """
    gone, kept, fine = extent_part(1), extent_part(2), extent_part(3)
    parts = [("u", 1, gone), ("u", 2, kept), ("v", 1, fine)]
    out = reconcile(parts, [(b"mpu/u/2", kept.ref), (b"mpu/v/1", fine.ref)])
    assert out.drop == ("u",) and out.release == (kept.ref,)


def test_inline_parts_and_foreign_tags_are_left_alone() -> None:
    """
    A part stored inline needs nothing from the engine, and detached data
    whose tag is not the journal's is not the journal's to release.
    """
    data = b"small"
    inline = PartInfo(5, hashlib.md5(data).digest(),
                      DataRef(size=5, md5=hashlib.md5(data).digest(), inline=data), 1)
    foreign = extent_part(7)
    out = reconcile([("u", 1, inline)], [(b"other/owner", foreign.ref)])
    assert out.release == () and out.drop == ()


# crash scenarios against the real engine


class Server:
    """
    The object store's multipart steps, in docs/journal.md's order, each
    of which a test may stop short of to simulate a kill.
    """

    def __init__(self, tmp: Path) -> None:
        self.cart_path = str(tmp / "data.cart")
        self.journal_path = self.cart_path + ".journal"
        self.cart = Cartridge.open(self.cart_path, blocks=512)
        self.cart.put_bucket(BucketRecord("b", "o", 1))
        self.journal = Journal.open(self.journal_path, Events())

    def body(self, uid: str, n: int, data: bytes) -> PartInfo:
        w = self.cart.writer(len(data))
        w.write(data)
        ref = w.finish()
        self.cart.keep_detached(ref, part_owner_tag(uid, n))
        return PartInfo(len(data), hashlib.md5(data).digest(), ref, 1)

    def complete_object(self, uid: str) -> list[DataRef]:
        upload = self.journal.get(uid)
        assert upload is not None
        refs = [p.ref for _n, p in upload.parts]
        size = sum(r.size for r in refs)
        self.cart.put_object(ObjectRecord("b", upload.info.key, size, "x-%d" % len(refs), 1,
                                          segments=tuple(refs)))
        return refs

    def restart(self) -> list[DataRef]:
        """
        Kill (nothing more is written) and start again: reopen, reconcile,
        release; returns what was released.
        """
        self.cart.close()
        self.journal.close()
        self.cart = Cartridge.open(self.cart_path)
        self.journal = Journal.open(self.journal_path, Events())
        release = self.journal.reconcile(self.cart.list_detached())
        for ref in release:
            self.cart.release_detached(ref)
        return release

    def assert_consistent(self) -> None:
        held = {ref.extents for ref in self.journal.held_refs()}
        detached = {ref.extents for _t, ref in self.cart.list_detached()}
        assert held == detached
        self.cart.close()
        report = check(self.cart_path)
        assert report.ok, report.findings
        self.cart = Cartridge.open(self.cart_path)

    def read(self, key: str) -> bytes:
        with self.cart.view() as v:
            rec = v.get_object("b", key)
            assert rec is not None
            return v.read(rec, 0, rec.size)


def test_kill_after_keep_detached_before_record(tmp_path: Path) -> None:
    """
    A part body kept detached whose journal record never became durable
    (the client got no answer) is released at restart.
    """
    s = Server(tmp_path)
    uid = s.journal.create_upload("b", "k")
    s.journal.record_part(uid, 1, s.body(uid, 1, b"a" * 10000))
    s.body(uid, 2, b"b" * 10000)
    assert len(s.restart()) == 1
    assert numbers(s.journal, uid) == [1]
    s.assert_consistent()


def test_kill_after_replacing_a_part_before_releasing_the_old(tmp_path: Path) -> None:
    """
    A replaced part's old data not yet released is released at restart;
    the new part stays.
    """
    s = Server(tmp_path)
    uid = s.journal.create_upload("b", "k")
    old = s.body(uid, 1, b"a" * 10000)
    s.journal.record_part(uid, 1, old)
    new = s.body(uid, 1, b"b" * 10000)
    assert s.journal.record_part(uid, 1, new) == old
    assert s.restart() == [old.ref]
    assert live(s.journal, uid).parts == ((1, new),)
    s.assert_consistent()


def test_kill_after_complete_commit_before_journal_record(tmp_path: Path) -> None:
    """
    Complete committed the object but the journal never recorded it: at
    restart the object is intact, the upload is gone (it can never be
    completed again), and the parts the object did not use are released.
    """
    s = Server(tmp_path)
    uid = s.journal.create_upload("b", "k")
    for n, c in ((1, b"x"), (2, b"y")):
        s.journal.record_part(uid, n, s.body(uid, n, c * 9000))
    s.complete_object(uid)
    s.journal.record_part(uid, 3, s.body(uid, 3, b"z" * 9000))
    released = s.restart()
    assert len(released) == 1 and s.journal.get(uid) is None
    assert s.read("k") == b"x" * 9000 + b"y" * 9000
    s.assert_consistent()


def test_kill_after_complete_before_releasing_unused_parts(tmp_path: Path) -> None:
    """
    A completed upload whose unused parts were not yet released leaves
    nothing behind after restart, and the object is intact.
    """
    s = Server(tmp_path)
    uid = s.journal.create_upload("b", "k")
    s.journal.record_part(uid, 1, s.body(uid, 1, b"x" * 9000))
    s.journal.record_part(uid, 2, s.body(uid, 2, b"y" * 9000))
    upload = live(s.journal, uid)
    first = upload.parts[0][1]
    s.cart.put_object(ObjectRecord("b", "k", first.size, "e", 1, segments=(first.ref,)))
    assert s.journal.complete(uid, [first.ref]) == [upload.parts[1][1]]
    assert len(s.restart()) == 1
    assert s.read("k") == b"x" * 9000
    s.assert_consistent()


def test_kill_after_abort_before_releasing(tmp_path: Path) -> None:
    """
    An aborted upload whose parts were not yet released has them released
    at restart.
    """
    s = Server(tmp_path)
    uid = s.journal.create_upload("b", "k")
    s.journal.record_part(uid, 1, s.body(uid, 1, b"x" * 9000))
    s.journal.abort(uid)
    assert len(s.restart()) == 1
    s.assert_consistent()


def test_lost_journal_releases_everything(tmp_path: Path) -> None:
    """
    With the journal file gone, every detached part is released: only the
    in-progress uploads are lost, and no block leaks.
    """
    s = Server(tmp_path)
    uid = s.journal.create_upload("b", "k")
    s.journal.record_part(uid, 1, s.body(uid, 1, b"x" * 9000))
    s.journal.close()
    Path(s.journal_path).unlink()
    assert len(s.restart()) == 1 and s.journal.uploads() == []
    s.assert_consistent()
