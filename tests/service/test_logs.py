"""
Tests for the journald-friendly log observer.
"""

from __future__ import annotations

import io
from typing import Any

from twisted.internet.task import Clock
from twisted.logger import FileLogObserver, Logger

from cartridge_d.s3.accesslog import AccessLog, AccessRecord
from cartridge_d.service.logs import _format


def test_access_batch_is_one_journal_line_per_request() -> None:
    """
    A batch of access lines becomes one plain line per request (journald
    stamps each), not one entry with tab-indented continuation lines.
    """
    events: list[dict[str, Any]] = []
    clock = Clock()
    access = AccessLog(Logger(observer=events.append), clock)
    access.record(AccessRecord("GET", "bkt", "a", 200, 5, 0.0012, "ID1"))
    access.record(AccessRecord("PUT", "", "", "-", 0, 0.5, "ID2", lost=True))
    clock.advance(0)
    out = io.StringIO()
    observer = FileLogObserver(out, _format)
    for event in events:
        observer(event)
    assert out.getvalue() == (
        "GET bkt a 200 5 0.001s ID1\n"
        "PUT - - - 0 0.500s ID2 (connection lost)\n"
    )


def test_other_events_keep_their_text() -> None:
    """
    Any other event is its text without timestamp, continuation lines
    indented.
    """
    events: list[dict[str, Any]] = []
    Logger(observer=events.append).info("Opened {path}\nsecond", path="/x")
    assert _format(events[0]) == "Opened /x\n\tsecond\n"
