"""
The values a handler receives and returns.

A handler is an C{async def handler(call: Call) -> Response}: it gets one
frozen L{Call} (the request head, who signed it, the body as the route asked
for it, and the application's collaborators) and returns one L{Response}.
It never touches the Twisted request, so handlers are plain coroutines over
the object store, and one place (L{cartridge_d.s3.request}) writes every
response.  Errors are raised (any S3 error, domain error or auth error) and
rendered by the error table.

test-case-name: tests.s3.test_s3_site
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from cartridge_d.auth.credentials import Credentials, CredentialStore
from cartridge_d.auth.result import AuthResult
from cartridge_d.s3.accesslog import AccessLog
from cartridge_d.s3.head import RequestHead


class DelayedCall(Protocol):
    """
    What L{Clock.callLater} returns (L{twisted.internet.interfaces.IDelayedCall}).
    """

    def active(self) -> bool:
        """Whether the call is still due."""

    def cancel(self) -> None:
        """Forget the call."""


class Clock(Protocol):
    """
    The part of C{IReactorTime} the S3 layer uses (the reactor provides
    it; tests pass a C{MemoryReactorClock}).
    """

    def seconds(self) -> float:
        """The current time, in seconds since the epoch."""

    def callLater(self, delay: float, f: Callable[..., object], *args: Any, **kw: Any) -> Any:
        """Call C{f} after C{delay} seconds."""


class BodySource(Protocol):
    """
    Where a streamed response body comes from: C{length} bytes, read a
    range at a time (off the reactor thread, by the implementation).
    """

    @property
    def length(self) -> int:
        """The number of bytes to send."""

    def read(self, offset: int, length: int) -> Deferred[bytes]:
        """Read C{length} bytes at C{offset} of the body (not of the object)."""

    def close(self) -> None:
        """Release what the source holds (a read view); called exactly once."""


@dataclass(frozen=True)
class Response:
    """
    What a handler answers.

    @ivar status: the HTTP status.
    @ivar headers: response headers (name, value) in order; values are
        sent as ISO-8859-1, so stored metadata goes back byte for byte.
    @ivar body: the whole body, for small (XML) answers.
    @ivar stream: a streamed body instead of C{body}, for GET.
    """

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    stream: BodySource | None = None


@dataclass(frozen=True)
class App:
    """
    The collaborators shared by every request of one site.

    @ivar store: the object store (Deferred API).
    @ivar credentials: the users.
    @ivar region: the region this endpoint serves.
    @ivar domain: the virtual-host base domain, or None.
    @ivar clock: time source for request times and timeouts.
    @ivar log: where tracebacks go.
    @ivar access: the access log (one line per request, in batches).
    """

    store: Any
    credentials: CredentialStore
    region: str
    domain: str | None
    clock: Clock
    log: Logger
    access: AccessLog


@dataclass(frozen=True)
class ReceivedBody:
    """
    A streamed request body, fully received and verified by the HTTP layer.

    @ivar size: decoded payload bytes (aws-chunked framing removed).
    @ivar trailers: the aws-chunked trailer fields (lower-case names).
    """

    size: int
    trailers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """
    One request as a handler sees it.

    @ivar head: the request line and headers.
    @ivar auth: the authentication result.
    @ivar app: the shared collaborators.
    @ivar request_id: the id of this request (x-amz-request-id).
    @ivar body: the whole body, for routes that buffer it (XML).
    @ivar upload: the streamed body, for routes that stream it.
    @ivar sink: the sink opened for a streaming route before its body.
    """

    head: RequestHead
    auth: AuthResult
    app: App
    request_id: str
    body: bytes = b""
    upload: ReceivedBody | None = None
    sink: Any = field(default=None)

    @property
    def user(self) -> Credentials | None:
        """Who signed the request."""
        return self.auth.credentials

    @property
    def owner_id(self) -> str:
        """The canonical id of the signer (its access key)."""
        return self.auth.access_key or ""

    def now_ns(self) -> int:
        """The current time in nanoseconds, from the site's clock."""
        return int(self.app.clock.seconds() * 1_000_000_000)


Handler = Callable[[Call], Awaitable[Response]]
