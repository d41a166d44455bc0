"""
Every multipart error through HTTP, on a real cartridge and journal; after
each one the upload is still intact and completes into the right object,
and no part data leaks.
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from mp_harness import (
    BOB,
    MIB,
    MultipartHarness,
    complete_xml,
    crc32_b64,
    md5_etag,
    multipart_etag,
    tag,
)

BIG = os.urandom(5 * MIB)
BIG2 = os.urandom(5 * MIB + 3)
TAIL = b"the last part may be small"



def _upload(h: MultipartHarness, key: str = "obj", bodies: tuple[bytes, ...] = (BIG, TAIL)) -> str:
    upload_id = h.create("bkt", key)
    for n, body in enumerate(bodies, 1):
        reply = h.part("bkt", key, upload_id, n, body)
        assert reply.status == 200, reply.body
        assert reply.header("etag") == md5_etag(body)
    return upload_id


def _completes(h: MultipartHarness, upload_id: str, bodies: tuple[bytes, ...] = (BIG, TAIL),
               key: str = "obj") -> None:
    """The upload completes into the concatenation, with the multipart ETag."""
    reply = h.complete_parts("bkt", key, upload_id, list(bodies))
    assert reply.status == 200, reply.body
    assert tag(reply.body, "ETag") == [multipart_etag(*bodies)]
    got = h.call("GET", f"/bkt/{key}")
    assert got.body == b"".join(bodies)
    assert got.header("etag") == multipart_etag(*bodies)
    assert h.call("GET", f"/bkt/{key}?uploadId={upload_id}").status == 404
    h.assert_no_leak()
    assert h.detached() == set()


def _error(reply: object, status: int, code: str) -> None:
    assert getattr(reply, "status") == status, getattr(reply, "body")
    assert tag(getattr(reply, "body"), "Code") == [code]


def test_complete_links_parts_and_frees_nothing_twice(h: MultipartHarness) -> None:
    """
    Two parts (the last one small enough to be stored inline) complete into
    one object with the md5-of-md5s ETag, readable byte for byte and by
    range across the part boundary; the upload is gone afterwards.
    """
    upload_id = _upload(h)
    _completes(h, upload_id)
    ranged = h.call("GET", "/bkt/obj", headers={"Range": f"bytes={5 * MIB - 4}-{5 * MIB + 3}"})
    assert ranged.status == 206
    assert ranged.body == (BIG + TAIL)[5 * MIB - 4:5 * MIB + 4]


def test_invalid_part_order_keeps_the_upload(h: MultipartHarness) -> None:
    """
    Parts listed out of order, or a part listed twice, is InvalidPartOrder;
    the upload then completes normally.
    """
    upload_id = _upload(h)
    reversed_list = complete_xml([(2, md5_etag(TAIL)), (1, md5_etag(BIG))])
    _error(h.complete("bkt", "obj", upload_id, reversed_list), 400, "InvalidPartOrder")
    twice = complete_xml([(1, md5_etag(BIG)), (1, md5_etag(BIG))])
    _error(h.complete("bkt", "obj", upload_id, twice), 400, "InvalidPartOrder")
    _completes(h, upload_id)


def test_invalid_part_keeps_the_upload(h: MultipartHarness) -> None:
    """
    A part that was never uploaded, or listed with another ETag, is
    InvalidPart naming it; the upload then completes normally.
    """
    upload_id = _upload(h)
    missing = complete_xml([(1, md5_etag(BIG)), (3, md5_etag(TAIL))])
    reply = h.complete("bkt", "obj", upload_id, missing)
    _error(reply, 400, "InvalidPart")
    assert tag(reply.body, "PartNumber") == ["3"]
    wrong = complete_xml([(1, md5_etag(b"other")), (2, md5_etag(TAIL))])
    _error(h.complete("bkt", "obj", upload_id, wrong), 400, "InvalidPart")
    _completes(h, upload_id)


def test_part_etags_without_quotes(h: MultipartHarness) -> None:
    """
    Complete accepts part ETags without quotes (s3cmd sends them so).
    """
    upload_id = _upload(h)
    listed = [(1, hashlib.md5(BIG).hexdigest()), (2, hashlib.md5(TAIL).hexdigest())]
    reply = h.complete("bkt", "obj", upload_id, complete_xml(listed))
    assert reply.status == 200, reply.body
    assert h.call("GET", "/bkt/obj").body == BIG + TAIL


def test_entity_too_small_then_replace_the_part(h: MultipartHarness) -> None:
    """
    A part other than the last under 5 MiB is EntityTooSmall; uploading
    that part number again replaces it (its old data is freed at once) and
    the upload completes.
    """
    upload_id = _upload(h, bodies=(b"x" * (5 * MIB - 1), BIG2))
    reply = h.complete_parts("bkt", "obj", upload_id, [b"x" * (5 * MIB - 1), BIG2])
    _error(reply, 400, "EntityTooSmall")
    assert tag(reply.body, "MinSizeAllowed") == [str(5 * MIB)]
    assert len(h.detached()) == 2
    assert h.part("bkt", "obj", upload_id, 1, BIG).status == 200
    assert len(h.detached()) == 2
    h.assert_no_leak()
    listing = h.call("GET", f"/bkt/obj?uploadId={upload_id}")
    assert tag(listing.body, "ETag")[0] == md5_etag(BIG)
    _completes(h, upload_id, (BIG, BIG2))


def test_no_such_upload(h: MultipartHarness) -> None:
    """
    An unknown upload id, or a real id used with another key, is
    NoSuchUpload for UploadPart, Complete, Abort and ListParts; the real
    upload is untouched.
    """
    upload_id = _upload(h)
    bogus = "0" * 40
    _error(h.part("bkt", "obj", bogus, 3, b"data"), 404, "NoSuchUpload")
    _error(h.part("bkt", "other", upload_id, 3, b"data"), 404, "NoSuchUpload")
    _error(h.complete_parts("bkt", "obj", bogus, [BIG]), 404, "NoSuchUpload")
    _error(h.call("DELETE", f"/bkt/obj?uploadId={bogus}"), 404, "NoSuchUpload")
    _error(h.call("DELETE", f"/bkt/other?uploadId={upload_id}"), 404, "NoSuchUpload")
    _error(h.call("GET", f"/bkt/obj?uploadId={bogus}"), 404, "NoSuchUpload")
    _completes(h, upload_id)


@pytest.mark.parametrize("number", ["0", "10001", "abc", "-1"])
def test_part_numbers_outside_1_to_10000(h: MultipartHarness, number: str) -> None:
    """
    Part numbers outside 1-10000 are InvalidArgument before the body is
    stored; 10000 itself is fine.
    """
    upload_id = _upload(h)
    _error(h.part("bkt", "obj", upload_id, number, b"data"), 400, "InvalidArgument")
    assert h.part("bkt", "obj", upload_id, 10000, b"last").status == 200
    reply = h.complete("bkt", "obj", upload_id, complete_xml(
        [(1, md5_etag(BIG)), (10000, md5_etag(b"last"))]))
    assert reply.status == 200, reply.body
    assert h.call("GET", "/bkt/obj").body == BIG + b"last"
    h.assert_no_leak()


def test_bad_digests_store_nothing(h: MultipartHarness) -> None:
    """
    A part whose Content-MD5 or x-amz-checksum-crc32 does not match its
    body is BadDigest and stores nothing; an invalid Content-MD5 is
    InvalidDigest. The upload then completes.
    """
    upload_id = _upload(h)
    wrong_md5 = base64.b64encode(hashlib.md5(b"else").digest()).decode()
    _error(h.part("bkt", "obj", upload_id, 3, b"data", {"Content-MD5": wrong_md5}), 400, "BadDigest")
    _error(h.part("bkt", "obj", upload_id, 3, b"data", {"Content-MD5": "nonsense"}), 400,
           "InvalidDigest")
    _error(h.part("bkt", "obj", upload_id, 3, b"data", {"x-amz-checksum-crc32": crc32_b64(b"x")}),
           400, "BadDigest")
    right = base64.b64encode(hashlib.md5(TAIL).digest()).decode()
    assert h.part("bkt", "obj", upload_id, 2, TAIL, {"Content-MD5": right}).status == 200
    assert tag(h.call("GET", f"/bkt/obj?uploadId={upload_id}").body, "PartNumber") == ["1", "2"]
    _completes(h, upload_id)


def test_abort_frees_the_parts(h: MultipartHarness) -> None:
    """
    Abort answers 204, frees every part's data, and the id is then
    unknown; aborting again is NoSuchUpload.
    """
    upload_id = _upload(h)
    assert len(h.detached()) == 1
    assert h.call("DELETE", f"/bkt/obj?uploadId={upload_id}").status == 204
    assert h.detached() == set()
    _error(h.call("DELETE", f"/bkt/obj?uploadId={upload_id}"), 404, "NoSuchUpload")
    _error(h.complete_parts("bkt", "obj", upload_id, [BIG, TAIL]), 404, "NoSuchUpload")
    assert h.call("GET", "/bkt/obj").status == 404


def test_last_complete_wins(h: MultipartHarness) -> None:
    """
    Two uploads of one key at once: each completes, the later Complete's
    object is the one served, and both uploads are gone.
    """
    first = _upload(h, bodies=(BIG, b"first"))
    second = _upload(h, bodies=(BIG2, b"second"))
    listed = h.call("GET", "/bkt?uploads")
    assert tag(listed.body, "UploadId") == sorted([first, second])
    assert h.complete_parts("bkt", "obj", second, [BIG2, b"second"]).status == 200
    assert h.complete_parts("bkt", "obj", first, [BIG, b"first"]).status == 200
    assert h.call("GET", "/bkt/obj").body == BIG + b"first"
    assert tag(h.call("GET", "/bkt?uploads").body, "UploadId") == []
    h.assert_no_leak()


def test_metadata_and_headers_of_create_reach_the_object(h: MultipartHarness) -> None:
    """
    Content-Type and x-amz-meta-* given to CreateMultipartUpload are the
    object's once it is complete.
    """
    upload_id = h.create("bkt", "obj", {"Content-Type": "text/x-mp", "x-amz-meta-Colour": "Blue"})
    assert h.part("bkt", "obj", upload_id, 1, TAIL).status == 200
    assert h.complete_parts("bkt", "obj", upload_id, [TAIL]).status == 200
    head = h.call("HEAD", "/bkt/obj")
    assert head.header("content-type") == "text/x-mp"
    assert head.header("x-amz-meta-colour") == "Blue"
    assert head.header("etag") == multipart_etag(TAIL)


def test_other_users_bucket_is_denied(h: MultipartHarness) -> None:
    """
    Another user can neither start an upload in the bucket nor touch or
    list an existing one.
    """
    upload_id = _upload(h)
    _error(h.call("POST", "/bkt/obj?uploads", user=BOB), 403, "AccessDenied")
    _error(h.call("PUT", f"/bkt/obj?partNumber=2&uploadId={upload_id}", b"x", user=BOB),
           403, "AccessDenied")
    _error(h.call("GET", "/bkt?uploads", user=BOB), 403, "AccessDenied")
    _completes(h, upload_id)


def test_delete_bucket_aborts_its_uploads(h: MultipartHarness) -> None:
    """
    Deleting an (object-less) bucket aborts its uploads and frees their data.
    """
    _upload(h)
    assert h.call("DELETE", "/bkt").status == 204
    assert h.detached() == set()
    assert h.journal.uploads() == []


def test_expired_uploads_are_aborted(h: MultipartHarness) -> None:
    """
    The expiry sweep aborts uploads older than the age given and frees
    their parts; younger uploads stay.
    """
    old = _upload(h, key="old")
    h.clock.advance(600)
    young = _upload(h, key="young")
    count = h.store.abort_expired(300)
    assert count.result == 1  # synchronous pool: already fired
    assert h.journal.get(old) is None
    assert h.journal.get(young) is not None
    h.assert_no_leak()
