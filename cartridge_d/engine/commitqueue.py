"""
Group commit: many threads' requests share one transaction and one pair of
syncs, and each caller returns only when its request is durable.

The first thread to find no commit running becomes the leader: it takes
every queued request, runs them as one transaction, wakes the threads whose
requests it ran, and hands leadership to the oldest waiting request's
thread, if any. While it syncs, new requests queue up for the next leader,
so the more threads commit at once, the more requests each sync carries.
Each thread sleeps on its own lock, so a commit wakes only its callers; and
they wake in a chain, each woken thread waking the next (L{Request.next}).
With 16 threads, a leader releasing every lock itself cost about one more
context switch per commit and 5-7% of the commits/s (docs/perf-group.md):
each thread it woke wanted the GIL the leader still held.

Left at that, N busy threads split into two groups of about N/2 that take
turns: the next batch starts at once with the requests that queued during
the last one, before the threads just woken have come back. So a new
leader first waits, briefly and only while requests keep arriving, for as
many requests as were active at the end of the last batch (see
L{CommitQueue._take}): each sync and each batch's fixed work then serve
all N threads instead of half of them.

test-case-name: tests.engine.test_commit_queue, tests.engine.test_engine_concurrency
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from .operations import prepare as prepare_ops


#: The longest a new leader waits for the last batch's threads to come
#: back, and the longest it waits for the next one to arrive.
GATHER_MAX_S = 0.001
GATHER_STEP_S = 0.0002


class Request:
    """
    One caller's operations, and their results once the batch is done.
    """

    __slots__ = ("ops", "results", "error", "done", "next", "_wake")

    def __init__(self, ops: Sequence[object]) -> None:
        self.ops = ops
        self.results: list[object] = []
        self.error: BaseException | None = None
        self.done = False
        #: the request of the same batch whose thread this one's wakes
        self.next: Request | None = None
        #: held until the request is done or its thread becomes leader: a
        #: bare lock released once by another thread, which costs far less
        #: than an Event (a Condition and its notify loop) per request
        self._wake = threading.Lock()
        self._wake.acquire()

    def wait(self) -> None:
        self._wake.acquire()

    def wake(self) -> None:
        """
        Let the waiting thread go on; called exactly once per waiter.
        """
        self._wake.release()


class CommitQueue:
    """
    Runs batches of requests through C{run_batch}, one batch at a time.
    C{run_batch} sets each request's results or error and must not raise.
    C{prepare} runs in the submitting thread, before the request queues:
    whatever it computes is not computed by the leader, whose work is the
    serial part of a group commit (L{cartridge_d.engine.operations.prepare}).
    """

    def __init__(self, run_batch: Callable[[list[Request]], None], max_batch: int = 4096,
                 prepare: Callable[[Sequence[object]], Sequence[object]] = prepare_ops
                 ) -> None:
        self._run_batch = run_batch
        self._prepare = prepare
        self._max = max_batch
        self._lock = threading.Lock()
        self._queue: list[Request] = []
        self._busy = False
        self._idle = threading.Condition(self._lock)
        #: requests active at the end of the last batch (run or queued)
        self._active = 0
        #: while a leader gathers: the queue length it waits for
        self._want = 0
        self._arrival = threading.Condition(self._lock)

    def submit(self, ops: Sequence[object]) -> list[object]:
        req = Request(self._prepare(ops))
        with self._lock:
            self._queue.append(req)
            lead = not self._busy
            self._busy = True
            if self._want and len(self._queue) >= self._want:
                self._arrival.notify()
        if not lead:
            req.wait()
            if req.done:
                if req.next is not None:
                    req.next.wake()
                return _outcome(req)
        # this thread leads: run batches until its own request is done
        while True:
            with self._lock:
                batch = self._take()
            try:
                self._run_batch(batch)
            finally:
                with self._lock:
                    self._active = len(batch) + len(self._queue)
                    _wake_chain(batch, req)
                    if req.done and self._queue:
                        self._queue[0].wake()  # the next leader
                    elif not self._queue:
                        self._busy = False
                        self._idle.notify_all()
            if req.done:
                return _outcome(req)

    def _take(self) -> list[Request]:
        """
        The next batch; called by the leader with the lock held. If fewer
        requests are queued than were active after the last batch, wait
        for the others (their threads were just woken and are preparing
        their next request) while they keep coming: at most
        C{GATHER_MAX_S}, and no longer than C{GATHER_STEP_S} without a new
        arrival. A single thread, or threads that do not come back, cost
        one step at most; the wait lets go of the GIL, so the threads
        being waited for run meanwhile.
        """
        want = min(self._max, self._active)
        if len(self._queue) < want:
            self._want = want
            deadline = time.monotonic() + GATHER_MAX_S
            while len(self._queue) < want:
                seen = len(self._queue)
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrival.wait(min(GATHER_STEP_S, left))
                if len(self._queue) == seen:
                    break
            self._want = 0
        batch = self._queue[:self._max]
        del self._queue[:self._max]
        return batch

    def drain(self) -> None:
        """
        Wait until no commit is running or queued.
        """
        with self._lock:
            while self._busy or self._queue:
                self._idle.wait(0.05)


def _wake_chain(batch: list[Request], leader: Request) -> None:
    """
    Mark every request of C{batch} done and wake the first waiting one;
    each woken thread wakes the next (C{Request.next}), so the leader
    releases one lock instead of one per request.
    """
    prev: Request | None = None
    first: Request | None = None
    for r in batch:
        r.done = True
        if r is leader:
            continue
        if prev is None:
            first = r
        else:
            prev.next = r
        prev = r
    if first is not None:
        first.wake()


def _outcome(req: Request) -> list[object]:
    if req.error is not None:
        raise req.error
    return req.results
