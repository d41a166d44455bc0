"""
The twisted.web site serving S3, and the request class that streams bodies.

twisted.web's C{Request} collects a whole body in a temporary file and only
then renders.  L{S3Request} takes over at the hook C{HTTPChannel} calls
as soon as the headers are in (C{gotLength}, on Twisted 22.4 through 26):
it starts an L{Exchange}, which routes and authenticates the request
before any body byte is accepted, then receives each body piece in
C{handleContentChunk} and streams it on.  C{requestReceived} (the whole
body is in) hands over to the exchange instead of rendering a resource
tree: the routing table replaces traversal.

C{Expect: 100-continue}: C{HTTPChannel.allHeadersReceived} (22.4 and 26
alike) calls C{gotLength} and then, if the request still carries
C{Expect: 100-continue} over HTTP/1.1, writes C{100 Continue} itself.
L{S3Request.gotLength} removes the header after the exchange has read it,
so the channel never answers it; the exchange writes the 100 itself, only
once the request is authenticated and, for uploads, the object store has
accepted it.  A refused request gets its final answer instead.

Timeouts: the channel's idle timeout (C{timeout}, reset by every byte
received) drops clients that stall while sending headers or a body; a
response the client stops reading is dropped by the producer's stall
timer.  Neither affects other connections.

test-case-name: tests.s3.test_s3_site
"""

from __future__ import annotations

from typing import Any

from twisted.internet import tcp
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import http, server
from twisted.web.http_headers import Headers
from twisted.web.resource import Resource

from cartridge_d.auth.credentials import CredentialStore
from cartridge_d.s3.accesslog import MAX_DELAY, AccessLog
from cartridge_d.s3.call import App, Clock
from cartridge_d.s3.errors import render_error, s3_error
from cartridge_d.s3.exchange import Exchange, new_request_id
from cartridge_d.s3.respond import host_id

#: Seconds without a byte from the client before its connection is closed.
IDLE_TIMEOUT = 60

#: Largest response write offered to the socket at once (see S3Channel.write).
DIRECT_SEND_LIMIT = 256 * 1024


