"""
The Journal's calls as the object store uses them: errors, what each write returns for the
caller to release, ListParts and ListMultipartUploads paging, and expiry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cartridge_d.journal import InvalidPartNumber, Journal, JournalClosed, NoSuchUpload

from journal_helpers import Events, extent_part, live, numbers


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal.open(str(tmp_path / "j"), Events())
    yield j
    j.close()


def test_create_keeps_everything_the_final_object_needs(journal: Journal, tmp_path: Path) -> None:
    """
    What CreateMultipartUpload stored comes back after a restart, field for field.
    """
    uid = journal.create_upload("b", "dir/k\u00e9y", owner="alice",
                                headers=(("Content-Type", "text/plain"),),
                                meta=(("colour", "blue"),), checksum_algorithm="CRC32",
                                extra=(("acl", b"\x01\x02"),), created_ns=1234)
    journal.close()
    reopened = Journal.open(str(tmp_path / "j"), Events())
    info = live(reopened, uid).info
    reopened.close()
    assert (info.bucket, info.key, info.owner, info.created_ns) == ("b", "dir/k\u00e9y", "alice", 1234)
    assert info.headers == (("Content-Type", "text/plain"),)
    assert info.meta == (("colour", "blue"),)
    assert info.checksum_algorithm == "CRC32" and info.extra == (("acl", b"\x01\x02"),)


def test_unknown_uploads_and_bad_part_numbers_are_refused(journal: Journal) -> None:
    """
    Writes and ListParts on an unknown upload id raise NoSuchUpload; part
    numbers outside 1-10000 raise InvalidPartNumber; get gives None.
    """
    uid = journal.create_upload("b", "k")
    for call in (lambda: journal.record_part("nope", 1, extent_part(1)),
                 lambda: journal.complete("nope"), lambda: journal.abort("nope"),
                 lambda: journal.parts("nope")):
        with pytest.raises(NoSuchUpload):
            call()
    for n in (0, 10001):
        with pytest.raises(InvalidPartNumber):
            journal.record_part(uid, n, extent_part(1))
    assert journal.get("nope") is None
    journal.abort(uid)
    with pytest.raises(NoSuchUpload):
        journal.abort(uid)


def test_replacing_a_part_returns_the_old_one(journal: Journal) -> None:
    """
    Uploading a part number again returns the part it replaced (the
    caller frees its data); the new part is what the upload has.
    """
    uid = journal.create_upload("b", "k")
    first, second = extent_part(1), extent_part(2)
    assert journal.record_part(uid, 3, first) is None
    assert journal.record_part(uid, 3, second) == first
    assert live(journal, uid).parts == ((3, second),)


def test_complete_returns_the_parts_not_used(journal: Journal) -> None:
    """
    Complete ends the upload and hands back the parts whose data the
    object did not attach; abort hands back every part.
    """
    uid = journal.create_upload("b", "k")
    p1, p2, p3 = extent_part(1), extent_part(2), extent_part(3)
    for n, p in enumerate((p1, p2, p3), 1):
        journal.record_part(uid, n, p)
    assert journal.complete(uid, [p1.ref, p3.ref]) == [p2]
    assert journal.get(uid) is None
    other = journal.create_upload("b", "k")
    journal.record_part(other, 1, p1)
    assert journal.abort(other) == [p1]


def test_list_parts_pages_in_number_order(journal: Journal) -> None:
    """
    ListParts returns parts in number order after the marker, max-parts at
    a time, with IsTruncated and NextPartNumberMarker.
    """
    uid = journal.create_upload("b", "k")
    for n in (7, 2, 9, 4, 1):
        journal.record_part(uid, n, extent_part(n))
    page = journal.parts(uid, max_parts=2)
    assert [n for n, _p in page.parts] == [1, 2] and page.truncated
    page = journal.parts(uid, marker=page.next_part_number_marker, max_parts=2)
    assert [n for n, _p in page.parts] == [4, 7] and page.truncated
    page = journal.parts(uid, marker=7, max_parts=2)
    assert [n for n, _p in page.parts] == [9] and not page.truncated


def test_list_uploads_orders_by_key_then_creation(journal: Journal) -> None:
    """
    ListMultipartUploads sorts by key (UTF-8 bytes), then by creation
    time for several uploads of one key, and honours prefix, the markers
    and max-uploads; other buckets do not show.
    """
    ids: dict[str, list[str]] = {}
    for t, key in enumerate(["b", "a", "b", "c", "\u00e9", "ab"]):
        ids.setdefault(key, []).append(journal.create_upload("bk", key, created_ns=1000 + t))
    journal.create_upload("other", "a")
    keys = [(u.key, u.upload_id) for u in journal.list_uploads("bk").uploads]
    assert keys == [("a", ids["a"][0]), ("ab", ids["ab"][0]), ("b", ids["b"][0]),
                    ("b", ids["b"][1]), ("c", ids["c"][0]), ("\u00e9", ids["\u00e9"][0])]
    page = journal.list_uploads("bk", max_uploads=3)
    assert page.truncated and (page.next_key_marker, page.next_upload_id_marker) == ("b", ids["b"][0])
    rest = journal.list_uploads("bk", key_marker="b", upload_id_marker=ids["b"][0])
    assert [u.upload_id for u in rest.uploads] == [ids["b"][1], ids["c"][0], ids["\u00e9"][0]]
    assert not rest.truncated
    after_b = journal.list_uploads("bk", key_marker="b")
    assert [u.key for u in after_b.uploads] == ["c", "\u00e9"]
    assert [u.key for u in journal.list_uploads("bk", prefix="a").uploads] == ["a", "ab"]


def test_list_uploads_rolls_up_common_prefixes(journal: Journal) -> None:
    """
    With a delimiter, keys containing it after the prefix are listed once
    as a common prefix, which counts as one entry against max-uploads.
    """
    for key in ["a/1", "a/2", "b", "c/x/1", "c/y"]:
        journal.create_upload("bk", key)
    page = journal.list_uploads("bk", delimiter="/")
    assert [u.key for u in page.uploads] == ["b"] and page.common_prefixes == ("a/", "c/")
    page = journal.list_uploads("bk", delimiter="/", max_uploads=1)
    assert page.common_prefixes == ("a/",) and page.truncated and page.next_key_marker == "a/"
    page = journal.list_uploads("bk", delimiter="/", key_marker="a/")
    assert [u.key for u in page.uploads] == ["b"] and page.common_prefixes == ("c/",)
    page = journal.list_uploads("bk", prefix="c/", delimiter="/")
    assert [u.key for u in page.uploads] == ["c/y"] and page.common_prefixes == ("c/x/",)


def test_expired_lists_old_uploads_oldest_first(journal: Journal) -> None:
    """
    expired() names the uploads created before the cut-off, oldest first,
    for the expiry timer to abort.
    """
    old2 = journal.create_upload("b", "x", created_ns=200)
    old1 = journal.create_upload("b", "y", created_ns=100)
    journal.create_upload("b", "z", created_ns=300)
    assert journal.expired(300) == [old1, old2]


def test_closed_journal_refuses_calls(journal: Journal) -> None:
    """
    After close, calls raise JournalClosed; closing again is harmless.
    """
    journal.close()
    journal.close()
    with pytest.raises(JournalClosed):
        journal.create_upload("b", "k")


def test_completion_is_durable_with_the_next_sync_and_safe_if_lost(tmp_path: Path) -> None:
    """
    complete() does not wait for its own sync. If a crash loses its record,
    replay still shows the upload, and reconciliation (its parts are no
    longer detached: the object holds them) aborts it, as completion would
    have; after a clean close the completion is on disk.
    """
    import shutil

    from cartridge_d.journal import part_owner_tag

    path = str(tmp_path / "j")
    journal = Journal.open(path)
    uid = journal.create_upload("b", "k")
    attached = extent_part(10)
    left_out = extent_part(20)
    journal.record_part(uid, 1, attached)
    journal.record_part(uid, 2, left_out)
    rest = journal.complete(uid, [attached.ref])
    assert rest == [left_out]
    assert journal.get(uid) is None
    crashed = str(tmp_path / "crashed")
    shutil.copyfile(path, crashed)  # what a crash right now would leave on disk
    after_crash = Journal.open(crashed)
    try:
        assert after_crash.get(uid) is not None
        release = after_crash.reconcile([(part_owner_tag(uid, 2), left_out.ref)])
        assert release == [left_out.ref]
        assert after_crash.get(uid) is None
    finally:
        after_crash.close()
    journal.close()
    reopened = Journal.open(path)
    try:
        assert reopened.get(uid) is None
        assert reopened.uploads() == []
    finally:
        reopened.close()
