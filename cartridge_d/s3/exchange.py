"""
One request/response exchange, from the moment its headers are in.

L{Exchange} is the state machine behind L{cartridge_d.s3.request.S3Request}:

 1. B{head}: as soon as the headers are parsed (before any body byte) the
    request is routed and authenticated, and its limits checked.  A failure
    is answered at once with C{Connection: close} and the body, if any, is
    read and dropped (the connection is cut past L{DISCARD_LIMIT}); no
    C{100 Continue} is ever sent for a refused request.
 2. B{body}: every body goes through an L{UploadPipe}, except the
    empty one of a route that takes none (most GETs and HEADs), whose
    checks run when the request completes, without a pipe, and a short
    one of known length without aws-chunked framing (a small PUT, an XML
    document), which is collected whole and checked once it is complete
    (L{WholeBody}).  Streaming routes
    open their sink first (the object store checks the bucket and the
    permission there) and only then answer C{Expect: 100-continue}; their
    body flows into the sink with backpressure.  A small body (at most
    L{limits.SMALL_BODY}, sent without waiting for C{100 Continue}) of a
    route that can take it whole is collected instead, and stored by the
    route's C{small} handler in one thread hop rather than two (opening
    the sink, then committing).  Other routes collect the body in a
    bounded buffer (XML) or drop it.
 3. B{handler}: once the body is complete and verified, the route's
    handler runs and its L{Response} (or error) is written.

One line per request is logged when it finishes or its connection is lost.

test-case-name: tests.s3.test_s3_streaming
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from cartridge_d.auth.authenticate import authenticate
from cartridge_d.auth.request import AuthRequest
from cartridge_d.auth.result import AuthResult
from cartridge_d.s3 import limits
from cartridge_d.s3.accesslog import AccessRecord
from cartridge_d.s3.call import App, Call, ReceivedBody, Response
from cartridge_d.s3.checks import body_checks, body_decoder
from cartridge_d.s3.drive import drive
from cartridge_d.s3.errors import S3Error, internal_error, s3_error, to_s3_error
from cartridge_d.s3.head import RequestHead, parse_head
from cartridge_d.s3.producer import BodyProducer
from cartridge_d.s3.respond import log_failure, write_error, write_response
from cartridge_d.s3.routing import Body, Route, find_route
from cartridge_d.s3.upload import (
    BufferSink,
    Check,
    DiscardSink,
    Identity,
    UploadPipe,
    WholeBody,
)

#: Bytes read per C{recv} while a streamed body arrives.  A quarter of a
#: pipe slice: 1 MiB reads saved a little more CPU per MiB, but in the full
#: benchmark (one daemon through the large, small, list and multipart
#: groups, three rounds) they raised the large runs' peak RSS from
#: 77.7/90.6/92.8 MiB to 80.9/99.8/97.3 MiB, past the 100 MB target;
#: 64 KiB (Twisted's default) gave 76.4/89.2/91.5 MiB at about 3.5-4 ms
#: of CPU per MiB against 2.9-3.5 (docs/performance.md, 2026-11-25).
STREAM_READ = 256 * 1024

#: Body bytes of a refused request read and dropped before the connection
#: is cut instead.
DISCARD_LIMIT = 1024 * 1024


def new_request_id() -> str:
    """
    A fresh request id: 16 upper-case hex digits, as S3's.

    Ids need to be unique, not secret: Python's generator (seeded from the
    system once) spares a C{getrandom} system call per request.
    """
    return "%016X" % random.getrandbits(64)


class Exchange:
    """
    The state of one request; see the module docstring.

    @ivar request_id: the id sent as x-amz-request-id and logged.
    @ivar head: the parsed head, once parsed.
    @ivar route: the route, once found.
    """

    def __init__(self, request: Any, app: App) -> None:
        self._request = request
        self._app = app
        self.request_id = new_request_id()
        self._started = app.clock.seconds()
        self.head: RequestHead | None = None
        self.route: Route | None = None
        self._auth: AuthResult | None = None
        self._pipe: UploadPipe | None = None
        self._whole: WholeBody | None = None
        self._body = b""
        self._sink: Any = None
        self._buffer: BufferSink | None = None
        self._empty_checks: list[Check] | None = None
        self._read_size: int | None = None
        self._error: S3Error | None = None
        self._expect = False
        self._small = False
        self._refused = False
        self._answered = False
        self._complete = False
        self._lost = False
        self._handed_over = False
        self._has_body = True
        self._discarded = 0
        self._cut = False

    # -- phase 1: the head -------------------------------------------------

    def begin(self, method: bytes, uri: bytes, version: bytes, length: int | None) -> None:
        """
        The headers are in: route, authenticate and prepare for the body.

        @param length: the Content-Length, or None for a chunked body.
        """
        self._has_body = length != 0
        raw = list(self._request.requestHeaders.getAllRawHeaders())
        try:
            head = self.head = parse_head(method, uri, raw, self._app.domain)
            self._expect = (
                version == b"HTTP/1.1"
                and (head.header("expect") or "").lower() == "100-continue"
            )
            route = self.route = find_route(head)
            self._auth = self._authenticate(head)
            limits.check_head(head, route.body is Body.STREAM, length)
            decoder = body_decoder(head, self._auth)
            checks = body_checks(head, self._auth, route.body is Body.STREAM)
        except Exception:
            self._fail(Failure())
            return
        if route.body is Body.NONE and length == 0 and isinstance(decoder, Identity):
            # GET, HEAD, DELETE...: no byte will arrive, so no pipe; the
            # checks see the empty body when the request completes.
            self._empty_checks = checks
            self._continue()
            return
        expected = limits.decoded_length(head, length)
        self._small = (
            route.small is not None
            and length is not None
            and length <= limits.SMALL_BODY
            and not self._expect
        )
        if (
            (self._small or route.body is Body.XML)
            and expected is not None
            and expected <= limits.XML_BODY_LIMIT
            and isinstance(decoder, Identity)
        ):
            # A short body of known length: collected whole, checked at
            # the end, with no pipe or sink (see WholeBody).
            self._whole = WholeBody(checks, expected)
            self._continue()
            return
        transport = self._request.transport
        self._pipe = UploadPipe(
            decoder,
            checks,
            transport.pauseProducing,
            transport.resumeProducing,
            self._body_refused,
            expected_size=expected,
            max_size=limits.MAX_PUT_BYTES if route.body is Body.STREAM else None,
        )
        if route.open_sink is not None and not self._small:
            self._widen_reads()
            d = Deferred.fromCoroutine(self._open_sink(route))
            d.addErrback(self._fail)
        else:
            if route.body is Body.XML or self._small:
                self._buffer = BufferSink(limits.XML_BODY_LIMIT)
                self._pipe.open(self._buffer)
            else:
                self._pipe.open(DiscardSink())
            self._continue()

    def _widen_reads(self) -> None:
        """
        Read a streamed body from the socket L{STREAM_READ} bytes at a time.

        A TCP transport reads at most C{bufferSize} (64 KiB) per C{recv},
        so each MiB of a large PUT took 16 trips through C{doRead}, the
        HTTP channel, L{received} and the pipe (docs/perf-large.md).  The
        size is a public attribute of Twisted's TCP connection (22.4 to
        26), set on this connection only, and put back once the body is
        in: a 1 MiB C{recv} buffer for every later small request on the
        connection would cost an allocation of that size each time.  A
        transport without it (TLS) is left alone.
        """
        transport: Any = self._request.transport
        size = getattr(transport, "bufferSize", None)
        if isinstance(size, int) and size < STREAM_READ:
            self._read_size = size
            transport.bufferSize = STREAM_READ

    def _narrow_reads(self) -> None:
        """Put back the read size L{_widen_reads} changed, if it did."""
        if self._read_size is not None:
            transport: Any = self._request.transport
            transport.bufferSize = self._read_size
            self._read_size = None

    def _authenticate(self, head: RequestHead) -> AuthResult:
        # The signature is over the bytes received: a value is given to the
        # authenticator as UTF-8 with surrogate escapes.  The head holds it
        # as ISO-8859-1, which is the same text when the value is ASCII (as
        # nearly every one is), so only other values are decoded again.
        headers = tuple(
            (name, value if value.isascii()
             else value.encode("latin-1").decode("utf-8", "surrogateescape"))
            for name, values in head.headers.items()
            for value in values
        )
        request = AuthRequest(
            head.method,
            head.path,
            head.raw_query,
            headers,
            head.bucket if head.virtual_host else None,
        )
        now = datetime.fromtimestamp(self._started, timezone.utc)
        result = authenticate(request, self._app.credentials, now, self._app.region)
        if result.anonymous:
            raise s3_error("AccessDenied")
        return result

    def _call(self, **changes: Any) -> Call:
        assert self.head is not None and self._auth is not None
        return Call(self.head, self._auth, self._app, self.request_id, **changes)

    async def _open_sink(self, route: Route) -> None:
        assert route.open_sink is not None and self._pipe is not None
        sink: Any = await route.open_sink(self._call())
        self._sink = sink
        if self._error is not None or self._lost:
            self._abort_sink()
            return
        self._pipe.open(sink)
        self._continue()

    def _continue(self) -> None:
        """
        Answer C{Expect: 100-continue}, now that the body is wanted.
        """
        if self._expect and self._error is None and not self._answered and not self._complete:
            self._expect = False
            self._request.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    # -- phase 2: the body -------------------------------------------------

    def received(self, data: bytes) -> None:
        """
        The next piece of the (de-chunked) HTTP body.
        """
        if self._whole is not None and self._error is None:
            self._whole.feed(data)
            return
        if self._error is not None or self._pipe is None or self._refused:
            self._discarded += len(data)
            if self._discarded > DISCARD_LIMIT and not self._cut:
                self._cut = True
                self._request.transport.loseConnection()
            return
        self._pipe.feed(data)

    def completed(self) -> None:
        """
        The whole HTTP body has been received: finish the exchange.
        """
        self._complete = True
        self._narrow_reads()
        if self._refused and self._error is None:
            return  # the checks of _checks_then_refuse answer
        if self._empty_checks is not None and self._error is None:
            self._run_bodyless(self._empty_checks)
            return
        if self._whole is not None and self._error is None:
            self._run_whole(self._whole)
            return
        if self._error is not None or self._pipe is None:
            self._answer_error(self._error or internal_error())
            return
        d = self._pipe.end()
        d.addCallbacks(lambda _: drive(self._run(), self._fail), self._body_refused)
        d.addErrback(self._fail)

    # -- phase 3: the handler ----------------------------------------------

    def _run_bodyless(self, checks: list[Check]) -> None:
        """
        Verify the empty body of a request that has none, then run its
        handler, with no pipe and no Deferred in between (most GETs and
        HEADs); a failed check is answered as the pipe would answer it.
        """
        try:
            for check in checks:
                check.verify({})
        except Exception:
            self._fail(Failure())
            return
        drive(self._run(), self._fail)

    def _run_whole(self, whole: WholeBody) -> None:
        """
        Check a body collected whole, then run the handler at once; a
        failed check is answered as the pipe would answer it.
        """
        try:
            self._body = whole.finish()
        except Exception:
            self._body_refused(Failure())
            return
        drive(self._run(), self._fail)

    async def _run(self) -> None:
        assert self.route is not None
        if self._lost:
            self._abort_sink()
            return
        changes: dict[str, Any] = {}
        handler = self.route.handler
        if self._whole is not None:
            changes["body"] = self._body
            if self._small:
                changes["upload"] = ReceivedBody(self._whole.size, {})
                handler = self.route.small or handler
        elif self._buffer is not None:
            changes["body"] = self._buffer.value()
        if self._sink is not None:
            assert self._pipe is not None
            changes["sink"] = self._sink
            changes["upload"] = limits.received(self._pipe)
            self._handed_over = True
        elif self._small and self.route.small is not None and self._pipe is not None:
            changes["upload"] = limits.received(self._pipe)
            handler = self.route.small
        response = await handler(self._call(**changes))
        if self._lost:
            if response.stream is not None:
                response.stream.close()
            return
        self._answered = True
        write_response(
            self._request, response, self.request_id, self._app.clock.seconds(), self._stream
        )

    def _stream(self, response: Response) -> None:
        assert response.stream is not None
        producer = BodyProducer(self._request, response.stream, self._app.clock, self._streamed)
        producer.start()

    def _streamed(self, failure: Failure | None) -> None:
        if failure is not None and not failure.check(ConnectionError, TimeoutError):
            log_failure(self._app.log, failure, self.request_id)

    # -- errors ------------------------------------------------------------

    def _body_refused(self, failure: Failure) -> None:
        """
        The body failed its checks (digest, length, framing, signature).

        A streamed body's session was opened before its first byte, so the
        bucket and owner were checked first and their errors win.  A small
        body is collected before its one hop, so those checks have not run
        yet: run them now, and answer the body's error only if they pass.
        A PUT then gets the same answer whichever way its body came
        (NoSuchBucket for a missing bucket, not BadDigest).
        """
        if self._error is not None or self._refused:
            return
        route = self.route
        if not self._small or route is None or route.open_sink is None:
            self._fail(failure)
            return
        self._refused = True
        d = Deferred.fromCoroutine(self._checks_then_refuse(route, failure))
        d.addErrback(self._fail)

    async def _checks_then_refuse(self, route: Route, failure: Failure) -> None:
        assert route.open_sink is not None
        try:
            self._sink = await route.open_sink(self._call())
        except Exception:
            self._fail(Failure())
            return
        self._fail(failure)  # which also gives the session back

    def _fail(self, failure: Failure) -> None:
        """
        Turn any failure into the S3 error answered for this request.
        """
        if self._error is not None:
            return
        value = failure.value
        error = to_s3_error(value) if value is not None else None
        if value is not None and error is not None:
            # An S3 error is answered, never logged, so its traceback is of
            # no use; kept, it would hold the frames it went through, one of
            # which (Twisted's await of a failed Deferred) holds the failure
            # again: a cycle of the whole request for the garbage collector.
            value.__traceback__ = None
            failure.tb = None
        if error is None:
            log_failure(self._app.log, failure, self.request_id)
            error = internal_error()
        self._error = error
        if not self._handed_over:
            self._abort_sink()
        if self._complete:
            self._answer_error(error)
        elif self._has_body and not self._lost and not self._answered:
            # Answer now; the rest of the body is read and dropped, and the
            # connection closed after the answer.  (The request cannot be
            # finished before the channel has read its body; a request
            # without a body is answered by completed(), which the channel
            # calls right after gotLength.)
            channel = self._request.channel
            if channel is not None:
                channel.persistent = False
            self._request.responseHeaders.setRawHeaders(b"connection", [b"close"])
            self._answered = True
            write_error(
                self._request, error, self._resource(), self.request_id,
                self._app.clock.seconds(), finish=False,
            )

    def _answer_error(self, error: S3Error) -> None:
        if self._lost:
            return
        if self._answered:
            if self._complete and not self._request.finished:
                self._request.finish()
            return
        self._answered = True
        write_error(
            self._request, error, self._resource(), self.request_id, self._app.clock.seconds()
        )

    def _resource(self) -> str:
        if self.head is not None:
            return self.head.resource
        uri: bytes = self._request.uri
        return uri.split(b"?")[0].decode("latin-1")

    def _abort_sink(self) -> None:
        sink, self._sink = self._sink, None
        abort = getattr(sink, "abort", None)
        if abort is not None:
            d = abort()
            if isinstance(d, Deferred):
                d.addErrback(lambda f: log_failure(self._app.log, f, self.request_id))

    # -- the end -----------------------------------------------------------

    def ended(self, result: Failure | None) -> None:
        """
        The request is over: answered (None), or its connection lost (the
        failure).  L{cartridge_d.s3.site.S3Request} calls this once, where
        twisted.web would fire a C{notifyFinish} Deferred.
        """
        self._narrow_reads()
        if isinstance(result, Failure):
            self._lost = True
            if self._pipe is not None:
                self._pipe.abandon()
            if not self._handed_over:
                self._abort_sink()
        head = self.head
        # Twisted's code is 200 until a response is set; one never sent
        # (the client went away first) is logged as "-", not as a 200.
        self._app.access.record(AccessRecord(
            method=head.method if head else self._request.method.decode("latin-1"),
            bucket=head.bucket if head else "",
            key=head.key if head else "",
            status=self._request.code if self._request.startedWriting else "-",
            sent=self._request.sentLength,
            duration=self._app.clock.seconds() - self._started,
            request_id=self.request_id,
            lost=self._lost,
            route=self.route.name if self.route else None,
        ))
