"""
The GET body producer: it reads one slice ahead while the transport
sends, holds at most two slices, keeps every byte in order, and releases
its source only once no read is in flight.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure

from cartridge_d.s3.producer import SLICE, BodyProducer


class FakeSource:
    """
    A body whose reads wait until the test answers them.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.length = len(body)
        self.pending: list[tuple[int, int, Deferred[bytes]]] = []
        self.closed = 0

    def read(self, offset: int, length: int) -> Deferred[bytes]:
        d: Deferred[bytes] = Deferred()
        self.pending.append((offset, length, d))
        return d

    def answer(self) -> None:
        """Fire the oldest pending read with the body's bytes."""
        offset, length, d = self.pending.pop(0)
        d.callback(self.body[offset:offset + length])

    def close(self) -> None:
        self.closed += 1


class FakeTransport:
    def __init__(self) -> None:
        self.aborted = False

    def abortConnection(self) -> None:
        self.aborted = True


class FakeRequest:
    """
    A request whose transport pauses its producer after every write, as
    twisted.web's does once its buffer passes 64 KiB (any slice does).
    """

    def __init__(self) -> None:
        self.transport = FakeTransport()
        self.written: list[bytes] = []
        self.producer: Any = None
        self.finished = False
        self.finish_d: Deferred[None] = Deferred()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        assert streaming
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.producer = None

    def notifyFinish(self) -> Deferred[None]:
        return self.finish_d

    def write(self, data: bytes) -> None:
        self.written.append(data)
        self.producer.pauseProducing()

    def finish(self) -> None:
        self.finished = True

    def drain(self) -> None:
        """The transport sent its buffer: resume the producer."""
        if self.producer is not None:
            self.producer.resumeProducing()


def _start(body: bytes) -> tuple[FakeRequest, FakeSource, BodyProducer, list[Failure | None]]:
    request, source = FakeRequest(), FakeSource(body)
    done: list[Failure | None] = []
    producer = BodyProducer(request, source, MemoryReactorClock(), done.append)
    producer.start()
    return request, source, producer, done


def test_reads_next_slice_while_transport_sends() -> None:
    """
    Once a slice is written (and the transport paused), the next slice is
    already being read; it is written only when the transport resumes.
    """
    body = bytes(range(256)) * (SLICE * 3 // 256)
    request, source, _, _ = _start(body)
    assert [(o, n) for o, n, _ in source.pending] == [(0, SLICE)]
    source.answer()
    assert len(request.written) == 1
    assert [(o, n) for o, n, _ in source.pending] == [(SLICE, SLICE)]
    source.answer()
    assert len(request.written) == 1, "written while the transport was paused"
    assert source.pending == [], "a third slice was read while two were held"
    request.drain()
    assert len(request.written) == 2
    assert [(o, n) for o, n, _ in source.pending] == [(2 * SLICE, SLICE)]


def test_whole_body_in_order_then_finished() -> None:
    """
    Whatever order the transport resumes and reads answer in, the client
    gets every byte once, in order, the request is finished, and the
    source is closed once.
    """
    body = bytes(range(251)) * (SLICE * 5 // 251 + 7)
    request, source, _, done = _start(body)
    for step in range(100):
        if request.finished:
            break
        if step % 3 == 0 or not source.pending:
            request.drain()
        if source.pending:
            source.answer()
    assert request.finished
    assert b"".join(request.written) == body
    assert done == [None]
    assert source.closed == 1


def test_client_gone_with_read_in_flight_closes_after_read() -> None:
    """
    When the client goes away while a read runs in the pool, the source
    (and the view it pins) is released only after that read fires, and
    nothing more is written.
    """
    request, source, producer, done = _start(b"x" * (SLICE * 4))
    source.answer()
    assert source.pending, "no read ahead in flight"
    producer.stopProducing()
    assert source.closed == 0, "source released under a running read"
    assert done and done[0] is not None and isinstance(done[0].value, ConnectionError)
    source.answer()
    assert source.closed == 1
    assert len(request.written) == 1


def test_client_gone_while_idle_closes_at_once() -> None:
    """
    A client that goes away while a slice waits for the transport (no read
    in flight) releases the source at once.
    """
    request, source, producer, _ = _start(b"y" * (SLICE * 3))
    source.answer()
    source.answer()
    assert not source.pending
    request.finish_d.errback(ConnectionError("gone"))
    assert source.closed == 1
    assert not request.finished


def test_stalled_client_is_cut_off() -> None:
    """
    A client that stops reading is dropped after the stall timeout, even
    with a slice read ahead waiting.
    """
    request, source = FakeRequest(), FakeSource(b"z" * (SLICE * 3))
    clock = MemoryReactorClock()
    done: list[Failure | None] = []
    BodyProducer(request, source, clock, done.append, stall_timeout=30).start()
    source.answer()
    source.answer()
    clock.advance(29)
    assert not request.transport.aborted
    clock.advance(2)
    assert request.transport.aborted
    assert done and done[0] is not None and isinstance(done[0].value, TimeoutError)
    assert source.closed == 1


def test_short_object_cuts_connection() -> None:
    """
    A read that comes back empty before the promised length (the body is
    shorter than its record says) cuts the connection rather than leaving
    the client waiting.
    """
    request, source, _, done = _start(b"w" * (SLICE + 10))
    source.answer()
    request.drain()
    offset, length, d = source.pending.pop(0)
    d.callback(b"")
    assert request.transport.aborted
    assert done and done[0] is not None and isinstance(done[0].value, EOFError)
    assert not request.finished


def test_read_answered_at_once() -> None:
    """
    A source whose reads answer synchronously (the first bytes read when
    the object was opened) still streams the body whole.
    """
    body = b"abc" * (SLICE // 2)

    class Instant(FakeSource):
        def read(self, offset: int, length: int) -> Deferred[bytes]:
            return succeed(self.body[offset:offset + length])

    request, source = FakeRequest(), Instant(body)
    done: list[Failure | None] = []
    BodyProducer(request, source, MemoryReactorClock(), done.append).start()
    for _ in range(10):
        request.drain()
    assert b"".join(request.written) == body
    assert request.finished and done == [None] and source.closed == 1


def test_tcp_transport_sends_a_slice_per_call() -> None:
    """
    A TCP transport's per-send limit is raised to one slice for the
    connection (fewer trips through the reactor per MiB); a transport
    without such a limit (TLS) is left as it is.
    """
    from twisted.internet.tcp import Server

    request = FakeRequest()
    request.transport.SEND_LIMIT = Server.SEND_LIMIT  # type: ignore[attr-defined]
    BodyProducer(request, FakeSource(b"q" * 10), MemoryReactorClock(), lambda f: None).start()
    assert request.transport.SEND_LIMIT == SLICE  # type: ignore[attr-defined]
    assert Server.SEND_LIMIT < SLICE, "the class default changed, not the instance"
    plain = FakeRequest()
    BodyProducer(plain, FakeSource(b"q" * 10), MemoryReactorClock(), lambda f: None).start()
    assert not hasattr(plain.transport, "SEND_LIMIT")
