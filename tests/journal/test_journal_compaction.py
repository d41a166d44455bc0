"""
Compaction (docs/journal.md, "Compaction"): it preserves the state, it starts by itself when
the file outgrows its live state, and a kill between any two of its steps leaves a valid
journal (the old one or the new one) that replays to the same state.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cartridge_d.journal import Journal, JournalFailed
from cartridge_d.journal import format as fmt

from journal_helpers import Events, extent_part, live, numbers

ROOT = Path(__file__).resolve().parents[2]


def _churn(path: str, pause: Callable[[str], None] = lambda step: None
           ) -> tuple[Journal, str, str]:
    """
    A journal (that compacts only when asked) left with two live uploads
    after much replacing, completing and aborting.
    """
    j = Journal.open(path, Events(), compact_min_bytes=1 << 30, pause=pause)
    keep = j.create_upload("b", "keep")
    for i in range(40):
        j.record_part(keep, 1 + i % 3, extent_part(i))
        gone = j.create_upload("b", "gone%d" % i)
        j.record_part(gone, 1, extent_part(1000 + i))
        if i % 2:
            j.complete(gone)
        else:
            j.abort(gone)
    other = j.create_upload("c", "other")
    j.record_part(other, 5, extent_part(5000))
    return j, keep, other


def test_compaction_preserves_state_and_shrinks_the_file(tmp_path: Path) -> None:
    """
    After compaction the file is its live size, replays to the same
    uploads and parts, and takes new records.
    """
    path = str(tmp_path / "j")
    j, keep, other = _churn(path)
    before = j.uploads()
    big = j.file_size()
    j.compact()
    assert os.path.getsize(path) == j.live_size() < big // 4
    j.record_part(other, 6, extent_part(6000))
    j.close()
    events = Events()
    j = Journal.open(path, events)
    assert events == []
    assert j.get(keep) == before[0]
    assert numbers(j, other) == [5, 6]
    j.close()


def test_compaction_starts_by_itself(tmp_path: Path) -> None:
    """
    Once the file is over four times its live state (and over the
    minimum size), the write that made it so starts a compaction, which
    brings the file back under the bound.
    """
    path = str(tmp_path / "j")
    j = Journal.open(path, Events(), compact_min_bytes=4096)
    uid = j.create_upload("b", "k")
    for i in range(300):
        j.record_part(uid, 1, extent_part(i))
        j.settle()
        assert j.file_size() <= max(4096, 4 * j.live_size()) + 200
    assert os.path.getsize(path) == j.file_size()
    j.close()
    assert live(Journal.open(path, Events()), uid).parts == ((1, extent_part(299)),)


def _complete_a_big_upload(j: Journal) -> tuple[str, str]:
    """
    Complete an upload of 64 parts while another upload (with no parts
    yet) stays live: the file is then far over its live state, so the
    Complete starts a compaction. Returns the two upload ids.
    """
    done = j.create_upload("b", "done")
    for n in range(1, 65):
        j.record_part(done, n, extent_part(n))
    other = j.create_upload("b", "other")
    j.complete(done, [part.ref for _n, part in live(j, done).parts])
    return done, other


def test_complete_does_not_wait_for_the_compaction_it_starts(tmp_path: Path) -> None:
    """
    A Complete that leaves the file far over its live state is answered
    while the compaction it started is still running (here: held after
    writing the new file); other uploads' records queue behind it, and
    once it ends the file is the live state, which replays as it was.
    """
    written, release = threading.Event(), threading.Event()

    def pause(step: str) -> None:
        if step == "written":
            written.set()
            assert release.wait(30), "the test never released the compaction"

    path = str(tmp_path / "j")
    j = Journal.open(path, Events(), compact_min_bytes=4096, pause=pause)
    done, other = _complete_a_big_upload(j)
    assert written.wait(30), "no compaction started"
    late: list[object] = []
    appender = threading.Thread(target=lambda: late.append(j.record_part(other, 1, extent_part(99))))
    appender.start()
    release.set()
    appender.join(30)
    j.settle()
    assert late == [None]
    assert os.path.getsize(path) == j.file_size() <= j.live_size() + 200
    j.close()
    reopened = Journal.open(path, Events())
    assert reopened.get(done) is None
    assert live(reopened, other).parts == ((1, extent_part(99)),)
    reopened.close()


_CHILD = textwrap.dedent("""
    import os, sys
    from cartridge_d.journal import Journal
    def pause(step):
        if step == sys.argv[2]:
            os._exit(9)
    j = Journal.open(sys.argv[1], pause=pause, compact_min_bytes=1 << 30)
    j.compact()
    os._exit(0)
""")


@pytest.mark.parametrize("step", ["written", "synced", "renamed", "never"])
def test_kill_during_compaction_leaves_a_valid_journal(tmp_path: Path, step: str) -> None:
    """
    A process killed after writing, after syncing, or after renaming the
    compacted file (or not at all) leaves a journal that is either the old
    file or the compacted one, and replays to the same state without a
    report.
    """
    path = str(tmp_path / "j")
    j, keep, other = _churn(path)
    expected = j.uploads()
    live = j.live_size()
    j.close()
    old = Path(path).read_bytes()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _CHILD, path, step], env=env, timeout=60)
    assert done.returncode == (0 if step == "never" else 9)
    now = Path(path).read_bytes()
    assert now == old if step in ("written", "synced") else len(now) == live
    events = Events()
    j = Journal.open(path, events)
    assert events == [] and j.uploads() == expected
    assert not os.path.exists(path + fmt.COMPACT_SUFFIX)
    j.close()


def test_failed_compaction_keeps_the_old_journal_in_use(tmp_path: Path) -> None:
    """
    If compaction fails before its rename (here: the disk is full while
    syncing the new file), the write that triggered it still succeeds, the
    old journal stays in use, and everything replays.
    """
    def disk_full(step: str) -> None:
        if step == "written":
            raise OSError(28, "No space left on device")

    path = str(tmp_path / "j")
    j, _keep, other = _churn(path, disk_full)
    j.compact()
    assert not os.path.exists(path + fmt.COMPACT_SUFFIX)
    j.record_part(other, 7, extent_part(7000))
    j.close()
    assert numbers(Journal.open(path, Events()), other) == [5, 7]


def test_background_compaction_failing_after_its_rename_poisons_the_journal(
        tmp_path: Path) -> None:
    """
    A compaction started by a Complete that fails after its rename (the
    directory sync fails) is reported to nobody's request, but no append
    may trust the old descriptor: the next write raises JournalFailed,
    and the file in place is the compacted one, which replays.
    """
    def dir_sync_fails(step: str) -> None:
        if step == "renamed":
            raise OSError(5, "Input/output error")

    path = str(tmp_path / "j")
    j = Journal.open(path, Events(), compact_min_bytes=4096, pause=dir_sync_fails)
    done, other = _complete_a_big_upload(j)
    j.settle()
    with pytest.raises(JournalFailed):
        j.record_part(other, 1, extent_part(99))
    j.close()
    reopened = Journal.open(path, Events())
    assert reopened.get(done) is None
    assert numbers(reopened, other) == []
    reopened.close()
