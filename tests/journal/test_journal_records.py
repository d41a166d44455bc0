"""
The journal's record codec and framing (docs/journal.md, "Payload encoding", "Frames").
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartridge_d.journal import format as fmt
from cartridge_d.journal.log import Frame, ReadResult, frame, header, read_frames
from cartridge_d.journal.model import new_upload_id, part_owner_tag
from cartridge_d.journal.records import PayloadError, Record, UploadCompleted, decode, encode

from journal_helpers import Events, records


@given(records)
def test_every_record_round_trips(record: Record) -> None:
    """
    Decoding an encoded record of any type gives back an equal record.
    """
    assert decode(*encode(record)) == record


@given(records)
def test_framed_record_replays(record: Record) -> None:
    """
    A framed record in a journal file reads back as one good frame with the
    same type and payload, and nothing is reported.
    """
    rtype, payload = encode(record)
    events = Events()
    frames = list(read_frames(header() + frame(rtype, payload), events, ReadResult()))
    assert [(f.rtype, f.payload) for f in frames] == [(rtype, payload)]
    assert events == []


@given(records, st.data())
def test_short_or_long_payload_is_refused(record: Record, data: st.DataObject) -> None:
    """
    A payload cut short or with bytes after it does not decode.
    """
    rtype, payload = encode(record)
    cut = data.draw(st.integers(0, len(payload) - 1))
    with pytest.raises(PayloadError):
        decode(rtype, payload[:cut])
    with pytest.raises(PayloadError):
        decode(rtype, payload + b"\0")


def test_unknown_record_type_is_refused() -> None:
    """
    A type this version does not know is a PayloadError (replay skips it).
    """
    with pytest.raises(PayloadError):
        decode(99, encode(UploadCompleted("u", 1))[1])


def test_frame_layout() -> None:
    """
    A frame is masked CRC32C, payload length, type, payload (LevelDB style),
    and the CRC covers the length and type too.
    """
    data = frame(4, b"abc")
    assert len(data) == fmt.FRAME_HEADER_SIZE + 3
    assert data[4:8] == (3).to_bytes(4, "little") and data[8] == 4 and data[9:] == b"abc"
    frames = list(read_frames(header() + data, Events(), ReadResult()))
    assert frames == [Frame(fmt.HEADER_SIZE, len(data), 4, b"abc")]


def test_upload_ids_are_url_safe_long_and_sort_by_creation_time() -> None:
    """
    Upload ids are 40 URL-safe characters, distinct, and ordering them as
    strings orders them by creation time.
    """
    ids = [new_upload_id(t) for t in (5, 10**9, 10**18, 10**18 + 1)]
    assert all(len(i) == 40 and re.fullmatch("[0-9a-v]+", i) for i in ids)
    assert ids == sorted(ids)
    assert len({new_upload_id(7) for _ in range(100)}) == 100
    assert set(ids[0]) <= set(string.ascii_lowercase + string.digits)


def test_part_owner_tag_carries_the_journal_prefix() -> None:
    """
    The owner tag for a part's detached data starts with the prefix
    reconciliation looks for and names the upload and part.
    """
    tag = part_owner_tag("abc", 7)
    assert tag.startswith(fmt.PART_TAG_PREFIX) and tag.endswith(b"abc/7")
