"""
Assemble the running server: thread pool, cartridge, S3 site, listeners.

The tree built by L{makeService} is::

    MultiService
      ThreadPoolService      started first, stopped last
      CartridgeService       opens the cartridge, then starts its listeners
        listener per --listen

twistd stops services in reverse order, so on SIGTERM the listeners stop
accepting first, then the cartridge is closed from the pool (the engine
waits for commits in flight, so an acknowledged write is never cut short),
and only then does the pool stop.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.application import service, strports
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from cartridge_d.service.credentials import load_or_generate
from cartridge_d.service.options import Options, Settings


class ThreadPoolService(service.Service):
    """
    Own a L{ThreadPool} for the lifetime of the service.

    All cartridge I/O and bulk hashing runs here (never on the reactor
    thread); the pool is passed explicitly to the one facade that uses it.
    """

    def __init__(self, pool: ThreadPool) -> None:
        self.pool = pool

    def startService(self) -> None:
        super().startService()
        self.pool.start()

    def stopService(self) -> None:
        super().stopService()
        # Joins the workers: any queued commit finishes before we return.
        self.pool.stop()


class CartridgeService(service.MultiService):
    """
    Open the cartridge and serve it on every configured endpoint.

    The cartridge is opened in L{startService} rather than when the tree is
    built, so that C{twistd} (without C{-n}) opens it in the daemon process
    after forking, and a bad path is reported as one clear line.
    """

    log = Logger()

    def __init__(self, settings: Settings, reactor: Any, pool: ThreadPool) -> None:
        super().__init__()
        self.settings = settings
        self.reactor = reactor
        self.pool = pool
        self.cartridge: Any = None

    def startService(self) -> None:
        from cartridge_d.engine import Cartridge
        from cartridge_d.engine.errors import EngineError

        s = self.settings
        existed = os.path.exists(s.cartridge)
        try:
            self.cartridge = Cartridge.open(
                s.cartridge,
                create=True,
                blocks=s.blocks,
                block_size=s.block_size,
                max_size=s.max_size,
                fuses=s.fuses,
            )
        except (EngineError, OSError) as e:
            raise SystemExit(f"cartridge-s3: cannot open {s.cartridge}: {e}")
        if existed and self.cartridge.fuses != s.fuses:
            self.log.warn(
                "Fuses given on the command line ({given}) differ from the cartridge's "
                "({actual}); fuses are fixed when a cartridge is created, using the "
                "cartridge's.",
                given=s.fuses,
                actual=self.cartridge.fuses,
            )
        self.log.info(
            "{verb} cartridge {path}", verb="Opened" if existed else "Created", path=s.cartridge
        )
        credentials = load_or_generate(s, self.log)
        site = build_site(self.cartridge, credentials, s, self.reactor, self.pool)
        for endpoint in s.listen:
            strports.service(endpoint, site, reactor=self.reactor).setServiceParent(self)
        super().startService()

    def stopService(self) -> Deferred[None]:
        d: Deferred[Any] = Deferred.fromCoroutine(self._stop())
        return d

    async def _stop(self) -> None:
        await super().stopService()
        if self.cartridge is not None:
            from twisted.internet.threads import deferToThreadPool

            await deferToThreadPool(self.reactor, self.pool, self.cartridge.close)
            self.log.info("Closed cartridge {path}", path=self.settings.cartridge)
            self.cartridge = None


def build_site(cartridge: Any, credentials: Any, settings: Settings, reactor: Any,
               pool: ThreadPool) -> Any:
    """
    Build the S3 web site for an open cartridge.
    """
    from cartridge_d.objectstore import ObjectStore
    from cartridge_d.objectstore.threads import BlockingFacade
    from cartridge_d.s3.site import make_site

    store = ObjectStore(cartridge, BlockingFacade(reactor, pool), reactor)
    return make_site(
        store,
        credentials,
        region=settings.region,
        domain=settings.domain,
        clock=reactor,
    )


def makeService(options: Options, reactor: Any = None) -> service.MultiService:
    """
    Build the service tree for C{twistd cartridge-s3}.

    @param reactor: the reactor to run on; the global one if None (tests
        pass their own).
    """
    if reactor is None:
        from twisted.internet import reactor as global_reactor

        reactor = global_reactor
    settings = options.settings
    assert settings is not None, "Options.postOptions was not run"
    top = service.MultiService()
    pool = ThreadPool(minthreads=1, maxthreads=settings.threads, name="cartridge-s3")
    ThreadPoolService(pool).setServiceParent(top)
    CartridgeService(settings, reactor, pool).setServiceParent(top)
    return top


__all__ = ["makeService", "ThreadPoolService", "CartridgeService"]
