"""
ListObjects paging as clients drive it: prefixes, delimiters, markers,
continuation tokens, max-keys; no entry lost or repeated across pages.
"""

from __future__ import annotations

import pytest

from cartridge_d.objectstore import ObjectStore, errors
from cartridge_d.objectstore.listing import decode_token, encode_token, parse_max_keys
from cartridge_d.objectstore.model import ListPage, ListRequest
from cartridge_d.testing.deferreds import failure_of, result_of

BUCKET = "bkt"
KEYS = ["a", "b/1", "b/2", "b/3", "c d", "c+d", "d/x/1", "d/y", "e", "é", "\U0001f600"]


@pytest.fixture
def filled(store: ObjectStore) -> ObjectStore:
    """
    A bucket holding L{KEYS}.
    """
    result_of(store.create_bucket(BUCKET, "alice"))
    for key in KEYS:
        session = result_of(store.begin_put(BUCKET, key, "alice"))
        result_of(session.write(key.encode()))
        result_of(session.finish())
    return store


def page(store: ObjectStore, **kw: object) -> ListPage:
    return result_of(store.list_objects(BUCKET, "alice", ListRequest(**kw)))  # type: ignore[arg-type]


def walk(store: ObjectStore, **kw: object) -> list[str]:
    """
    Page through a listing as a v1 client does (marker = NextMarker) and
    return every entry in order.
    """
    seen: list[str] = []
    start = ""
    for _ in range(100):
        p = page(store, start=start, **kw)
        entries = sorted([r.key for r in p.contents] + list(p.common_prefixes), key=str.encode)
        seen += entries
        if not p.is_truncated:
            return seen
        assert p.next_marker == entries[-1]
        start = p.next_marker
    raise AssertionError("listing did not end")


def test_everything_in_utf8_order(filled: ObjectStore) -> None:
    """
    Without parameters every key is listed, ordered by UTF-8 bytes.
    """
    assert [r.key for r in page(filled).contents] == sorted(KEYS, key=str.encode)


def test_prefix_and_delimiter(filled: ObjectStore) -> None:
    """
    A delimiter rolls keys up into common prefixes below the prefix.
    """
    p = page(filled, delimiter="/")
    assert [r.key for r in p.contents] == ["a", "c d", "c+d", "e", "é", "\U0001f600"]
    assert p.common_prefixes == ("b/", "d/")
    p = page(filled, prefix="d/", delimiter="/")
    assert [r.key for r in p.contents] == ["d/y"]
    assert p.common_prefixes == ("d/x/",)


@pytest.mark.parametrize("max_keys", [1, 2, 3, 1000])
def test_paging_with_delimiter_never_repeats(filled: ObjectStore, max_keys: int) -> None:
    """
    Paging with any page size lists each key and common prefix exactly
    once, counting both against max-keys.
    """
    expected = ["a", "b/", "c d", "c+d", "d/", "e", "é", "\U0001f600"]
    assert walk(filled, delimiter="/", max_keys=max_keys) == expected
    for p in [page(filled, delimiter="/", max_keys=max_keys)]:
        assert len(p.contents) + len(p.common_prefixes) <= max_keys


def test_paging_without_delimiter(filled: ObjectStore) -> None:
    """
    Paging two at a time without a delimiter lists every key once.
    """
    assert walk(filled, max_keys=2) == sorted(KEYS, key=str.encode)


def test_marker_key_deleted_meanwhile(filled: ObjectStore) -> None:
    """
    Resuming after a marker whose key has since been deleted continues
    with the next key.
    """
    first = page(filled, max_keys=2)
    assert first.next_marker == "b/1"
    result_of(filled.delete_object(BUCKET, "b/1", "alice"))
    assert [r.key for r in page(filled, start="b/1", max_keys=2).contents] == ["b/2", "b/3"]


def test_max_keys_zero(filled: ObjectStore) -> None:
    """
    max-keys=0 lists nothing and is not truncated.
    """
    p = page(filled, max_keys=0)
    assert (p.contents, p.common_prefixes, p.is_truncated) == ((), (), False)


def test_exact_fit_is_not_truncated(filled: ObjectStore) -> None:
    """
    A page that holds exactly the remaining entries is not truncated.
    """
    assert page(filled, max_keys=len(KEYS)).is_truncated is False
    assert page(filled, max_keys=len(KEYS) - 1).is_truncated is True


def test_max_keys_parsing() -> None:
    """
    max-keys defaults to 1000, is capped at 1000, and must be a
    non-negative integer.
    """
    assert parse_max_keys(None) == 1000
    assert parse_max_keys("5000") == 1000
    assert parse_max_keys("7") == 7
    for bad in ["-1", "x", ""]:
        with pytest.raises(errors.InvalidArgument):
            parse_max_keys(bad)


def test_continuation_tokens() -> None:
    """
    Tokens round-trip any key and are validated.
    """
    for key in ["", "a b+c/é", "\U0001f600"]:
        assert decode_token(encode_token(key)) == key
    for bad in ["not base64!", "YWJj", ""]:
        with pytest.raises(errors.InvalidArgument):
            decode_token(bad)


def test_missing_bucket(store: ObjectStore) -> None:
    """
    Listing a missing bucket is NoSuchBucket.
    """
    failure_of(store.list_objects("nobucket", "alice", ListRequest()), errors.NoSuchBucket)
