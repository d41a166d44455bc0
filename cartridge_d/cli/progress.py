"""
A progress bar for long offline work (fsck, snapshot export).

It draws only when standard error is a terminal, so scripts and logs get
clean output; the engine reports progress as (done, total) through a plain
callable and never knows about terminals.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO


class Progress:
    """
    Draw C{label [#####     ]  42%} on a terminal, at most ten times a second.
    """

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0
        self._drawn = False

    def update(self, done: int, total: int) -> None:
        """
        Report that C{done} of C{total} units of work are finished.
        """
        if not self.enabled or total <= 0:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done < total:
            return
        self._last = now
        fraction = min(1.0, done / total)
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + " " * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {fraction:4.0%}")
        self.stream.flush()
        self._drawn = True

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * (len(self.label) + self.WIDTH + 10) + "\r")
            self.stream.flush()
