"""
Concurrent writers (docs/journal.md, "Durability and the order of operations"): every
append from every thread is durable when its call returns and replays afterwards, and a
failed sync fails the journal for good instead of pretending.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cartridge_d.journal import Journal, JournalFailed
from cartridge_d.journal.log import ReadResult, read_frames
from cartridge_d.journal.records import PartStored, decode

from journal_helpers import Events, extent_part, numbers

THREADS = 8
PARTS = 25


def test_parallel_parts_are_all_durable_and_replayed(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Eight threads each record 25 parts of one upload at once. When a call
    returns, its record lies within what had been synced (a power cut
    then would keep it), and after reopening every part is there.
    """
    path = str(tmp_path / "j")
    synced = [0]
    real_sync = os.fdatasync

    def counting_sync(fd: int) -> None:
        real_sync(fd)
        synced[0] = max(synced[0], os.fstat(fd).st_size)

    monkeypatch.setattr(os, "fdatasync", counting_sync)
    j = Journal.open(path, Events(), compact_min_bytes=1 << 30)
    uid = j.create_upload("b", "k")
    durable_at: dict[int, int] = {}
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(PARTS):
                n = 1 + t * PARTS + i
                j.record_part(uid, n, extent_part(n))
                durable_at[n] = synced[0]
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    whole = Path(path).read_bytes()
    for n, size in sorted(durable_at.items())[::17]:
        records = [decode(f.rtype, f.payload) for f in
                   read_frames(whole[:size], Events(), ReadResult())]
        assert any(isinstance(r, PartStored) and r.part_number == n for r in records)
    j.close()
    j = Journal.open(path, Events())
    assert numbers(j, uid) == list(range(1, THREADS * PARTS + 1))
    j.close()


def test_failed_sync_fails_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    When a sync fails the write reports it, and every later call fails
    too (a retried fsync may lie); reopening replays what was durable.
    """
    path = str(tmp_path / "j")
    j = Journal.open(path, Events())
    uid = j.create_upload("b", "k")

    def broken_sync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken_sync)
    with pytest.raises(JournalFailed):
        j.record_part(uid, 1, extent_part(1))
    monkeypatch.undo()
    with pytest.raises(JournalFailed):
        j.record_part(uid, 2, extent_part(2))
    with pytest.raises(JournalFailed):
        j.get(uid)
    j.close()
    assert Journal.open(path, Events()).get(uid) is not None
