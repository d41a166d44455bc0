"""
Streaming a response body from the object store to the client.

L{BodyProducer} is an C{IPushProducer} registered with C{streaming=True}.
It reads its L{BodySource} one slice (L{SLICE} bytes, read in the thread
pool by the source) at a time and reads one slice ahead: while the
transport sends a slice, the next one is already being read, so the disk
read and the socket overlap instead of taking turns.  A slice that arrives
while the transport has paused the producer (the client reads slowly)
waits in the producer until C{resumeProducing}, and no further read starts
until it is written.  So at most two slices are held per GET (one in the
transport's buffer, one read ahead or being read), whatever the object
size.

twisted.web's transport pauses a streaming producer as soon as its buffer
passes 64 KiB, and resumes it only once the buffer is empty; a slice is
written at that moment, so the transport never copies it to join it with
what was left (its C{doWrite} does that for a non-empty buffer).

Reads stop when the client goes away (C{stopProducing}, or the request's
C{notifyFinish} failing).  The source is closed only after the read in
flight, if any, has fired: the source's view must stay pinned while a pool
thread reads through it.

A client that stops reading altogether would keep the producer paused
forever (twisted.web turns the idle timeout off while a response is being
produced), so a paused producer arms a stall timer and aborts the
connection when it fires.

test-case-name: tests.s3.test_s3_large_producer
"""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from cartridge_d.s3.call import BodySource, Clock, DelayedCall

#: Bytes read from the store and written per step (docs/perf-large.md).
SLICE = 1024 * 1024

#: Seconds a client may leave a response unread before it is dropped.
STALL_TIMEOUT = 300.0


def _send_whole_slices(request: Any) -> None:
    """
    Let the connection's transport hand a whole slice to one C{send} call.

    A TCP transport sends at most C{SEND_LIMIT} (128 KiB) per C{doWrite},
    so a 1 MiB slice costs eight trips through the reactor (epoll, a
    Python C{doWrite}, a slice of the buffer) and its last piece is copied
    once more to be joined with nothing. With the limit at one slice, the
    kernel takes what fits in the socket buffer at once: about a third
    less server CPU per MiB in docs/perf-large.md. The limit is a public
    attribute of C{FileDescriptor} (Twisted 22.4 to 26), set on this
    connection's instance only; a transport without it (TLS) is left
    alone.
    """
    transport: Any = getattr(request, "transport", None)
    limit = getattr(transport, "SEND_LIMIT", None)
    if isinstance(limit, int) and limit < SLICE:
        transport.SEND_LIMIT = SLICE


@implementer(IPushProducer)
class BodyProducer:
    """
    Writes C{source} to C{request}, then finishes it.

    Thread contract: every method runs in the reactor thread.

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
        self._closed = False
        self._ready: bytes | None = None
        self._asked = 0
        self._stall: DelayedCall | None = None
        self.sent = 0

    def start(self) -> None:
        """
        Register with the request and start reading.
        """
        self._request.registerProducer(self, True)
        self._request.notifyFinish().addErrback(self._lost)
        _send_whole_slices(self._request)
        self._pump()

    # IPushProducer

    def pauseProducing(self) -> None:
        """The client is not keeping up: write no further for now."""
        self._paused = True
        if self._stall is None and not self._stopped:
            self._stall = self._clock.callLater(self._stall_timeout, self._stalled)

    def resumeProducing(self) -> None:
        """The client caught up: write what was read ahead, read on."""
        self._paused = False
        self._cancel_stall()
        self._pump()

    def stopProducing(self) -> None:
        """The connection is going away: stop reading for good."""
        self._finish(Failure(ConnectionError("client went away")))

    # internals

    def _pump(self) -> None:
        """
        Write the slice read ahead if the transport wants it, then start
        the next read if none is in flight or waiting; finish once every
        byte is written.
        """
        if self._stopped:
            return
        if self._ready is not None and not self._paused:
            data, self._ready = self._ready, None
            self.sent += len(data)
            self._request.write(data)
            if self._stopped:
                return
        if self._reading or self._ready is not None:
            return
        remaining = self._source.length - self._asked
        if remaining > 0:
            self._reading = True
            length = min(SLICE, remaining)
            offset, self._asked = self._asked, self._asked + length
            self._source.read(offset, length).addCallbacks(self._got, self._read_failed)
        elif self.sent >= self._source.length:
            self._complete()

    def _got(self, data: bytes) -> None:
        self._reading = False
        if self._stopped:
            self._close_source()
            return
        if not data:
            self._finish(Failure(EOFError("object shorter than its record")))
            self._abort()
            return
        self._ready = data
        self._pump()

    def _read_failed(self, failure: Failure) -> None:
        self._reading = False
        if self._stopped:
            self._close_source()
            return
        # The status line is sent: the only honest signal left is to cut
        # the connection, so the client sees a short body, not bad bytes.
        self._finish(failure)
        self._abort()

    def _cancel_stall(self) -> None:
        if self._stall is not None:
            if self._stall.active():
                self._stall.cancel()
            self._stall = None

    def _stalled(self) -> None:
        self._stall = None
        self._finish(Failure(TimeoutError("client stopped reading")))
        self._abort()

    def _lost(self, failure: Failure) -> None:
        self._finish(failure)

    def _abort(self) -> None:
        transport = getattr(self._request, "transport", None)
        if transport is not None:
            transport.abortConnection()

    def _close_source(self) -> None:
        """
        Release the source once no read is in flight (a pool thread may
        still be reading through its view otherwise).
        """
        if not self._closed and not self._reading:
            self._closed = True
            self._ready = None
            self._source.close()

    def _complete(self) -> None:
        self._stopped = True
        self._cancel_stall()
        self._request.unregisterProducer()
        self._close_source()
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
        self._close_source()
        self._on_done(failure)
