"""
The daemon's pool hands each call to one idle worker through that worker's
own wake-up (cartridge_d/objectstore/threads.py, L{_Slot}; docs/perf-put5.md).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from cartridge_d.objectstore import threads
from cartridge_d.objectstore.threads import WorkerPool


def _fds() -> int:
    """
    How many file descriptors this process has open.
    """
    return len(os.listdir("/proc/self/fd"))


def _run_all(pool: WorkerPool, submitters: int, calls: int) -> list[int]:
    """
    Hand C{calls} numbered calls to C{pool} from each of C{submitters}
    threads at once; the numbers the calls returned, once all are back.
    """
    results: list[int] = []
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def on_result(ok: bool, result: Any) -> None:
        with lock:
            results.append(result if ok else -1)
        done.release()

    def submit(base: int) -> None:
        for i in range(calls):
            pool.callInThreadWithCallback(on_result, int, base + i)

    ts = [threading.Thread(target=submit, args=(s * calls,)) for s in range(submitters)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for _ in range(submitters * calls):
        assert done.acquire(timeout=30)
    return results


def _through_new_pool(size: int, submitters: int, calls: int) -> list[int]:
    """
    L{_run_all} on a new pool of C{size} workers, stopped afterwards.
    """
    pool = WorkerPool(size)
    pool.start()
    try:
        return _run_all(pool, submitters, calls)
    finally:
        pool.stop()


def test_calls_from_many_threads_each_run_once() -> None:
    """
    Calls handed over from several threads at once, more than there are
    workers, each run exactly once: none is lost between a worker going to
    sleep and a call arriving for it, none runs twice.
    """
    assert sorted(_through_new_pool(3, 4, 300)) == list(range(1200))


def test_calls_queued_while_every_worker_is_busy_run_in_order() -> None:
    """
    With every worker busy, calls wait and then run in the order they
    were handed over.
    """
    pool = WorkerPool(1)
    pool.start()
    gate = threading.Event()
    order: list[int] = []
    try:
        pool.callInThreadWithCallback(lambda ok, r: None, gate.wait, 30)
        for i in range(10):
            pool.callInThreadWithCallback(lambda ok, r: None, order.append, i)
        gate.set()
    finally:
        pool.stop()  # runs everything queued before it
    assert order == list(range(10))


def test_stopping_closes_the_workers_wake_ups() -> None:
    """
    Each worker's wake-up is a file descriptor while the pool runs, and a
    stopped pool leaves none open: starting and stopping pools does not
    leak descriptors.
    """
    before = _fds()
    for _ in range(3):
        assert sorted(_through_new_pool(4, 1, 20)) == list(range(20))
    assert _fds() == before


def test_without_eventfd_the_pool_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Where the system has no eventfd, workers sleep on a lock of their own
    instead, and every call still runs once.
    """
    monkeypatch.delattr(threads.os, "eventfd", raising=False)
    assert sorted(_through_new_pool(2, 2, 100)) == list(range(200))
