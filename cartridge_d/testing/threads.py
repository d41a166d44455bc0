"""
A synchronous stand-in for the thread pool behind
L{cartridge_d.objectstore.threads.BlockingFacade}.

Tests built on it run every "pool" call immediately in the calling
thread, so a Deferred returned by the object store has already fired when
the call returns; C{successResultOf} and C{failureResultOf} read it with no
reactor running and no real threads.
"""

from __future__ import annotations

from typing import Any, Callable

from cartridge_d.objectstore.threads import BlockingFacade


class SynchronousThreadPool:
    """
    Runs each callable at once, in the caller's thread.

    @ivar calls: how many callables ran (tests use it to count thread hops).
    """

    def __init__(self) -> None:
        self.calls = 0

    def callInThreadWithCallback(
        self, onResult: Callable[[bool, Any], object], func: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        """
        Run C{func} now and report its outcome as a real pool would.
        """
        from twisted.python.failure import Failure

        self.calls += 1
        try:
            result = func(*args, **kw)
        except BaseException:
            failure = Failure()  # type: ignore[no-untyped-call]
            # A real pool's failure holds a worker thread's frames, never
            # the caller's; here the traceback's frames lead back (f_back)
            # to the caller, which holds the Deferred that holds the
            # failure: a cycle a real pool does not make.
            failure.cleanFailure()  # type: ignore[no-untyped-call]
            onResult(False, failure)
        else:
            onResult(True, result)


class ImmediateReactor:
    """
    The one reactor method the facade uses, run at once.
    """

    def callFromThread(self, f: Callable[..., object], *args: Any, **kw: Any) -> None:
        """
        Call C{f} now (the "thread" is this one).
        """
        f(*args, **kw)


def synchronous_facade() -> tuple[BlockingFacade, SynchronousThreadPool]:
    """
    A facade that runs everything synchronously, and its pool.
    """
    pool = SynchronousThreadPool()
    return BlockingFacade(ImmediateReactor(), pool), pool
