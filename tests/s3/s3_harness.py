"""
Drive the real S3 site in memory: a real C{HTTPChannel} over a
C{StringTransport}, fed raw request bytes (in pieces when asked), with
requests signed by botocore so authentication runs for real.

The object store runs on the in-memory cartridge with a synchronous pool
stand-in, so every exchange completes inside C{dataReceived} unless a test
swaps in a L{SteppingPool} to hold pool calls back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import Logger

from cartridge_d.auth.credentials import Credentials, CredentialStore
from cartridge_d.objectstore.store import ObjectStore
from cartridge_d.objectstore.threads import BlockingFacade
from cartridge_d.s3.accesslog import AccessRecord
from cartridge_d.s3.site import S3Site, make_site
from cartridge_d.testing.memory import MemoryCartridge
from cartridge_d.testing.threads import ImmediateReactor, SynchronousThreadPool

ALICE = Credentials("AKIDALICE00000000000", "alice-secret-key-0000000000000000000000", "alice")
BOB = Credentials("AKIDBOB0000000000000", "bob-secret-key-00000000000000000000000", "bob")
HOST = "localhost:9000"


class _FixedPayloadAuth(S3SigV4Auth):
    """
    botocore's S3 SigV4 signer with a literal payload hash (UNSIGNED-PAYLOAD,
    STREAMING-...) instead of the body's sha256.
    """

    def __init__(self, credentials: Any, payload: str) -> None:
        super().__init__(credentials, "s3", "us-east-1")
        self._payload = payload

    def payload(self, request: Any) -> str:
        return self._payload


class SteppingPool:
    """
    A pool stand-in that holds every call until the test runs it.
    """

    def __init__(self) -> None:
        self.queue: list[tuple[Callable[..., object], Any, tuple[Any, ...], dict[str, Any]]] = []

    def callInThreadWithCallback(self, onResult: Any, func: Any, *args: Any, **kw: Any) -> None:
        """Queue the call."""
        self.queue.append((onResult, func, args, kw))

    def run_one(self) -> None:
        """Run the oldest queued call and report its outcome."""
        from twisted.python.failure import Failure

        on_result, func, args, kw = self.queue.pop(0)
        try:
            result = func(*args, **kw)
        except BaseException:
            on_result(False, Failure())
        else:
            on_result(True, result)

    def run_all(self) -> None:
        """Run calls (and those they queue) until none is left."""
        for _ in range(100_000):
            if not self.queue:
                return
            self.run_one()
        raise AssertionError("pool calls never ran out")


@dataclass
class Reply:
    """
    One parsed HTTP response.
    """

    status: int
    headers: dict[str, list[str]]
    body: bytes
    interim: list[int] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


def parse_replies(data: bytes, head_request: bool = False) -> list[Reply]:
    """
    Split raw response bytes into replies (Content-Length framing).
    """
    replies: list[Reply] = []
    interim: list[int] = []
    while data:
        block, sep, data = data.partition(b"\r\n\r\n")
        assert sep, f"incomplete response head: {block!r}"
        lines = block.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers.setdefault(name.decode("latin-1").lower(), []).append(
                value.strip().decode("latin-1")
            )
        if status == 100:
            interim.append(status)
            continue
        length = int(headers.get("content-length", ["0"])[0])
        if head_request or status in (204, 304):
            length = 0
        body, data = data[:length], data[length:]
        replies.append(Reply(status, headers, body, interim))
        interim = []
    return replies


class S3Harness:
    """
    A site over a fresh in-memory cartridge, and a signing client for it.
    """

    def __init__(self, pool: Any = None, domain: str | None = None, cartridge: Any = None) -> None:
        self.clock = MemoryReactorClock()
        self.clock.advance(time.time())
        self.pool = pool if pool is not None else SynchronousThreadPool()
        self.cartridge = cartridge if cartridge is not None else MemoryCartridge()
        facade = BlockingFacade(ImmediateReactor(), self.pool)
        self.store = ObjectStore(self.cartridge, facade, self.clock)
        self.events: list[dict[str, Any]] = []
        log = Logger(namespace="test", observer=self.events.append)
        self.site: S3Site = make_site(
            self.store,
            CredentialStore([ALICE, BOB]),
            region="us-east-1",
            domain=domain,
            clock=self.clock,
            log=log,
        )

    def access_records(self) -> list[AccessRecord]:
        """
        Every access-log record so far (the waiting batch flushed first).
        """
        self.site.app.access.flush()
        return [r for e in self.events for r in e.get("requests", ())]

    def connect(self) -> tuple[Any, StringTransport]:
        """A fresh channel on a fresh transport."""
        channel = self.site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 50000))
        transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 50000))
        channel.makeConnection(transport)
        return channel, transport

    def sign(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        user: Credentials = ALICE,
        scheme: str = "v4",
        host: str = HOST,
        payload: str | None = None,
    ) -> bytes:
        """
        The raw bytes of a request signed by botocore.

        @param path: the request target as sent (already percent-encoded).
        @param payload: a literal x-amz-content-sha256 (UNSIGNED-PAYLOAD,
            STREAMING-...) instead of the body's hash.
        """
        request = AWSRequest(method=method, url=f"http://{host}{path}", data=body,
                             headers=dict(headers or {}))
        request.headers["Host"] = host
        creds = BotoCredentials(user.access_key, user.secret_key)
        if payload is not None:
            _FixedPayloadAuth(creds, payload).add_auth(request)
        elif scheme == "v4":
            S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
        elif scheme == "v2":
            HmacV1Auth(creds).add_auth(request)
        head = f"{method} {path} HTTP/1.1\r\n".encode()
        for name, value in request.headers.items():
            head += f"{name}: {value}\r\n".encode("latin-1")
        if body and "Content-Length" not in request.headers and "Transfer-Encoding" not in request.headers:
            head += f"Content-Length: {len(body)}\r\n".encode()
        return head + b"\r\n" + body

    def send(self, raw: bytes, piece: int | None = None, head_request: bool = False) -> Reply:
        """
        Send raw request bytes (in pieces of C{piece} bytes) on a fresh
        connection; return the one reply.
        """
        channel, transport = self.connect()
        step = piece or len(raw) or 1
        for i in range(0, len(raw), step):
            channel.dataReceived(raw[i:i + step])
        replies = parse_replies(transport.value(), head_request)
        assert len(replies) == 1, replies
        return replies[0]

    def call(self, method: str, path: str, body: bytes = b"", piece: int | None = None,
             **kw: Any) -> Reply:
        """Sign, send and parse one request."""
        return self.send(self.sign(method, path, body, **kw), piece, method == "HEAD")

    def put(self, bucket: str, key: str, body: bytes, **kw: Any) -> Reply:
        """PutObject."""
        return self.call("PUT", f"/{bucket}/{quote(key)}", body, **kw)

    def mkbucket(self, name: str, user: Credentials = ALICE) -> None:
        """Create a bucket, asserting success."""
        reply = self.call("PUT", f"/{name}", user=user)
        assert reply.status == 200, reply
