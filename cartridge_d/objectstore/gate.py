"""
Per-upload shared/exclusive gates, so that recording a part never races
with completing or aborting the same upload.

Without it, a part re-uploaded while Complete runs could have its old data
released after Complete attached that data to the new object. Recording
parts takes the gate shared (parts of one upload are recorded in
parallel); Complete and Abort take it exclusive, so they see a settled set
of parts, and a part arriving afterwards finds the upload gone and gives
its own data back.

Thread contract: used in pool threads only; a gate never waits on the
reactor.

test-case-name: tests.multipart.test_multipart_errors
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class UploadGates:
    """
    One readers-writer gate per upload id, created on demand and forgotten
    when nobody holds it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared: dict[str, int] = {}
        self._exclusive: set[str] = set()

    @contextmanager
    def shared(self, upload_id: str) -> Iterator[None]:
        """
        Hold the gate of C{upload_id} together with other shared holders.
        """
        with self._cond:
            while upload_id in self._exclusive:
                self._cond.wait()
            self._shared[upload_id] = self._shared.get(upload_id, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                left = self._shared[upload_id] - 1
                if left:
                    self._shared[upload_id] = left
                else:
                    del self._shared[upload_id]
                self._cond.notify_all()

    @contextmanager
    def exclusive(self, upload_id: str) -> Iterator[None]:
        """
        Hold the gate of C{upload_id} alone.
        """
        with self._cond:
            while upload_id in self._exclusive or upload_id in self._shared:
                self._cond.wait()
            self._exclusive.add(upload_id)
        try:
            yield
        finally:
            with self._cond:
                self._exclusive.discard(upload_id)
                self._cond.notify_all()
