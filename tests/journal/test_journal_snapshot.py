"""
An upload's snapshot (Journal.get) as a Complete reads it: it always holds
the parts stored so far, in part number order, and a snapshot taken earlier
is not changed by a later part. Both matter because the live state keeps its
last snapshot until a part is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cartridge_d.journal import Journal

from journal_helpers import Events, extent_part, live


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal.open(str(tmp_path / "j"), Events())
    yield j
    j.close()


def test_a_snapshot_follows_every_part_stored(journal: Journal) -> None:
    """
    Parts stored out of order come back in number order. After each new
    or replaced part, the next snapshot shows it. An earlier snapshot
    keeps what it held.
    """
    uid = journal.create_upload("b", "k")
    p3, p1, p2, again = extent_part(3), extent_part(1), extent_part(2), extent_part(9)
    journal.record_part(uid, 3, p3)
    first = live(journal, uid)
    assert first.parts == ((3, p3),)
    journal.record_part(uid, 1, p1)
    journal.record_part(uid, 2, p2)
    second = live(journal, uid)
    assert second.parts == ((1, p1), (2, p2), (3, p3))
    assert live(journal, uid) == second
    journal.record_part(uid, 2, again)
    assert live(journal, uid).parts == ((1, p1), (2, again), (3, p3))
    assert first.parts == ((3, p3),)
    assert second.parts == ((1, p1), (2, p2), (3, p3))


def test_complete_after_a_snapshot_hands_back_the_unused_parts(journal: Journal,
                                                               tmp_path: Path) -> None:
    """
    A Complete that follows a snapshot (as the object store checks the
    parts first) returns exactly the parts not attached, including one
    replaced after the snapshot. After a restart the upload is gone.
    """
    uid = journal.create_upload("b", "k")
    p1, p2, p2b = extent_part(1), extent_part(2), extent_part(5)
    journal.record_part(uid, 1, p1)
    journal.record_part(uid, 2, p2)
    assert live(journal, uid).parts == ((1, p1), (2, p2))
    assert journal.record_part(uid, 2, p2b) == p2
    assert journal.complete(uid, [p1.ref]) == [p2b]
    assert journal.get(uid) is None
    journal.close()
    reopened = Journal.open(str(tmp_path / "j"), Events())
    try:
        assert reopened.get(uid) is None
    finally:
        reopened.close()
