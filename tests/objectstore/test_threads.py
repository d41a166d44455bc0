"""
Tests for L{BlockingFacade}: results and errors of blocking calls come
back as Deferreds, through the synchronous pool and through a real
Twisted thread pool.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from twisted.python.threadpool import ThreadPool

from cartridge_d.objectstore.threads import BlockingFacade, WorkerPool
from cartridge_d.testing.deferreds import failure_of, result_of
from cartridge_d.testing.threads import synchronous_facade


def test_result() -> None:
    """
    The Deferred fires with the callable's result, arguments passed on.
    """
    facade, pool = synchronous_facade()
    d = facade.run(lambda a, b=0: a + b, 2, b=3)
    assert result_of(d) == 5
    assert pool.calls == 1


def test_error() -> None:
    """
    An exception in the callable fails the Deferred with it.
    """
    facade, _ = synchronous_facade()

    def boom() -> None:
        raise KeyError("x")

    failure_of(facade.run(boom), KeyError)


class _Reactor:
    """
    Delivers results from the pool thread and says when it did.
    """

    def __init__(self) -> None:
        self.delivered = threading.Event()

    def callFromThread(self, f: Callable[..., Any], *args: Any, **kw: Any) -> None:
        f(*args, **kw)
        self.delivered.set()


def test_real_pool_runs_in_another_thread() -> None:
    """
    With a real ThreadPool the callable runs off the calling thread and its
    result is handed over with callFromThread.
    """
    pool = ThreadPool(minthreads=1, maxthreads=1)
    pool.start()
    try:
        reactor = _Reactor()
        d = BlockingFacade(reactor, pool).run(threading.get_ident)
        assert reactor.delivered.wait(10)
        assert result_of(d) != threading.get_ident()
    finally:
        pool.stop()


class _CountingReactor:
    """
    Queues what the pool hands over, to run later "in the reactor", and
    counts the wake-ups.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self.lock = threading.Lock()

    def callFromThread(self, f: Callable[..., Any], *args: Any, **kw: Any) -> None:
        with self.lock:
            self.calls.append((f, args))

    def run_pending(self) -> None:
        with self.lock:
            calls, self.calls = self.calls, []
        for f, args in calls:
            f(*args)


def test_worker_pool_results_and_errors() -> None:
    """
    Through the daemon's L{WorkerPool}, each call runs off the calling
    thread and its Deferred fires with its result, or fails with its
    exception, once the reactor runs what the pool handed over.
    """
    pool = WorkerPool(2)
    pool.start()
    try:
        reactor = _Reactor()
        facade = BlockingFacade(reactor, pool)
        d = facade.run(threading.get_ident)
        assert reactor.delivered.wait(10)
        assert result_of(d) != threading.get_ident()

        def boom() -> None:
            raise KeyError("x")

        reactor.delivered.clear()
        d2 = facade.run(boom)
        assert reactor.delivered.wait(10)
        failure_of(d2, KeyError)
    finally:
        pool.stop()


def test_results_share_a_wake_up() -> None:
    """
    Results that finish while the reactor has not yet run the pending
    wake-up are all delivered by that one wake-up, in the order they
    finished.
    """
    pool = WorkerPool(1)
    pool.start()
    gate = threading.Event()
    try:
        reactor = _CountingReactor()
        facade = BlockingFacade(reactor, pool)
        first = facade.run(gate.wait, 10)
        rest = [facade.run(lambda i=i: i) for i in range(5)]
        gate.set()
        pool.stop()  # every queued call has run
        assert len(reactor.calls) == 1
        reactor.run_pending()
        assert result_of(first) is True
        assert [result_of(d) for d in rest] == [0, 1, 2, 3, 4]
    finally:
        pool.stop()


def test_worker_pool_stop_finishes_queued_work() -> None:
    """
    Stopping the pool runs every call queued before the stop (a commit
    it accepted is never dropped), then joins its threads; stopping twice
    is harmless.
    """
    pool = WorkerPool(2)
    pool.start()
    done: list[int] = []
    for i in range(20):
        pool.callInThreadWithCallback(lambda ok, r: None, done.append, i)
    pool.stop()
    pool.stop()
    assert sorted(done) == list(range(20))
    assert not any(t.name.startswith("cartridge-s3-") and t.is_alive() for t in threading.enumerate())
