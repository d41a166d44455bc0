"""
The one way the object store does blocking work: a facade over a thread
pool, and the pool the daemon gives it.

Every engine call (reads, writes, commits) and every bulk hash runs in the
pool through L{BlockingFacade.run}, one thread hop per logical step, so the
reactor thread never waits on the disk. The reactor and the pool are
passed in (no module globals), so tests hand in a synchronous stand-in
(L{cartridge_d.testing.threads}) and need no real threads.

Why not C{deferToThreadPool} and Twisted's C{ThreadPool}: for a 4 KiB GET
the hop costs more CPU than the work.  Twisted's pool hands each call
through three workers of Python code and a C{queue.Queue} (a lock and a
condition variable per put and get), and every result wakes the reactor
through its waker pipe on its own.  Profiles of 16 clients doing small
GETs showed the reactor in that hand-off for 10-30% of its time and 39
C{futex} calls per request.  So here:

 - L{WorkerPool} is a fixed set of threads; a call goes straight to an
   idle one, woken through its own eventfd (L{_Slot}: one system call
   that lets go of the GIL, and wakes that thread alone), and
 - L{BlockingFacade} delivers results in batches: a pool thread appends its
   outcome to a queue and wakes the reactor only if no wake-up is already
   pending, so one C{callFromThread} (one waker write, one reactor
   turn) fires every result that finished meanwhile.

test-case-name: tests.objectstore.test_threads, tests.objectstore.test_pool_slots
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import Any, Callable, Dict, Optional, Protocol, Tuple, TypeVar

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

T = TypeVar("T")

OnResult = Callable[[bool, Any], object]


class ThreadPoolLike(Protocol):
    """
    What the facade needs of a pool (L{WorkerPool}, Twisted's C{ThreadPool}
    and the tests' synchronous pool provide it).
    """

    def callInThreadWithCallback(
        self, onResult: OnResult, func: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        """
        Run C{func} in a pool thread, then C{onResult(success, result)}
        there (a L{Failure} as the result when it raised).
        """


class ReactorLike(Protocol):
    """
    The one reactor method the facade uses.
    """

    def callFromThread(self, f: Callable[..., object], *args: Any, **kw: Any) -> None:
        """Call C{f} in the reactor thread, soon; safe from any thread."""


class BlockingFacade:
    """
    Runs blocking callables in a thread pool and delivers their results to
    the reactor thread as Deferreds, several per reactor wake-up.

    Thread contract: L{run} is called in the reactor thread; the callable
    runs in a pool thread and must not touch Twisted objects; the
    returned Deferred fires in the reactor thread.
    """

    def __init__(self, reactor: ReactorLike, threadpool: ThreadPoolLike) -> None:
        self._reactor = reactor
        self._pool = threadpool
        self._finished: deque[tuple[Deferred[Any], bool, Any]] = deque()
        self._lock = threading.Lock()
        self._wake_pending = False

    def run(self, f: Callable[..., T], *args: Any, **kwargs: Any) -> Deferred[T]:
        """
        Call C{f(*args, **kwargs)} in the pool.

        @return: a Deferred firing with its result or failing with its
            exception.
        """
        d: Deferred[T] = Deferred()
        self._pool.callInThreadWithCallback(_Delivery(self, d), f, *args, **kwargs)
        return d

    def _finish(self, d: Deferred[Any], ok: bool, result: Any) -> None:
        """
        Queue an outcome for the reactor (pool thread); wake the reactor
        unless a wake-up is already on its way, which will take this too.
        """
        self._finished.append((d, ok, result))
        with self._lock:
            if self._wake_pending:
                return
            self._wake_pending = True
        self._reactor.callFromThread(self._deliver)

    def _deliver(self) -> None:
        """
        Fire every queued outcome (reactor thread).

        The flag is cleared before the queue is drained: an outcome queued
        after that schedules a wake-up of its own (at worst one that finds
        nothing), so none is ever left waiting.
        """
        with self._lock:
            self._wake_pending = False
        finished = self._finished
        while finished:
            d, ok, result = finished.popleft()
            if ok:
                d.callback(result)
            else:
                d.errback(result)


class _Delivery:
    """
    The C{onResult} of one call: hands its outcome to the facade.
    (A small class rather than a closure: it is created once per hop.)
    """

    __slots__ = ("_facade", "_d")

    def __init__(self, facade: BlockingFacade, d: Deferred[Any]) -> None:
        self._facade = facade
        self._d = d

    def __call__(self, ok: bool, result: Any) -> None:
        self._facade._finish(self._d, ok, result)


_STOP = None

#: One queued call: (onResult, func, args, kw), or _STOP.
Item = Optional[Tuple[OnResult, Callable[..., Any], Tuple[Any, ...], Dict[str, Any]]]


class _Slot:
    """
    One worker's own wake-up: the call handed to it, and an eventfd it
    sleeps on (a lock where there is no eventfd).

    Why its own, and why an eventfd: the reactor hands a call over while
    it holds the GIL. Through a shared C{SimpleQueue} the woken worker
    preempted the reactor on its core, only to block on the GIL the
    reactor still held; both threads then waited for the GIL, 20-45 us per
    hand-off (docs/perf-small3.md). C{os.eventfd_write} lets go of the GIL
    around its system call, so the woken worker can take it and run while
    the reactor is off its core. One eventfd per worker, because a shared
    one wakes every sleeper on each write (docs/perf-small4.md).
    """

    __slots__ = ("item", "_fd", "_lock")

    def __init__(self) -> None:
        self.item: Item = None
        if hasattr(os, "eventfd"):
            self._fd = os.eventfd(0)
            self._lock = None
        else:
            self._fd = -1
            self._lock = threading.Lock()
            self._lock.acquire()

    def wait(self) -> Item:
        """
        Sleep until L{wake}; then the call handed over (worker thread).
        """
        if self._lock is None:
            os.eventfd_read(self._fd)
        else:
            self._lock.acquire()
        item, self.item = self.item, None
        return item

    def wake(self) -> None:
        """
        Let the sleeping worker go (once per L{wait}).
        """
        if self._lock is None:
            os.eventfd_write(self._fd, 1)
        else:
            self._lock.release()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class WorkerPool:
    """
    A fixed number of threads running queued callables.

    A call goes straight to an idle worker, the one idle last (its stack
    and caches are the warmest), through that worker's own L{_Slot}; with
    no worker idle it waits in a queue that workers empty before they
    sleep again.

    Thread contract: L{start} and L{stop} are called from one thread (the
    reactor's, through the service); L{callInThreadWithCallback} from any.
    Work queued before L{stop} is finished before it returns, so a commit
    the pool has accepted is never cut short.

    @ivar size: the number of threads.
    """

    _log = Logger()

    def __init__(self, size: int, name: str = "cartridge-s3") -> None:
        if size < 1:
            raise ValueError("a pool needs at least one thread")
        self.size = size
        self._name = name
        self._lock = threading.Lock()
        #: calls no idle worker was there to take, oldest first
        self._queue: deque[Item] = deque()
        #: the slots of sleeping workers, the latest last
        self._idle: list[_Slot] = []
        self._threads: list[tuple[threading.Thread, _Slot]] = []
        self.started = False

    def start(self) -> None:
        """
        Start the threads (idempotent).

        They are daemon threads: an idle pool must never keep the process
        alive. When twistd gives up at start-up (a port in use, a cartridge
        it cannot open), it never stops the services it started, and
        non-daemon workers waiting for work would hold the process in
        C{threading._shutdown}: running, serving nothing, for systemd to
        see as up. A normal stop still joins them through L{stop}
        (L{cartridge_d.service.maker.ThreadPoolService}), after the
        cartridge is closed, so no commit in flight is cut short.
        """
        if self.started:
            return
        self.started = True
        for i in range(self.size):
            slot = _Slot()
            thread = threading.Thread(target=self._work, args=(slot,),
                                      name=f"{self._name}-{i}", daemon=True)
            thread.start()
            self._threads.append((thread, slot))

    def stop(self) -> None:
        """
        Finish the queued work, then end and join every thread (idempotent).
        """
        if not self.started:
            return
        self.started = False
        threads, self._threads = self._threads, []
        for _ in threads:
            self._hand(_STOP)  # after every call queued before it
        for thread, slot in threads:
            thread.join()
            slot.close()

    def callInThreadWithCallback(
        self, onResult: OnResult, func: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        """
        Queue C{func(*args, **kw)}; a pool thread runs it and then calls
        C{onResult(True, result)} or C{onResult(False, failure)}.
        """
        self._hand((onResult, func, args, kw))

    def _hand(self, item: Item) -> None:
        """
        Give C{item} to the worker idle last, or queue it if none is idle.
        """
        with self._lock:
            if not self._idle:
                self._queue.append(item)
                return
            slot = self._idle.pop()
        slot.item = item
        slot.wake()

    def _next(self, slot: _Slot) -> Item:
        """
        A worker's next call: the oldest queued one, else one handed to it
        after it goes to sleep.
        """
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            self._idle.append(slot)
        return slot.wait()

    def _work(self, slot: _Slot) -> None:
        """
        One thread's loop: run queued calls until told to stop.
        """
        while True:
            item = self._next(slot)
            if item is None:
                return
            on_result, func, args, kw = item
            try:
                result = func(*args, **kw)
            except BaseException:
                ok, result = False, Failure()
            else:
                ok = True
            del item, func, args, kw
            try:
                on_result(ok, result)
            except BaseException:
                self._log.failure("Delivering a result from the pool failed")
            del on_result, result
