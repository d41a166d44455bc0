"""
A streamed request body on its way from the socket to a sink.

twisted.web hands a request body to C{Request.handleContentChunk} in pieces
as they arrive.  L{UploadPipe} takes those pieces, removes the aws-chunked
framing when there is one, runs the payload through the checks the request
asked for (signed sha256, C{Content-MD5}, C{x-amz-checksum-*}), and hands
it to a sink (an object-store put session) in slices of L{SLICE} bytes, one
write in flight at a time.  While a write is in flight and a slice is
already waiting, or while the sink is not open yet, the pipe pauses the
socket, so a slow disk slows the client down instead of filling memory:
at most about three slices are held per request, whatever the body size.

Thread contract: every method runs in the reactor thread; the sink's
C{write} returns a Deferred that fires in the reactor thread.

test-case-name: tests.s3.test_s3_upload
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from cartridge_d.s3.errors import s3_error

#: Bytes handed to the sink per write.
SLICE = 1024 * 1024


class Sink(Protocol):
    """
    Where a body goes: an object-store put session.
    """

    def write(self, data: bytes) -> Deferred[Any]:
        """Store the next bytes of the body (in the pool)."""


class Decoder(Protocol):
    """
    Removes transfer framing from the body (aws-chunked), or passes it on.
    """

    def feed(self, data: bytes) -> list[bytes]:
        """Take raw bytes, return the payload bytes they complete."""

    def close(self) -> dict[str, str]:
        """The body ended: check the framing is complete, return trailers."""


class Check(Protocol):
    """
    One verification of the payload (a hash compared at the end).
    """

    def update(self, data: bytes) -> None:
        """Account for the next payload bytes."""

    def verify(self, trailers: dict[str, str]) -> tuple[str, str] | None:
        """
        Raise the S3 error if the payload is wrong; return the verified
        (algorithm, base64 value) to store, or None.
        """


class Identity:
    """
    The decoder for a body without aws-chunked framing.
    """

    def feed(self, data: bytes) -> list[bytes]:
        """Everything received is payload."""
        return [data]

    def close(self) -> dict[str, str]:
        """There are no trailers."""
        return {}


class UploadPipe:
    """
    Moves one request body into a sink with bounded memory.

    @ivar size: payload bytes received so far.
    @ivar checksums: verified (algorithm, value) pairs, once finished.
    """

    def __init__(
        self,
        decoder: Decoder,
        checks: list[Check],
        pause: Callable[[], None],
        resume: Callable[[], None],
        on_failure: Callable[[Failure], None],
        expected_size: int | None = None,
        max_size: int | None = None,
    ) -> None:
        self._decoder = decoder
        self._checks = checks
        self._pause = pause
        self._resume = resume
        self._on_failure = on_failure
        self._expected = expected_size
        self._max = max_size
        self._sink: Sink | None = None
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._writing = False
        self._paused = False
        self._ended = False
        self._failed: Failure | None = None
        self._done: Deferred[None] = Deferred()
        self.size = 0
        self.trailers: dict[str, str] = {}
        self.checksums: tuple[tuple[str, str], ...] = ()

    # -- inputs ------------------------------------------------------------

    def open(self, sink: Sink) -> None:
        """
        The sink is ready: start writing what has arrived so far.
        """
        self._sink = sink
        self._pump()

    def feed(self, data: bytes) -> None:
        """
        Take the next raw body bytes from the socket.
        """
        if self._failed is not None or self._ended:
            return
        try:
            pieces = self._decoder.feed(data)
            for piece in pieces:
                if not piece:
                    continue
                self.size += len(piece)
                if self._max is not None and self.size > self._max:
                    raise s3_error("EntityTooLarge")
                for check in self._checks:
                    check.update(piece)
                self._buffer.append(piece)
                self._buffered += len(piece)
        except Exception:
            self._fail(Failure())
            return
        self._pump()

    def end(self) -> Deferred[None]:
        """
        The body is complete.

        @return: a Deferred firing once every byte is in the sink and every
            check passed.  It never fires if the pipe fails: the first error
            (an L{S3Error} for a bad body, anything else from the sink) goes
            to C{on_failure} instead, once.
        """
        if self._failed is None and not self._ended:
            self._ended = True
            try:
                trailers = self.trailers = self._decoder.close()
                if self._expected is not None and self.size != self._expected:
                    raise s3_error("IncompleteBody")
                verified = [check.verify(trailers) for check in self._checks]
                self.checksums = tuple(v for v in verified if v is not None)
            except Exception:
                self._fail(Failure())
            else:
                self._pump()
        return self._done

    def abandon(self) -> None:
        """
        The request is over without a complete body (connection lost):
        drop what is buffered and write nothing more.
        """
        if self._failed is None:
            self._fail(Failure(s3_error("IncompleteBody")))

    @property
    def failure(self) -> Failure | None:
        """The error that stopped the pipe, if any."""
        return self._failed

    # -- the pump ----------------------------------------------------------

    def _fail(self, failure: Failure) -> None:
        if self._failed is not None:
            return
        self._failed = failure
        self._buffer = []
        self._buffered = 0
        self._set_paused(False)
        self._on_failure(failure)

    def _set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            (self._pause if paused else self._resume)()

    def _pump(self) -> None:
        """
        Start the next write if one is due, then pause or resume the socket.
        """
        if self._failed is not None:
            return
        if self._sink is not None and not self._writing:
            if self._buffered >= SLICE or (self._ended and self._buffered):
                data = self._take()
                self._writing = True
                self._sink.write(data).addCallbacks(self._written, self._write_failed)
                if self._failed is not None:
                    return
            elif self._ended and not self._done.called:
                self._done.callback(None)
                return
        self._set_paused(self._buffered >= 2 * SLICE and not self._ended)

    def _take(self) -> bytes:
        """
        The next slice (at most L{SLICE} bytes) from the front of the
        buffer: whole pieces, and the front of the last one, joined once.
        (Joining the whole buffer and slicing it, as this did, copied each
        MiB of a large PUT about four times: docs/perf-large.md.)
        """
        taken: list[bytes] = []
        need, buffer, i = SLICE, self._buffer, 0
        while i < len(buffer) and need > 0:
            piece = buffer[i]
            if len(piece) > need:
                buffer[i], piece = piece[need:], piece[:need]
            else:
                i += 1
            taken.append(piece)
            need -= len(piece)
        del buffer[:i]
        self._buffered -= SLICE - need
        return b"".join(taken)

    def _written(self, _: object) -> None:
        self._writing = False
        self._pump()

    def _write_failed(self, failure: Failure) -> None:
        self._writing = False
        self._fail(failure)


class WholeBody:
    """
    A short body without aws-chunked framing, kept whole in memory and
    checked once it is complete: no pipe, no sink, no Deferred.

    For a body of known length, small enough to hold (a small PutObject,
    an XML document), the pipe's machinery buys nothing: the bytes are
    all wanted at once at the end, the socket never needs pausing for a
    few KiB, and every check can run over the whole body in one call.
    Profiles of 16 clients doing 4 KiB PUTs showed the pipe, its
    buffering sink and their Deferreds as a few per cent of the reactor
    thread (docs/perf-small3.md).

    The checks and the answers are the pipe's: the same checks, the same
    C{IncompleteBody} when fewer bytes came than announced.

    @ivar size: payload bytes received so far.
    """

    def __init__(self, checks: list[Check], expected_size: int) -> None:
        self._checks = checks
        self._expected = expected_size
        self._pieces: list[bytes] = []
        self.size = 0

    def feed(self, data: bytes) -> None:
        """Keep the next body bytes."""
        self._pieces.append(data)
        self.size += len(data)

    def finish(self) -> bytes:
        """
        The body is complete: check it, and return it.

        @raise S3Error: IncompleteBody, or the error of a failed check.
        """
        if self.size != self._expected:
            raise s3_error("IncompleteBody")
        pieces = self._pieces
        body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        for check in self._checks:
            check.update(body)
            check.verify({})
        return body


class BufferSink:
    """
    The sink of an XML route: collects the body in memory up to C{limit}.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> Deferred[None]:
        """Keep C{data}; MalformedXML once the body is over the limit."""
        self._size += len(data)
        if self._size > self._limit:
            return fail(s3_error("MalformedXML", "Your request body is too large."))
        self._parts.append(data)
        return succeed(None)

    def value(self) -> bytes:
        """The whole body."""
        return b"".join(self._parts)


class DiscardSink:
    """
    The sink of a route that ignores its body.
    """

    def write(self, data: bytes) -> Deferred[None]:
        """Drop C{data}."""
        return succeed(None)
