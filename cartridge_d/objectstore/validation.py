"""
Pure checks on names and request values, raising the S3 error a real S3
gives: bucket names, keys, user metadata, Content-MD5, and the Range
header (the S3 layer calls L{parse_range} too).

test-case-name: tests.objectstore.test_validation
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cartridge_d.engine.types import ObjectRecord
from cartridge_d.objectstore.errors import (
    InvalidBucketName,
    InvalidDigest,
    InvalidPartNumber,
    InvalidRange,
    KeyTooLong,
    MetadataTooLarge,
)

MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048
MAX_PUT_BYTES = 5 * 1024**3

_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
#: Prefixes and suffixes AWS reserves for access points, aliases and
#: directory buckets.
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")


def check_bucket_name(name: str) -> None:
    """
    Enforce the S3 bucket-naming rules: 3-63 characters of lower-case
    letters, digits, dots and hyphens, beginning and ending with a letter
    or digit, no "..", no label (between dots) beginning or ending with a
    hyphen, not an IPv4 address, none of the reserved prefixes
    and suffixes.

    @raise InvalidBucketName: naming the bucket.
    """
    valid = (
        _BUCKET_CHARS.match(name) is not None
        and ".." not in name
        and ".-" not in name
        and "-." not in name
        and not name.startswith(_RESERVED_PREFIXES)
        and not name.endswith(_RESERVED_SUFFIXES)
        and not _is_ipv4(name)
    )
    if not valid:
        raise InvalidBucketName(
            "The specified bucket is not valid.", extra=(("BucketName", name),)
        )


def _is_ipv4(name: str) -> bool:
    """
    Whether C{name} is formatted as an IPv4 address (192.168.5.4).
    """
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def check_key(key: str) -> None:
    """
    A key is 1 to 1024 bytes of UTF-8.

    @raise KeyTooLong: for a longer key.
    """
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise KeyTooLong(
            "Your key is too long",
            extra=(("Size", str(size)), ("MaxSizeAllowed", str(MAX_KEY_BYTES))),
        )


def check_metadata(meta: Iterable[tuple[str, str]]) -> None:
    """
    User metadata is at most 2 KB, counting the UTF-8 bytes of every name
    (without C{x-amz-meta-}) and value.

    @raise MetadataTooLarge: with the size and limit.
    """
    size = sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in meta)
    if size > MAX_METADATA_BYTES:
        raise MetadataTooLarge(
            "Your metadata headers exceed the maximum allowed metadata size.",
            extra=(("Size", str(size)), ("MaxSizeAllowed", str(MAX_METADATA_BYTES))),
        )


def decode_content_md5(value: str) -> bytes:
    """
    The 16 bytes a Content-MD5 header names.

    @raise InvalidDigest: if it is not base64 of 16 bytes.
    """
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise InvalidDigest("The Content-MD5 you specified is not valid.")
    return digest


@dataclass(frozen=True)
class ByteRange:
    """
    A satisfiable byte range: C{first} to C{last} inclusive, of an object
    of C{size} bytes (what Content-Range says).
    """

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        """
        The number of bytes in the range.
        """
        return self.last - self.first + 1

    def content_range(self) -> str:
        """
        The Content-Range header value, "bytes first-last/size".
        """
        return f"bytes {self.first}-{self.last}/{self.size}"


_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*\Z")


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """
    Resolve a Range header against an object of C{size} bytes, as S3 does.

    One range only: "bytes=a-b", the open "bytes=a-", and the suffix
    "bytes=-n" (the last n bytes). A header that does not parse (several
    ranges, other units, b < a) is ignored and the whole object is served,
    so None is returned; None also when there is no header.

    @raise InvalidRange: (416) when the range starts at or beyond the end
        of the object, or is an empty suffix.
    """
    if header is None:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(header, size)
        return ByteRange(max(0, size - suffix), size - 1, size)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        raise _unsatisfiable(header, size)
    last = min(int(last_text), size - 1) if last_text else size - 1
    return ByteRange(first, last, size)


def parts_count(record: ObjectRecord) -> int | None:
    """
    How many parts a completed multipart upload made C{record} of (its
    ETag ends in "-N" and it has one segment per part), or None for an
    object stored in one piece.
    """
    _, dash, count = record.etag.rpartition("-")
    if dash and count.isdigit() and int(count) == len(record.segments):
        return int(count)
    return None


def part_range(record: ObjectRecord, part_number: int) -> ByteRange | None:
    """
    The bytes of part C{part_number} (1-based) of C{record}, as the
    C{partNumber} of a GET or HEAD asks: a multipart object's part is the
    segment its upload stored; an object stored in one piece has one part,
    itself.  None for an empty part (there is no range to send).

    @raise InvalidPartNumber: (416) beyond the object's part count.
    """
    count = parts_count(record)
    if part_number > (count or 1):
        raise InvalidPartNumber(
            extra=(("PartNumberRequested", str(part_number)),
                   ("ActualPartCount", str(count or 1))),
        )
    if count is None:
        first, length = 0, record.size
    else:
        sizes = [segment.size for segment in record.segments]
        first, length = sum(sizes[: part_number - 1]), sizes[part_number - 1]
    if length == 0:
        return None
    return ByteRange(first, first + length - 1, record.size)


def _unsatisfiable(header: str, size: int) -> InvalidRange:
    """
    The 416 error, with the fields S3 adds to it.
    """
    return InvalidRange(
        "The requested range is not satisfiable",
        extra=(("RangeRequested", header.strip()), ("ActualObjectSize", str(size))),
        headers=(("Content-Range", f"bytes */{size}"),),
    )
