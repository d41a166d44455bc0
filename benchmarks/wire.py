"""
A raw keep-alive HTTP/1.1 client over one socket, for the load generator.

Only what S3 benchmarking needs: one request at a time per connection,
bodies sent straight from a memoryview (no copies), response bodies
either kept, hashed with MD5, or read into a reused buffer and dropped.
A server that closes the connection (moto closes every one) is handled by
reconnecting before the next request; a keep-alive connection the server
closed while idle is retried once.  Every socket operation has a timeout.
"""

from __future__ import annotations

import hashlib
import socket
from dataclasses import dataclass
from typing import Literal, Sequence

from sigv4 import Signer

Keep = Literal["keep", "md5", "drop"]

#: Bound on one socket operation; a stalled server fails the request.
SOCKET_TIMEOUT = 120.0
_CHUNK = 1 << 20
_SMALL_BODY = 64 * 1024


class HTTPError(Exception):
    """
    The server answered something this client cannot read as HTTP.
    """


@dataclass
class Response:
    """
    One response: status, lower-cased headers, and the body as asked for
    (C{body} when kept, C{md5} hex digest when hashed), and its length.
    """

    status: int
    headers: dict[str, str]
    body: bytes
    md5: str
    length: int


class Connection:
    """
    One HTTP/1.1 connection to 127.0.0.1:port, signing every request.
    """

    def __init__(self, port: int, signer: Signer) -> None:
        self.port = port
        self.signer = signer
        self.sock: socket.socket | None = None
        self.buf = bytearray(_CHUNK)
        self.view = memoryview(self.buf)
        self.pending = b""
        self.connects = 0

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=SOCKET_TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.pending = b""
        self.connects += 1
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes | memoryview | Sequence[bytes | memoryview] = b"",
        keep: Keep = "keep",
        headers: str = "",
    ) -> Response:
        """
        Send one signed request and read the whole response.

        @param body: the body, or a sequence of pieces sent one after the
            other (a unique prefix followed by a shared buffer, say).
        @param headers: extra header lines, each ending in CRLF.
        """
        pieces = [body] if isinstance(body, (bytes, memoryview)) else list(body)
        length = sum(len(p) for p in pieces)
        target = path + ("?" + query if query else "")
        head = (
            f"{method} {target} HTTP/1.1\r\n"
            f"{self.signer.headers(method, path, query)}"
            f"Content-Length: {length}\r\n{headers}\r\n"
        ).encode()
        reused = self.sock is not None
        try:
            return self._exchange(method, head, pieces, length, keep)
        except (ConnectionError, HTTPError):
            if not reused:
                raise
            # The server closed an idle keep-alive connection: retry once.
            self.close()
            return self._exchange(method, head, pieces, length, keep)

    def _exchange(
        self, method: str, head: bytes, pieces: list[bytes | memoryview], length: int, keep: Keep
    ) -> Response:
        sock = self.sock or self._connect()
        try:
            if length <= _SMALL_BODY:
                sock.sendall(head + b"".join(pieces))
            else:
                sock.sendall(head)
                for p in pieces:
                    sock.sendall(p)
            return self._read_response(method, keep)
        except BaseException:
            self.close()
            raise

    def _recv_more(self) -> bytes:
        assert self.sock is not None
        data = self.sock.recv(_CHUNK)
        if not data:
            raise ConnectionError("server closed the connection")
        return data

    def _read_response(self, method: str, keep: Keep) -> Response:
        data = self.pending
        while b"\r\n\r\n" not in data:
            if len(data) > 65536:
                raise HTTPError("response head too large")
            data += self._recv_more()
        raw_head, _, rest = data.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise HTTPError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        close = headers.get("connection", "").lower() == "close" or parts[0] == "HTTP/1.0"
        sink = _Sink(keep)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            self.pending = rest
        elif "content-length" in headers:
            self.pending = self._read_exact(rest, int(headers["content-length"]), sink)
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self.pending = self._read_chunked(rest, sink)
        else:
            sink.feed(rest)
            self._read_to_close(sink)
            close = True
        if close:
            self.close()
        return Response(status, headers, sink.body(), sink.digest(), sink.length)

    def _read_exact(self, rest: bytes, size: int, sink: "_Sink") -> bytes:
        """
        Feed C{size} body bytes to C{sink}; return what came after them.
        """
        if len(rest) >= size:
            sink.feed(rest[:size])
            return rest[size:]
        sink.feed(rest)
        remaining = size - len(rest)
        assert self.sock is not None
        while remaining:
            n = self.sock.recv_into(self.view, min(remaining, _CHUNK))
            if not n:
                raise ConnectionError("body cut short")
            sink.feed(self.view[:n])
            remaining -= n
        return b""

    def _read_chunked(self, data: bytes, sink: "_Sink") -> bytes:
        while True:
            while b"\r\n" not in data:
                data += self._recv_more()
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n" not in data:
                    data += self._recv_more()
                # Skip trailers up to the empty line.
                while not data.startswith(b"\r\n"):
                    _, _, data = data.partition(b"\r\n")
                    while b"\r\n" not in data:
                        data += self._recv_more()
                return data[2:]
            data = self._read_exact(data, size, sink)
            while len(data) < 2:
                data += self._recv_more()
            data = data[2:]

    def _read_to_close(self, sink: "_Sink") -> None:
        assert self.sock is not None
        while True:
            n = self.sock.recv_into(self.view)
            if not n:
                return
            sink.feed(self.view[:n])


class _Sink:
    """
    Where a response body goes: kept, hashed, or only counted.
    """

    def __init__(self, keep: Keep) -> None:
        self.keep = keep
        self.parts: list[bytes] = []
        self.hash = hashlib.md5() if keep == "md5" else None
        self.length = 0

    def feed(self, data: bytes | memoryview) -> None:
        self.length += len(data)
        if self.keep == "keep":
            self.parts.append(bytes(data))
        elif self.hash is not None:
            self.hash.update(data)

    def body(self) -> bytes:
        return b"".join(self.parts)

    def digest(self) -> str:
        return self.hash.hexdigest() if self.hash is not None else ""
