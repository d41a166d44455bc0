"""
Tests for L{BlockingFacade}: results and errors of blocking calls come
back as Deferreds, through the synchronous pool and through a real
Twisted thread pool.
"""

from __future__ import annotations

import threading

from twisted.internet.testing import MemoryReactor
from twisted.python.threadpool import ThreadPool
from twisted.trial.unittest import SynchronousTestCase

from cartridge_d.objectstore.threads import BlockingFacade
from cartridge_d.testing.threads import synchronous_facade


class FacadeTests(SynchronousTestCase):
    """
    The facade delivers what the callable returns or raises.
    """

    def test_result(self) -> None:
        """
        The Deferred fires with the callable's result, arguments passed on.
        """
        facade, pool = synchronous_facade()
        d = facade.run(lambda a, b=0: a + b, 2, b=3)
        self.assertEqual(self.successResultOf(d), 5)
        self.assertEqual(pool.calls, 1)

    def test_error(self) -> None:
        """
        An exception in the callable fails the Deferred with it.
        """
        facade, _ = synchronous_facade()

        def boom() -> None:
            raise KeyError("x")

        self.failureResultOf(facade.run(boom), KeyError)

    def test_real_pool_runs_in_another_thread(self) -> None:
        """
        With a real ThreadPool the callable runs off the calling thread and
        its result is handed to the reactor with callFromThread.
        """
        pool = ThreadPool(minthreads=1, maxthreads=1)
        pool.start()
        self.addCleanup(pool.stop)
        delivered = threading.Event()

        class Reactor(MemoryReactor):
            def callFromThread(self, f, *args, **kw):  # type: ignore[no-untyped-def]
                f(*args, **kw)
                delivered.set()

        d = BlockingFacade(Reactor(), pool).run(threading.get_ident)
        self.assertTrue(delivered.wait(10))
        self.assertNotEqual(self.successResultOf(d), threading.get_ident())
