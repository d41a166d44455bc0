"""
Tests for L{BlockingFacade}: results and errors of blocking calls come
back as Deferreds, through the synchronous pool and through a real
Twisted thread pool.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from twisted.python.threadpool import ThreadPool

from cartridge_d.objectstore.threads import BlockingFacade
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
