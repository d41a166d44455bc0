"""
The outcome of authentication: who signed, and how the body must be checked.

test-case-name: tests.auth.test_auth_errors
"""

from __future__ import annotations

from dataclasses import dataclass

from cartridge_d.auth.credentials import Credentials

__all__ = [
    "AuthResult",
    "StreamingContext",
    "UNSIGNED_PAYLOAD",
    "STREAMING_SIGNED",
    "STREAMING_SIGNED_TRAILER",
    "STREAMING_UNSIGNED_TRAILER",
    "STREAMING_MODES",
]

#: The body is not covered by the signature (SigV2, presigned URLs, rclone PUTs).
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: aws-chunked body, every chunk signed (minio-go, Java SDK).
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#: aws-chunked body, every chunk and the trailer signed.
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
#: aws-chunked body, unsigned, checksum in a trailer (botocore and aws-cli over https).
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

STREAMING_MODES = frozenset(
    {STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER}
)


@dataclass(frozen=True)
class StreamingContext:
    """
    What the aws-chunked decoder needs to verify chunk signatures.

    @ivar signing_key: the derived SigV4 key for (date, region, "s3").
    @ivar scope: C{"20130524/us-east-1/s3/aws4_request"}.
    @ivar amz_date: the request timestamp, C{"20130524T000000Z"}.
    @ivar seed_signature: the request's own signature; the first chunk chains to it.
    """

    signing_key: bytes
    scope: str
    amz_date: str
    seed_signature: str

    def __repr__(self) -> str:
        return f"StreamingContext(scope={self.scope!r}, amz_date={self.amz_date!r})"


@dataclass(frozen=True)
class AuthResult:
    """
    A successfully authenticated (or anonymous) request.

    @ivar credentials: the signer, or None for an anonymous request (the caller
        decides whether anonymous access is allowed).
    @ivar scheme: C{"anonymous"}, C{"v4-header"}, C{"v4-query"}, C{"v2-header"} or
        C{"v2-query"}.
    @ivar payload: how the body is protected: L{UNSIGNED_PAYLOAD}, one of
        L{STREAMING_MODES}, or the lower-case sha256 hex the body must hash to.
    @ivar streaming: set for the C{STREAMING-*} modes that carry signatures.
    """

    credentials: Credentials | None
    scheme: str
    payload: str = UNSIGNED_PAYLOAD
    streaming: StreamingContext | None = None

    @property
    def anonymous(self) -> bool:
        """True when the request carried no signature at all."""
        return self.credentials is None

    @property
    def access_key(self) -> str | None:
        """The signer's access key, or None when anonymous."""
        return None if self.credentials is None else self.credentials.access_key

    @property
    def payload_sha256(self) -> str | None:
        """The sha256 hex the body must match, or None when the body is not hashed."""
        if self.payload == UNSIGNED_PAYLOAD or self.payload in STREAMING_MODES:
            return None
        return self.payload

    @property
    def aws_chunked(self) -> bool:
        """True when the body is aws-chunked framing that must be decoded."""
        return self.payload in STREAMING_MODES


ANONYMOUS = AuthResult(None, "anonymous")
