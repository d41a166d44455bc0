"""
Assemble the running server: thread pool, cartridge, S3 site, listeners.

The tree built by L{makeService} is::

    SequentialService
      ThreadPoolService      started first, stopped last
      CartridgeService       opens the cartridge and its multipart journal
                             (replayed, reconciled), then starts its children
        TimerService         aborts uploads older than --multipart-expiry
        TimerService         gives free heap pages back (service/memory.py)
        listener per --listen

Services stop in reverse order, each only after the one before it has
finished stopping (a plain MultiService stops all children at once, which
would stop the pool while the cartridge still needs it to close). So on
SIGTERM the listeners stop accepting first, then the cartridge is closed
from the pool (the engine waits for commits in flight, so an acknowledged
write is never cut short), and only then does the pool stop.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from twisted.application import service, strports
from twisted.application.internet import TimerService
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import Logger

from cartridge_d.objectstore.threads import BlockingFacade, WorkerPool
from cartridge_d.service.credentials import load_or_generate
from cartridge_d.service.memory import TRIM_INTERVAL, cap_malloc_arenas, trim_heap
from cartridge_d.service.options import Options, Settings


class SequentialService(service.MultiService):
    """
    A MultiService that stops its children one at a time, last first.

    When every child has stopped cleanly after a SIGTERM or SIGINT, it
    clears the reactor's record of that signal: twistd would otherwise
    re-raise it and exit with status 143, while a shutdown that closed the
    cartridge cleanly is a success (exit status 0) for systemd and scripts.
    """

    def __init__(self, reactor: Any) -> None:
        super().__init__()
        self.reactor = reactor

    def stopService(self) -> Deferred[None]:
        d: Deferred[None] = Deferred.fromCoroutine(self._stop_in_order())
        return d

    async def _stop_in_order(self) -> None:
        service.Service.stopService(self)
        for child in reversed(list(self)):
            await maybeDeferred(child.stopService)
        if getattr(self.reactor, "_exitSignal", None) in (signal.SIGTERM, signal.SIGINT):
            self.reactor._exitSignal = None


class ThreadPoolService(service.Service):
    """
    Own the L{WorkerPool} for the lifetime of the service.

    All cartridge I/O and bulk hashing runs here (never on the reactor
    thread); the pool is passed explicitly to the one facade that uses it.
    """

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    def startService(self) -> None:
        super().startService()
        # Before the workers exist, so that they share arenas (service/memory.py).
        cap_malloc_arenas()
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

    def __init__(self, settings: Settings, reactor: Any, pool: WorkerPool) -> None:
        super().__init__()
        self.settings = settings
        self.reactor = reactor
        self.pool = pool
        self.facade = BlockingFacade(reactor, pool)
        self.cartridge: Any = None
        self.journal: Any = None
        self.store: Any = None
        self.site: Any = None

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
        self.journal = open_journal(self.cartridge, s.cartridge + ".journal", self.log)
        credentials = load_or_generate(s, self.log)
        self.store = build_store(self.cartridge, self.journal, s, self.reactor, self.facade)
        site = self.site = build_site(self.store, credentials, s, self.reactor)
        expiry = TimerService(expiry_interval(s.multipart_expiry), self._expire)
        expiry.clock = self.reactor
        expiry.setServiceParent(self)
        trim = TimerService(TRIM_INTERVAL, trim_heap)
        trim.clock = self.reactor
        trim.setServiceParent(self)
        for endpoint in s.listen:
            strports.service(endpoint, site, reactor=self.reactor).setServiceParent(self)
        super().startService()

    def stopService(self) -> Deferred[None]:
        d: Deferred[Any] = Deferred.fromCoroutine(self._stop())
        return d

    async def _stop(self) -> None:
        await super().stopService()
        if self.journal is not None:
            await self.facade.run(self.journal.close)
            self.journal = None
        if self.cartridge is not None:
            await self.facade.run(self.cartridge.close)
            self.log.info("Closed cartridge {path}", path=self.settings.cartridge)
            self.cartridge = None
        if self.site is not None:
            # Requests that ended while the service stopped: their lines.
            self.site.app.access.flush()

    def _expire(self) -> Deferred[None] | None:
        """
        One round of the expiry timer: abort the uploads older than
        --multipart-expiry. A failure is logged and the timer goes on.
        """
        if self.store is None:
            return None
        d: Deferred[Any] = self.store.abort_expired(self.settings.multipart_expiry)

        def report(count: int) -> None:
            if count:
                self.log.info("Aborted {count} expired multipart upload(s)", count=count)

        d.addCallback(report)
        d.addErrback(lambda f: self.log.failure("Expiring multipart uploads failed", f))
        return d.addCallback(lambda _: None)


def expiry_interval(expiry: float) -> float:
    """
    How often the expiry timer runs: a tenth of the expiry, between one
    second and one hour, so an upload outlives its age by at most that.
    """
    return min(3600.0, max(1.0, expiry / 10))


def open_journal(cartridge: Any, path: str, log: Logger) -> Any:
    """
    Open (or create) the multipart journal beside the cartridge, replay
    it, and reconcile it with the cartridge's detached data: whatever
    neither side can use is released (docs/journal.md, "Reconciliation").
    Replay problems (a torn tail, damage) are logged by the journal.
    """
    from cartridge_d.journal import Journal, JournalError, ReplayEvent

    def report(event: ReplayEvent) -> None:
        emit = log.error if event.kind == "damage" else log.warn
        emit("Journal {path}: {kind} at offset {offset} ({dropped} bytes dropped): {reason}",
             path=path, kind=event.kind, offset=event.offset, dropped=event.dropped,
             reason=event.reason)

    try:
        journal = Journal.open(path, reporter=report)
        released = journal.reconcile(cartridge.list_detached())
        for ref in released:
            cartridge.release_detached(ref)
    except (JournalError, OSError) as e:
        cartridge.close()
        raise SystemExit(f"cartridge-s3: cannot open the journal {path}: {e}")
    uploads = len(journal.uploads())
    log.info("Opened journal {path}: {uploads} upload(s) in progress, {released} orphaned "
             "part(s) released", path=path, uploads=uploads, released=len(released))
    return journal


def build_store(cartridge: Any, journal: Any, settings: Settings, reactor: Any,
                facade: BlockingFacade) -> Any:
    """
    The object store over an open cartridge and journal.
    """
    from cartridge_d.objectstore import ObjectStore

    return ObjectStore(cartridge, facade, reactor, journal=journal)


def build_site(store: Any, credentials: Any, settings: Settings, reactor: Any) -> Any:
    """
    Build the S3 web site for an object store.
    """
    from cartridge_d.s3.site import make_site

    return make_site(
        store,
        credentials,
        region=settings.region,
        domain=settings.domain,
        clock=reactor,
    )


def makeService(options: Options, reactor: Any = None) -> SequentialService:
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
    top = SequentialService(reactor)
    pool = WorkerPool(settings.threads, name="cartridge-s3")
    ThreadPoolService(pool).setServiceParent(top)
    CartridgeService(settings, reactor, pool).setServiceParent(top)
    return top


__all__ = ["makeService", "SequentialService", "ThreadPoolService", "CartridgeService"]
