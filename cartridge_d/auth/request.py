"""
What the authenticator needs to know about a request, as plain values.

The HTTP layer builds one L{AuthRequest} per request from the bytes it received;
nothing here knows about Twisted. Signatures are computed over the request as it
was on the wire, so the path and query are raw bytes, never a decoded and
re-encoded form.

test-case-name: tests.auth.test_auth_botocore
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence
from urllib.parse import unquote_to_bytes

__all__ = ["AuthRequest"]


@dataclass(frozen=True)
class AuthRequest:
    """
    One request as received.

    @ivar method: the HTTP method, e.g. C{"PUT"}.
    @ivar raw_path: the request-target path exactly as on the wire, before C{?}.
    @ivar raw_query: the bytes after the first C{?} (empty when there is none).
    @ivar headers: C{(lower-case name, value)} pairs in received order; a repeated
        header appears once per occurrence. Values are the wire bytes decoded as
        UTF-8 with C{errors="surrogateescape"} (lossless: signatures are computed
        over the original bytes).
    @ivar virtual_host_bucket: the bucket named by the Host header when the router
        used virtual-host addressing, else None. SigV2 signs C{/bucket} + path.
    """

    method: str
    raw_path: bytes
    raw_query: bytes
    headers: tuple[tuple[str, str], ...]
    virtual_host_bucket: str | None = None
    _by_name: dict[str, list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built at once rather than as a cached_property: every request
        # looks up headers, and (on Python 3.11) each first access to a
        # cached_property takes a lock.
        by_name: dict[str, list[str]] = {}
        for name, value in self.headers:
            values = by_name.get(name)
            if values is None:
                by_name[name] = [value]
            else:
                values.append(value)
        object.__setattr__(self, "_by_name", by_name)

    @classmethod
    def from_uri(
        cls,
        method: str,
        uri: bytes,
        headers: "list[tuple[str, str]] | tuple[tuple[str, str], ...]",
        virtual_host_bucket: str | None = None,
    ) -> "AuthRequest":
        """Build from a raw request-target (C{path?query}); header names are lower-cased."""
        path, _, query = uri.partition(b"?")
        return cls(
            method,
            path,
            query,
            tuple((name.lower(), value) for name, value in headers),
            virtual_host_bucket,
        )

    def header_map(self) -> Mapping[str, Sequence[str]]:
        """
        Lower-case name -> every value, in received order; built once per
        request (a signature check looks up each signed header and the
        x-amz-* names, and scanning the pairs each time cost more).
        """
        return self._by_name

    def header_values(self, name: str) -> list[str]:
        """Every value of header C{name} (lower-case), in received order."""
        return list(self._by_name.get(name, ()))

    def header(self, name: str) -> str | None:
        """The first value of header C{name} (lower-case), or None."""
        values = self._by_name.get(name)
        return values[0] if values else None

    def query_pairs(self) -> list[tuple[bytes, bytes | None]]:
        """
        The raw query split on C{&} into (key, value) pairs, still percent-encoded.

        A part without C{=} has value None (C{?uploads}); empty parts are dropped.
        """
        pairs: list[tuple[bytes, bytes | None]] = []
        for part in self.raw_query.split(b"&"):
            if not part:
                continue
            key, eq, value = part.partition(b"=")
            pairs.append((key, value if eq else None))
        return pairs

    def query_params(self) -> dict[str, str]:
        """
        Decoded query parameters, first occurrence wins.

        Percent-escapes are decoded as UTF-8 (with replacement); C{+} stays a C{+}
        as S3 does for signature parameters.
        """
        params: dict[str, str] = {}
        for key, value in self.query_pairs():
            k = unquote_to_bytes(key).decode("utf-8", "replace")
            if k not in params:
                v = b"" if value is None else unquote_to_bytes(value)
                params[k] = v.decode("utf-8", "replace")
        return params
