"""
Group commit: many threads' requests share one transaction and one pair of
syncs, and each caller returns only when its request is durable.

The first thread to find no commit running becomes the leader: it takes
every queued request, runs them as one transaction, and wakes the others.
While it syncs, new requests queue up for the next leader, so the more
threads commit at once, the more requests each sync carries.
"""

from __future__ import annotations

import threading
from typing import Callable, Sequence


class Request:
    """
    One caller's operations, and their results once the batch is done.
    """

    __slots__ = ("ops", "results", "error", "done")

    def __init__(self, ops: Sequence[object]) -> None:
        self.ops = ops
        self.results: list[object] = []
        self.error: BaseException | None = None
        self.done = False


class CommitQueue:
    """
    Runs batches of requests through C{run_batch}, one batch at a time.
    C{run_batch} sets each request's results or error and must not raise.
    """

    def __init__(self, run_batch: Callable[[list[Request]], None], max_batch: int = 4096) -> None:
        self._run_batch = run_batch
        self._max = max_batch
        self._cv = threading.Condition()
        self._queue: list[Request] = []
        self._busy = False

    def submit(self, ops: Sequence[object]) -> list[object]:
        req = Request(ops)
        with self._cv:
            self._queue.append(req)
        while True:
            with self._cv:
                while self._busy and not req.done:
                    self._cv.wait()
                if req.done:
                    return _outcome(req)
                self._busy = True
                batch = self._queue[:self._max]
                del self._queue[:self._max]
            try:
                self._run_batch(batch)
            finally:
                with self._cv:
                    for r in batch:
                        r.done = True
                    self._busy = False
                    self._cv.notify_all()

    def drain(self) -> None:
        """
        Wait until no commit is running or queued.
        """
        with self._cv:
            while self._busy or self._queue:
                self._cv.wait(0.05)


def _outcome(req: Request) -> list[object]:
    if req.error is not None:
        raise req.error
    return req.results
