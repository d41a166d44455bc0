"""
The one way the object store does blocking work: a facade over a Twisted
thread pool.

Every engine call (reads, writes, commits) and every bulk hash runs in the
pool through L{BlockingFacade.run}, one thread hop per logical step, so the
reactor thread never waits on the disk. The reactor and the pool are
passed in (no module globals), so tests hand in a synchronous stand-in
(L{cartridge_d.testing.threads}) and need no real threads.

test-case-name: tests.objectstore.test_threads
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool

T = TypeVar("T")


class ThreadPoolLike(Protocol):
    """
    What L{deferToThreadPool} needs of a pool
    (L{twisted.python.threadpool.ThreadPool} provides it).
    """

    def callInThreadWithCallback(
        self, onResult: Callable[[bool, Any], object], func: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        """
        Run C{func} in a pool thread, then C{onResult(success, result)}.
        """


class BlockingFacade:
    """
    Runs blocking callables in a thread pool and delivers their results to
    the reactor thread as Deferreds.

    Thread contract: L{run} is called in the reactor thread; the callable
    runs in a pool thread and must not touch Twisted objects; the
    returned Deferred fires in the reactor thread.
    """

    def __init__(self, reactor: Any, threadpool: ThreadPoolLike) -> None:
        self._reactor = reactor
        self._pool = threadpool

    def run(self, f: Callable[..., T], *args: Any, **kwargs: Any) -> Deferred[T]:
        """
        Call C{f(*args, **kwargs)} in the pool.

        @return: a Deferred firing with its result or failing with its
            exception.
        """
        d: Deferred[T] = deferToThreadPool(self._reactor, self._pool, f, *args, **kwargs)  # type: ignore[arg-type]
        return d
