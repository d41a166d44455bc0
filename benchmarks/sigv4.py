"""
A small AWS Signature Version 4 header signer for the load generator.

The benchmark must not measure its own client, so signing is kept to the
least work S3 accepts: bodies are sent as C{UNSIGNED-PAYLOAD} (no hashing
of the payload), only the three headers S3 requires are signed, and the
signing key (four HMACs) is derived once per day and cached.  Each request
then costs one SHA-256 of a short canonical request and one HMAC.

This module deliberately does not import C{cartridge_d}: the instrument
must be independent of the server it measures.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from urllib.parse import quote

UNSIGNED = "UNSIGNED-PAYLOAD"
_SIGNED_HEADERS = "host;x-amz-content-sha256;x-amz-date"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def canonical_query(query: dict[str, str]) -> str:
    """
    The query string as SigV4 canonicalises it (sorted, RFC 3986 encoded);
    the same string is sent on the wire, so the two never disagree.
    """
    return "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )


@dataclass
class Signer:
    """
    Signs requests for one access key, region and host.

    @ivar host: the C{Host} header value, e.g. C{127.0.0.1:9000}.
    """

    access_key: str
    secret_key: str
    host: str
    region: str = "us-east-1"
    _day: str = field(default="", repr=False)
    _key: bytes = field(default=b"", repr=False)
    _scope: str = field(default="", repr=False)

    def _signing_key(self, day: str) -> bytes:
        """
        The derived key for C{day}, recomputed only when the day changes.
        """
        if day != self._day:
            k = _hmac(("AWS4" + self.secret_key).encode(), day)
            k = _hmac(k, self.region)
            k = _hmac(k, "s3")
            self._key = _hmac(k, "aws4_request")
            self._scope = f"{day}/{self.region}/s3/aws4_request"
            self._day = day
        return self._key

    def headers(self, method: str, path: str, query: str = "", now: float | None = None) -> str:
        """
        The signed header lines (each ending in CRLF) for one request.

        @param path: the already URI-encoded path, e.g. C{/bucket/key}.
        @param query: the canonical query string (see L{canonical_query}).
        """
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        key = self._signing_key(amz_date[:8])
        creq = (
            f"{method}\n{path}\n{query}\nhost:{self.host}\n"
            f"x-amz-content-sha256:{UNSIGNED}\nx-amz-date:{amz_date}\n\n"
            f"{_SIGNED_HEADERS}\n{UNSIGNED}"
        )
        to_sign = (
            f"AWS4-HMAC-SHA256\n{amz_date}\n{self._scope}\n"
            f"{hashlib.sha256(creq.encode()).hexdigest()}"
        )
        sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return (
            f"Host: {self.host}\r\n"
            f"x-amz-content-sha256: {UNSIGNED}\r\n"
            f"x-amz-date: {amz_date}\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential={self.access_key}/{self._scope}, "
            f"SignedHeaders={_SIGNED_HEADERS}, Signature={sig}\r\n"
        )
