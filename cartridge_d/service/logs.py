"""
Log output fit for journald.

journald stamps every line itself, so the observer built here writes each
event as one line of text without twistd's own timestamp. Use it with
C{twistd --logger=cartridge_d.service.logs.journal_observer}.
"""

from __future__ import annotations

import sys

from twisted.logger import FileLogObserver, eventAsText


def _format(event: dict[str, object]) -> str:
    requests = event.get("requests")
    if isinstance(requests, tuple) and event.get("log_format") == "{access}":
        # A batch of access lines (cartridge_d.s3.accesslog): one journal
        # entry per request, not one entry with continuation lines.
        return "".join(record.line() + "\n" for record in requests)
    text = eventAsText(event, includeTimestamp=False, includeSystem=False)
    return text.replace("\n", "\n\t") + "\n"


def journal_observer() -> FileLogObserver:
    """
    Build an observer writing one timestamp-free line per event to stdout.
    """
    return FileLogObserver(sys.stdout, _format)
