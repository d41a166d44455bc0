"""
Streaming a response body from the object store to the client.

L{BodyProducer} is an C{IPushProducer} registered with C{streaming=True}:
it asks its L{BodySource} for one slice (L{SLICE} bytes, read in the
thread pool by the source) at a time, writes it, and asks for the next one,
unless the transport has paused it because the client reads slowly, in
which case the next read waits for C{resumeProducing}.  At most one slice
is in flight, so memory per GET stays at about one slice whatever the
object size.  Reads stop when the client goes away (C{stopProducing}, or
the request's C{notifyFinish} failing).

A client that stops reading altogether would keep the producer paused
forever (twisted.web turns the idle timeout off while a response is being
produced), so a paused producer arms a stall timer and aborts the
connection when it fires.

test-case-name: tests.s3.test_s3_producer
"""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from cartridge_d.s3.call import BodySource, Clock, DelayedCall

#: Bytes read from the store and written per step.
SLICE = 1024 * 1024

#: Seconds a client may leave a response unread before it is dropped.
STALL_TIMEOUT = 300.0


@implementer(IPushProducer)
class BodyProducer:
    """
    Writes C{source} to C{request}, then finishes it.

    @ivar sent: bytes written so far.
    """

    _log = Logger()

    def __init__(
        self,
        request: Any,
        source: BodySource,
        clock: Clock,
        on_done: Callable[[Failure | None], None],
        stall_timeout: float = STALL_TIMEOUT,
    ) -> None:
        """
        @param on_done: called once, with None after the last byte was
            written and the request finished, or with the failure that
            stopped the transfer.
        """
        self._request = request
        self._source = source
        self._clock = clock
        self._on_done = on_done
        self._stall_timeout = stall_timeout
        self._paused = False
        self._reading = False
        self._stopped = False
        self._stall: DelayedCall | None = None
        self.sent = 0

    def start(self) -> None:
        """
        Register with the request and start reading.
        """
        self._request.registerProducer(self, True)
        self._request.notifyFinish().addErrback(self._lost)
        self._next()

    # IPushProducer

    def pauseProducing(self) -> None:
        """The client is not keeping up: read no further for now."""
        self._paused = True
        if self._stall is None and not self._stopped:
            self._stall = self._clock.callLater(self._stall_timeout, self._stalled)

    def resumeProducing(self) -> None:
        """The client caught up: carry on reading."""
        self._paused = False
        self._cancel_stall()
        self._next()

    def stopProducing(self) -> None:
        """The connection is going away: stop reading for good."""
        self._finish(Failure(ConnectionError("client went away")))

    # internals

    def _cancel_stall(self) -> None:
        if self._stall is not None:
            if self._stall.active():
                self._stall.cancel()
            self._stall = None

    def _stalled(self) -> None:
        self._stall = None
        transport = getattr(self._request, "transport", None)
        self._finish(Failure(TimeoutError("client stopped reading")))
        if transport is not None:
            transport.abortConnection()

    def _lost(self, failure: Failure) -> None:
        self._finish(failure)

    def _next(self) -> None:
        if self._stopped or self._paused or self._reading:
            return
        remaining = self._source.length - self.sent
        if remaining <= 0:
            self._complete()
            return
        self._reading = True
        d = self._source.read(self.sent, min(SLICE, remaining))
        d.addCallbacks(self._got, self._read_failed)

    def _got(self, data: bytes) -> None:
        self._reading = False
        if self._stopped:
            return
        if not data:
            self._finish(Failure(EOFError("object shorter than its record")))
            self._abort()
            return
        self.sent += len(data)
        self._request.write(data)
        self._next()

    def _read_failed(self, failure: Failure) -> None:
        self._reading = False
        if self._stopped:
            return
        # The status line is sent: the only honest signal left is to cut
        # the connection, so the client sees a short body, not bad bytes.
        self._finish(failure)
        self._abort()

    def _abort(self) -> None:
        transport = getattr(self._request, "transport", None)
        if transport is not None:
            transport.abortConnection()

    def _complete(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._cancel_stall()
        self._request.unregisterProducer()
        self._source.close()
        self._request.finish()
        self._on_done(None)

    def _finish(self, failure: Failure) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._cancel_stall()
        try:
            self._request.unregisterProducer()
        except Exception:
            pass
        self._source.close()
        self._on_done(failure)
