"""
ListObjects (v1 and v2): prefix, delimiter, marker / continuation token /
start-after, max-keys counting Contents and CommonPrefixes together.

The walk asks the engine for keys after a start key and, on meeting a key
that rolls up into a common prefix, restarts the walk just past every key
under that prefix, so a prefix holding a million keys costs one seek, not
a million records, and never appears twice: a page that ends on a common
prefix names it as its marker, and resuming from a marker that is a
common prefix starts past it. Resuming works whether or not the marker key
still exists, because the walk compares keys, it does not look the marker
up.

test-case-name: tests.objectstore.test_listing
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from itertools import islice

from cartridge_d.engine.types import ObjectRecord
from cartridge_d.objectstore import errors
from cartridge_d.objectstore.access import owned_bucket
from cartridge_d.objectstore.engine_api import Engine, View
from cartridge_d.objectstore.model import ListPage, ListRequest
from cartridge_d.objectstore.validation import MAX_KEY_BYTES

MAX_KEYS = 1000
_TOKEN_TAG = b"c1\0"


def prefix_successor(prefix: str) -> str:
    """
    A string that sorts (by UTF-8 bytes) after every key starting with
    C{prefix} and before every other key that sorts after C{prefix}.

    Keys are at most 1024 bytes, so C{prefix} followed by enough of the
    highest code point (4 bytes F4 8F BF BF each) is past all of them.
    """
    return prefix + "\U0010ffff" * (MAX_KEY_BYTES // 4 + 1)


def parse_max_keys(text: str | None) -> int:
    """
    The max-keys parameter: absent means 1000, larger values are capped
    at 1000.

    @raise InvalidArgument: if it is not a non-negative integer.
    """
    if text is None:
        return MAX_KEYS
    stripped = text.strip()
    if not stripped.isdigit():
        raise errors.argument_error(
            "max-keys", text, "Provided max-keys not an integer or within integer range"
        )
    return min(int(stripped), MAX_KEYS)


def encode_token(marker: str) -> str:
    """
    An opaque ListObjectsV2 continuation token for resuming after C{marker}.
    """
    return base64.urlsafe_b64encode(_TOKEN_TAG + marker.encode("utf-8")).decode("ascii")


def decode_token(token: str) -> str:
    """
    The marker inside a continuation token from L{encode_token}.

    @raise InvalidArgument: if the token was not made by L{encode_token}.
    """
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        if not raw.startswith(_TOKEN_TAG):
            raise ValueError(token)
        return raw[len(_TOKEN_TAG):].decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        raise errors.argument_error(
            "continuation-token", token, "The continuation token provided is incorrect"
        ) from None


def _rolled_up(key: str, prefix: str, delimiter: str) -> str | None:
    """
    The common prefix C{key} rolls up into, or None.
    """
    if not delimiter:
        return None
    index = key.find(delimiter, len(prefix))
    return None if index < 0 else key[: index + len(delimiter)]


def _entries(view: View, bucket: str, request: ListRequest) -> Iterator[ObjectRecord | str]:
    """
    Records and common prefixes after C{request.start}, in key order.
    """
    prefix, delimiter = request.prefix, request.delimiter
    after = request.start
    if after and _rolled_up(after, prefix, delimiter) == after and after.startswith(prefix):
        after = prefix_successor(after)
    while True:
        for record in view.list_objects(bucket, prefix=prefix, start_after=after):
            common = _rolled_up(record.key, prefix, delimiter)
            if common is None:
                yield record
                continue
            yield common
            after = prefix_successor(common)
            break
        else:
            return


def list_page(view: View, bucket: str, request: ListRequest) -> ListPage:
    """
    One page of a listing from C{view}.
    """
    if request.max_keys <= 0:
        return ListPage()
    if not request.delimiter:
        return _flat_page(view, bucket, request)
    contents: list[ObjectRecord] = []
    prefixes: list[str] = []
    last = ""
    entries = _entries(view, bucket, request)
    for entry in entries:
        if len(contents) + len(prefixes) == request.max_keys:
            return ListPage(tuple(contents), tuple(prefixes), True, last)
        if isinstance(entry, str):
            prefixes.append(entry)
            last = entry
        else:
            contents.append(entry)
            last = entry.key
    return ListPage(tuple(contents), tuple(prefixes), False, None)


def _flat_page(view: View, bucket: str, request: ListRequest) -> ListPage:
    """
    A page without a delimiter: the next C{max_keys} records, no roll-up,
    so no per-record test (one record more says whether it is truncated).
    """
    records = view.list_objects(bucket, prefix=request.prefix, start_after=request.start)
    page = tuple(islice(records, request.max_keys + 1))
    if len(page) <= request.max_keys:
        return ListPage(page, (), False, None)
    page = page[:-1]
    return ListPage(page, (), True, page[-1].key)


def list_objects(cart: Engine, bucket: str, requester: str, request: ListRequest) -> ListPage:
    """
    A listing page of a bucket the requester owns (pool thread).
    """
    with cart.view() as view:
        owned_bucket(view, bucket, requester)
        return list_page(view, bucket, request)
