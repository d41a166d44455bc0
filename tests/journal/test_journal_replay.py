"""
Replay after crashes and damage (docs/journal.md, "Replay"): a torn tail is dropped with a
warning, damage in the middle stops replay safely and is reported, and the journal stays
usable afterwards.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from cartridge_d.journal import Journal, NotAJournal
from cartridge_d.journal import format as fmt
from cartridge_d.journal.log import frame

from journal_helpers import Events, extent_part, live, numbers


def _two_uploads(path: str) -> tuple[str, str, int]:
    """
    A journal with two uploads of two parts each, closed; returns the ids
    and the offset where the last record (part 2 of the second) begins.
    """
    j = Journal.open(path, Events())
    a = j.create_upload("b", "a")
    j.record_part(a, 1, extent_part(10))
    j.record_part(a, 2, extent_part(11))
    b = j.create_upload("b", "b")
    j.record_part(b, 1, extent_part(20))
    last = j.file_size()
    j.record_part(b, 2, extent_part(21))
    j.close()
    return a, b, last


def test_torn_last_record_is_dropped_at_every_cut(tmp_path: Path) -> None:
    """
    Whatever byte of the last record the file was cut at, reopening
    reports one torn-tail warning, keeps every earlier record, drops the
    torn one, and appends after it normally.
    """
    path = str(tmp_path / "j")
    a, b, last = _two_uploads(path)
    whole = Path(path).read_bytes()
    assert len(whole) - last < 400
    for cut in range(last + 1, len(whole)):
        Path(path).write_bytes(whole[:cut])
        events = Events()
        j = Journal.open(path, events)
        assert events.kinds() == ["torn-tail"], cut
        assert events[0].offset == last and events[0].dropped == cut - last
        assert numbers(j, a) == [1, 2]
        assert numbers(j, b) == [1]
        assert os.path.getsize(path) == last
        j.record_part(b, 3, extent_part(22))
        j.close()
        again = Events()
        j = Journal.open(path, again)
        assert again == [] and numbers(j, b) == [1, 3]
        j.close()


def test_zero_filled_tail_is_a_torn_tail(tmp_path: Path) -> None:
    """
    Zeros after the last record (a file system that extended the file
    before writing the data) are a torn tail, not damage.
    """
    path = str(tmp_path / "j")
    a, _b, _last = _two_uploads(path)
    size = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(b"\0" * 300)
    events = Events()
    j = Journal.open(path, events)
    assert events.kinds() == ["torn-tail"] and events[0].offset == size
    assert len(live(j, a).parts) == 2
    j.close()


def test_flipped_byte_in_the_middle_stops_replay_there(tmp_path: Path) -> None:
    """
    A byte flipped inside an early record is reported as damage; replay
    keeps the records before it only, the damaged file is kept aside, and
    the rewritten journal replays cleanly and takes new records.
    """
    path = str(tmp_path / "j")
    j = Journal.open(path, Events())
    a = j.create_upload("b", "a")
    second = j.file_size()
    j.record_part(a, 1, extent_part(10))
    j.record_part(a, 2, extent_part(11))
    j.close()
    damaged = bytearray(Path(path).read_bytes())
    damaged[second + 12] ^= 0x40
    Path(path).write_bytes(bytes(damaged))
    events = Events()
    j = Journal.open(path, events)
    assert events.kinds() == ["damage"] and events[0].offset == second
    assert j.get(a) is not None and live(j, a).parts == ()
    kept = glob.glob(path + fmt.DAMAGED_SUFFIX + "*")
    assert len(kept) == 1 and Path(kept[0]).read_bytes() == bytes(damaged)
    j.record_part(a, 3, extent_part(12))
    j.close()
    again = Events()
    j = Journal.open(path, again)
    assert again == [] and numbers(j, a) == [3]
    j.close()


def test_unknown_record_type_is_skipped_with_a_report(tmp_path: Path) -> None:
    """
    A well-framed record of a type this version does not know (a newer
    minor version wrote it) is reported and skipped; later records apply.
    """
    path = str(tmp_path / "j")
    j = Journal.open(path, Events())
    a = j.create_upload("b", "a")
    j.close()
    with open(path, "ab") as f:
        f.write(frame(77, b"future"))
    j = Journal.open(path, Events())
    j.record_part(a, 1, extent_part(1))
    j.close()
    events = Events()
    j = Journal.open(path, events)
    assert events.kinds() == ["skipped"]
    assert numbers(j, a) == [1]
    j.close()


def test_record_for_unknown_upload_is_skipped(tmp_path: Path) -> None:
    """
    A part record naming an upload that does not exist is reported and
    ignored rather than inventing an upload.
    """
    from cartridge_d.journal.records import PartStored, encode

    path = str(tmp_path / "j")
    Journal.open(path, Events()).close()
    with open(path, "ab") as f:
        f.write(frame(*encode(PartStored("nope", 1, extent_part(1)))))
    events = Events()
    j = Journal.open(path, events)
    assert events.kinds() == ["skipped"] and j.uploads() == []
    j.close()


@pytest.mark.parametrize("content", [b"", b"hello, not a journal at all", b"CARTJNL\0\x02\0"])
def test_foreign_files_are_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    """
    A file that is not a journal (or has a bad header) refuses to open and
    is left as it was.
    """
    path = tmp_path / "j"
    path.write_bytes(content)
    with pytest.raises(NotAJournal):
        Journal.open(str(path), Events())
    assert path.read_bytes() == content


def test_newer_major_version_is_refused(tmp_path: Path) -> None:
    """
    A journal of an unknown major version is refused, not misread.
    """
    from crc32c import crc32c

    from cartridge_d.journal.log import mask

    head = fmt.HEADER.pack(fmt.MAGIC, fmt.VERSION_MAJOR + 1, 0, 0)[:12]
    path = tmp_path / "j"
    path.write_bytes(head + mask(crc32c(head)).to_bytes(4, "little"))
    with pytest.raises(NotAJournal, match="major"):
        Journal.open(str(path), Events())


def test_leftover_compaction_file_is_removed(tmp_path: Path) -> None:
    """
    A .compact file left by a compaction that crashed before its rename
    is deleted at open; the journal itself is what replays.
    """
    path = str(tmp_path / "j")
    j = Journal.open(path, Events())
    a = j.create_upload("b", "a")
    j.close()
    Path(path + fmt.COMPACT_SUFFIX).write_bytes(b"half written")
    j = Journal.open(path, Events())
    assert not os.path.exists(path + fmt.COMPACT_SUFFIX) and j.get(a) is not None
    j.close()
