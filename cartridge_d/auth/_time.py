"""
Request timestamps: parsing the two formats clients send and the 15-minute rule.

test-case-name: tests.auth.test_auth_errors
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

from cartridge_d.auth.errors import AuthError

__all__ = ["MAX_SKEW", "parse_amz_date", "parse_http_date", "check_skew", "utc", "iso_z"]

#: S3 refuses header-signed requests whose time is further than this from ours.
MAX_SKEW = timedelta(minutes=15)


def utc(now: datetime) -> datetime:
    """C{now} as an aware UTC datetime (a naive value is taken to be UTC)."""
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def iso_z(when: datetime) -> str:
    """C{2013-05-24T00:00:00Z}: the form S3 puts in C{RequestTime}/C{ServerTime}."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=64)
def parse_amz_date(value: str) -> datetime | None:
    """
    Parse ISO 8601 basic C{20130524T000000Z}; None if it is not exactly that
    form (16 characters, ASCII digits) or names no real date and time.

    Sliced by hand rather than with C{strptime}, which costs more than the
    rest of a signature check; and cached, since every request arriving in
    the same second carries the same value.
    """
    if (
        len(value) != 16
        or value[8] != "T"
        or value[15] != "Z"
        or not value.isascii()
        or not (value[:8] + value[9:15]).isdigit()
    ):
        return None
    try:
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None


def parse_http_date(value: str) -> datetime | None:
    """Parse an RFC 1123 date (C{Fri, 24 May 2013 00:00:00 GMT}); None if invalid."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:  # pragma: no cover - older Pythons returned None
        return None
    return utc(parsed)


def check_skew(request_time: datetime, now: datetime) -> None:
    """
    @raise AuthError: C{RequestTimeTooSkewed} if the times differ by more than 15 minutes.
    """
    if abs(utc(now) - request_time) > MAX_SKEW:
        raise AuthError(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            (
                ("RequestTime", iso_z(request_time)),
                ("ServerTime", iso_z(now)),
                ("MaxAllowedSkewMilliseconds", "900000"),
            ),
        )
