"""
URI encoding and canonical query strings, as SigV4 defines them.

AWS's URI-encode keeps only C{A-Z a-z 0-9 - _ . ~} (and C{/} in paths) and writes
every other byte as C{%XX} in upper case. S3 differs from other services in one
way: the canonical URI is the path as sent, with no dot-segment removal, slash
merging or second encoding (botocore's C{S3SigV4Auth} leaves the path alone).

test-case-name: tests.auth.test_auth_sigv4_vectors
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

__all__ = ["uri_encode", "canonical_uri_candidates", "canonical_query"]

#: A path of only the characters AWS's URI-encode keeps (most keys).
_PLAIN = re.compile(rb"/[A-Za-z0-9\-_.~/]*")


def uri_encode(data: bytes, keep_slash: bool = False) -> str:
    """AWS URI-encode C{data}; C{/} survives only when C{keep_slash}."""
    return quote(data, safe="/~" if keep_slash else "~")


def canonical_uri_candidates(raw_path: bytes) -> list[str]:
    """
    The canonical URIs a client may have signed for C{raw_path}, most likely first.

    Every client we know signs the path exactly as it sends it. A client that sends
    a character unescaped that AWS would escape (C{!}, C{*}, C{'}, C{(}, ...) may
    still have signed the AWS-encoded form, so that form is the second candidate.
    """
    if _PLAIN.fullmatch(raw_path):
        # Nothing AWS would escape, no escape to normalise: one candidate.
        return [raw_path.decode("ascii")]
    raw = raw_path.decode("utf-8", "surrogateescape") or "/"
    if not raw.startswith("/"):
        raw = "/" + raw
    encoded = uri_encode(unquote_to_bytes(raw_path or b"/"), keep_slash=True)
    if not encoded.startswith("/"):
        encoded = "/" + encoded
    return [raw] if encoded == raw else [raw, encoded]


def canonical_query(
    pairs: list[tuple[bytes, bytes | None]], exclude: frozenset[str] = frozenset()
) -> str:
    """
    The SigV4 canonical query string from raw (still encoded) query pairs.

    Each key and value is decoded once and AWS-encoded again (so C{+} becomes
    C{%2B} and a space C{%20}), a missing value becomes C{key=}, and the pairs
    are sorted by key then value. Keys in C{exclude} (decoded, case-sensitive:
    C{X-Amz-Signature}) are left out.
    """
    out: list[tuple[str, str]] = []
    for key, value in pairs:
        k = unquote_to_bytes(key)
        if k.decode("latin-1") in exclude:
            continue
        v = b"" if value is None else unquote_to_bytes(value)
        out.append((uri_encode(k), uri_encode(v)))
    out.sort()
    return "&".join(f"{k}={v}" for k, v in out)
