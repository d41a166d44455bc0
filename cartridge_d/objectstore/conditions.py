"""
HTTP conditional requests with S3's precedence rules.

S3 follows RFC 7232 section 6: If-Match is checked first and, when present,
If-Unmodified-Since is ignored; otherwise a false If-Unmodified-Since is a
412. Then If-None-Match: a match is a 304 for GET/HEAD and, when present,
If-Modified-Since is ignored; otherwise an unchanged If-Modified-Since is
a 304. The copy-source-if-* headers of CopyObject follow the same order but
answer 412 where a GET would answer 304.

Dates that do not parse are ignored, as S3 ignores them. Last-Modified has
one-second resolution, so comparisons drop the sub-second part.

test-case-name: tests.objectstore.test_validation
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from email.utils import format_datetime, parsedate_to_datetime
from datetime import datetime, timezone

from cartridge_d.engine.types import ObjectRecord
from cartridge_d.objectstore.errors import NotModified, PreconditionFailed


@dataclass(frozen=True)
class Conditions:
    """
    The four conditional headers, as received (None when absent).
    """

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_unmodified_since: str | None = None


NO_CONDITIONS = Conditions()


def http_date(ns: int) -> str:
    """
    Nanoseconds since the epoch as an RFC 1123 date (Last-Modified).
    """
    return _http_date(ns // 1_000_000_000)


@lru_cache(maxsize=1024)
def _http_date(second: int) -> str:
    """
    One whole second as an RFC 1123 date, formatted once: every GET and
    HEAD sends one, and objects written together share their second
    (formatting took ~5% of a small GET's reactor time).
    """
    stamp = datetime.fromtimestamp(second, tz=timezone.utc)
    return format_datetime(stamp, usegmt=True)


def _parse_date(value: str | None) -> int | None:
    """
    An HTTP date as whole seconds since the epoch, or None if absent or
    unparsable.
    """
    if value is None:
        return None
    try:
        stamp = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return int(stamp.timestamp())


def etag_matches(header: str, etag: str) -> bool:
    """
    Whether an If-Match/If-None-Match list names C{etag} ("*" names any).
    Quotes and weak prefixes are ignored.
    """
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == "*" or candidate.strip('"') == etag:
            return True
    return False


def check_conditions(record: ObjectRecord, conditions: Conditions, for_copy: bool = False) -> None:
    """
    Evaluate C{conditions} against C{record}.

    @param for_copy: the copy-source-if-* flavour: a "not modified" outcome
        is a 412 instead of a 304.
    @raise PreconditionFailed: (412) if If-Match or If-Unmodified-Since fails.
    @raise NotModified: (304, with ETag and Last-Modified headers) if
        If-None-Match or If-Modified-Since says the client's copy is current.
    """
    mtime = record.mtime_ns // 1_000_000_000
    if conditions.if_match is not None:
        if not etag_matches(conditions.if_match, record.etag):
            raise PreconditionFailed(extra=(("Condition", "If-Match"),))
    else:
        since = _parse_date(conditions.if_unmodified_since)
        if since is not None and mtime > since:
            raise PreconditionFailed(extra=(("Condition", "If-Unmodified-Since"),))
    if conditions.if_none_match is not None:
        not_modified = etag_matches(conditions.if_none_match, record.etag)
        header = "If-None-Match"
    else:
        since = _parse_date(conditions.if_modified_since)
        not_modified = since is not None and mtime <= since
        header = "If-Modified-Since"
    if not_modified:
        if for_copy:
            raise PreconditionFailed(extra=(("Condition", f"x-amz-copy-source-{header}"),))
        raise NotModified(
            headers=(("ETag", f'"{record.etag}"'), ("Last-Modified", http_date(record.mtime_ns)))
        )
