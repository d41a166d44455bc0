"""
GET and HEAD with C{?partNumber}: one part of a multipart object, as
S3 sends it (206, Content-Range, x-amz-mp-parts-count).
"""

from __future__ import annotations

import os

from mp_harness import MIB, MultipartHarness, tag

P1 = os.urandom(5 * MIB)
P2 = os.urandom(1000)


def _two_parts(h: MultipartHarness) -> None:
    upload_id = h.create("bkt", "mp")
    for number, body in ((1, P1), (2, P2)):
        assert h.part("bkt", "mp", upload_id, number, body).status == 200
    assert h.complete_parts("bkt", "mp", upload_id, [P1, P2]).status == 200


def test_get_one_part_of_a_multipart_object(h: MultipartHarness) -> None:
    """
    partNumber=N answers part N's bytes as a 206 with their Content-Range
    and the object's part count; HEAD says the same without the body.
    """
    _two_parts(h)
    first = h.call("GET", "/bkt/mp?partNumber=1")
    assert first.status == 206
    assert first.body == P1
    assert first.header("content-range") == f"bytes 0-{len(P1) - 1}/{len(P1) + len(P2)}"
    assert first.header("x-amz-mp-parts-count") == "2"
    second = h.call("GET", "/bkt/mp?partNumber=2")
    assert (second.status, second.body) == (206, P2)
    assert second.header("content-range") == (
        f"bytes {len(P1)}-{len(P1) + len(P2) - 1}/{len(P1) + len(P2)}"
    )
    head = h.call("HEAD", "/bkt/mp?partNumber=2")
    assert head.status == 206
    assert head.header("content-length") == str(len(P2))
    assert head.header("x-amz-mp-parts-count") == "2"


def test_part_beyond_the_count_is_not_satisfiable(h: MultipartHarness) -> None:
    """
    A part number past the object's last part is S3's 416
    InvalidPartNumber, on GET and on HEAD.
    """
    _two_parts(h)
    reply = h.call("GET", "/bkt/mp?partNumber=3")
    assert reply.status == 416
    assert tag(reply.body, "Code") == ["InvalidPartNumber"]
    assert tag(reply.body, "Message") == ["The requested partnumber is not satisfiable"]
    assert h.call("HEAD", "/bkt/mp?partNumber=3").status == 416


def test_an_object_put_whole_has_one_part(h: MultipartHarness) -> None:
    """
    For an object stored by one PUT, part 1 is the whole object (without
    a part count, which S3 sends for multipart objects only) and part 2
    does not exist.
    """
    assert h.put("bkt", "one", b"hello").status == 200
    reply = h.call("GET", "/bkt/one?partNumber=1")
    assert reply.status in (200, 206)
    assert reply.body == b"hello"
    assert reply.header("x-amz-mp-parts-count") is None
    assert h.call("GET", "/bkt/one?partNumber=2").status == 416


def test_bad_part_numbers(h: MultipartHarness) -> None:
    """
    A part number outside 1-10000 is InvalidArgument; one given with a
    Range header is InvalidRequest.
    """
    assert h.put("bkt", "one", b"hello").status == 200
    for bad in ("0", "10001", "x"):
        reply = h.call("GET", f"/bkt/one?partNumber={bad}")
        assert reply.status == 400
        assert tag(reply.body, "Code") == ["InvalidArgument"]
    both = h.call("GET", "/bkt/one?partNumber=1", headers={"Range": "bytes=0-1"})
    assert both.status == 400
    assert tag(both.body, "Code") == ["InvalidRequest"]
