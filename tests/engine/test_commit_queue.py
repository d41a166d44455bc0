"""
The group-commit queue on its own: a new leader gathers the requests of
the threads it just woke before it starts the next batch, and never waits
for threads that do not come.
"""

from __future__ import annotations

import threading
import time

import pytest

from cartridge_d.engine import commitqueue
from cartridge_d.engine.commitqueue import CommitQueue, Request


def _queue(batches: list[list[object]]) -> CommitQueue:
    """
    A queue whose batches record their requests' operations and answer
    each request with its own operations.
    """
    def run(batch: list[Request]) -> None:
        batches.append([r.ops for r in batch])
        for r in batch:
            r.results = list(r.ops)

    return CommitQueue(run, prepare=lambda ops: ops)


def test_leader_gathers_the_threads_of_the_last_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    When fewer requests are queued than were active after the last batch,
    the new leader waits for the others (here with no time limit), so a
    request arriving meanwhile shares the batch and its sync.
    """
    monkeypatch.setattr(commitqueue, "GATHER_MAX_S", 60.0)
    monkeypatch.setattr(commitqueue, "GATHER_STEP_S", 60.0)
    batches: list[list[object]] = []
    q = _queue(batches)
    q._active = 2  # as if the last batch had carried two requests
    got: list[object] = []
    leader = threading.Thread(target=lambda: got.append(q.submit(["a"])))
    leader.start()
    for _ in range(60_000):
        if q._want:
            break
        time.sleep(0.001)
    assert q._want == 2
    assert q.submit(["b"]) == ["b"]
    leader.join(60)
    assert got == [["a"]]
    assert batches == [[["a"], ["b"]]]


def test_leader_does_not_wait_for_threads_that_do_not_come(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """
    If no request arrives within a gathering step, the leader commits what
    it has: a lone request is not held back waiting for the last batch's
    threads.
    """
    monkeypatch.setattr(commitqueue, "GATHER_MAX_S", 60.0)
    monkeypatch.setattr(commitqueue, "GATHER_STEP_S", 0.001)
    batches: list[list[object]] = []
    q = _queue(batches)
    q._active = 5
    assert q.submit(["alone"]) == ["alone"]
    assert batches == [[["alone"]]]
    assert q._want == 0


def test_single_thread_batches_are_single() -> None:
    """
    One thread committing again and again runs one request per batch and
    always finds as many queued as were active, so it never gathers.
    """
    batches: list[list[object]] = []
    q = _queue(batches)
    for i in range(50):
        assert q.submit([i]) == [i]
    assert batches == [[[i]] for i in range(50)]
    assert q._active == 1
