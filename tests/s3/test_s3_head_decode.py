"""
Request header names and values as the S3 layer reads them: names in
lower case whatever case the client sent, values byte for byte (as
ISO-8859-1), repeated values in order, and no unbounded memory for
clients that send many different names.
"""

from __future__ import annotations

from cartridge_d.s3 import head


def test_names_lowered_values_kept_in_order() -> None:
    """
    Mixed-case names come out in lower case, the same name the same way
    every time, a non-ASCII value keeps its bytes, and repeated values
    keep their order.
    """
    raw = [
        (b"X-Amz-Meta-Caf\xe9", [b"\xe9t\xe9"]),
        (b"X-AMZ-DATE", [b"20261125T000000Z"]),
        (b"Accept", [b"a", b"b"]),
        (b"Empty", []),
    ]
    for _ in range(2):
        decoded = head.decode_headers(raw)
        assert decoded == {
            "x-amz-meta-caf\xe9": ["\xe9t\xe9"],
            "x-amz-date": ["20261125T000000Z"],
            "accept": ["a", "b"],
            "empty": [],
        }
        assert decoded["x-amz-meta-caf\xe9"][0].encode("latin-1") == b"\xe9t\xe9"


def test_many_different_names_do_not_grow_memory_without_bound() -> None:
    """
    A client sending thousands of different header names still has each
    decoded correctly, and the names remembered between requests stay
    within a fixed number.
    """
    for i in range(3 * head._NAME_CACHE_SIZE):
        name = b"X-Odd-%d" % i
        assert head.decode_headers([(name, [b"v"])]) == {"x-odd-%d" % i: ["v"]}
    assert len(head._NAMES) <= head._NAME_CACHE_SIZE