class S3Request(http.Request):
    """
    A request whose body streams into its L{Exchange} instead of a file.
    """

    _exchange: Exchange | None = None
    _ended = False
    _received = False

    def __init__(self, channel: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(channel, *args, **kwargs)
        self.content = None

    def gotLength(self, length: int | None) -> None:
        """
        The headers are in: start the exchange before the body arrives.

        The request line is not given to C{gotLength}; C{HTTPChannel} keeps
        it in C{_command}, C{_path} and C{_version} (same names in 22.4 and
        26) until C{requestReceived}.
        """
        method: bytes = getattr(self.channel, "_command", b"GET")
        uri: bytes = getattr(self.channel, "_path", b"/")
        version: bytes = getattr(self.channel, "_version", b"HTTP/1.1")
        # An early answer (an error before the body) needs these now.
        self.method, self.uri, self.clientproto = method, uri, version
        self.path = uri.split(b"?", 1)[0]
        site: S3Site = getattr(self.channel, "site")
        self._exchange = Exchange(self, site.app)
        self._exchange.begin(method, uri, version, length)
        head = self._exchange.head
        if head is None or "expect" in head.headers:
            self.requestHeaders.removeHeader(b"expect")

    def parseCookies(self) -> None:
        """
        Nothing: S3 has no cookies (twisted.web's C{Request} would look
        for a C{Cookie} header on every request).
        """

    def handleContentChunk(self, data: bytes) -> None:
        """
        A piece of the body: hand it to the exchange.
        """
        assert self._exchange is not None
        self._exchange.received(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        """
        The body is complete: let the exchange answer.
        """
        self.method, self.uri, self.clientproto = command, path, version
        self.path = path.split(b"?", 1)[0]
        self.args = {}
        self._received = True
        assert self._exchange is not None
        self._exchange.completed()
        if self._ended:
            self._exchange = None

    def finish(self) -> None:
        """
        The response is complete: finish as twisted.web does, then tell the
        exchange.

        The exchange is told directly, not through a C{notifyFinish}
        Deferred (one Deferred, a callback and its chain per request), in
        the same order: after the channel is done with the request.
        """
        super().finish()
        self._end(None)

    def connectionLost(self, reason: Failure) -> None:
        """
        The connection went before the response was complete: tell the
        exchange (as a C{notifyFinish} errback would).
        """
        super().connectionLost(reason)
        self._end(reason)

    def _end(self, result: Failure | None) -> None:
        """
        Tell the exchange the request is over, once; then let go of it as
        soon as no more body can arrive (the whole body is in, or the
        connection is gone).

        The request and its exchange refer to each other.  Left as a
        cycle, every request's objects (about 20: the exchange, its head,
        its auth result, header objects) wait for the garbage collector,
        which then runs every few dozen requests and walks them all; cut
        here, reference counting frees them at once.
        """
        exchange = self._exchange
        if exchange is not None and not self._ended:
            self._ended = True
            exchange.ended(result)
            if self._received or result is not None:
                self._exchange = None


def _header_lines(headers: Any) -> list[bytes]:
    """
    Response header lines, with C{x-amz-*} names in lower case as S3 sends
    them (botocore keeps the case of user metadata names it receives, and
    twisted.web would write C{X-Amz-Meta-Mtime}); line breaks in values are
    flattened, as twisted.web does.
    """
    pairs = (
        ((name, value) for name, values in headers.getAllRawHeaders() for value in values)
        if isinstance(headers, Headers)
        else headers
    )
    lines = []
    for name, value in pairs:
        if name[:6].lower() == b"x-amz-":
            name = name.lower()
        value = value.replace(b"\r\n", b" ").replace(b"\r", b" ").replace(b"\n", b" ")
        lines.append(name + b": " + value + b"\r\n")
    return lines


class S3Channel(http.HTTPChannel):
    """
    An HTTP/1.1 channel that writes S3's header-name case.
    """

    def writeHeaders(self, version: bytes, code: bytes, reason: bytes, headers: Any) -> None:
        """
        Write the status line and headers (see L{_header_lines}).
        """
        sequence = [version + b" " + code + b" " + reason + b"\r\n"]
        sequence.extend(_header_lines(headers))
        sequence.append(b"\r\n")
        transport: Any = self.transport
        transport.writeSequence(sequence)

    def write(self, data: bytes) -> None:
        """
        Send response bytes, at once when nothing is waiting before them.

        A TCP transport otherwise queues every write, asks the reactor to
        watch the socket for writability (an C{epoll_ctl}), sends on the
        next turn and stops watching (another C{epoll_ctl}): for a small
        response that is two system calls and a loop turn of Python for
        one C{send}.  When the transport's buffer is empty the bytes are
        offered to the socket now; whatever it does not take (or all of
        it, on an error, which the transport then reports as usual) goes
        the usual way, behind them.  TLS and other transports, and large
        slices of a streamed body (whose remainder would be copied), are
        left alone.
        """
        transport: Any = self.transport
        if (
            len(data) <= DIRECT_SEND_LIMIT
            and type(transport) is tcp.Server
            and not transport.dataBuffer
            and not transport._tempDataBuffer
            and transport.connected
            and not transport.disconnecting
            and not transport._writeDisconnected
            and not getattr(transport, "TLS", False)
        ):
            sent = transport.writeSomeData(data)
            if isinstance(sent, int) and sent > 0:
                data = data[sent:]
        if data:
            transport.write(data)

    _host: Any = None

    def getHost(self) -> Any:
        """
        The local address, asked of the socket once per connection:
        twisted.web's C{Request} asks for it on every request, and on TCP
        each ask is a C{getsockname} system call.
        """
        if self._host is None:
            self._host = super().getHost()
        return self._host

    _peer: Any = None

    def getPeer(self) -> Any:
        """
        The client's address, made once per connection: twisted.web's
        C{Request} asks for it on every request, and each ask built a new
        address object (with its attrs validators).
        """
        if self._peer is None:
            self._peer = super().getPeer()
        return self._peer

    # -- the idle timeout ------------------------------------------------

    _idle: Any = None
    _period: float | None = None

    def setTimeout(self, period: Any) -> Any:
        """
        Change the idle timeout, as C{TimeoutMixin.setTimeout} does, with
        one timer for the life of the connection.

        twisted.web turns the timeout off while it answers a request and
        on again after it.  C{TimeoutMixin} cancels its timer and schedules
        a new one each time: per request, a C{DelayedCall} made, pushed on
        the reactor's heap, cancelled, and swept from the heap later.  Here
        the timer stays: turning the timeout on again pushes it back (a
        C{reset} to a later time only records the delay), and if it
        expires while the timeout is off (a request still being answered),
        it looks again one period later instead of closing.
        """
        previous, self.timeOut = self.timeOut, period
        if period is not None:
            self._period = period
            if self._idle is None:
                self._idle = self.callLater(period, self._idle_expired)
            else:
                self._idle.reset(period)
        return previous

    def resetTimeout(self) -> None:
        """
        Bytes arrived: the idle period starts again (while it is on).
        """
        if self._idle is not None and self.timeOut is not None:
            self._idle.reset(self.timeOut)

    def _idle_expired(self) -> None:
        self._idle = None
        if self.timeOut is None:
            if self._period is not None and self.connected:
                self._idle = self.callLater(self._period, self._idle_expired)
            return
        self.timeoutConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """
        Stop the idle timer with the connection.
        """
        super().connectionLost(reason)
        idle, self._idle = self._idle, None
        if idle is not None and idle.active():
            idle.cancel()

    def lineLengthExceeded(self, line: bytes) -> None:
        """
        A request line or one header longer than C{MAX_LENGTH} (16 KiB):
        Twisted's C{LineReceiver} would close without a word.
        """
        self._header_section_too_large()

    def _respondToBadRequestAndDisconnect(self) -> None:
        """
        Twisted's answer to a request it cannot parse: a bare 400 and a
        close.  When the cause is a header section past
        C{totalHeadersSize} (16 KiB over several lines; the one place that
        leaves C{_receivedHeaderSize} above it, in 22.4 and 26 alike), S3
        answers with its error document, so we do too.  Overriding this
        rare path instead of C{lineReceived} costs the common request
        nothing.
        """
        if self._receivedHeaderSize > self.totalHeadersSize:
            self._header_section_too_large()
        else:
            super()._respondToBadRequestAndDisconnect()

    def _header_section_too_large(self) -> None:
        """
        Answer S3's 400 RequestHeaderSectionTooLarge, then close: the rest
        of the request cannot be framed.
        """
        request_id = new_request_id()
        body = render_error(
            s3_error("RequestHeaderSectionTooLarge"), "/", request_id, host_id(request_id)
        )
        transport: Any = self.transport
        transport.write(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\n"
            b"Content-Length: %d\r\nConnection: close\r\nx-amz-request-id: %s\r\n\r\n"
            % (len(body), request_id.encode("ascii")) + body
        )
        self.loseConnection()


class S3Site(server.Site):
    """
    A C{Site} whose requests are L{S3Request}s routed by the S3 routing
    table; the resource tree is unused.

    @ivar app: what every request needs (store, credentials, clock...).
    """

    requestFactory = S3Request  # type: ignore[assignment]

    def __init__(self, app: App, timeout: float = IDLE_TIMEOUT) -> None:
        super().__init__(Resource(), timeout=timeout)
        self.app = app

    def buildProtocol(self, addr: Any) -> Any:
        """
        A plain HTTP/1.1 channel (the body-streaming hooks are HTTP/1.1's).
        """
        channel: Any = S3Channel()
        channel.requestFactory = self.requestFactory
        channel.site = self
        channel.factory = self
        channel.timeOut = self.timeOut
        channel.callLater = self.app.clock.callLater
        return channel

    def log(self, request: Any) -> None:
        """
        Nothing: each exchange logs its own line (with its request id).
        """

    def stopFactory(self) -> None:
        """
        The last listener stopped: log the access lines still waiting.
        """
        self.app.access.flush()


def make_site(
    store: Any,
    credentials: CredentialStore,
    *,
    region: str,
    domain: str | None,
    clock: Clock,
    log: Logger | None = None,
    timeout: float = IDLE_TIMEOUT,
) -> S3Site:
    """
    Build the S3 site over an object store.

    @param store: the L{cartridge_d.objectstore} store (Deferred API).
    @param credentials: the users who may sign requests.
    @param region: the region this endpoint answers as.
    @param domain: base domain for virtual-host addressing, or None.
    @param clock: time for signatures, logs and timeouts (the reactor).
    @param log: where request lines go.
    @param timeout: idle seconds before a client is disconnected.
    """
    log = log or Logger("cartridge_d.s3")
    access = AccessLog(log, clock, max_delay=MAX_DELAY)
    app = App(store, credentials, region, domain, clock, log, access)
    return S3Site(app, timeout=timeout)
