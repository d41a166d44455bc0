"""
Incremental decoder for C{Content-Encoding: aws-chunked} request bodies.

Wire format (after any HTTP chunked transfer-coding has been removed)::

    <hex size>[;chunk-signature=<64 hex>]\\r\\n
    <size bytes>\\r\\n
    ...                                          (more chunks)
    0[;chunk-signature=<64 hex>]\\r\\n
    [x-amz-checksum-crc32:<base64>\\r\\n]          (trailers, in the TRAILER modes)
    [x-amz-trailer-signature:<64 hex>\\r\\n]       (signed-trailer mode only)
    \\r\\n

Each chunk signature is HMAC-SHA256 under the request's signing key of::

    AWS4-HMAC-SHA256-PAYLOAD\\n<amz date>\\n<scope>\\n<previous signature>\\n
    <sha256("")>\\n<sha256(chunk bytes)>

starting from the seed (request) signature, so chunks cannot be dropped, reordered
or altered. The trailer signature uses C{AWS4-HMAC-SHA256-TRAILER} and the sha256 of
the trailer lines, each written C{name:value\\n}.

Memory is bounded: payload bytes are passed through as they arrive (a chunk's sha256
is computed incrementally) and only header and trailer lines are buffered, each
at most L{MAX_LINE} bytes. Bytes returned by L{ChunkedDecoder.feed} are provisional
until L{ChunkedDecoder.finish} returns: a later chunk may still fail to verify.

test-case-name: tests.auth.test_auth_chunked
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cartridge_d.auth.errors import AuthError
from cartridge_d.auth.result import (
    STREAMING_MODES,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    StreamingContext,
)
from cartridge_d.auth.sigv4 import sign

__all__ = ["ChunkedDecoder", "decoded_content_length", "MAX_LINE", "MIN_CHUNK_SIZE"]

#: Longest chunk-header or trailer line accepted, CRLF included.
MAX_LINE = 4096
#: Longest trailer section accepted.
MAX_TRAILER = 16384
#: S3's smallest size for a signed chunk other than the last data chunk.
MIN_CHUNK_SIZE = 8192
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}\Z")
_HEADER, _DATA, _DATA_CRLF, _TRAILER, _DONE = range(5)


def _malformed(what: str) -> AuthError:
    return AuthError("InvalidRequest", f"Malformed aws-chunked body: {what}.")


def _incomplete() -> AuthError:
    return AuthError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    )


def _signature_mismatch() -> AuthError:
    return AuthError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )


def decoded_content_length(value: str | None) -> int | None:
    """
    Parse C{x-amz-decoded-content-length} (None when absent).

    @raise AuthError: C{InvalidArgument} when it is not a non-negative integer.
    """
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit():
        raise AuthError(
            "InvalidArgument",
            "x-amz-decoded-content-length must be a non-negative integer.",
            (("ArgumentName", "x-amz-decoded-content-length"), ("ArgumentValue", value)),
        )
    return int(text)


class ChunkedDecoder:
    """
    Feed it aws-chunked bytes split anywhere; it returns the payload bytes.

    @param mode: one of the C{STREAMING-*} payload modes of L{AuthResult.payload}.
    @param streaming: the signing context (required for the signed modes).
    @param expected_length: C{x-amz-decoded-content-length}, checked when given.
    @param min_chunk_size: smallest size of a signed chunk other than the last one.
    """

    def __init__(
        self,
        mode: str,
        streaming: StreamingContext | None = None,
        expected_length: int | None = None,
        min_chunk_size: int = MIN_CHUNK_SIZE,
    ) -> None:
        if mode not in STREAMING_MODES:
            raise ValueError(f"not an aws-chunked payload mode: {mode!r}")
        self._signed = mode != STREAMING_UNSIGNED_TRAILER
        if self._signed and streaming is None:
            raise ValueError("signed aws-chunked decoding needs the StreamingContext")
        self._mode = mode
        self._ctx = streaming
        self._prev_signature = streaming.seed_signature if streaming else ""
        self._expected = expected_length
        self._min_chunk = min_chunk_size
        self._state = _HEADER
        self._line = bytearray()
        self._remaining = 0
        self._chunk_signature = ""
        self._chunk_hash = hashlib.sha256()
        self._prev_size: int | None = None
        self._chunks = 0
        self._trailer_bytes = 0
        self._trailers: dict[str, str] = {}
        self._trailer_text: list[str] = []
        self._trailer_signature: str | None = None
        #: Payload bytes decoded so far.
        self.decoded_length = 0

    def feed(self, data: bytes) -> bytes:
        """
        Consume C{data}; return the payload bytes it completes (possibly empty).

        @raise AuthError: on a bad signature, bad framing, or more payload than
            C{x-amz-decoded-content-length} announced.
        """
        return b"".join(self.feed_pieces(data))

    def feed_pieces(self, data: bytes) -> list[bytes]:
        """Like L{feed}, but return the payload as the slices of C{data} it came in."""
        out: list[bytes] = []
        pos, end = 0, len(data)
        while pos < end:
            state = self._state
            if state == _DATA:
                take = min(self._remaining, end - pos)
                piece = data[pos:pos + take]
                pos += take
                self._remaining -= take
                if self._signed:
                    self._chunk_hash.update(piece)
                out.append(piece)
                if self._remaining == 0:
                    self._state = _DATA_CRLF
            elif state == _DATA_CRLF:
                take = min(2 - len(self._line), end - pos)
                self._line += data[pos:pos + take]
                pos += take
                if len(self._line) == 2:
                    if self._line != b"\r\n":
                        raise _malformed("chunk data is not followed by CRLF")
                    self._line.clear()
                    self._end_chunk()
            elif state in (_HEADER, _TRAILER):
                nl = data.find(b"\n", pos)
                stop = end if nl < 0 else nl + 1
                self._line += data[pos:stop]
                pos = stop
                if len(self._line) > MAX_LINE:
                    raise _malformed("line too long")
                if nl >= 0:
                    line = bytes(self._line)
                    self._line.clear()
                    if state == _HEADER:
                        self._header_line(line)
                    else:
                        self._trailer_line(line)
            else:
                raise _malformed("data after the final chunk")
        return out

    def finish(self) -> dict[str, str]:
        """
        Declare the body complete; return the trailers (lower-case names).

        @raise AuthError: C{IncompleteBody} if the final chunk or trailer section is
            missing, or the payload length differs from C{x-amz-decoded-content-length}.
        """
        if self._state != _DONE:
            raise _incomplete()
        if self._expected is not None and self.decoded_length != self._expected:
            raise _incomplete()
        return dict(self._trailers)

    close = finish

    # -- internals -------------------------------------------------------------

    def _sign(self, text: str) -> str:
        assert self._ctx is not None
        return sign(self._ctx.signing_key, text)

    def _verify(self, kind: str, provided: str, digest: str, empty_line: bool = True) -> None:
        assert self._ctx is not None
        parts = [kind, self._ctx.amz_date, self._ctx.scope, self._prev_signature]
        if empty_line:
            parts.append(_EMPTY_SHA256)
        parts.append(digest)
        expected = self._sign("\n".join(parts))
        if not hmac.compare_digest(expected.encode("ascii"), provided.lower().encode("ascii", "replace")):
            raise _signature_mismatch()
        self._prev_signature = expected

    def _header_line(self, line: bytes) -> None:
        if not line.endswith(b"\r\n"):
            raise _malformed("chunk header does not end with CRLF")
        fields = line[:-2].split(b";")
        size_text = fields[0].strip()
        if not _SIZE.match(size_text):
            raise _malformed("bad chunk size")
        size = int(size_text, 16)
        signature = ""
        for ext in fields[1:]:
            name, _, value = ext.partition(b"=")
            if name.strip() == b"chunk-signature":
                signature = value.strip().decode("ascii", "replace")
        if self._signed:
            if not signature:
                raise AuthError("IncompleteSignature", "The chunk is missing its chunk-signature.")
            if size and self._prev_size is not None and 0 < self._prev_size < self._min_chunk:
                raise AuthError(
                    "InvalidChunkSizeError",
                    "Only the last chunk is allowed to have a size less than 8192 bytes",
                    (("Chunk", str(self._chunks)), ("BadChunkSize", str(self._prev_size))),
                )
        self._chunks += 1
        self._prev_size = size
        self._chunk_signature = signature
        self._chunk_hash = hashlib.sha256()
        self.decoded_length += size
        if self._expected is not None and self.decoded_length > self._expected:
            raise _incomplete()
        if size:
            self._remaining = size
            self._state = _DATA
        else:
            if self._signed:
                self._verify("AWS4-HMAC-SHA256-PAYLOAD", signature, _EMPTY_SHA256)
            self._state = _TRAILER

    def _end_chunk(self) -> None:
        if self._signed:
            self._verify(
                "AWS4-HMAC-SHA256-PAYLOAD", self._chunk_signature, self._chunk_hash.hexdigest()
            )
        self._state = _HEADER

    def _trailer_line(self, line: bytes) -> None:
        self._trailer_bytes += len(line)
        if self._trailer_bytes > MAX_TRAILER:
            raise _malformed("trailer section too long")
        text = line.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
        if text:
            name, colon, value = text.partition(":")
            if not colon or self._mode == STREAMING_SIGNED:
                raise _malformed("unexpected trailer line")
            name, value = name.strip().lower(), value.strip()
            if name == "x-amz-trailer-signature":
                self._trailer_signature = value
            else:
                self._trailers[name] = value
                self._trailer_text.append(f"{name}:{value}\n")
            return
        if self._mode == STREAMING_SIGNED_TRAILER:
            if self._trailer_signature is None:
                if not self._trailer_text:
                    return  # some signers put a blank line between the last chunk and the trailer
                raise AuthError("IncompleteSignature", "The trailer is missing its signature.")
            digest = hashlib.sha256("".join(self._trailer_text).encode("utf-8")).hexdigest()
            self._verify("AWS4-HMAC-SHA256-TRAILER", self._trailer_signature, digest, False)
        self._state = _DONE
